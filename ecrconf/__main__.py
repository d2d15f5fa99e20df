"""``python -m ecrconf``: the ``ecrconf`` command line (ecrconf.cli)."""

import sys

from ecrconf.cli import main

sys.exit(main())
