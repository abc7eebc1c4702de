"""`python -m bench`: run the suite (see `python -m bench --help`)."""

import sys

from bench.run import main

sys.exit(main())
