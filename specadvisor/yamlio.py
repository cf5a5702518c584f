"""Safe YAML loading that remembers where every key came from.

PyYAML's `safe_load` silently keeps the last of two duplicate keys and forgets line numbers, so a
typo in a catalog becomes a silent wrong answer. This loader builds plain dicts and lists (via
`yaml.SafeLoader`, so no Python object is ever constructed from a file), rejects duplicate keys, and
records the 1-based line of each mapping and each key so that validation errors can point at them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from specadvisor.errors import InputFileError

# A generous cap on document size: the catalogs and configs we read are kilobytes. Bigger inputs are
# almost certainly a mistake (or an attack) and would only cost memory.
MAX_YAML_BYTES = 8 * 1024 * 1024
# Aliases let a small document expand into a huge structure ("billion laughs"); anything that walks
# the result would then take forever. Count nodes as if every alias were expanded and stop early.
MAX_EXPANDED_NODES = 1_000_000
# Lines plus flow separators bound the nodes a document can hold; PyYAML costs ~10 us and ~250 bytes per node,
# so this keeps any one file under ~1 s and ~60 MB. The embedded catalog has ~4,500 lines and 8,000 nodes.
MAX_YAML_ITEMS = 100_000


@dataclass(frozen=True)
class NodeMark:
    """Where a YAML value sits in its file: 1-based line and column, character span, scalar style."""

    line: int
    col: int
    start: int
    end: int
    style: str | None  # None for plain scalars and collections, or one of ' " | >


def _mark(node: yaml.Node) -> NodeMark:
    style = getattr(node, "style", None)
    return NodeMark(node.start_mark.line + 1, node.start_mark.column + 1, node.start_mark.index,
                    node.end_mark.index, style or None)


def _expanded(x: Any) -> int:
    return getattr(x, "expanded", 1)


class _BadValue(Exception):
    """A scalar the YAML constructors cannot build (`!!int abc`, a 5,000-digit integer)."""

    def __init__(self, key: str | None, line: int, problem: str) -> None:
        super().__init__(problem)
        self.key = key
        self.line = line
        self.problem = " ".join(problem.split())[:200]


class _AliasBomb(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


class LineDict(dict):
    """A dict that knows its own line and the line of each key (and where each value sits)."""

    line: int = 0
    expanded: int = 1
    key_lines: dict[str, int]
    value_marks: dict[str, NodeMark]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A list that knows the line it starts on and the line of each item."""

    line: int = 0
    expanded: int = 1
    item_lines: list[int]
    item_marks: list[NodeMark]


class _DuplicateKey(Exception):
    def __init__(self, key: str, line: int, first_line: int) -> None:
        super().__init__(key)
        self.key = key
        self.line = line
        self.first_line = first_line


