"""``python -m sim``: the command-line interface."""

from sim.cli import main

main()
