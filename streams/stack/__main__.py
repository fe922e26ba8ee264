"""``python -m streams.stack up|status|down|compose-config``: ``servicepulse stack``."""

import sys

from streams.cli import main

sys.exit(main(["stack", *sys.argv[1:]]))
