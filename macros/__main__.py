"""`python -m macros`: the command line (see macros/cli.py)."""

import sys

from .cli import main

sys.exit(main())
