"""Read a shell script as bash would run it, far enough to find every engine launch in it.

Commands are taken in order; assignments (`MODEL=...`, `export`, `declare`, `: "${X:=...}"`, arrays,
`source .env`) update the variables the later commands expand with. Each command goes through
`launch.find_launch` (wrappers, containers, interpreters); `bash -c '...'` and heredocs fed to a shell
are read as scripts in turn, and heredocs that write an engine or Kubernetes YAML are handed to the
YAML reader. A launch followed by lines that start with a flag but are no longer part of it (a
backslash followed by blanks, or no backslash at all) is a `broken-continuation` problem at that
line: the server would start without those flags. The flags are still read, as the author meant them,
so the other rules judge the intended launch.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from specadvisor.check.launch import Launch, Nested, find_launch
from specadvisor.check.shell import Command, LineIndex, Lit, ShellSyntaxError, Word, parse_commands
from specadvisor.check.shellenv import Env, assign, expand, read_env_file
from specadvisor.check.sites import Loc, Site, site_from_command

MAX_DEPTH = 3  # bash -c inside a heredoc inside bash -c ...
MAX_HEREDOC_YAML = 64  # heredocs per file handed to the YAML reader
MAX_SOURCED_BYTES = 1 << 20
DOTENV_NAMES = (".env", ".env.example", ".env.sample", ".env.template", "example.env")
_DIR_PREFIX = re.compile(r"^(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\$\(.*\))/")  # "$SCRIPT_DIR/", "$(dirname "$0")/"
_DECLARE = frozenset({"export", "declare", "typeset", "local", "readonly"})
_YAML_TARGET = re.compile(r"\.(ya?ml|json)$", re.IGNORECASE)
_TEXT_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")

YamlReader = Callable[[str, str], list[Site]]  # (path, text with the file's line numbers) -> sites


@dataclass
class ScriptContext:
    """What every command of one file shares: its path, text, positions and the YAML reader."""

    path: str
    text: str
    lines: LineIndex
    yaml_reader: YamlReader | None = None
    directory: Path | None = None
    heredoc_yaml: int = 0

    def where(self, offset: int) -> Loc:
        return Loc(*self.lines.line_col(max(0, min(offset, len(self.text)))))


def dotenv(directory: Path | None) -> dict[str, str]:
    """Variables of a `.env` file beside the script or manifest (Docker Compose reads the same file)."""
    if directory is None:
        return {}
    for name in DOTENV_NAMES:  # repositories commit the example, not the .env itself
        p = directory / name
        try:
            if not p.is_file() or p.stat().st_size > MAX_SOURCED_BYTES:
                continue
            text = p.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        return {k: w.text for k, w in read_env_file(text).items()}
    return {}


def script_sites(ctx: ScriptContext, script: str, base: int, env: Env, image: str | None = None,
                 depth: int = 0, shell_context: bool = True) -> list[Site]:
    """Sites of the launches in `script`, which starts at offset `base` of the file text.

    `shell_context` is False where newlines are blanks rather than command ends (a compose
    `command: |`), so no continuation can be broken there.
    """
    cmds, errors = _parse_lenient(script, base)
    sites: list[Site] = []
    for exc in errors:
        site = Site(ctx.path, "unknown", ctx.where(exc.offset))
        site.problems.append(("parse-error", ctx.where(exc.offset), f"cannot parse the command line: {exc}"))
        sites.append(site)
    functions: dict[str, _Function] = {}
    sites += _run(ctx, cmds, env, image, depth, shell_context, functions)
    for fn in functions.values():  # a function nobody calls still shows its launches (parameters unknown)
        if fn.calls == 0:
            sites += _run(ctx, fn.body, env, image, depth, shell_context, {})
    return sites


_LAUNCH_WORD = re.compile(r"vllm|sglang|llama-|trtllm|text-generation|ollama|api_server")
MAX_RECOVERIES = 64


def _parse_lenient(script: str, base: int) -> tuple[list[Command], list[ShellSyntaxError]]:
    """The commands of a script; a line this parser cannot read is skipped, not fatal.

    An unterminated quote is reported only on a line that is part of an engine launch (where the
    server would not start); elsewhere it may be this parser's limit (a quote inside a heredoc in
    `$(...)`, say), and a false error there would fail CI for nothing.
    """
    cmds: list[Command] = []
    errors: list[ShellSyntaxError] = []
    start = 0
    for _ in range(MAX_RECOVERIES):
        try:
            cmds += parse_commands(script[start:], base + start)
            return cmds, errors
        except ShellSyntaxError as exc:
            off = exc.offset - base
            line_start = script.rfind("\n", start, off) + 1 or start
            logical = line_start
            while logical > start:  # the backslash-continued lines above belong to the same command
                prev = script.rfind("\n", start, logical - 1) + 1
                if not script[prev:logical - 1].rstrip("\r").endswith("\\"):
                    break
                logical = prev
            try:
                cmds += parse_commands(script[start:logical], base + start)
            except ShellSyntaxError:
                pass
            line_end = script.find("\n", off)
            line_end = len(script) if line_end < 0 else line_end
            if _LAUNCH_WORD.search(script, logical, line_end):
                errors.append(exc)
            start = line_end + 1
            if start >= len(script):
                return cmds, errors
    return cmds, errors


@dataclass
class _Function:
    body: list[Command]
    calls: int = 0


MAX_CALLS = 8  # calls of one function read (each is a launch with its own arguments)


def _function_at(cmds: list[Command], i: int) -> tuple[str, list[Command], int] | None:
    """`name() { ... }` or `function name { ... }` starting at cmds[i]: (name, body, index after it)."""
    words = cmds[i].words
    if len(words) == 1 and cmds[i].sep == "(" and i + 1 < len(cmds) and cmds[i + 1].words[:1] \
            and cmds[i + 1].words[0].text == "{":
        name, j = words[0].text, i + 1
    elif len(words) >= 2 and words[0].text == "function":
        name = words[1].text
        if len(words) >= 3 and words[2].text == "{":
            j = i
        elif i + 1 < len(cmds) and cmds[i + 1].words[:1] and cmds[i + 1].words[0].text == "{":
            j = i + 1
        else:
            return None
    else:
        return None
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_:.-]*", name):
        return None
    depth = 0
    body: list[Command] = []
    for k in range(j, len(cmds)):
        c = cmds[k]
        ws = list(c.words[2:] if k == i else c.words)  # `function name { ...`: from the brace on
        for w in ws:
            if w.text == "{" and _bare(w):
                depth += 1
            elif w.text == "}" and _bare(w):
                depth -= 1
        kept = [w for n, w in enumerate(ws) if not (_bare(w) and ((k == j and n == 0 and w.text == "{")
                                                                      or (depth == 0 and w.text == "}")))]
        if kept or c.heredocs:
            body.append(dataclasses.replace(c, words=kept))
        if depth <= 0:
            return name, body, k + 1
    return name, body, len(cmds)


def _bare(w: Word) -> bool:
    return len(w.parts) == 1 and isinstance(w.parts[0], Lit) and not w.parts[0].quoted


def _run(ctx: ScriptContext, cmds: list[Command], env: Env, image: str | None, depth: int, shell_context: bool,
         functions: dict[str, _Function]) -> list[Site]:
    sites: list[Site] = []
    written: dict[str, list[Site]] = {}  # file a heredoc wrote -> the sites read from it
    i = 0
    while i < len(cmds):
        fn = _function_at(cmds, i) if cmds[i].words else None
        if fn is not None:
            functions[fn[0]] = _Function(fn[1])
            i = fn[2]
            continue
        cmd = cmds[i]
        i += 1
        if not cmd.words:
            for target, found_sites in _heredocs(ctx, cmd, [], env, image, depth):
                written[target] = found_sites
                sites += found_sites
            continue
        if _assignments(ctx, cmd, env, depth):
            continue
        fields = [f for w in cmd.words for f in expand(w, env)]
        called = functions.get(fields[0].text) if fields else None
        if called is not None:
            if called.calls < MAX_CALLS and depth < MAX_DEPTH:
                called.calls += 1
                sites += _call(ctx, called, fields[1:], env, image, depth, shell_context, functions)
            continue
        found = find_launch(fields, image)
        if isinstance(found, Nested):
            inner = found.script
            if depth < MAX_DEPTH:
                sites += script_sites(ctx, inner.text, nested_base(ctx, inner), env.copy(), found.image, depth + 1)
        elif isinstance(found, Launch):
            words = list(found.words)
            problems: list[tuple[str, Loc, str]] = []
            last = cmd
            while shell_context and i < len(cmds) and _dangles(ctx, last, cmds[i]):
                nxt = cmds[i]
                extra = [f for w in nxt.words for f in expand(w, env)]
                problems.append(_continuation_problem(ctx, last, nxt))
                words += extra
                last = nxt
                i += 1
            first = cmd.words[0].offset
            if not first <= words[0].offset < cmd.end:  # the program came from a variable set elsewhere
                words[0] = Word(words[0].text, first)
            launched = site_from_command(ctx.path, words, ctx.where, found.image, ctx.text)
            if launched is not None:
                launched.problems.extend(problems)
                sites.append(launched)
        for target, found_sites in _heredocs(ctx, cmd, fields, env, image, depth):
            written[target] = found_sites
            sites += found_sites
    return _merge_written(sites, written)


def _call(ctx: ScriptContext, fn: _Function, args: list[Word], env: Env, image: str | None, depth: int,
          shell_context: bool, functions: dict[str, _Function]) -> list[Site]:
    """A call of a shell function: its body with $1..$9 and "$@" bound to the call's arguments."""
    names = ["@", *(str(n) for n in range(1, 10))]
    saved = {n: env.get(n) for n in names}
    env.set("@", args, array=True)
    for n in range(1, 10):
        if n <= len(args):
            env.set(str(n), [args[n - 1]])
        else:
            env.unset(str(n))
    try:
        return _run(ctx, fn.body, env, image, depth + 1, shell_context, functions)
    finally:
        for name, v in saved.items():
            if v is None:
                env.unset(name)
            else:
                env.vars[name] = v


