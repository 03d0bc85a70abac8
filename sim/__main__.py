"""``python -m sim``: the command-line interface."""

from sim.launch import main

main()
