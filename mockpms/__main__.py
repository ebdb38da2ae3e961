"""`python -m mockpms serve`."""

import sys

from mockpms.cli import main

sys.exit(main())