def _merge_written(sites: list[Site], written: dict[str, list[Site]]) -> list[Site]:
    """A launch that reads an options file the script wrote with a heredoc takes that file's settings.

    `cat > /tmp/extra.yaml <<EOF ... EOF; trtllm-serve MODEL --extra_llm_api_options /tmp/extra.yaml`
    is one launch: the YAML's speculative_config joins the trtllm-serve site (positions kept).
    """
    if not written:
        return sites
    merged: set[int] = set()
    for site in sites:
        path = site.values.get("trtllm_config_file")
        options = written.get(path) if isinstance(path, str) else None
        if not options or len(options) != 1 or options[0] is site:
            continue
        src = options[0]
        for key, value in src.values.items():
            if key not in site.values:
                site.set(key, value, src.locs.get(key))
        site.problems.extend(src.problems)
        merged.add(id(src))
    return [s for s in sites if id(s) not in merged]


def nested_base(ctx: ScriptContext, word: Word) -> int:
    """Where the text of a `bash -c` script word starts in the file (just inside its quote if not found)."""
    base = ctx.text.find(word.text[:20], word.offset, word.offset + len(word.text) + 64) if word.text else -1
    return base if base >= 0 else word.offset + 1


def _assignments(ctx: ScriptContext, cmd: Command, env: Env, depth: int) -> bool:
    """Apply a command that only sets variables; False when it does something else."""
    words = cmd.words
    head = words[0].text
    if all(w.parts and assign_like(w) for w in words):
        for w in words:
            assign(w, env)
        return True
    if head in _DECLARE:
        for w in words[1:]:
            if not w.text.startswith("-"):
                assign(w, env)
        return True
    if head == "unset":
        for w in words[1:]:
            env.unset(w.text)
        return True
    if head == "shift":  # inside a function call: drop the first n arguments
        args = env.get("@")
        n = int(words[1].text) if len(words) > 1 and words[1].text.isdigit() else 1
        if args is not None:
            rest = list(args.fields[n:])
            env.set("@", rest, array=True)
            for k in range(1, 10):
                if k <= len(rest):
                    env.set(str(k), [rest[k - 1]])
                else:
                    env.unset(str(k))
        return True
    if head == ":":
        for w in words[1:]:
            expand(w, env)  # ${X:=default} assigns
        return True
    if head in ("source", ".") and len(words) >= 2:
        _source(ctx, expand(words[1], env), env, depth)
        return True
    return False


