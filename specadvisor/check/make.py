"""Makefile recipes (`make serve`, `make bench`): the shell lines of each rule, with make's variables.

Benchmark and serving repositories often start the server from a Makefile target:
`MODEL ?= Qwen/Qwen3-8B` above, `\tvllm serve $(MODEL) ...` in the recipe. `recipe_script` keeps only
the recipe lines, where they are (every other line becomes blank, so positions stay the file's), with
make's own expansion done first: `$(NAME)`/`${NAME}` from the file's assignments (`=`, `:=`, `?=`,
`+=`, `export`), `$$` as `$`, and the `@`/`-`/`+` prefixes dropped. A variable the file does not set
stays `${NAME}` for the shell reader, which treats it as set at run time. GNU make manual, 6.1-6.6.
"""

from __future__ import annotations

import re

_ASSIGN = re.compile(r"^(?:export\s+|override\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(\?=|::=|:=|\+=|=)\s*(.*?)\s*$")
_REF = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)|\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}")
MAX_DEPTH = 8


def _expand(text: str, variables: dict[str, str], depth: int = 0) -> str:
    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1) or m.group(2)
        if name in variables and depth < MAX_DEPTH:
            return _expand(variables[name], variables, depth + 1)
        return "${" + name + "}"

    return _REF.sub(sub, text)


def recipe_script(text: str) -> str:
    """The recipe lines of a Makefile as one shell text, each at its own line."""
    variables: dict[str, str] = {}
    out: list[str] = []
    in_recipe_continuation = False
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        end = line[len(body):]
        if line.startswith("\t") or in_recipe_continuation:
            stripped = body.lstrip("\t ")
            prefix = len(body) - len(stripped)
            while not in_recipe_continuation and stripped[:1] in ("@", "-", "+") and stripped:
                stripped = stripped[1:]
                prefix += 1
            out.append(" " * prefix + _expand(stripped, variables) + end)
            in_recipe_continuation = body.endswith("\\")
            continue
        m = _ASSIGN.match(body)
        if m and not body.lstrip().startswith("#"):
            name, op, value = m.groups()
            if op == "?=" and name in variables:
                pass
            elif op == "+=":
                variables[name] = (variables.get(name, "") + " " + value).strip()
            else:
                variables[name] = value
        out.append(" " * len(body) + end)
    return "".join(out)
