"""``python -m sim``: the command-line interface.

From a checkout, ``python -m sim`` needs a Python with sim's dependencies: the one in ``.venv``
(``make install``), ``.venv/bin/python -m sim``. Another Python says so in one line, not a traceback.
"""

import sys
from importlib.util import find_spec

DEPENDENCIES = ("numpy", "scipy", "matplotlib", "typer")

missing = [name for name in DEPENDENCIES if find_spec(name) is None]
if missing:
    sys.exit(
        f"python -m sim: {', '.join(missing)} not installed for {sys.executable}. From the checkout, run "
        "`make install`, then `.venv/bin/sim ...` or `.venv/bin/python -m sim ...` (or `source .venv/bin/activate` "
        "and `sim ...`)."
    )

from sim.launch import main  # noqa: E402  (after the check, so a missing dependency is one line)

main()