def assign_like(w: Word) -> bool:
    return bool(re.match(r"^[A-Za-z_][A-Za-z0-9_]*\+?=", w.text))


def _source(ctx: ScriptContext, target: list[Word], env: Env, depth: int) -> None:
    """`source FILE`: take the variables it sets (its launches are checked in that file itself)."""
    if not target or ctx.directory is None or depth >= MAX_DEPTH:
        return
    name = _DIR_PREFIX.sub("", target[0].text)  # `source "$SCRIPT_DIR/env.sh"`: the script's own directory
    if "$" in name:
        return
    p = Path(name)
    if p.is_absolute() or ".." in p.parts:
        return
    p = ctx.directory / p
    try:
        if not p.is_file() or p.stat().st_size > MAX_SOURCED_BYTES:
            return
        text = p.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    if p.name.endswith(".env") or p.name == ".env":
        for k, w in read_env_file(text).items():
            env.set(k, [Word(w.text, -1)])
        return
    try:
        cmds = parse_commands(text)
    except ShellSyntaxError:
        return
    sub = ScriptContext(str(p), text, LineIndex(""), None, None)
    for cmd in cmds:
        if cmd.words:
            before = dict(env.vars)
            _assignments(sub, cmd, env, depth + 1)
            for k, v in env.vars.items():  # positions there are not positions here
                if before.get(k) is not v:
                    env.vars[k] = type(v)(tuple(Word(f.text, -1) for f in v.fields), v.array)


