"""Files we write for the user: owner-only, atomic, and never over what is not ours.

Every output path (``--out`` of ``solve``, ``export``, ``bench``, ``respond``; the TUI's
exports) ends here. A write

* refuses a target that is a workspace (any SQLite database or its ``-wal``/``-shm``/
  ``-journal`` companion, and the open workspace itself when the caller names it), a
  directory, a device, a FIFO, a socket, a symlink or anything else that is not a regular
  file: ``os.replace`` would swap the live database, a device node or the link for our file;
* creates its temporary file exclusively (``O_EXCL | O_NOFOLLOW``, mode 0600) under an
  unpredictable name in the target's own folder, so a planted file or symlink is never
  opened, and a crash leaves either the old file or the new one;
* creates each missing folder level owner-only (0700); a folder that exists is kept as it is.

This module is a leaf: it imports nothing of ours but the error types.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Sequence
from pathlib import Path

from planner.domain.errors import InputError

__all__ = [
    "cannot_write",
    "make_private_dirs",
    "private_dir",
    "refuse_folder",
    "refuse_target",
    "remove_file",
    "write_private",
    "write_private_many",
]

SQLITE_MAGIC = b"SQLite format 3\x00"
WAL_MAGIC = (b"\x37\x7f\x06\x82", b"\x37\x7f\x06\x83")
"""The first bytes of a SQLite write-ahead log (big- and little-endian checksums)."""
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def cannot_write(path: Path, exc: OSError) -> InputError:
    """The error for an output path the system refuses (a file where a directory must be,
    a directory where a file must be, no permission, a read-only file system ...)."""
    return InputError.single(str(path), f"cannot write: {exc.strerror or type(exc).__name__}")


def _refused(path: Path, why: str) -> InputError:
    return InputError.single(str(path), f"refusing to write: {why}")


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "it is a directory"
    if stat.S_ISLNK(mode):
        return "it is a symbolic link"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "it is a device"
    if stat.S_ISFIFO(mode):
        return "it is a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "it is a socket"
    return "it is not a regular file"


def _starts_with(path: Path, prefixes: tuple[bytes, ...]) -> bool:
    """Whether the regular file ``path`` begins with one of ``prefixes`` (never follows a
    link, never blocks on a FIFO that replaced it since the caller looked)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        head = os.read(fd, max(len(p) for p in prefixes))
    except OSError:
        return False
    finally:
        os.close(fd)
    return any(head.startswith(p) for p in prefixes)


def _is_database(path: Path) -> bool:
    if _starts_with(path, (SQLITE_MAGIC, *WAL_MAGIC)):
        return True
    for suffix in SQLITE_COMPANIONS:  # ws.db-shm has no magic of its own: look at ws.db
        stem = path.name.removesuffix(suffix)
        if stem not in ("", path.name) and _starts_with(path.with_name(stem), (SQLITE_MAGIC,)):
            return True
    return False


def _same_file(path: Path, other: str | Path) -> bool:
    other_path = Path(other).expanduser()
    try:
        if os.path.samefile(path, other_path):
            return True
    except OSError:
        pass
    return os.path.abspath(path) == os.path.abspath(other_path)


def refuse_target(path: Path, *, workspace: str | Path | None = None) -> None:
    """Raise :class:`InputError` unless ``path`` is absent or a regular file that is not a
    workspace; ``workspace`` is the open workspace's location, when the caller has one."""
    if workspace is not None and "://" not in str(workspace):
        for suffix in ("", *SQLITE_COMPANIONS):
            if _same_file(path, f"{workspace}{suffix}"):
                raise _refused(path, "it is the open workspace")
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise cannot_write(path, exc) from None
    if stat.S_ISDIR(mode):  # in the words the system uses for it elsewhere
        raise cannot_write(path, IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR)))
    if not stat.S_ISREG(mode):
        raise _refused(path, _kind(mode))
    if _is_database(path):
        raise _refused(path, "it is a workspace (a SQLite database)")


