"""``python -m conversion`` runs the command line."""

import sys

from conversion.cli import main

sys.exit(main())
