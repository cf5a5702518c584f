"""The one writer for files the user names (`catalog add --to`, `measure --save`, `check --output`).

What it guarantees, whatever happens to the process or to a second writer:

* **No lost update.** An exclusive `fcntl.flock` on a sidecar lock file (`.NAME.lock` beside the target)
  is held from *before* the current content is read until *after* the new content is renamed into
  place, so two writers appending to the same file serialise: the second re-reads what the first wrote.
  (The lock is on a sidecar, not on the target, because the target is replaced by rename: a lock on the
  old inode would not exclude a writer that opened the new one.) The lock file is removed when released;
  a writer that locked a lock file already removed notices (inode check) and locks again.
* **All or nothing.** The new content goes to a temporary file in the target's directory (same file
  system), is flushed and fsync-ed, optionally validated, given the target's permission bits (or the
  umask's default for a new file, never mkstemp's 0600), then `os.replace`-d over the target, and the
  directory is fsync-ed. A reader sees the old file or the new one, never a mixture.
* **Symlinks are kept.** When the target is a symbolic link, the file it points to is updated and the
  link stays a link.
* **No litter.** The temporary file is removed on any exception, on Ctrl-C and on SIGTERM (a handler is
  installed for the few milliseconds of the write when running on the main thread).
* **One-line errors, exit 2.** A directory, a `..` or empty name, a parent that is a regular file, an
  immutable or read-only directory, a name over 255 bytes, a full disk or quota: an `InputFileError`
  naming the file and the reason; the original file is untouched.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import signal
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from specadvisor.errors import InputFileError
from specadvisor.safeio import DEFAULT_CAP, NAME_MAX, display, os_reason, read_text_bounded

T = TypeVar("T")
LOCK_TIMEOUT_S = 30.0  # a writer holds the lock for milliseconds; waiting longer means a stuck process

_WRITE_REASONS = {
    errno.ENOSPC: "no space left on the device (the file is unchanged)",
    errno.EDQUOT: "disk quota exceeded (the file is unchanged)",
    errno.EROFS: "the file system is read-only",
    errno.EPERM: "not permitted (an immutable or append-only file or directory?)",
    errno.EACCES: "permission denied",
    errno.ENOTDIR: "a parent of this path is not a directory",
    errno.EISDIR: "is a directory, expected a file",
    errno.ENAMETOOLONG: f"path name is too long (a component over {NAME_MAX} bytes)",
    errno.ELOOP: "too many levels of symbolic links",
    errno.ENOENT: "the directory does not exist",
    errno.EXDEV: "the temporary file and the target are on different file systems",
}


class _Terminated(BaseException):
    """SIGTERM arrived during a write: unwind (removing the temporary file), then exit 143 like the default."""


def _error(path: Path | str, problem: str) -> InputFileError:
    return InputFileError(display(path), None, None, f"cannot write: {problem}")


def _reason(exc: OSError) -> str:
    return _WRITE_REASONS.get(exc.errno or 0) or os_reason(exc)


def resolve_target(path: Path | str) -> Path:
    """The regular file a write to `path` must replace: symlinks followed (chains included, dangling allowed).

    Refuses, with an InputFileError, names that cannot be a file: empty, `.`, `..`, a trailing slash, a
    component over NAME_MAX bytes, an existing directory or non-regular file.
    """
    raw = os.fspath(path)
    p = Path(raw)
    if raw == "" or raw.endswith(("/", os.sep)) or p.name in ("", ".", ".."):
        raise _error(path, "not a file name (a directory or '..')")
    for part in p.parts:
        if len(os.fsencode(part)) > NAME_MAX:
            raise _error(path, f"a path component is {len(os.fsencode(part))} bytes; the limit is {NAME_MAX}")
    target = p
    for _ in range(40):  # Linux's own limit on symlink hops (MAXSYMLINKS)
        try:
            st = os.lstat(target)
        except FileNotFoundError:
            break
        except OSError as exc:
            raise _error(path, _reason(exc)) from None
        if stat.S_ISLNK(st.st_mode):
            link = os.readlink(target)
            target = Path(link) if os.path.isabs(link) else target.parent / link
            continue
        if stat.S_ISDIR(st.st_mode):
            raise _error(path, "is a directory, expected a file")
        if not stat.S_ISREG(st.st_mode):
            raise _error(path, "is not a regular file (a FIFO, device or socket); refusing to replace it")
        break
    else:
        raise _error(path, "too many levels of symbolic links")
    if target.name in ("", ".", ".."):
        raise _error(path, "the symbolic link points to a directory name")
    return target


@contextlib.contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """Turn SIGTERM into an exception for the duration of the block, so `finally` clauses run."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise _Terminated

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except (ValueError, OSError):  # not the main interpreter, or signals unavailable
        yield
        return
    try:
        yield
    except _Terminated:
        signal.signal(signal.SIGTERM, previous)
        raise SystemExit(128 + signal.SIGTERM) from None
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def file_lock(target: Path, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """An exclusive lock on `.NAME.lock` beside `target`, held for the block (InputFileError if unobtainable).

    The lock file is removed on release, so no litter is left. That is safe because a locker checks, once it
    holds the lock, that the descriptor it locked is still the file at the lock path (same device and inode);
    a waiter that locked a file its predecessor had already unlinked sees the mismatch and starts again.
    """
    lock_path = target.parent / f".{target.name[:NAME_MAX - 10]}.lock"
    give_up = time.monotonic() + timeout
    while True:
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0), 0o666)
        except OSError as exc:
            raise _error(target, f"cannot create the lock file {display(lock_path.name)}: {_reason(exc)}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if time.monotonic() > give_up:
                raise _error(target, f"another process has held {display(lock_path)} for over {timeout:g}s") from None
            time.sleep(0.002)
            continue
        except OSError as exc:  # a file system without flock (some network mounts)
            os.close(fd)
            raise _error(target, f"cannot lock {display(lock_path.name)}: {_reason(exc)}") from None
        held = os.fstat(fd)
        try:
            now = os.stat(lock_path, follow_symlinks=False)
        except FileNotFoundError:
            now = None
        if now is not None and (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino):
            break
        os.close(fd)  # locked a lock file that its holder has since removed: try again
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock_path)
        os.close(fd)  # closing the descriptor releases the lock