def refuse_folder(
    folder: Path,
    names: tuple[str, ...] = (),
    patterns: tuple[str, ...] = (),
    *,
    workspace: str | Path | None = None,
) -> None:
    """Refuse, before any work, an output folder that holds, under one of ``names`` or
    matching one of ``patterns`` (files a run may replace or remove, such as
    ``invites/*.ics``), anything :func:`refuse_target` refuses."""
    folder = Path(folder)
    if not folder.is_dir():
        return  # missing, or not a folder: creating it says which, naming what was asked
    targets = [folder / name for name in names]
    for pattern in patterns:
        targets.extend(sorted(folder.glob(pattern)))
    for target in targets:
        refuse_target(target, workspace=workspace)


def _not_a_directory(path: Path) -> NotADirectoryError:
    return NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path))


def make_private_dirs(path: Path) -> None:
    """Create ``path`` and every missing parent, each owner-only (0700), keeping a directory
    that exists as it is; raise :class:`OSError` (its ``filename`` the level at fault)."""
    missing: list[Path] = []
    level = Path(path)
    while not level.is_dir():
        if level.exists() or level.is_symlink():
            raise _not_a_directory(level)
        missing.append(level)
        if level.parent == level:
            break
        level = level.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            if not folder.is_dir():  # another process made a file there meanwhile
                raise _not_a_directory(folder) from None
            continue  # or a folder: keep theirs as it is
        os.chmod(folder, 0o700)  # mkdir's mode passes through the umask; make it exact


def private_dir(path: Path) -> Path:
    """Create ``path`` and every missing parent, each owner-only (0700); a directory that
    exists is kept as it is. Something that is not a directory in the way is refused."""
    try:
        make_private_dirs(path)
    except OSError as exc:
        raise cannot_write(Path(path), exc) from None
    return path


def write_private(path: Path, content: str | bytes, *, workspace: str | Path | None = None) -> Path:
    """Write ``content`` to ``path`` readable by its owner only (privacy invariant 5),
    atomically; refuse a target that is not a regular file or is a workspace (§6 Writes)."""
    return write_private_many([(path, content)], workspace=workspace)[0]


def write_private_many(
    files: Sequence[tuple[Path, str | bytes]], *, workspace: str | Path | None = None
) -> list[Path]:
    """:func:`write_private` for many files at once (invites, polls): each file is still
    replaced atomically and owner-only, but the data reaches the disk in one flush before
    the renames, and each folder is synced once, not once a file — 1,400 invites took
    twelve seconds of fsync alone. Every target is refused up front, before any is written."""
    targets = [Path(path) for path, _ in files]
    for path in targets:
        refuse_target(path, workspace=workspace)
    for folder in dict.fromkeys(path.parent for path in targets):
        private_dir(folder)
    pending: list[tuple[Path, Path]] = []
    try:
        for path, (_, content) in zip(targets, files, strict=True):
            data = content.encode("utf-8") if isinstance(content, str) else content
            tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
            try:
                fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, 0o600)
            except OSError as exc:
                raise cannot_write(path, exc) from None
            pending.append((tmp, path))
            try:
                os.fchmod(fd, 0o600)  # the umask may have taken bits off, never added: be exact
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    if len(files) == 1 or not hasattr(os, "sync"):
                        fh.flush()
                        os.fsync(fh.fileno())
            except OSError as exc:
                raise cannot_write(path, exc) from None
        if len(files) > 1 and hasattr(os, "sync"):
            os.sync()  # every temporary file's data on disk before any rename points at it
        while pending:
            tmp, path = pending[0]
            # Looked at again just before the swap: a target planted since is still refused.
            refuse_target(path, workspace=workspace)
            try:
                os.replace(tmp, path)
            except OSError as exc:
                raise cannot_write(path, exc) from None
            pending.pop(0)
    finally:
        for tmp, _ in pending:  # what was not swapped in leaves nothing behind
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    for folder in dict.fromkeys(path.parent for path in targets):
        _sync_dir(folder)
    return targets


def _sync_dir(folder: Path) -> None:
    """Make the rename durable (best effort: some file systems refuse fsync on folders)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_file(path: Path) -> None:
    """Remove a file we wrote earlier, if it is there; refuse anything but a regular file."""
    path = Path(path)
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise cannot_write(path, exc) from None
    if not stat.S_ISREG(mode):
        raise InputError.single(str(path), f"refusing to remove: {_kind(mode)}")
    if _is_database(path):
        raise InputError.single(str(path), "refusing to remove: it is a workspace")
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise cannot_write(path, exc) from None
