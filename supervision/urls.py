"""/supervision/: inspection rounds and findings (督查), and the escalation ladder (督办)."""

from supervision import urls_inspections, urls_ladder

app_name = "supervision"

urlpatterns = [*urls_inspections.urlpatterns, *urls_ladder.urlpatterns]
