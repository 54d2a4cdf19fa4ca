"""Benchmarks of the portal on PostgreSQL at 1×, 10× and 100× the real plan (`make bench`).

- ``synthetic``: grows the database to k× the seed plan's tasks, units and history;
- ``harness``: creates a dedicated database, grows it scale by scale and measures the plan
  browser and the task API (queries per request, median and p90 time, ratios between scales
  and against a ``.values()`` floor), then writes the table to ``var/bench/``.

Speed is reported as ratios measured in one run, never asserted by timed tests.
"""
