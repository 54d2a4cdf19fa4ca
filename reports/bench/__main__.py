"""`python -m reports.bench [--scales 1,10,100] [--repeat 30] [--warmup 5]`; see harness.py."""

from reports.bench.harness import main

raise SystemExit(main())
