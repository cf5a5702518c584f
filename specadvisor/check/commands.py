"""Commands in YAML: exec-form lists, shell strings and container specs, read into launches.

Kubernetes containers (`command` + `args`, `$(NAME)` from the container's `env`), compose services,
chart values, kustomize patches and CI steps all come down to the same two shapes: a list of
arguments (one word each, positioned at its YAML item) or a string a shell reads. This module turns
both into sites, with the image's entrypoint when only arguments are given (`launch.implied_program`)
or the engine the flags name (`launch.infer_program`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from specadvisor.check.launch import SHELLS, Launch, Nested, find_launch, implied_program, infer_program
from specadvisor.check.script import ScriptContext, expand_in_text, nested_base, script_sites
from specadvisor.check.shell import ShellSyntaxError, Word, parse_commands
from specadvisor.check.shellenv import Env
from specadvisor.check.sites import Loc, Site, site_from_command
from specadvisor.yamlio import LineDict, LineList, NodeMark


def exec_sites(ctx: ScriptContext, words: list[Word], image: str | None, env: Env) -> list[Site]:
    """Sites of an exec-form command (one argument per word)."""
    found = find_launch(words, image)
    if isinstance(found, Launch):
        site = site_from_command(ctx.path, found.words, ctx.where, found.image, ctx.text)
        return [site] if site else []
    if isinstance(found, Nested):
        return script_sites(ctx, found.script.text, nested_base(ctx, found.script), env.copy(), found.image, 1)
    return []


def scalar_script(ctx: ScriptContext, mark: NodeMark, value: str, env: Env, image: str | None,
                   shell: bool = True) -> list[Site]:
    """Launches in a YAML string scalar that a shell (or compose's word splitting) reads.

    Block scalars are read from the raw file text, so positions are exact; a folded (`>`) block and a
    compose command have their newlines read as blanks. Quoted and plain scalars are read from their
    value, placed at the value's first character (exact on one line without escapes).
    """
    if mark.style in ("|", ">"):
        nl = ctx.text.find("\n", mark.start, mark.end)
        base = nl + 1 if nl >= 0 else mark.start
        raw = ctx.text[base:mark.end]
        if mark.style == ">" or not shell:
            raw = raw.replace("\n", " ")
        return script_sites(ctx, raw, base, env, image, shell_context=shell and mark.style == "|")
    base = mark.start + (1 if mark.style in ("'", '"') else 0)
    return script_sites(ctx, value if shell else value.replace("\n", " "), base, env, image,
                        shell_context=shell and mark.style in ("'", '"'))


def yaml_items(seq: Any, env: Env, cenv: dict[str, str] | None = None) -> list[tuple[str, NodeMark]]:
    """String items of a YAML list with their marks; `$(NAME)` (container env) and `${NAME}` expanded."""
    if not isinstance(seq, LineList):
        return []
    out = []
    for v, m in zip(seq, seq.item_marks, strict=True):
        if isinstance(v, bool) or not isinstance(v, str | int | float):
            continue
        t = str(v)
        if cenv and "$(" in t:
            t = KUBE_VAR.sub(lambda mm: cenv.get(mm.group(1), mm.group(0)), t)
        if "$" in t:
            t = expand_in_text(t, env)
        out.append((t, m))
    return out


KUBE_VAR = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def command_sites(ctx: ScriptContext, items: list[tuple[str, NodeMark]], image: str | None,
                   env: Env) -> list[Site]:
    """Sites from an exec-form command (a list of strings, each with its mark)."""
    if not items:
        return []
    if len(items) >= 3 and items[0][0].rsplit("/", 1)[-1] in SHELLS and re.fullmatch(r"-[a-z]*c[a-z]*", items[1][0]):
        script, mark = items[2]
        return scalar_script(ctx, mark, script, env, image)
    words = [Word(t, m.start + (1 if m.style in ("'", '"') else 0)) for t, m in items]
    return exec_sites(ctx, words, image, env)


def with_program(program: Iterable[str], items: list[tuple[str, NodeMark]]) -> list[tuple[str, NodeMark]]:
    """Prefix the implied program, positioned at the first argument."""
    prog = list(program)
    if not prog or not items:
        return items
    return [(word, items[0][1]) for word in prog] + items


class ScriptError(Exception):
    def __init__(self, loc: Loc, message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


def containers(node: Any, depth: int = 0) -> Iterable[LineDict]:
    """Container specs anywhere in a manifest (Deployments, Pods, CRDs such as KServe, LWS, Argo)."""
    if depth > 40:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("containers", "initContainers") and isinstance(value, list):
                yield from (c for c in value if isinstance(c, LineDict))
            elif key == "container" and isinstance(value, LineDict):
                yield value
            else:
                yield from containers(value, depth + 1)
    elif isinstance(node, list):
        for item in node:
            yield from containers(item, depth + 1)


def container_env(c: LineDict) -> dict[str, str]:
    """`env: [{name, value}]` of a container (what `$(NAME)` in its command and args refers to)."""
    out: dict[str, str] = {}
    env = c.get("env")
    if isinstance(env, list):
        for e in env:
            if isinstance(e, dict) and isinstance(e.get("name"), str) and isinstance(e.get("value"), str | int | float):
                out[e["name"]] = str(e["value"])
    elif isinstance(env, dict):  # compose `environment:` as a mapping
        out.update({str(k): str(v) for k, v in env.items() if isinstance(v, str | int | float)})
    return out


def container_sites(ctx: ScriptContext, env: Env, c: LineDict, image: str | None = None) -> list[Site]:
    """Sites of one container spec: command + args, the image's entrypoint when only args are given."""
    image = image or (expand_in_text(c["image"], env) if isinstance(c.get("image"), str) else None)
    cenv = container_env(c)
    senv = env.copy()
    for k, v in cenv.items():
        senv.set(k, [Word(v, -1)])
    if isinstance(c.get("args"), str) and "args" in c.value_marks:  # args as one string
        program = [t for t, _ in yaml_items(c.get("command"), env, cenv)]
        if program and re.fullmatch(r"-[a-z]*c[a-z]*", program[-1]) and program[0].rsplit("/", 1)[-1] in SHELLS:
            return scalar_script(ctx, c.value_marks["args"], c["args"], senv, image)
        mark = c.value_marks["args"]
        words = [Word(t, mark.start) for t in program or implied_program(image)]
        try:
            arg_words = [w for cmd in parse_commands(c["args"], mark.start) for w in cmd.words]
        except ShellSyntaxError as exc:
            if not SERVING_TEXT.search(c["args"]) and not SERVING_TEXT.search(image or ""):
                return []  # another container's command: not ours to judge
            raise ScriptError(ctx.where(exc.offset), f"cannot parse the command line: {exc}") from None
        return exec_sites(ctx, words + arg_words, image, senv)
    items = yaml_items(c.get("command"), env, cenv) + yaml_items(c.get("args"), env, cenv)
    if not c.get("command"):
        items = with_program(implied_program(image) or infer_program([t for t, _ in items]), items)
    return command_sites(ctx, items, image, senv)


LAUNCH_TEXT = re.compile(r"vllm\s+serve|sglang\.launch_server|llama-server|trtllm-serve|openai\.api_server|"
                          r"vllm/vllm-openai|llama\.cpp:server|text-generation-launcher")


# A file or command that fails to parse is reported only when it looks like a serving or deployment config
# (an engine's name, a model, a manifest, a compose or specadvisor file); on a directory walk the broken
# or dialect YAML of another tool (mkdocs `!!python/name:`, CloudFormation `!Sub`) is not a finding.
SERVING_TEXT = re.compile(r"(?i:vllm|sglang|llama|trtllm|tensorrt|speculative|text-generation|ollama|gguf|draft[-_]model)"
                          r"|\bmodel|^apiVersion:|^kind:|^services:|^deployments:", re.MULTILINE)
