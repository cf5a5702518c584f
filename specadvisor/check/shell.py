"""A shell-word tokenizer that remembers where each word starts.

`shlex` gives words but not positions, and a finding must point at file:line:column. This tokenizer
follows POSIX quoting closely enough for command lines in scripts, Dockerfiles and manifests: single
quotes are literal, double quotes allow backslash escapes, a backslash-newline joins lines, `#` starts a
comment at the start of a word, and `;`, `&&`, `||` and `|` end a command.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass


class ShellSyntaxError(ValueError):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    offset: int  # index of the word's first character in the source text


SEPARATORS = (";", "&&", "||", "|", "&")
_BLANKS = re.compile(r"[ \t\r]+")
_GAP = re.compile(r"(?:[ \t\r]|\\\r?\n)+")
_SIMPLE_WORD = re.compile(r"[^ \t\r\n;|&\\'\"#][^ \t\r\n;|&\\'\"]*(?=[ \t\r\n;|&]|\Z)")
_PLAIN = re.compile(r"[^ \t\r\n;|&\\'\"]+")


def split_words(text: str) -> list[Word]:
    """Words and command separators (as words) with their start offsets; raises ShellSyntaxError."""
    words: list[Word] = []
    i, n = 0, len(text)
    while i < n:
        gap = _GAP.match(text, i)  # blanks and backslash-newlines, in one step
        if gap is not None:
            i = gap.end()
            continue
        simple = _SIMPLE_WORD.match(text, i)  # a word without quotes or escapes, in one step
        if simple is not None:
            words.append(Word(simple.group(), i))
            i = simple.end()
            continue
        ch = text[i]
        if ch == "\\" and text[i + 1:i + 2] == "\n":
            i += 2
            continue
        if ch == "\\" and text[i + 1:i + 3] == "\r\n":  # Windows line endings
            i += 3
            continue
        if ch in " \t\r":
            blanks = _BLANKS.match(text, i)  # a whole run at once: per-character steps made 10 MB take ~10 s
            i = blanks.end() if blanks is not None else i + 1
            continue
        if ch == "\n":
            words.append(Word("\n", i))
            i += 1
            continue
        if ch == "#":
            while i < n and text[i] != "\n":
                i += 1
            continue
        two = text[i:i + 2]
        if two in ("&&", "||"):
            words.append(Word(two, i))
            i += 2
            continue
        if ch in ";|&":
            words.append(Word(ch, i))
            i += 1
            continue
        start = i
        buf: list[str] = []
        while i < n and text[i] not in " \t\r\n;|&":
            plain = _PLAIN.match(text, i)
            if plain is not None:  # a run of ordinary characters in one step
                buf.append(plain.group())
                i = plain.end()
                continue
            c = text[i]
            if c == "\\":
                if text[i + 1:i + 2] == "\n":
                    i += 2
                    continue
                if text[i + 1:i + 3] == "\r\n":
                    i += 3
                    continue
                if i + 1 < n:
                    buf.append(text[i + 1])
                    i += 2
                    continue
                i += 1
                continue
            if c == "'":
                end = text.find("'", i + 1)
                if end < 0:
                    raise ShellSyntaxError("unterminated single quote", i)
                buf.append(text[i + 1:end])
                i = end + 1
                continue
            if c == '"':
                j = i + 1
                while j < n and text[j] != '"':
                    if text[j] == "\\" and j + 1 < n and text[j + 1] in '"\\$`\n':
                        if text[j + 1] != "\n":
                            buf.append(text[j + 1])
                        j += 2
                        continue
                    buf.append(text[j])
                    j += 1
                if j >= n:
                    raise ShellSyntaxError("unterminated double quote", i)
                i = j + 1
                continue
            buf.append(c)
            i += 1
        words.append(Word("".join(buf), start))
    return words


def commands(words: list[Word]) -> list[list[Word]]:
    """Split words into simple commands at separators and unescaped newlines."""
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


_INDEX: list[tuple[str, list[int]]] = []  # (text, offsets of its newlines) for the text most recently asked about


def _newlines(text: str) -> list[int]:
    if _INDEX and _INDEX[0][0] is text:
        return _INDEX[0][1]
    starts = [m.start() for m in re.finditer("\n", text)]
    _INDEX[:] = [(text, starts)]
    return starts


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of `offset` in `text`.

    Indexed (newline offsets computed once per text, then a binary search), because a script with 20,000
    launches asks for tens of thousands of positions: counting newlines each time was quadratic."""
    if len(text) < 4096:
        return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1
    nl = _newlines(text)
    before = bisect.bisect_left(nl, offset)
    return before + 1, offset - (nl[before - 1] + 1 if before else 0) + 1
