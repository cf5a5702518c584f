"""The one bounded reader every file input goes through: regular files only, within a size cap.

A path given to specadvisor may be a FIFO (opening it blocks until a writer appears), `/dev/zero` or a
symlink to it (its size is 0, so a size check passes, and reading never ends), a directory, a name
longer than the file system allows, or bytes that are not UTF-8. Each of these used to block, exhaust
memory or raise. Here the file is opened non-blocking, `fstat`-ed on the open descriptor (no race
between the check and the read), refused unless it is a regular file, and read with at most `cap + 1`
bytes requested, so even a file that grows while it is read cannot exceed the cap. Every failure is an
`InputFileError` naming the file (escaped for display) with a one-line reason: exit code 2.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from specadvisor.errors import InputFileError
from specadvisor.textsafe import escape_controls

DEFAULT_CAP = 8 * 1024 * 1024  # YAML catalogs, rules and deployment configs are kilobytes
NAME_MAX = 255  # bytes per path component on ext4, xfs, btrfs, APFS and NTFS (POSIX NAME_MAX on Linux)

_REASONS = {
    errno.ENOENT: "no such file",
    errno.EISDIR: "is a directory, expected a file",
    errno.ENOTDIR: "a parent of this path is not a directory",
    errno.ENAMETOOLONG: f"path name is too long (a component over {NAME_MAX} bytes)",
    errno.ELOOP: "too many levels of symbolic links",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
}


def display(path: Path | str) -> str:
    """The path as shown in messages: control characters and undecodable bytes escaped."""
    return escape_controls(os.fspath(path) if not isinstance(path, bytes) else os.fsdecode(path))


def os_reason(exc: OSError) -> str:
    """A short, stable reason for an OSError (no errno numbers, no traceback)."""
    if exc.errno in _REASONS:
        return _REASONS[exc.errno]
    return (exc.strerror or type(exc).__name__).lower()


def _refuse(path: Path | str, problem: str) -> InputFileError:
    return InputFileError(display(path), None, None, problem)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "is a directory, expected a file"
    if stat.S_ISFIFO(mode):
        return "is a FIFO (named pipe), expected a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, expected a regular file"
    if stat.S_ISSOCK(mode):
        return "is a socket, expected a regular file"
    return "is not a regular file"


def read_bytes_bounded(path: Path | str, cap: int = DEFAULT_CAP) -> bytes:
    """The bytes of the regular file at `path` (symlinks followed), at most `cap` of them; else InputFileError."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
                     | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise _refuse(path, os_reason(exc) if exc.errno in _REASONS else f"cannot read: {os_reason(exc)}") from None
    except (ValueError, UnicodeError):  # an embedded NUL, or a name the file system encoding cannot hold
        raise _refuse(path, "not a valid path name") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _refuse(path, _kind(st.st_mode))
        if st.st_size > cap:
            raise _refuse(path, f"file is {st.st_size:,} bytes; the limit is {cap:,}")
        chunks: list[bytes] = []
        size = 0
        while size <= cap:
            chunk = os.read(fd, min(1 << 20, cap + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > cap:
            raise _refuse(path, f"file is larger than the limit of {cap:,} bytes")
        return b"".join(chunks)
    except OSError as exc:
        raise _refuse(path, f"cannot read: {os_reason(exc)}") from None
    finally:
        os.close(fd)


def decode_text(data: bytes, path: Path | str) -> str:
    """UTF-8 text (a BOM is dropped); NUL bytes or invalid UTF-8 are an InputFileError naming the line."""
    if b"\x00" in data:
        raise _refuse(path, "binary file (contains NUL bytes), expected UTF-8 text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputFileError(display(path), line, None, "not valid UTF-8 text") from None


def read_text_bounded(path: Path | str, cap: int = DEFAULT_CAP) -> str:
    """`read_bytes_bounded` decoded as UTF-8 text."""
    return decode_text(read_bytes_bounded(path, cap), path)


def is_regular_file(path: Path | str) -> bool:
    """True for a regular file (after symlinks); never blocks, never raises."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False