def _dangles(ctx: ScriptContext, prev: Command, nxt: Command) -> bool:
    """Whether `nxt` is a flag line cut off from `prev` by a line end on the line just above it."""
    if prev.sep != "\n" or not nxt.words:
        return False
    first = nxt.words[0].text
    if not first.startswith("-") or len(first) < 2 or first[1:2].isdigit() or first == "--":
        return False
    prev_line = ctx.where(prev.end).line
    return ctx.where(nxt.words[0].offset).line == prev_line + 1


def _continuation_problem(ctx: ScriptContext, prev: Command, nxt: Command) -> tuple[str, Loc, str]:
    flags = " ".join(w.text for w in nxt.words if w.text.startswith("-"))[:120]
    if prev.broken is not None:
        loc = ctx.where(prev.broken)
        return ("broken-continuation", loc,
                f"the backslash at the end of line {loc.line} is followed by spaces, so the command ends there: "
                f"the server starts without {flags}")
    loc = ctx.where(nxt.words[0].offset)
    return ("broken-continuation", loc,
            f"line {loc.line} starts with a flag but line {loc.line - 1} does not end with a backslash: "
            f"the server starts without {flags}")


def _heredocs(ctx: ScriptContext, cmd: Command, fields: list[Word], env: Env, image: str | None,
              depth: int) -> list[tuple[str, list[Site]]]:
    """Heredoc bodies read as scripts (fed to a shell) or as YAML (written to a YAML file or applied),
    as (the file the body was written to, or "", the sites read from it)."""
    out: list[tuple[str, list[Site]]] = []
    if not cmd.heredocs:
        return out
    head = fields[0].text.rsplit("/", 1)[-1] if fields else ""
    targets = [w.text for op, w in cmd.redirects if op in (">", ">>", ">|")]
    targets += [f.text for f in fields[1:] if head == "tee" and not f.text.startswith("-")]
    for doc in cmd.heredocs:
        body = ctx.text[doc.start:doc.end]
        if head in ("bash", "sh", "zsh", "dash", "ssh") and depth < MAX_DEPTH:
            out.append(("", script_sites(ctx, body, doc.start, env.copy(), image, depth + 1)))
            continue
        yamlish = any(_YAML_TARGET.search(t) for t in targets) or head in ("kubectl", "oc") \
            or re.search(r"^\s*(speculative[-_]config|apiVersion|model|services)\s*:", body, re.MULTILINE)
        if not yamlish or ctx.yaml_reader is None or ctx.heredoc_yaml >= MAX_HEREDOC_YAML:
            continue
        ctx.heredoc_yaml += 1
        if doc.expand:
            body = expand_in_text(body, env)
        line = ctx.where(doc.start).line
        if doc.strip_tabs:
            body = re.sub(r"(?m)^\t+", "", body)
        target = next((t for t in targets if _YAML_TARGET.search(t)), "")
        out.append((target, ctx.yaml_reader(ctx.path, "\n" * (line - 1) + body)))
    return out


def expand_in_text(text: str, env: Env) -> str:
    """`$X`, `${X}` and `${X:-d}` in a heredoc body or an envsubst'd manifest; unknown names stay."""
    def sub(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(3)
        v = env.get(name)
        if v is not None and v.text:
            return v.text
        if m.group(2) is not None:
            return m.group(2)
        return m.group(0)

    return _TEXT_VAR.sub(sub, text)
