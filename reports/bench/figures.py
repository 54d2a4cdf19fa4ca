"""The measured figures: plain data, shared by the harness, the measuring and the report."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Timing:
    """Wall times of one call, in seconds, after the warm-up."""

    samples: list[float] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples) * 1000

    @property
    def p90_ms(self) -> float:
        """Nearest-rank 90th percentile."""
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))] * 1000


@dataclass
class Measured:
    """One endpoint at one scale: queries per call (the most seen, with their SQL) and its
    timing, or why not."""

    queries: int | None = None
    timing: Timing | None = None
    error: str = ""
    sql: list[str] = field(default_factory=list)


@dataclass
class ScaleRun:
    """Everything measured at one scale factor."""

    scale: int
    counts: dict[str, int]
    growth_seconds: float
    results: dict[str, Measured] = field(default_factory=dict)
    # Other work on the machine slows every figure of a scale alike; shown so that a reader
    # can tell a busy run from a slow portal.
    load_average: float | None = None
    # The task ledger's figures (reports.bench.ledger.LedgerFigures), when measured.
    ledger: Any = None

    def median_ms(self, key: str) -> float | None:
        timing = self.results[key].timing if key in self.results else None
        return timing.median_ms if timing else None
