"""Pages of inspection rounds, findings, rectification and verification."""

urlpatterns = []
