"""`python -m wganlab` (and `torchrun -m wganlab`): the `wganlab` command."""

import sys

from wganlab.cli import main

sys.exit(main())
