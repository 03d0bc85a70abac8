"""Writing files and folders so that a reader never sees half of one, and only sim's own are replaced.

Every file ``sim`` writes for a user (a report, a comparison table, the README block) goes
through :func:`write_atomic`: the bytes are written to a hidden temporary file beside the
destination, flushed to disk and renamed over it (``os.replace``, atomic on POSIX), so a
full disk or an interruption leaves the old file whole. Every folder (a run, an analysis)
goes through :func:`write_folder`: it is built in a hidden ``.<name>.*.partial`` folder
beside its destination and renamed into place when complete.

Folders ``sim`` makes carry a :data:`MARKER` file. ``--force`` replaces a folder only when
it carries one (or is a run or analysis folder from before markers: a ``manifest.json``
naming a sim version), and never through a symbolic link. A staging folder's marker is
held under an exclusive ``flock`` while it is written, so the next write beside it removes
a staging folder whose writer died (SIGKILL, power loss) and leaves one being written alone.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from sim.processes import remove_if_interrupted, signals_deferred, written

__all__ = ["MARKER", "StorageError", "is_sim_made", "remove_stale", "write_atomic", "write_folder"]

MARKER = ".sim-made"
"""Name of the file that marks a folder as made by sim (its text says which process made it)."""
_STAGING_SUFFIXES = (".partial", ".replaced")
_STALE_AGE_SECONDS = 10.0
"""A temporary file younger than this is never taken for a dead writer's (it may be being opened)."""
_AT_FDCWD = -100
_RENAME_NOREPLACE = 1


class StorageError(OSError):
    """A destination that sim refuses to write (not its own, a link) or cannot write; one line."""


def _file_mode(path: Path) -> int:
    """An existing file's permission bits, else what a new file gets under the current umask."""
    with contextlib.suppress(OSError):
        status = os.stat(path)
        return status.st_mode & 0o7777
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomic(path: str | Path, content: bytes) -> Path:
    """Replace ``path`` with ``content`` atomically: a reader sees the old file or the new, never a part.

    The bytes go to a hidden temporary file in the same folder, are flushed with ``fsync``
    and renamed over ``path``; on any failure the temporary file is removed and ``path`` is
    left as it was. An existing file keeps its permission bits. A temporary file left beside
    ``path`` by a writer that was killed (SIGKILL, power loss) is removed by the next write of
    ``path`` (see :func:`_remove_stale_temporaries`).

    Raises
    ------
    OSError
        The folder cannot be written (full disk, no permission); ``path`` is unchanged.
    """
    path = Path(path)
    mode = _file_mode(path)
    _remove_stale_temporaries(path)
    made: list[str] = []
    try:
        with signals_deferred():  # an interruption that ends sim removes the temporary file
            descriptor, temporary = tempfile.mkstemp(prefix=_temporary_prefix(path), suffix=".tmp", dir=path.parent)
            made.append(temporary)
            remove_if_interrupted(temporary)
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # held until closed: a live writer's file is never removed
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        with signals_deferred():
            os.replace(temporary, path)
            remove_if_interrupted(temporary, remove=False)
    except BaseException:
        for temporary in made:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            remove_if_interrupted(temporary, remove=False)
        raise
    return path


def _temporary_prefix(path: Path) -> str:
    """The name prefix of :func:`write_atomic`'s temporary files for ``path`` (hidden, marked as sim's)."""
    return f".{path.name}.sim-"


def _remove_stale_temporaries(path: Path, *, min_age: float = _STALE_AGE_SECONDS) -> list[Path]:
    """Remove the temporary files of ``path`` whose writer is gone; return them.

    Only regular files named like :func:`write_atomic`'s own (``.<name>.sim-<random>.tmp``), at
    least ``min_age`` seconds old and with no process holding their lock, are removed: a file
    being written right now, or one sim did not make, stays.
    """
    removed = []
    prefix = _temporary_prefix(path)
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        if not entry.name.startswith(prefix) or not entry.name.endswith(".tmp"):
            continue
        try:
            if not entry.is_file(follow_symlinks=False) or now - entry.stat(follow_symlinks=False).st_mtime < min_age:
                continue
            descriptor = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.unlink(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            continue  # a live writer holds it, or it is gone already
        finally:
            os.close(descriptor)
    return removed


def is_sim_made(folder: Path) -> bool:
    """Whether ``folder`` is a real folder (not a link) that sim made.

    Marked folders carry :data:`MARKER`; folders written before markers existed are
    recognised by a ``manifest.json`` that names a sim version.
    """
    if folder.is_symlink() or not folder.is_dir():
        return False
    marker = folder / MARKER
    if marker.is_file() and not marker.is_symlink():
        return True
    manifest = folder / "manifest.json"
    if manifest.is_symlink() or not manifest.is_file() or manifest.stat().st_size > 1 << 20:
        return False
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and ("sim_version" in data or ("version" in data and "seed" in data))


def remove_stale(parent: Path) -> list[Path]:
    """Remove the staging folders under ``parent`` whose writer is gone; return them.

    A staging folder (``.<name>.*.partial`` or ``.<name>.*.replaced``) is removed only when it
    carries :data:`MARKER` and no process holds the marker's lock, so neither a folder sim
    did not make nor one another run is writing right now is touched.
    """
    removed = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(".") or not entry.name.endswith(_STAGING_SUFFIXES):
            continue
        if not entry.is_dir(follow_symlinks=False):
            continue
        try:
            descriptor = os.open(Path(entry.path) / MARKER, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue  # not sim's, or the marker is a link
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # a live writer holds it
        finally:
            os.close(descriptor)
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(Path(entry.path))
    return removed


def _rename_noreplace(source: Path, target: Path) -> None:
    """Rename ``source`` to ``target``, failing with FileExistsError if ``target`` exists.

    Linux's ``renameat2(RENAME_NOREPLACE)`` makes the check and the rename one step; where
    it is missing the check is made just before the rename.
    """
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is not None:
        if renameat2(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), _RENAME_NOREPLACE) == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.ENOSYS, errno.EINVAL):
            raise OSError(code, os.strerror(code), str(target))
    if os.path.lexists(target):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target))
    os.rename(source, target)


