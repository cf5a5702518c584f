"""Read a metrics source: a file, `-` (stdin) or an http(s) URL serving a Prometheus `/metrics` page.

Every failure becomes a one-line `MeasureError` naming the source. Input is capped in size, and empty
or binary input is refused before any parser sees it.
"""

from __future__ import annotations

import codecs
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from specadvisor.measure.counts import MeasureError

MAX_BYTES = 256 * 1024 * 1024  # a day of engine logs fits; anything larger is almost surely a mistake
DEFAULT_TIMEOUT_S = 10.0
# Ask for the classic text format; a server that also speaks OpenMetrics or protobuf keeps to text.
_ACCEPT = "text/plain;version=0.0.4;q=1.0, */*;q=0.1"


@dataclass(frozen=True)
class SourceText:
    text: str
    location: str  # what messages call it: the path, the URL or "stdin"
    source_id: str  # for calibration rows: "measured:<host or file name>"
    is_url: bool = False


def is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def _decode(data: bytes, location: str) -> str:
    # a UTF-8 byte order mark (Windows editors) is not part of the text: a Prometheus parser would read it
    # as part of the first metric name
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    if not data[bom:].strip():
        raise MeasureError(f"{location}: empty input: no metrics or log lines to read")
    if b"\x00" in data[:65536]:
        raise MeasureError(f"{location}: binary data, not a Prometheus exposition or an engine log")
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MeasureError(f"{location}: not UTF-8 text (byte {exc.start + bom}): not a Prometheus exposition or "
                           "an engine log") from None


def read_file(path: str | Path) -> SourceText:
    """A metrics file or log through the bounded reader (regular files only, at most MAX_BYTES)."""
    from specadvisor.errors import InputFileError
    from specadvisor.safeio import display, read_bytes_bounded

    p = Path(path)
    location = display(p)
    try:
        data = read_bytes_bounded(p, MAX_BYTES)
    except InputFileError as exc:
        if exc.problem.startswith("file is"):
            raise MeasureError(f"{location}: larger than {MAX_BYTES // (1024 * 1024)} MiB; cut the log to the window "
                               "to measure") from None
        raise MeasureError(f"{location}: {exc.problem}") from None
    return SourceText(_decode(data, location), location, f"measured:{display(p.name)}")


def read_stdin() -> SourceText:
    data = sys.stdin.buffer.read(MAX_BYTES + 1) if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode()
    if len(data) > MAX_BYTES:
        raise MeasureError(f"stdin: larger than {MAX_BYTES // (1024 * 1024)} MiB")
    return SourceText(_decode(data, "stdin"), "stdin", "measured:stdin")


def fetch_url(url: str, timeout: float = DEFAULT_TIMEOUT_S) -> SourceText:
    """GET a `/metrics` page with the standard library (no proxy surprises: the environment's are used)."""
    import urllib.error
    import urllib.request

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MeasureError(f"{url}: not an http(s) URL")
    req = urllib.request.Request(url, headers={"Accept": _ACCEPT, "User-Agent": "specadvisor-measure"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (scheme checked above)
            data = resp.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise MeasureError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            raise MeasureError(f"{url}: no answer within {timeout:g} s") from None
        raise MeasureError(f"{url}: cannot connect: {getattr(reason, 'strerror', None) or reason}") from None
    except TimeoutError:
        raise MeasureError(f"{url}: no answer within {timeout:g} s") from None
    except (OSError, ValueError) as exc:
        raise MeasureError(f"{url}: cannot fetch: {exc}") from None
    if len(data) > MAX_BYTES:
        raise MeasureError(f"{url}: answer larger than {MAX_BYTES // (1024 * 1024)} MiB")
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    return SourceText(_decode(data, url), url, f"measured:{host}", is_url=True)


def read_source(source: str, timeout: float = DEFAULT_TIMEOUT_S) -> SourceText:
    """A path, `-` for stdin, or an http(s) URL."""
    if source == "-":
        return read_stdin()
    if is_url(source):
        return fetch_url(source, timeout)
    return read_file(source)
