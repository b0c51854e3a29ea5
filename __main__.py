"""``python -m equiview`` is the ``equiview`` command."""

import sys

from equiview.viewer.cli import main

sys.exit(main())
