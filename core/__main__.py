"""``python -m core`` runs the headless command line (data, eval, check-invariance, train)."""

import sys

from core.cli import main

sys.exit(main())
