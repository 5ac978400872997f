"""`python -m convert ...`: see convert.cli."""

import sys

from .cli import main

sys.exit(main())
