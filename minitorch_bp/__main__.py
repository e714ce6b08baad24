"""``python -m minitorch_bp``: the command line."""

import sys

from minitorch_bp.cli import main

sys.exit(main())
