"""Process lifetime and executors: worker processes that never outlive the command, interrupted exits,
and tasks run in order on this process, worker processes or a Dask cluster (:func:`in_order`).

A worker forked by a process pool blocks on its task queue; if the parent is killed
(SIGKILL cannot be caught) nothing tells it to stop. :func:`die_with_parent`, called in
every pool's worker initializer, asks Linux to send the worker SIGKILL when its parent dies
(``prctl(PR_SET_PDEATHSIG)``, see prctl(2)) and exits at once if the parent died before
the request was made (the parent is then no longer the one that forked it).

This module imports nothing heavy: :mod:`sim.launch` uses it before NumPy loads (Dask is imported
only when a Dask executor runs).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import shutil
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "EXECUTORS",
    "EXIT_INTERRUPTED",
    "ExecutorError",
    "InterruptHandler",
    "Interrupted",
    "cores",
    "die_with_parent",
    "exit_now",
    "in_order",
    "remove_if_interrupted",
    "signals_deferred",
    "stop_children",
    "worker_pool",
    "written",
]

EXIT_INTERRUPTED = {signal.SIGINT: 130, signal.SIGTERM: 143}
"""Exit codes of an interrupted command: 128 + the signal's number, as shells report it."""
WATCHDOG_SECONDS = 10.0
"""After a signal, the longest the command may take to unwind before it is ended regardless.

Unwinding removes a staging folder and stops the workers, which takes well under a second;
the watchdog bounds the wait whatever happens (a lock held at the moment of the signal)."""
_PR_SET_PDEATHSIG = 1


