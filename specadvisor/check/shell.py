"""A shell parser for launch scripts that remembers where every word starts.

`shlex` gives words but not positions, nor variables, arrays, heredocs or redirections, and a finding
must point at file:line:column. This parser follows POSIX/bash quoting closely enough for the command
lines in scripts, Dockerfiles, manifests and READMEs: single quotes are literal, double quotes allow
backslash escapes and `$` expansions, a backslash-newline joins lines, `#` starts a comment at the
start of a word, `;`, `&&`, `||`, `|`, `&`, `(`, `)` end a command, `NAME=( ... )` is an array over
any number of lines, redirections are set aside and heredoc bodies are kept (not read as commands).

Expansions (`$X`, `${X:-default}`, `"${args[@]}"`, `$(...)`) are recorded as parts of a word, not
evaluated here: `specadvisor.check.shellenv` expands them against the variables a script has set.
A backslash followed only by blanks before the end of the line is recorded as a broken continuation:
bash reads it as an escaped space and ends the command at that newline.

Everything is one left-to-right pass over the text (nested `${...}`/`$(...)` are skipped with a
bounded depth), so the cost is linear in the file size.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_DEPTH = 16  # nesting of ${...} inside ${...}; deeper text is kept literally


class ShellSyntaxError(ValueError):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True)
class Lit:
    """Literal text of a word; `quoted` when it was inside quotes (no field splitting)."""

    text: str
    quoted: bool
    offset: int


@dataclass(frozen=True)
class Param:
    """A parameter expansion as written: `$NAME`, `${NAME}`, `${NAME[@]}`, `${NAME:-arg}`, `${#NAME}`."""

    name: str
    quoted: bool
    offset: int
    source: str  # the expansion as written, kept when it cannot be resolved
    op: str = ""  # "", ":-", "-", ":=", "=", ":+", "+", ":?", "?", "#", "##", "%", "%%", "len", "other"
    arg: tuple[Part, ...] = ()
    index: str | None = None  # "@", "*" or an integer subscript


@dataclass(frozen=True)
class Sub:
    """A command substitution or arithmetic expansion: never evaluated, kept as written."""

    source: str
    quoted: bool
    offset: int


Part = Lit | Param | Sub


@dataclass(frozen=True)
class Word:
    text: str  # the word with quotes removed and expansions as written
    offset: int  # index of the word's first character in the source text
    parts: tuple[Part, ...] = ()
    array: tuple[Word, ...] | None = None  # `NAME=( ... )`: the elements


@dataclass(frozen=True)
class Heredoc:
    """A heredoc body: text[start:end] of the source; `expand` is False for a quoted delimiter."""

    delimiter: str
    start: int
    end: int
    expand: bool
    strip_tabs: bool


@dataclass
class Command:
    """One simple command: its words, redirections and heredocs, and how it ended."""

    words: list[Word] = field(default_factory=list)
    redirects: list[tuple[str, Word]] = field(default_factory=list)
    heredocs: list[Heredoc] = field(default_factory=list)
    sep: str = ""  # the separator that ended it: "\n", ";", "&", "&&", "||", "|", "(", ")" or "" at the end
    broken: int | None = None  # offset of a backslash followed only by blanks, where the command ended
    end: int = 0  # offset just past the command's last character


SEPARATORS = (";", "&&", "||", "|", "&")
_OPERATORS = ("&&", "||", ";;", "|&", ";&", ";", "|", "&", "(", ")")
_REDIRECT = re.compile(r"\d*(?:&>>|&>|<<<|<<-|<<|>>|>&|<&|>\||<>|>|<)")
_META = " \t\r\n;&|()<>"
_ASSIGN_PREFIX = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\+?=$")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPECIAL = "@*#?$!-0123456789"


class _Parser:
    def __init__(self, text: str, base: int = 0, end: int | None = None,
                 unterminated: set[str] | None = None) -> None:
        self.text = text
        self.n = len(text) if end is None else end  # read text[:n] (a ${...} argument: no copy)
        self.base = base
        # `$(`, `${` or a backtick that never closes swallows the rest of the text (as in bash): once
        # one is found, later ones are not searched again, so the scan stays linear.
        self.unterminated = set() if unterminated is None else unterminated

    # -- words -------------------------------------------------------------------------------------

    def read_word(self, i: int, depth: int = 0) -> tuple[Word, int, bool]:
        """(word, next index, broken-continuation seen) for the word starting at i."""
        t, n = self.text, self.n
        parts: list[Part] = []
        lit: list[str] = []
        lit_start = i
        lit_quoted = False
        start = i

        def flush(quoted: bool, at: int) -> None:
            nonlocal lit, lit_start, lit_quoted
            if lit:
                parts.append(Lit("".join(lit), lit_quoted, self.base + lit_start))
            lit = []
            lit_start = at
            lit_quoted = quoted

        def add(ch: str, quoted: bool, at: int) -> None:
            if lit and lit_quoted != quoted:
                flush(quoted, at)
            elif not lit:
                flush(quoted, at)
            lit.append(ch)

        broken = False
        while i < n and t[i] not in _META:
            c = t[i]
            if c == "\\":
                if t.startswith("\n", i + 1):
                    i += 2
                    continue
                if t.startswith("\r\n", i + 1):
                    i += 3
                    continue
                j = i + 1
                while j < n and t[j] in " \t":
                    j += 1
                if j > i + 1 and (j >= n or t[j] in "\r\n"):
                    broken = True  # `\` + blanks + end of line: the word and the command end here
                    i = j
                    break
                if i + 1 < n:
                    add(t[i + 1], True, i)
                    i += 2
                else:
                    i += 1
                continue
            if c == "'":
                end = t.find("'", i + 1)
                if end < 0:
                    raise ShellSyntaxError("unterminated single quote", self.base + i)
                flush(True, i)
                parts.append(Lit(t[i + 1:end], True, self.base + i + 1))
                lit_start = end + 1
                i = end + 1
                continue
            if c == '"':
                i = self._double(i, parts, flush, depth)
                lit_start = i
                continue
            if c == "$" and t.startswith("'", i + 1):  # $'...' ANSI-C quoting
                end = t.find("'", i + 2)
                if end < 0:
                    raise ShellSyntaxError("unterminated single quote", self.base + i + 1)
                flush(True, i)
                raw = t[i + 2:end]
                parts.append(Lit(raw.replace("\\n", "\n").replace("\\t", "\t").replace("\\'", "'"), True,
                                 self.base + i + 2))
                lit_start = end + 1
                i = end + 1
                continue
            if c == "$" or c == "`":
                part, j = self._dollar(i, False, depth)
                if part is None:
                    add(c, False, i)
                    i += 1
                    continue
                flush(False, i)
                parts.append(part)
                lit_start = j
                i = j
                continue
            add(c, False, i)
            i += 1
            # an array assignment: NAME=( ... ) or NAME+=( ... )
            if i < n and t[i] == "(" and len(parts) == 0 and _ASSIGN_PREFIX.match("".join(lit)):
                name = "".join(lit)
                elements, i = self._array(i + 1, depth)
                parts.append(Lit(name, False, self.base + start))
                return Word(name + "(...)", self.base + start, tuple(parts), tuple(elements)), i, False
        flush(False, i)
        text = "".join(p.text if isinstance(p, Lit) else p.source for p in parts)
        return Word(text, self.base + start, tuple(parts)), i, broken

    def _double(self, i: int, parts: list[Part], flush: Callable[[bool, int], None], depth: int) -> int:
        """Read a double-quoted string starting at the quote; returns the index after it."""
        t, n = self.text, self.n
        flush(True, i)
        before = len(parts)
        buf: list[str] = []
        buf_start = i + 1
        j = i + 1
        while j < n and t[j] != '"':
            c = t[j]
            if c == "\\" and j + 1 < n and t[j + 1] in '"\\$`\n':
                if t[j + 1] != "\n":
                    buf.append(t[j + 1])
                j += 2
                continue
            if c == "$" or c == "`":
                part, k = self._dollar(j, True, depth)
                if part is not None:
                    if buf:
                        parts.append(Lit("".join(buf), True, self.base + buf_start))
                    buf = []
                    parts.append(part)
                    j = k
                    buf_start = j
                    continue
            buf.append(c)
            j += 1
        if j >= n:
            raise ShellSyntaxError("unterminated double quote", self.base + i)
        if buf or len(parts) == before:  # "" is an empty argument; "$@" alone is no argument
            parts.append(Lit("".join(buf), True, self.base + buf_start))
        return j + 1

    def _skip_balanced(self, i: int, open_: str, close: str) -> int:
        """Index just past the `close` matching the `open_` before i; -1 when unterminated."""
        if open_ in self.unterminated:
            return -1
        end = self._scan_balanced(i, open_, close)
        if end < 0:
            self.unterminated.add(open_)
        return end

    def _scan_balanced(self, i: int, open_: str, close: str) -> int:
        t, n = self.text, self.n
        depth = 1
        while i < n:
            c = t[i]
            if c == "\\":
                i += 2
                continue
            if c == "'":
                end = t.find("'", i + 1)
                if end < 0:
                    return -1
                i = end + 1
                continue
            if c == '"':
                j = i + 1
                while j < n and t[j] != '"':
                    j += 2 if t[j] == "\\" else 1
                if j >= n:
                    return -1
                i = j + 1
                continue
            if c == open_:
                depth += 1
            elif c == close:
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        return -1

    def _dollar(self, i: int, quoted: bool, depth: int) -> tuple[Part | None, int]:
        """The expansion starting at text[i] (`$` or a backtick); (None, i) when it is a literal `$`."""
        t, n = self.text, self.n
        if t[i] == "`":
            if "`" in self.unterminated:
                return None, i
            j = i + 1
            while j < n and t[j] != "`":
                j += 2 if t[j] == "\\" else 1
            if j >= n:
                self.unterminated.add("`")
                return None, i
            return Sub(t[i:j + 1], quoted, self.base + i), j + 1
        nxt = t[i + 1:i + 2]
        if nxt == "(":
            end = self._skip_balanced(i + 2, "(", ")")
            if end < 0:
                return None, i
            return Sub(t[i:end], quoted, self.base + i), end
        if nxt == "{":
            end = self._skip_balanced(i + 2, "{", "}")
            if end < 0:
                return None, i
            return self._braced(i, end, quoted, depth), end
        m = _NAME.match(t, i + 1)
        if m:
            return Param(m.group(0), quoted, self.base + i, t[i:m.end()]), m.end()
        if nxt and nxt in _SPECIAL:
            return Param(nxt, quoted, self.base + i, t[i:i + 2]), i + 2
        return None, i

    def _braced(self, i: int, end: int, quoted: bool, depth: int) -> Part:
        """`${...}` spanning text[i:end]."""
        t = self.text
        inner_start, inner_end = i + 2, end - 1
        source = t[i:end]
        inner = t[inner_start:inner_end]
        if inner.startswith("#") and _NAME.fullmatch(inner[1:]):
            return Param(inner[1:], quoted, self.base + i, source, "len")
        m = _NAME.match(inner) or (re.match(r"[@*#?$!0-9-]", inner) if inner else None)
        if not m:
            return Sub(source, quoted, self.base + i)
        name = m.group(0)
        k = m.end()
        index = None
        if inner.startswith("[", k):
            close = inner.find("]", k)
            if close < 0:
                return Sub(source, quoted, self.base + i)
            index = inner[k + 1:close].strip()
            k = close + 1
        rest = inner[k:]
        if not rest:
            return Param(name, quoted, self.base + i, source, "", (), index)
        op_m = re.match(r":-|:=|:\+|:\?|##|%%|-|=|\+|\?|#|%", rest)
        if not op_m or depth >= MAX_DEPTH:
            return Param(name, quoted, self.base + i, source, "other", (), index)
        op = op_m.group(0)
        arg_start = inner_start + k + len(op)
        sub = _Parser(t, self.base, inner_end)
        try:
            arg_parts = sub.read_arg(arg_start, inner_end, quoted, depth + 1)
        except ShellSyntaxError:
            return Param(name, quoted, self.base + i, source, "other", (), index)
        return Param(name, quoted, self.base + i, source, op, arg_parts, index)

    def read_arg(self, i: int, end: int, quoted: bool, depth: int) -> tuple[Part, ...]:
        """The word parts of a `${NAME:-arg}` argument (spaces kept: it is one word)."""
        parts: list[Part] = []
        t = self.text
        while i < end:
            c = t[i]
            if c in " \t":
                parts.append(Lit(c, True, self.base + i))
                i += 1
                continue
            if c in _META:
                parts.append(Lit(c, True, self.base + i))
                i += 1
                continue
            w, j, _ = self.read_word(i, depth)
            if j <= i:
                parts.append(Lit(c, True, self.base + i))
                j = i + 1
            parts.extend(Lit(p.text, True, p.offset) if quoted and isinstance(p, Lit) else p for p in w.parts)
            i = j
        return tuple(parts)

    def _array(self, i: int, depth: int) -> tuple[list[Word], int]:
        """Elements of `NAME=( ... )` from after the `(`; returns (elements, index after `)`)."""
        t, n = self.text, self.n
        out: list[Word] = []
        while i < n:
            c = t[i]
            if c in " \t\r\n":
                i += 1
                continue
            if c == "\\" and t.startswith("\n", i + 1):
                i += 2
                continue
            if c == "#":
                while i < n and t[i] != "\n":
                    i += 1
                continue
            if c == ")":
                return out, i + 1
            if c in _META:
                i += 1
                continue
            w, j, _ = self.read_word(i, depth)
            if j <= i:
                j = i + 1
            else:
                out.append(w)
            i = j
        return out, i

    # -- commands ----------------------------------------------------------------------------------

    def commands(self) -> list[Command]:
        t, n = self.text, self.n
        out: list[Command] = []
        cur = Command()
        pending_redirect: str | None = None
        pending_heredocs: list[tuple[Command, str, bool, bool]] = []
        i = 0

        def end_command(sep: str, at: int) -> None:
            nonlocal cur
            if cur.words or cur.redirects or cur.heredocs or cur.broken is not None:
                cur.sep = sep
                cur.end = self.base + at
                out.append(cur)
            cur = Command()

        while i < n:
            c = t[i]
            if c == "\\" and t.startswith("\n", i + 1):
                i += 2
                continue
            if c == "\\" and t.startswith("\r\n", i + 1):
                i += 3
                continue
            if c in " \t\r":
                i += 1
                continue
            if c == "\n":
                end_command("\n", i)
                i += 1
                if pending_heredocs:
                    i = self._bodies(i, pending_heredocs)
                    pending_heredocs = []
                continue
            if c == "#":
                while i < n and t[i] != "\n":
                    i += 1
                continue
            m = _REDIRECT.match(t, i)
            if m:
                op = m.group(0)
                i = m.end()
                if op.endswith(("&", ">&", "<&")) and i < n and (t[i].isdigit() or t[i] == "-"):
                    i += 1  # 2>&1, >&2, <&-
                    continue
                pending_redirect = op.lstrip("0123456789")
                continue
            op2 = next((o for o in _OPERATORS if t.startswith(o, i)), None)
            if op2 is not None:
                end_command(op2, i)
                i += len(op2)
                continue
            w, i, broken = self.read_word(i)
            if pending_redirect is not None:
                if pending_redirect in ("<<", "<<-"):
                    quoted = any(isinstance(p, Lit) and p.quoted for p in w.parts)
                    pending_heredocs.append((cur, w.text, not quoted, pending_redirect == "<<-"))
                else:
                    cur.redirects.append((pending_redirect, w))
                pending_redirect = None
            elif w.parts:
                cur.words.append(w)
            if broken:
                cur.broken = w.offset + len(t[w.offset - self.base:i].rstrip(" \t")) - 1
                # the newline that follows ends the command
        end_command("", n)
        return out

    def _bodies(self, i: int, pending: list[tuple[Command, str, bool, bool]]) -> int:
        """Read heredoc bodies, in order, from the line at i; returns the index after the last delimiter."""
        t, n = self.text, self.n
        for cmd, delim, expand, strip in pending:
            start = i
            while i < n:
                nl = t.find("\n", i)
                line_end = n if nl < 0 else nl
                line = t[i:line_end].rstrip("\r")
                if (line.lstrip("\t") if strip else line) == delim:
                    cmd.heredocs.append(Heredoc(delim, self.base + start, self.base + i, expand, strip))
                    i = line_end + 1
                    break
                i = line_end + 1
            else:
                cmd.heredocs.append(Heredoc(delim, self.base + start, self.base + n, expand, strip))
                i = n
        return min(i, n)


def parse_commands(text: str, base: int = 0) -> list[Command]:
    """The simple commands of a script, in order; raises ShellSyntaxError on an unterminated quote."""
    return _Parser(text, base).commands()


def split_words(text: str) -> list[Word]:
    """Words and command separators (as words) with their start offsets; raises ShellSyntaxError.

    The flat form of `parse_commands`: each command's words followed by its separator.
    """
    out: list[Word] = []
    for cmd in parse_commands(text):
        out.extend(cmd.words)
        if cmd.sep:
            sep = cmd.sep if cmd.sep in SEPARATORS or cmd.sep == "\n" else ";"
            out.append(Word(sep, max(cmd.end, out[-1].offset if out else 0)))
    return out


def commands(words: list[Word]) -> list[list[Word]]:
    """Split a flat word list into simple commands at separators and unescaped newlines."""
    out: list[list[Word]] = []
    cur: list[Word] = []
    for w in words:
        if w.text in SEPARATORS or w.text == "\n":
            if cur:
                out.append(cur)
            cur = []
            continue
        cur.append(w)
    if cur:
        out.append(cur)
    return out


class LineIndex:
    """Line and column of an offset in O(log n) (the file's newlines are indexed once)."""

    def __init__(self, text: str) -> None:
        self.newlines = [i for i, c in enumerate(text) if c == "\n"]

    def line_col(self, offset: int) -> tuple[int, int]:
        k = bisect.bisect_left(self.newlines, offset)
        line_start = self.newlines[k - 1] + 1 if k > 0 else 0
        return k + 1, offset - line_start + 1


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of `offset` in `text`."""
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col
