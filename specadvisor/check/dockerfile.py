"""Dockerfiles: the container's launch, from ENTRYPOINT and CMD of the last stage.

Exec form (`CMD ["vllm", "serve", ...]`) passes the words as they are; shell form (`CMD vllm serve
$MODEL`) is `/bin/sh -c`, so it is read as a script with the ENV and ARG values set above it. A CMD of
arguments only runs the base image's entrypoint (`FROM vllm/vllm-openai` runs `vllm serve`).
"""

from __future__ import annotations

import json
import re

from specadvisor.check.commands import SERVING_TEXT, exec_sites
from specadvisor.check.launch import implied_program
from specadvisor.check.script import ScriptContext, expand_in_text, script_sites
from specadvisor.check.shell import ShellSyntaxError, Word, parse_commands
from specadvisor.check.shellenv import Env
from specadvisor.check.sites import Site
from specadvisor.guards import loads_bounded

# `(.*)` then rstrip, not `(.*?)\s*$`: the lazy group retried `\s*$` at every position of a run of spaces,
# which made a line of 60,000 spaces take ~20 s (quadratic).
_INSTR = re.compile(r"^\s*(FROM|CMD|ENTRYPOINT|ENV|ARG)\s+(.*)", re.IGNORECASE | re.DOTALL)


def dockerfile_sites(ctx: ScriptContext, env: Env) -> list[Site]:
    """The container's launch: ENTRYPOINT and CMD (exec or shell form) of the last stage.

    ENV and ARG values are what the shell form (`/bin/sh -c`) expands; the exec form expands nothing.
    A CMD of arguments only runs the base image's entrypoint (vllm/vllm-openai: `vllm serve`).
    """
    text = ctx.text
    image = None
    parts: dict[str, tuple[str, list[Word] | None, int]] = {}  # instr -> (raw, exec words, offset)
    lines = text.splitlines(keepends=True)
    offset = 0
    i = 0
    while i < len(lines):
        start = offset
        joined = [lines[i]]  # continuation lines, testing only the last one joined: linear in the lines
        while joined[-1].rstrip("\r\n").endswith("\\") and i + 1 < len(lines):
            i += 1
            joined.append(lines[i])
        body = "".join(joined)
        offset = start + len(body)
        i += 1
        m = _INSTR.match(body)
        if not m:
            continue
        instr, rest = m.group(1).upper(), m.group(2).rstrip()
        rest_off = start + m.start(2)
        if instr == "FROM":
            from_words = expand_in_text(rest, env).split()
            image = next((w for w in from_words if not w.startswith("--")), None)
            parts = {}
            continue
        if instr in ("ENV", "ARG"):
            _docker_env(rest, env, instr)
            continue
        if rest.lstrip().startswith("["):
            try:
                items = loads_bounded(rest.replace("\\\n", " ").replace("\\\r\n", " "))
            except json.JSONDecodeError:
                items = None
            if isinstance(items, list) and all(isinstance(x, str) for x in items):
                ws, pos = [], rest_off
                for x in items:
                    found = text.find(json.dumps(x), pos, offset)
                    at = found if found >= 0 else pos
                    ws.append(Word(x, at))
                    pos = at + 1
                parts[instr] = (rest, ws, rest_off)
                continue
            if rest.rstrip().endswith("]") and (SERVING_TEXT.search(rest) or SERVING_TEXT.search(image or "")):
                site = Site(ctx.path, "unknown", ctx.where(rest_off))
                site.problems.append(("parse-error", site.start, f"{instr} looks like an exec-form JSON array "
                                                                 "but does not parse"))
                return [site]
        parts[instr] = (rest, None, rest_off)
    entry, cmd = parts.get("ENTRYPOINT"), parts.get("CMD")
    if entry is not None and entry[1] is None:  # shell-form ENTRYPOINT ignores CMD
        return script_sites(ctx, ctx.text[entry[2]:entry[2] + len(entry[0])], entry[2], env, image)
    if entry is None and cmd is not None and cmd[1] is None:
        return script_sites(ctx, ctx.text[cmd[2]:cmd[2] + len(cmd[0])], cmd[2], env, image)
    words = (entry[1] or [] if entry else []) + (cmd[1] or [] if cmd else [])
    if not words:
        return []
    if entry is None and words[0].text.startswith("-"):
        program = implied_program(image)
        words = [Word(t, words[0].offset) for t in program] + words
    return exec_sites(ctx, words, image, env)


def _docker_env(rest: str, env: Env, instr: str) -> None:
    try:
        cmds = parse_commands(rest)
    except ShellSyntaxError:
        return
    ws = [w for c in cmds for w in c.words]
    if len(ws) >= 2 and "=" not in ws[0].text and instr == "ENV":  # legacy `ENV NAME value`
        env.set(ws[0].text, [Word(" ".join(w.text for w in ws[1:]), -1)])
        return
    for w in ws:
        name, eq, value = w.text.partition("=")
        if eq and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            if instr == "ARG" and env.get(name) is not None:
                continue
            env.set(name, [Word(expand_in_text(value, env), -1)])


# -- exec-form commands ----------------------------------------------------------------------------
