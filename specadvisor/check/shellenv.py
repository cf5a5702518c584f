"""Shell variables as a launch script sets them, and the expansion of words against them.

Real launch scripts rarely name the model on the launch line: they set `MODEL=...` (or `export`,
`: "${MODEL:=...}"`, `MODEL=${MODEL:-default}`), collect flags in an array over many lines and pass
`"${args[@]}"`, or read a `.env` file. `Env` holds what the script has set so far; `expand` turns a
parsed word into the fields bash would pass, with bash's rules for quoting, field splitting, defaults
and arrays. What cannot be known statically (`$(...)`, `$1` without a default, the caller's
environment) stays as written (`$MODEL`), so a rule can tell "set at run time" from a value.

A field that is exactly one variable's value keeps the position of the value where it was assigned:
a finding about the model then points at `MODEL=...`, the line a user would edit.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass

from specadvisor.check.shell import Lit, Param, Part, Sub, Word

MAX_ARRAY = 4096  # elements kept per array (appending in a loop cannot grow without bound)
MAX_VALUE = 65536  # characters kept per scalar
_PATTERN_LIMIT = 256  # values longer than this are not matched against ${X#pattern}
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")
_ASSIGN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(\+?)=")


@dataclass(frozen=True)
class Value:
    """A variable: its fields (one for a scalar), each with the offset its text was written at."""

    fields: tuple[Word, ...]
    array: bool = False

    @property
    def text(self) -> str:
        return self.fields[0].text if self.fields else ""


class Env:
    """Variables set so far, with the file they were set in (values from elsewhere carry offset -1)."""

    def __init__(self, base: dict[str, str] | None = None) -> None:
        self.vars: dict[str, Value] = {}
        for k, v in (base or {}).items():
            self.vars[k] = Value((Word(v, -1),))

    def copy(self) -> Env:
        e = Env()
        e.vars = dict(self.vars)
        return e

    def get(self, name: str) -> Value | None:
        return self.vars.get(name)

    def set(self, name: str, fields: Iterable[Word], array: bool = False, append: bool = False) -> None:
        new = tuple(fields)
        if append and name in self.vars:
            old = self.vars[name]
            if array or old.array:
                new = (old.fields + new)[:MAX_ARRAY]
                array = True
            else:
                new = (Word((old.text + "".join(w.text for w in new))[:MAX_VALUE], old.fields[0].offset),)
        self.vars[name] = Value(new[:MAX_ARRAY], array)

    def unset(self, name: str) -> None:
        self.vars.pop(name, None)


@dataclass
class _Field:
    chunks: list[str]
    origin: int | None  # offset of the one value the field consists of, else None
    pieces: int = 0
    only_unquoted_expansion: bool = True


def _resolve(p: Param, env: Env) -> tuple[list[Word] | None, bool]:
    """(the words a parameter stands for, whether they are separate fields) or (None, _) if unknown."""
    if p.name in ("@", "*"):  # a function's arguments when it was called here; a script's are unknown
        v = env.get("@")
        return (list(v.fields) if v is not None else []), p.quoted and p.name == "@"
    v = env.get(p.name)
    words: list[Word] | None
    if v is None:
        words = None
    elif p.index in ("@", "*"):
        words = list(v.fields)
    elif p.index is not None:
        try:
            k = int(p.index)
            words = [v.fields[k]] if -len(v.fields) <= k < len(v.fields) else []
        except ValueError:
            words = None
    else:
        words = list(v.fields[:1])
    op = p.op
    if op == "len":
        return ([Word(str(len(words[0].text if words else "")), -1)] if words is not None else None), False
    unset = words is None
    empty = unset or not words or all(not w.text for w in words)
    if op in (":-", "-", ":=", "="):
        use_default = empty if op.startswith(":") else unset
        if use_default:
            default = expand_text(p.arg, env, keep=True) or ""
            w = Word(default, _arg_origin(p.arg))
            if op in (":=", "="):
                env.set(p.name, [w])
            return [w], False
        return words, p.index in ("@", "*")
    if op in (":+", "+"):
        present = not empty if op == ":+" else not unset
        if not present:
            return [], False
        alt = expand_text(p.arg, env)
        return ([Word(alt, _arg_origin(p.arg))] if alt is not None else None), False
    if op in (":?", "?"):
        return words, p.index in ("@", "*")
    if op in ("#", "##", "%", "%%"):
        if words is None or len(words) != 1:
            return None, False
        pattern = expand_text(p.arg, env)
        if pattern is None or len(words[0].text) > _PATTERN_LIMIT:
            return None, False
        return [Word(_trim(words[0].text, pattern, op), -1)], False
    if op == "other":
        return None, False
    return words, p.index in ("@", "*")


def _arg_origin(parts: tuple[Part, ...]) -> int:
    return parts[0].offset if len(parts) == 1 and isinstance(parts[0], Lit) else -1


def _trim(value: str, pattern: str, op: str) -> str:
    """${X#p} / ${X##p} / ${X%p} / ${X%%p} with a glob pattern."""
    n = len(value)
    if op in ("#", "##"):
        rng = range(n + 1) if op == "#" else range(n, -1, -1)
        for k in rng:
            if fnmatch.fnmatchcase(value[:k], pattern):
                return value[k:]
        return value
    rng = range(n, -1, -1) if op == "%" else range(n + 1)
    for k in rng:
        if fnmatch.fnmatchcase(value[k:], pattern):
            return value[:k]
    return value


def expand_text(parts: tuple[Part, ...], env: Env, keep: bool = False) -> str | None:
    """The parts as one string (no field splitting); when something in them is unknown, None, or
    with `keep` that part as written (`$HOME/models`: the rest of the path is still worth reading)."""
    out: list[str] = []
    for p in parts:
        if isinstance(p, Lit):
            out.append(p.text)
        elif isinstance(p, Sub):
            if not keep:
                return None
            out.append(p.source)
        else:
            words, _ = _resolve(p, env)
            if words is None:
                if not keep:
                    return None
                out.append(p.source)
                continue
            out.append(" ".join(w.text for w in words))
    return "".join(out)[:MAX_VALUE]


def expand(word: Word, env: Env) -> list[Word]:
    """The fields bash passes for `word`; unknown expansions stay as written."""
    if not word.parts or all(isinstance(p, Lit) for p in word.parts):
        return [word]
    fields: list[_Field] = []
    cur = _Field([], None)

    def push(text: str, origin: int | None, quoted_or_literal: bool) -> None:
        nonlocal cur
        cur.chunks.append(text)
        cur.pieces += 1
        cur.origin = origin if cur.pieces == 1 else None
        if quoted_or_literal:
            cur.only_unquoted_expansion = False

    def new_field() -> None:
        nonlocal cur
        fields.append(cur)
        cur = _Field([], None)

    for p in word.parts:
        if isinstance(p, Lit):
            if p.text:
                push(p.text, None, True)
            else:
                cur.only_unquoted_expansion = False  # "" is an (empty) argument
            continue
        if isinstance(p, Sub):
            push(p.source, None, True)
            continue
        words, separate = _resolve(p, env)
        if words is None:
            push(p.source, None, True)
            continue
        if p.quoted:
            if not separate:
                text = " ".join(w.text for w in words)
                push(text, words[0].offset if len(words) == 1 and words[0].offset >= 0 else None, True)
                continue
            for k, w in enumerate(words):
                if k:
                    new_field()
                push(w.text, w.offset if w.offset >= 0 else None, True)
            if not words and cur.pieces == 0:
                cur.only_unquoted_expansion = True  # "${empty[@]}" expands to no word at all
            continue
        for k, w in enumerate(words):  # unquoted: split every value on blanks
            if k:
                new_field()
            pieces = list(_split(w))
            if not pieces:
                continue
            if w.text[:1].isspace() and cur.pieces:
                new_field()
            for j, (text, off) in enumerate(pieces):
                if j:
                    new_field()
                push(text, off, False)
            if w.text[-1:].isspace():
                new_field()
    fields.append(cur)
    out: list[Word] = []
    for f in fields:
        if not f.chunks and f.only_unquoted_expansion:
            continue
        out.append(Word("".join(f.chunks), f.origin if f.origin is not None else word.offset))
    return out


def _split(w: Word) -> Iterable[tuple[str, int | None]]:
    for m in re.finditer(r"[^ \t\n]+", w.text):
        yield m.group(0), (w.offset + m.start() if w.offset >= 0 else None)


def assignment(word: Word) -> tuple[str, bool, tuple[Part, ...]] | None:
    """(name, append, value parts) when `word` is `NAME=value` / `NAME+=value`, else None."""
    if not word.parts or not isinstance(word.parts[0], Lit) or word.parts[0].quoted:
        return None
    first = word.parts[0]
    m = _ASSIGN.match(first.text)
    if not m:
        return None
    rest = first.text[m.end():]
    value: tuple[Part, ...] = ((Lit(rest, False, first.offset + m.end()),) if rest else ()) + word.parts[1:]
    return m.group(1), m.group(2) == "+", value


def assign(word: Word, env: Env) -> bool:
    """Apply `NAME=value`, `NAME+=value` or `NAME=( ... )` to env; False when `word` is not one."""
    a = assignment(word)
    if a is None:
        return False
    name, append, value = a
    if word.array is not None:
        fields: list[Word] = []
        for el in word.array:
            fields.extend(expand(el, env))
        env.set(name, fields, array=True, append=append)
        return True
    current = env.get(name)
    if not append and current is not None and current.text and _unknown_param(value, env):
        return True  # MODEL=$OPTARG in a getopts branch: keep the value used when no option is given
    env.set(name, [_scalar(value, env, word.offset)], append=append)
    return True


def _unknown_param(value: tuple[Part, ...], env: Env) -> bool:
    """The value is one parameter nobody set here (`$OPTARG`, `$1` outside a call, `${2}`)."""
    parts = [p for p in value if not (isinstance(p, Lit) and not p.text)]
    if len(parts) != 1 or not isinstance(parts[0], Param) or parts[0].op:
        return False
    words, _ = _resolve(parts[0], env)
    return words is None


def _scalar(value: tuple[Part, ...], env: Env, at: int) -> Word:
    """An assignment's value: one string, positioned where its text starts."""
    text = expand_text(value, env, keep=True) or ""  # what is unknown stays as written
    if not value:
        return Word("", at)
    first = value[0]
    origin = first.offset
    if len(value) == 1 and isinstance(first, Param):
        words, _ = _resolve(first, env)
        if words and len(words) == 1 and words[0].offset >= 0:
            origin = words[0].offset
    return Word(text, origin)


def read_env_file(text: str, base: int = 0) -> dict[str, Word]:
    """`KEY=value` lines of a `.env` file (`export` allowed, quotes removed, `#` comments skipped).

    Docker Compose and `set -a; source .env` read the same simple form; a value's position is kept.
    """
    out: dict[str, Word] = {}
    offset = 0
    for line in text.splitlines(keepends=True):
        m = _ENV_LINE.match(line.rstrip("\r\n"))
        if m and not line.lstrip().startswith("#"):
            raw = m.group(2)
            start = offset + m.start(2)
            if raw[:1] in "'\"" and len(raw) >= 2 and raw[-1] == raw[0]:
                raw, start = raw[1:-1], start + 1
            elif " #" in raw:
                raw = raw.split(" #", 1)[0].rstrip()
            out[m.group(1)] = Word(raw, base + start)
        offset += len(line)
    return out
