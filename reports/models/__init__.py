"""Models of the reports layer. Everything here is derived from ``tasks`` and ``supervision``
and can be rebuilt from them: summaries for the dashboards, built reports, export files."""

from reports.models.dispatch_reports import DispatchReport  # noqa: F401 (dispatch reports)
from reports.models.exports import ExportJob  # noqa: F401 (ledger exports)
from reports.models.roundtrip import RoundtripUpload  # noqa: F401 (Excel round-trip)
from reports.models.standings import IndicatorStanding, Standing, StandingMonth

__all__ = ["IndicatorStanding", "Standing", "StandingMonth"]