def _default_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_replace(target: Path, data: bytes, validate: Callable[[Path], None] | None) -> None:
    directory = target.parent
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = _default_mode()
    except OSError as exc:
        raise _error(target, _reason(exc)) from None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=".specadvisor-", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise _error(target, _reason(exc)) from None
    tmp = Path(tmp_name)
    try:
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, mode)
        except OSError as exc:
            raise _error(target, _reason(exc)) from None
        if validate is not None:
            validate(tmp)
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise _error(target, _reason(exc)) from None
        _fsync_dir(directory)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def locked_update(path: Path | str, update: Callable[[str | None], tuple[str, T]], *, cap: int = DEFAULT_CAP,
                  validate: Callable[[Path], None] | None = None, make_parents: bool = False,
                  read: bool = True) -> T:
    """Read-modify-write `path` under the lock: `update(current text or None) -> (new text, result)`.

    `validate(tmp_path)` may raise to abort before the rename (the target is then untouched). Returns the
    `result` that `update` gave; with `read=False` the current content is not read (`update` gets None).
    Errors are one-line InputFileErrors (exit 2).
    """
    target = resolve_target(path)
    directory = target.parent
    if make_parents:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise _error(path, "a parent of this path is not a directory") from None
        except OSError as exc:
            raise _error(path, _reason(exc)) from None
    elif not directory.is_dir():
        raise _error(path, "a parent of this path is not a directory" if directory.exists()
                     else "the directory does not exist")
    with _sigterm_unwinds(), file_lock(target):
        current = read_text_bounded(target, cap) if read and os.path.lexists(target) else None
        new_text, result = update(current)
        _write_replace(target, new_text.encode("utf-8"), validate)
    return result


def write_text(path: Path | str, text: str, *, make_parents: bool = False) -> None:
    """Replace `path` with `text` under the same lock and guarantees (a whole-file writer: `check --output`)."""
    locked_update(path, lambda _current: (text, None), make_parents=make_parents, read=False)
