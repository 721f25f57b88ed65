"""``python -m srcdiff``: the command line."""

import sys

from srcdiff.cli import main

sys.exit(main())
