"""`python -m benchmarks` (what `make bench` runs): see `benchmarks/run.py`."""

import sys

from benchmarks.run import main

sys.exit(main())
