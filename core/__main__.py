"""``python -m equiview.core`` runs the headless command line (data, eval, check-invariance, train)."""

import sys

from equiview.core.cli import main

sys.exit(main())
