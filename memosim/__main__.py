"""``python -m memosim ...`` is the memosim command."""

import sys

from .cli import main

sys.exit(main())
