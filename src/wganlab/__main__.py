"""`python -m wganlab` (and `torchrun -m wganlab`): the `wganlab` command."""

from wganlab.cli import run

run()