# libyaml's parser (when PyYAML was built with it) is ~10x faster than the pure-Python one; both are
# paired with SafeConstructor, so neither constructs arbitrary Python objects.
_SafeBase: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_SafeBase):  # type: ignore[misc, valid-type]
    """A safe loader that records marks and refuses duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:  # type: ignore[override]
        explicit = {id(k) for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"}
        self.flatten_mapping(node)
        result = LineDict()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        result.value_marks = {}
        from_merge: set[Any] = set()
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError as exc:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, "found an unhashable key", key_node.start_mark
                ) from exc
            line = key_node.start_mark.line + 1
            # Keys pulled in by a `<<` merge may be overridden by the mapping's own keys (YAML merge
            # semantics); only two explicit keys with the same name are a duplicate.
            if key in result and id(key_node) in explicit and key not in from_merge:
                raise _DuplicateKey(str(key), line, result.key_lines.get(str(key), result.line))
            if id(key_node) in explicit:
                from_merge.discard(key)
            else:
                from_merge.add(key)
            try:
                result[key] = self.construct_object(value_node, deep=True)
            except (ValueError, TypeError, OverflowError, AttributeError, KeyError) as exc:
                raise _BadValue(str(key), value_node.start_mark.line + 1, str(exc) or type(exc).__name__) from None
            result.key_lines[str(key)] = line
            result.value_marks[str(key)] = _mark(value_node)
        result.expanded = 1 + sum(_expanded(v) for v in result.values())
        _check_bomb(self, result.expanded, result.line)
        return result

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> LineList:  # type: ignore[override]
        result = LineList(self.construct_object(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        result.item_marks = [_mark(child) for child in node.value]
        result.expanded = 1 + sum(_expanded(v) for v in result)
        _check_bomb(self, result.expanded, result.line)
        return result

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        self._constructed = getattr(self, "_constructed", 0) + 1  # nodes written, and alias references
        return super().construct_object(node, deep)




def _check_bomb(loader: Any, expanded: int, line: int) -> None:
    """An alias bomb is expansion beyond what was actually written: compare the expanded count with the nodes
    the loader constructed so far, so a plain block list of many items (all real) is not one."""
    if expanded > MAX_EXPANDED_NODES + getattr(loader, "_constructed", 0):
        raise _AliasBomb(line)


_LineLoader.add_constructor("tag:yaml.org,2002:map", _LineLoader.construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _LineLoader.construct_sequence)


@contextmanager
def _yaml_errors(path: str, text: str = "") -> Iterator[None]:
    """Turn every parser failure into an `InputFileError` naming `path` and the line."""
    try:
        yield
    except _DuplicateKey as dup:
        raise InputFileError(
            path, dup.line, dup.key, f"duplicate key (first defined on line {dup.first_line})"
        ) from None
    except _AliasBomb as bomb:
        raise InputFileError(path, bomb.line, None,
                             f"aliases expand to more than {MAX_EXPANDED_NODES:,} nodes (an alias bomb?)") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = _one_line(exc.problem or exc.context or "invalid YAML")
        column = mark.column + 1 if mark is not None else None
        raise InputFileError(path, line, None, f"invalid YAML: {problem}", column=column) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (control characters)
        pos = max(int(getattr(exc, "position", 0) or 0), 0)
        line = text.count("\n", 0, pos) + 1 if text else None
        col = pos - text.rfind("\n", 0, pos) if text else None
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        raise InputFileError(path, line, None, f"invalid YAML: control characters are not allowed (U+{code:04X})",
                             column=col) from None
    except _BadValue as bad:
        raise InputFileError(path, bad.line, bad.key, f"invalid value: {bad.problem}") from None
    except yaml.YAMLError as exc:
        raise InputFileError(path, None, None, f"invalid YAML: {_one_line(str(exc))}") from None
    except RecursionError:
        raise InputFileError(path, None, None, "invalid YAML: nesting is too deep") from None
    except (ValueError, TypeError, OverflowError, AttributeError, KeyError) as exc:
        # e.g. an integer of more than 4,300 digits, or an explicit tag on the wrong kind of node (`!!map x`)
        raise InputFileError(path, None, None, f"invalid YAML: {_one_line(str(exc))[:200]}") from None


def _one_line(s: str) -> str:
    return " ".join(s.split())


def _bounded(text: str, path: str) -> None:
    """Refuse, before parsing, a document with more lines and flow items than MAX_YAML_ITEMS (linear, C speed)."""
    items = text.count("\n") + text.count(",") + text.count("[") + text.count("{")
    if items > MAX_YAML_ITEMS:
        raise InputFileError(path, None, None, f"{items:,} lines and flow items; the limit is {MAX_YAML_ITEMS:,} "
                             "(far more than any catalog or deployment config)")


def load_yaml_text(text: str, path: str) -> Any:
    """Parse one YAML document; every failure becomes an `InputFileError` naming `path` and line."""
    _bounded(text, path)
    with _yaml_errors(path, text):
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a safe loader


def load_yaml_documents(text: str, path: str) -> list[Any]:
    """Every document of a multi-document YAML stream (Kubernetes manifests), with the same checks."""
    _bounded(text, path)
    with _yaml_errors(path, text):
        return list(yaml.load_all(text, Loader=_LineLoader))  # noqa: S506 - _LineLoader is a safe loader


def read_text_file(path: Path | str) -> str:
    """Read a UTF-8 text file with errors that name the file; a BOM is accepted and dropped.

    Through `safeio.read_text_bounded`: regular files only (a FIFO, a device such as /dev/zero or a
    directory is refused without blocking), at most MAX_YAML_BYTES."""
    from specadvisor.safeio import read_text_bounded

    return read_text_bounded(path, MAX_YAML_BYTES)


def load_yaml_file(path: Path | str) -> Any:
    return load_yaml_text(read_text_file(path), str(path))
