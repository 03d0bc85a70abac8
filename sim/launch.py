"""The ``sim`` command's entry point: SIGINT and SIGTERM are handled from the first instant.

Importing NumPy, SciPy and matplotlib takes about half a second; a signal then must not end
in a ``KeyboardInterrupt`` traceback or a silent death. :func:`main` first installs a
handler that only writes one line and exits (nothing has been written yet), then imports
the rest and hands over to :class:`sim.processes.InterruptHandler` in its ``exit_at_once``
mode: on a signal it kills the workers, removes what the command was writing (a staging
folder, a temporary file), prints one line and exits 130 (SIGINT) or 143 (SIGTERM) from the
handler itself. It raises no exception to unwind the command, because Python swallows one
raised while a garbage-collector or weakref callback runs (printing a traceback) and the
command would go on.

The rule at the end: a signal handled before the command has flushed its last line gives
130 or 143 (saying "the run was already written to ..." once it was); after that, SIGINT and
SIGTERM are ignored and the exit status is the command's own (0 when it succeeded).

Python warnings from the libraries (NumPy's invalid values in a far tail, a glyph missing
from a font) are silenced unless asked for (``python -W`` or ``PYTHONWARNINGS``), in sim and
in the Python processes it starts (multiprocessing's resource tracker would otherwise warn of
the semaphores an interrupted Dask cluster leaves it to clean up): sim says what the user must
know in its own words.

This module imports only the standard library's basics before installing the first handler;
what Python does before it runs (about 30 ms of interpreter start-up) is out of its reach.
"""

from __future__ import annotations

import os
import signal
import sys
import warnings

__all__ = ["main"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _exit_at_once(signum: int, frame: object) -> None:
    os.write(2, b"interrupted: no results written\n")
    os._exit(128 + signum)


def main() -> None:
    """Console-script entry point (``sim`` and ``python -m sim``)."""
    for signum in _SIGNALS:
        if signal.getsignal(signum) is not signal.SIG_IGN:  # an ignored signal (a background job's) stays so
            signal.signal(signum, _exit_at_once)
    if not sys.warnoptions:  # library warnings (a glyph missing from a font...) are not the user's to read
        warnings.simplefilter("ignore")  # unless asked for with python -W or PYTHONWARNINGS
        os.environ["PYTHONWARNINGS"] = "ignore"  # nor those of the Python processes sim starts (Dask's, theirs)
    from sim.processes import EXIT_INTERRUPTED, Interrupted, InterruptHandler, exit_now

    handler = InterruptHandler(exit_at_once=True)
    handler.install()
    try:
        from sim.cli import main as cli_main

        cli_main()
    except SystemExit as done:
        if done.code in EXIT_INTERRUPTED.values():
            exit_now(done.code)  # the command printed its line; do not wait on a dying pool
        interrupted = handler.interruption()
        if interrupted is not None and done.code != 0:
            exit_now(EXIT_INTERRUPTED[interrupted.signum], str(interrupted))
        handler.finish()
        raise
    except BaseException as error:
        interrupted = error if isinstance(error, Interrupted) else handler.interruption()
        if interrupted is None:
            raise
        exit_now(EXIT_INTERRUPTED[interrupted.signum], str(interrupted))
    handler.finish()
