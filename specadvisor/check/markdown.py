"""Fenced shell and YAML blocks of Markdown files (READMEs, recipes), read when a user asks (--markdown).

Only the blocks are read, in place: every other character becomes a blank (newlines kept), so
positions are the file's own and no prose is taken for a command. Shell blocks are those tagged
bash, sh, shell, zsh, console, shell-session or untagged; in `console`/`shell-session` blocks only
`$ `-prompted lines and their continuations are commands (the rest is output), and a leading `$ `
prompt is dropped in any shell block. YAML blocks (yaml, yml) are read as YAML, but a snippet that
does not parse is not reported: documentation quotes fragments.
"""

from __future__ import annotations

import re

from specadvisor.check.script import ScriptContext, script_sites
from specadvisor.check.shell import LineIndex
from specadvisor.check.shellenv import Env
from specadvisor.check.sites import Site

SHELL_TAGS = frozenset({"", "bash", "sh", "shell", "zsh", "console", "shell-session", "shellsession", "terminal"})
YAML_TAGS = frozenset({"yaml", "yml"})
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[ \t]*([A-Za-z0-9_+-]*)")
_PROMPT = re.compile(r"^([ \t]*\$[ \t]+)")


def _blank(line: str) -> str:
    return "".join(c if c in "\r\n" else " " for c in line)


def masked(text: str) -> tuple[str, str]:
    """(the shell blocks, the YAML blocks) of a Markdown text, each the text's length, all else blank."""
    shell: list[str] = []
    yaml: list[str] = []
    fence: str | None = None
    tag = ""
    continued = False
    for line in text.splitlines(keepends=True):
        if fence is None:
            m = _FENCE.match(line)
            if m:
                fence, tag, continued = m.group(1), m.group(2).lower(), False
            shell.append(_blank(line))
            yaml.append(_blank(line))
            continue
        if line.lstrip().startswith(fence[0] * len(fence)) and not line.strip().strip(fence[0]):
            fence = None
            shell.append(_blank(line))
            yaml.append(_blank(line))
            continue
        if tag in YAML_TAGS:
            shell.append(_blank(line))
            yaml.append(line)
            continue
        yaml.append(_blank(line))
        if tag not in SHELL_TAGS:
            shell.append(_blank(line))
            continue
        p = _PROMPT.match(line)
        if p:
            shell.append(" " * len(p.group(1)) + line[p.end():])
            continued = line.rstrip("\r\n").endswith("\\")
        elif tag in ("console", "shell-session", "shellsession", "terminal") and not continued:
            shell.append(_blank(line))
        else:
            shell.append(line)
            continued = line.rstrip("\r\n").endswith("\\")
    return "".join(shell), "".join(yaml)


def markdown_sites(ctx: ScriptContext, env: Env) -> list[Site]:
    shell, yaml = masked(ctx.text)
    sites = script_sites(ctx, shell, 0, env) if shell.strip() else []
    if yaml.strip() and ctx.yaml_reader is not None:
        sites += ctx.yaml_reader(ctx.path, yaml)
    return sites


__all__ = ["markdown_sites", "masked", "LineIndex"]