class ExecutorError(RuntimeError):
    """The chunks could not be run: a worker process died, or the Dask executor is missing or unreachable."""


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived; the message says what the command has left on disk.

    A BaseException, so that no ``except Exception`` on the way (in sim or a library it
    imports) swallows it, while ``try``/``finally`` blocks still clean up as it unwinds.
    """

    def __init__(self, signum: int, message: str) -> None:
        super().__init__(message)
        self.signum = signum


def _written_message(folder: Path) -> str:
    return f"interrupted: the results were already written to {folder}"


class InterruptHandler:
    """Ends the command on SIGINT or SIGTERM in the process that installed it.

    With ``exit_at_once`` (the ``sim`` command, :mod:`sim.launch`) the handler itself ends the
    process: it kills the worker processes, removes what :func:`remove_if_interrupted` named
    (a staging folder, a temporary file), prints ``message`` and exits 130 or 143 at once.
    It raises nothing: an exception raised by a signal handler surfaces wherever the main thread
    happens to be, and where that is a garbage-collector or weakref callback or a ``__del__``,
    Python prints "Exception ignored" with a traceback and goes on as if nothing had happened.

    Without it (tests, embedding: the process goes on after the command), the handler raises
    :class:`Interrupted`, which unwinds the command, and the first signal starts a watchdog
    thread that ends the process with the same line and exit code if it has not ended
    :data:`WATCHDOG_SECONDS` later.

    ``message`` is what an interruption from now on reports; commands update it as they go, and
    :func:`written` switches it to ``on_written(folder)`` once results are in place. A signal
    inside :func:`signals_deferred` takes effect at the end of that block; after :meth:`finish`
    (the command is done) signals are ignored. Worker processes forked while it is installed
    inherit it; in them it restores the default action and re-raises the signal, so a worker
    ends as it would have without it.
    """

    def __init__(self, message: str = "interrupted: no results written", *, exit_at_once: bool = False) -> None:
        self.pid = os.getpid()
        self.message = message
        self.on_written: Callable[[Path], str] = _written_message
        self.exit_at_once = exit_at_once
        self.received: int | None = None
        self.watchdog: threading.Timer | None = None
        self.deferring = 0
        self.deferred: int | None = None
        self.finished = False
        self.doomed: dict[Path, None] = {}

    def __call__(self, signum: int, frame: object) -> None:
        if os.getpid() != self.pid:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        if self.finished:
            return
        if self.deferring:
            self.deferred = self.deferred or signum
            return
        self.interrupt(signum)

    def interrupt(self, signum: int) -> None:
        """Act on ``signum``: exit at once (removing what is doomed), or raise :class:`Interrupted`."""
        if self.exit_at_once:
            self.received = signum
            exit_now(EXIT_INTERRUPTED[signum], self.message, remove=tuple(self.doomed))
        if self.received is None:
            self.received = signum
            self.watchdog = threading.Timer(WATCHDOG_SECONDS, self._give_up, args=(signum,))
            self.watchdog.daemon = True
            self.watchdog.start()
        raise Interrupted(signum, self.message)

    def _give_up(self, signum: int) -> None:
        exit_now(EXIT_INTERRUPTED[signum], self.message, remove=tuple(self.doomed))

    def disarm(self) -> None:
        """Cancel the watchdog (the interruption was handled and the process goes on, as in tests)."""
        if self.watchdog is not None:
            self.watchdog.cancel()

    def finish(self) -> None:
        """The command is done: flush its output, then ignore SIGINT and SIGTERM until the process exits.

        A signal handled before this gives 130 or 143 (saying what was written); one after it
        comes too late to stop anything, and the exit status stays the command's own.
        """
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        self.finished = True
        for signum in EXIT_INTERRUPTED:
            if signal.getsignal(signum) is self:
                signal.signal(signum, signal.SIG_IGN)

    def interruption(self) -> Interrupted | None:
        """The interruption received, if any, even if what it raised was swallowed on the way.

        Code that catches every exception can turn :class:`Interrupted` into another error
        (a C extension imported at that moment reports "ImportError: initialization
        failed"); whatever error follows a received signal is reported as the interruption.
        """
        return None if self.received is None else Interrupted(self.received, self.message)

    @classmethod
    def installed(cls) -> InterruptHandler | None:
        """The handler in charge of SIGTERM (or, if SIGTERM is ignored, SIGINT) in this process, if one of these."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            handler = signal.getsignal(signum)
            if isinstance(handler, cls) and handler.pid == os.getpid():
                return handler
        return None

    def install(self) -> dict[int, object]:
        """Handle SIGINT and SIGTERM with this handler (an ignored signal stays ignored); return the old actions."""
        previous: dict[int, object] = {signum: signal.getsignal(signum) for signum in EXIT_INTERRUPTED}
        for signum, action in previous.items():
            if action is not signal.SIG_IGN:  # e.g. Ctrl-C for a background job stays ignored
                signal.signal(signum, self)
        return previous


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Steps that must not be cut in two: a signal arriving in the block takes effect at its end.

    For a few system calls at most (a rename and the note that it happened), never for work
    that takes time. Without an :class:`InterruptHandler` installed this does nothing.
    """
    handler = InterruptHandler.installed()
    if handler is None:
        yield
        return
    handler.deferring += 1
    try:
        yield
    finally:
        handler.deferring -= 1
        if not handler.deferring and handler.deferred is not None:
            signum, handler.deferred = handler.deferred, None
            handler.interrupt(signum)


def remove_if_interrupted(path: str | Path, *, remove: bool = True) -> None:
    """Have an interruption that ends the process remove ``path`` (a staging folder, a temporary file).

    Call it inside :func:`signals_deferred` together with the step that creates ``path``, and
    again with ``remove=False`` together with the step that renames it into place.
    """
    handler = InterruptHandler.installed()
    if handler is not None and remove:
        handler.doomed[Path(path)] = None
    elif handler is not None:
        handler.doomed.pop(Path(path), None)


def written(folder: Path) -> None:
    """Results are in place at ``folder``: an interruption from now on says so.

    Call it inside :func:`signals_deferred`, with the rename that put them there.
    """
    handler = InterruptHandler.installed()
    if handler is not None:
        handler.message = handler.on_written(folder)


def cores() -> int:
    """The machine's cores available to this process (its CPU affinity on Linux): the one core count of sim."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def die_with_parent(parent: int) -> None:
    """Make this (worker) process die with ``parent``; exit now if ``parent`` is already gone.

    Also restores the default action of SIGTERM (a worker ends quietly on it) and ignores
    SIGINT (Ctrl-C is the parent's to handle: it stops the pool).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def stop_children() -> None:
    """Kill this process's multiprocessing children (pool workers) and reap them."""
    for child in multiprocessing.active_children():
        with contextlib.suppress(OSError, ValueError):
            child.kill()
    for child in multiprocessing.active_children():
        with contextlib.suppress(OSError, ValueError, AssertionError):
            child.join(timeout=2)


def exit_now(code: int, message: str | None = None, *, remove: tuple[Path, ...] = ()) -> None:
    """Kill the workers, remove ``remove``, print ``message`` on stderr and end the process with ``code``.

    Exit handlers are skipped because an interrupted process pool's handler may wait for
    workers that will never answer; the workers are killed first (they may be writing into
    a staging folder in ``remove``).
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, set(EXIT_INTERRUPTED))  # a second Ctrl-C cannot cut this short
    stop_children()
    for path in remove:
        with contextlib.suppress(OSError):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    if message is not None:
        with contextlib.suppress(OSError):
            os.write(2, (message + "\n").encode("utf-8", "replace"))
    with contextlib.suppress(Exception):
        sys.stderr.flush()
    os._exit(code)


def _start_worker(parent: int | None, initializer: Callable[..., None], initargs: tuple[Any, ...]) -> None:
    if parent is not None:
        die_with_parent(parent)
    initializer(*initargs)


@contextlib.contextmanager
def worker_pool(
    workers: int, initializer: Callable[..., None], initargs: tuple[Any, ...] = ()
) -> Iterator[ProcessPoolExecutor]:
    """A process pool whose workers die with this process and are killed if the block fails.

    Workers are forked (where the platform can), so ``initargs`` are inherited, not pickled,
    and each calls :func:`die_with_parent` before ``initializer``. If the block raises
    (an interruption, an error), the workers are killed and the pool shut down without
    waiting, so the command never hangs on a worker; a worker that died (killed by a
    signal, out of memory) becomes one :class:`ExecutorError` instead of a traceback.
    """
    fork = "fork" in multiprocessing.get_all_start_methods()
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork") if fork else None,
        initializer=_start_worker,
        initargs=(os.getpid() if fork else None, initializer, initargs),
    )
    try:
        yield pool
    except BaseException as error:
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            with contextlib.suppress(OSError, ValueError, AttributeError):
                process.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        if isinstance(error, BrokenProcessPool):
            raise ExecutorError("a worker process died (killed by a signal or out of memory); no results") from None
        raise
    pool.shutdown(wait=True)


EXECUTORS = ("processes", "dask")
DASK_CONNECT_TIMEOUT = 10
"""Seconds to wait for a Dask scheduler given by its address."""

_Shared = TypeVar("_Shared")
_Result = TypeVar("_Result")
_TASK: tuple[Callable[[Any, int], Any], Any] | None = None


def _init_task(function: Callable[[Any, int], Any], shared: Any) -> None:
    global _TASK
    _TASK = (function, shared)


def _run_task(index: int) -> Any:
    function, shared = _TASK  # type: ignore[misc]
    return function(shared, index)


def _dask_in_order(
    function: Callable[[_Shared, int], _Result], shared: _Shared, count: int, workers: int, scheduler: str | None
) -> Iterator[_Result]:
    """:func:`in_order` on a ``dask.distributed`` cluster (a LocalCluster of ``workers`` without ``scheduler``)."""
    import logging

    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ExecutorError("the dask executor needs the dask extra: pip install 'sim[dask]'") from None
    cluster = None
    try:
        if scheduler is None:
            cluster = LocalCluster(  # its warnings (a worker restarted as Ctrl-C reached it) are not the user's
                n_workers=workers, threads_per_worker=1, dashboard_address=None, silence_logs=logging.ERROR
            )
            client = Client(cluster)
        else:
            client = Client(scheduler, timeout=DASK_CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as error:
        if cluster is not None:
            cluster.close()
        raise ExecutorError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None
    try:
        scattered = client.scatter(shared, broadcast=True)
        pending: deque = deque()
        submitted = 0
        while submitted < count or pending:
            while submitted < count and len(pending) < 4 * max(workers, 1):
                pending.append(client.submit(function, scattered, submitted, pure=False))
                submitted += 1
            yield pending.popleft().result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def in_order(
    function: Callable[[_Shared, int], _Result],
    shared: _Shared,
    count: int,
    workers: int,
    *,
    executor: str = "processes",
    scheduler: str | None = None,
) -> Iterator[_Result]:
    """``function(shared, i)`` for ``i = 0, 1, …, count − 1``, yielded in that order.

    In this process with one worker or one task; else in :func:`worker_pool` processes (``shared`` sent
    once to each, at most ``2·workers`` tasks in flight) or, with ``executor="dask"``, on a
    ``dask.distributed`` cluster at ``scheduler`` (a LocalCluster without it; ``shared`` scattered once).

    Raises
    ------
    ExecutorError
        A worker process died, or the Dask executor cannot run (dask missing, scheduler unreachable).
    """
    if executor == "dask":
        yield from _dask_in_order(function, shared, count, workers, scheduler)
        return
    if workers == 1 or count == 1:
        for index in range(count):
            yield function(shared, index)
        return
    with worker_pool(min(workers, count), _init_task, (function, shared)) as pool:
        pending: deque[Future[_Result]] = deque()
        submitted = 0
        while submitted < count or pending:
            while submitted < count and len(pending) < 2 * workers:
                pending.append(pool.submit(_run_task, submitted))
                submitted += 1
            yield pending.popleft().result()