def _swap_into_place(staging: Path, folder: Path) -> None:
    """Rename ``staging`` over the existing ``folder``, keeping the old one until the new one is in place.

    The old folder is renamed aside first and deleted last, so a failed rename leaves the
    old folder rather than neither.
    """
    replaced = staging.with_name(staging.name.removesuffix(".partial") + ".replaced")
    with signals_deferred():  # an interruption never finds the old folder renamed aside and the new one not in place
        folder.rename(replaced)
        try:
            staging.rename(folder)
        except BaseException:
            replaced.rename(folder)
            raise
        remove_if_interrupted(staging, remove=False)
        remove_if_interrupted(replaced)
        written(folder)
    shutil.rmtree(replaced, ignore_errors=True)
    remove_if_interrupted(replaced, remove=False)


def _refusal(folder: Path) -> str | None:
    """Why ``--force`` may not replace ``folder`` (None when it may)."""
    if folder.is_symlink():
        return f"{folder} is a symbolic link; give the folder itself (sim does not replace links with --force)"
    if not folder.is_dir():
        return f"{folder} exists and is not a folder; sim replaces only folders it made"
    if not is_sim_made(folder):
        return f"{folder} exists and was not made by sim; not replacing it"
    return None


@contextlib.contextmanager
def _staging(parent: Path, name: str) -> Iterator[Path]:
    """A marked, locked staging folder beside the destination, removed if the block fails."""
    made: list[Path] = []
    try:
        parent.mkdir(parents=True, exist_ok=True)
        with signals_deferred():  # an interruption that ends sim removes the staging folder
            made.append(Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".partial", dir=parent)))
            remove_if_interrupted(made[0])
    except OSError as error:
        blocker = next((p for p in (parent, *parent.parents) if p.exists() and not p.is_dir()), None)
        reason = f"{blocker} is a file, not a folder" if blocker is not None else error.strerror
        raise StorageError(f"cannot write results under {parent}: {reason}") from None
    except BaseException:  # in-process use: the interruption is raised as the step above ends
        for folder in made:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    staging = made[0]
    unlocked = staging / f"{MARKER}.new"  # locked before it takes the marker's name: never seen unlocked
    try:
        descriptor = os.open(unlocked, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        os.write(descriptor, f"made by sim (process {os.getpid()})\n".encode())
        os.rename(unlocked, staging / MARKER)
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        os.close(descriptor)


def write_folder(
    folder: str | Path,
    files: Mapping[str, bytes],
    *,
    decorate: Callable[[Path], object] | None = None,
    replace: bool = False,
    unique: bool = False,
) -> Path:
    """Write ``files`` (and whatever ``decorate`` adds) as the folder ``folder``, atomically.

    Parameters
    ----------
    folder : path
        The destination. Its parent is created; stale staging folders there are removed first.
    files : mapping of str to bytes
        File names (inside the folder) and contents.
    decorate : callable, optional
        Called with the staging folder once ``files`` are in it and before the rename, so
        what it draws is part of the atomic write.
    replace : bool
        Replace an existing ``folder`` (``--force``), but only one sim made, never a link.
    unique : bool
        If ``folder`` is taken (by a concurrent run), use ``<name>-<random hex>`` instead.

    Returns
    -------
    Path
        The folder written (differs from ``folder`` only with ``unique``).

    Raises
    ------
    StorageError
        The destination exists and may not be replaced, or its parent cannot be created.
    OSError
        Writing failed (full disk...); nothing is left behind and an old folder is kept.
    """
    folder = Path(folder)
    if os.path.lexists(folder) and not unique:
        if not replace:
            raise StorageError(f"{folder} already exists; use --force to replace it")
        reason = _refusal(folder)
        if reason is not None:
            raise StorageError(reason)
    remove_stale(folder.parent)
    with _staging(folder.parent, folder.name) as staging:
        for name, content in files.items():
            (staging / name).write_bytes(content)
        if decorate is not None:
            decorate(staging)
        os.chmod(staging, 0o755)
        target = folder
        for _ in range(100):
            if replace and os.path.lexists(target) and not unique:
                reason = _refusal(target)  # checked again: it may have changed while writing
                if reason is not None:
                    raise StorageError(reason)
                _swap_into_place(staging, target)
                return target
            try:
                with signals_deferred():  # renamed and said so in one step: an interruption reports the right thing
                    _rename_noreplace(staging, target)
                    remove_if_interrupted(staging, remove=False)
                    written(target)
                return target
            except FileExistsError:
                if not unique:
                    raise StorageError(f"{target} already exists; use --force to replace it") from None
                target = folder.with_name(f"{folder.name}-{secrets.token_hex(3)}")
        raise StorageError(f"no free name for {folder} after 100 tries")
