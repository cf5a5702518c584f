"""Helm charts: templates read as far as they can be, and values files read for the launches they set.

A template (`templates/*.yaml`) is Go-template text over YAML: it is not broken YAML and is never
reported as unreadable. `render_template` keeps every line where it is: lines that hold only actions
(`{{- if ... }}`, `{{- end }}`, `{{- toYaml ... | nindent 8 }}`) become blank, and an inline
`{{ .Values.a.b }}` becomes the chart's value from the `values.yaml` beside `Chart.yaml` when it is a
plain path, else the placeholder `${HELM}` (a value set at install time, like an unset shell variable).
When even that does not parse, the `containers:` blocks that do parse are read.

Values files: the vLLM production-stack chart (`servingEngineSpec.modelSpec[]`, read the way its
`templates/deployment-vllm-multi.yaml` builds the command: `vllm serve <modelURL>` then the flags of
`vllmConfig` and `vllmConfig.extraArgs`; vllm-project/production-stack@f1f9822790e7), and any chart's
mapping that pairs an `image` (a string or `repository`/`tag`) with `command`/`args`/`extraArgs`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from specadvisor.check.commands import LAUNCH_TEXT, command_sites, scalar_script
from specadvisor.check.launch import implied_program, infer_program
from specadvisor.check.script import ScriptContext
from specadvisor.check.shellenv import Env
from specadvisor.check.sites import Site
from specadvisor.yamlio import LineDict, LineList, NodeMark

PLACEHOLDER = "${HELM}"
_ACTION = re.compile(r"\{\{-?(.*?)-?\}\}", re.DOTALL)
_VALUES_PATH = re.compile(r"^\s*\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_-]*)+)\s*(\|.*)?$", re.DOTALL)
_DEFAULT = re.compile(r"\|\s*default\s+(\"[^\"]*\"|'[^']*'|\S+)")
MAX_DEPTH = 24
# A chart's model setting beside its flag list (`model: X` + `extraArgs: [...]`), read as the --model flag.
_MODEL_KEYS = ("model", "modelName", "modelURL", "modelId", "model_id", "modelPath", "servedModel")


# production-stack `vllmConfig` keys and the flags its template turns them into (deployment-vllm-multi.yaml).
PRODUCTION_STACK_FLAGS = {
    "tensorParallelSize": "--tensor-parallel-size", "maxNumSeqs": "--max-num-seqs", "maxModelLen": "--max-model-len",
    "dtype": "--dtype", "gpuMemoryUtilization": "--gpu_memory_utilization", "maxLoras": "--max_loras",
}


@lru_cache(maxsize=64)
def _chart_values(chart_dir: str) -> Any:
    from specadvisor.errors import InputFileError
    from specadvisor.yamlio import load_yaml_documents, read_text_file

    p = Path(chart_dir) / "values.yaml"
    try:
        docs = load_yaml_documents(read_text_file(p), str(p)) if p.is_file() else []
    except (InputFileError, OSError):
        return None
    return docs[0] if docs and isinstance(docs[0], dict) else None


def _values_for(directory: Path | None) -> Any:
    """The values.yaml of the chart a template directory belongs to (Chart.yaml beside it)."""
    d = directory
    for _ in range(4):
        if d is None:
            return None
        if (d / "Chart.yaml").is_file():
            return _chart_values(str(d))
        if d.parent == d:
            return None
        d = d.parent
    return None


def _lookup(values: Any, path: str) -> Any:
    node = values
    for key in path.strip(".").split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def render_template(text: str, directory: Path | None) -> str:
    """The template with its actions removed or replaced, every line where it was (linear time).

    Of an `if ... else ... end`, only the first branch is kept: a chart's `if`/`else` usually picks
    one of two forms of the same argument (`--enable-prefix-caching` or `--no-enable-prefix-caching`),
    and keeping both would make one launch look like two conflicting ones.
    """
    values = _values_for(directory)
    # An action over several lines (a {{/* comment */}}) keeps only its newlines.
    text = _ACTION.sub(lambda m: "\n" * m.group(0).count("\n") if "\n" in m.group(0) else m.group(0), text)
    out: list[str] = []
    skipping: list[bool] = []  # per open block: inside an else branch
    for line in text.splitlines(keepends=True):
        newline = "\n" if line.endswith("\n") else ""
        if "{{" in line and not _ACTION.sub("", line).strip():  # only actions: {{- if }}, {{- end }}, toYaml
            for m in _ACTION.finditer(line):
                word = m.group(1).strip().split(" ", 1)[0] if m.group(1).strip() else ""
                if word in _OPENERS:
                    skipping.append(False)
                elif word == "else" and skipping:
                    skipping[-1] = True
                elif word == "end" and skipping:
                    skipping.pop()
            out.append(newline)
        elif any(skipping):
            out.append(newline)
        elif "{{" not in line:
            out.append(line)
        else:
            out.append(_ACTION.sub(lambda m: _render_action(m.group(1), values), line))
    return "".join(out)


_OPENERS = frozenset({"if", "with", "range", "define", "block"})


def _render_action(action: str, values: Any) -> str:
    m = _VALUES_PATH.match(action)
    value = _lookup(values, m.group(1)) if (m and values is not None) else None
    pipe = (m.group(2) or "") if m else action
    if value is None:
        d = _DEFAULT.search(pipe)
        if d:
            value = d.group(1).strip("\"'")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return '"' + PLACEHOLDER + '"' if "quote" in pipe else PLACEHOLDER
    text = str(value)
    return json.dumps(text) if "quote" in pipe else text


def parseable_blocks(text: str) -> Iterable[str]:
    """`containers:` blocks of a template that does not parse, each padded to its own line numbers."""
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip(" ")
        if stripped.startswith("containers:"):
            indent = len(line) - len(stripped)
            j = i + 1
            while j < len(lines) and (not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip(" ")) > indent
                                      or lines[j].lstrip(" ").startswith("- ") and
                                      len(lines[j]) - len(lines[j].lstrip(" ")) == indent):
                j += 1
            yield "\n" * i + "".join(lines[i:j])
            i = j
            continue
        i += 1


def values_sites(ctx: ScriptContext, env: Env, doc: LineDict) -> list[Site]:
    """Launches a chart's values file sets."""
    sites: list[Site] = []
    spec = doc.get("servingEngineSpec")
    if isinstance(spec, dict) and isinstance(spec.get("modelSpec"), list):
        for model in spec["modelSpec"]:
            if isinstance(model, LineDict):
                sites += _production_stack(ctx, env, model)
        return sites
    _walk(ctx, env, doc, sites, 0, None)
    return sites


def _image(node: LineDict) -> str | None:
    img = node.get("image")
    if isinstance(img, str):
        return img
    if isinstance(img, dict) and isinstance(img.get("repository"), str):
        tag = img.get("tag")
        return f"{img['repository']}:{tag}" if isinstance(tag, str | int | float) and str(tag) else img["repository"]
    if isinstance(node.get("repository"), str):
        tag = node.get("tag")
        return f"{node['repository']}:{tag}" if isinstance(tag, str | int | float) and str(tag) else node["repository"]
    return None


def _list_items(seq: Any) -> list[tuple[str, NodeMark]]:
    if not isinstance(seq, LineList):
        return []
    return [(str(v), m) for v, m in zip(seq, seq.item_marks, strict=True)
            if isinstance(v, str | int | float) and not isinstance(v, bool)]


def _production_stack(ctx: ScriptContext, env: Env, model: LineDict) -> list[Site]:
    url = model.get("modelURL")
    if not isinstance(url, str) or "modelURL" not in model.value_marks:
        return []
    at = model.value_marks["modelURL"]
    items: list[tuple[str, NodeMark]] = [("vllm", at), ("serve", at), (url, at)]
    cfg = model.get("vllmConfig")
    if isinstance(cfg, LineDict):
        for key, flag in PRODUCTION_STACK_FLAGS.items():
            if key in cfg and key in cfg.value_marks and not isinstance(cfg[key], dict | list):
                items += [(flag, cfg.value_marks[key]), (str(cfg[key]), cfg.value_marks[key])]
        items += _list_items(cfg.get("extraArgs"))
    return command_sites(ctx, items, _image(model), env)


def _walk(ctx: ScriptContext, env: Env, node: Any, out: list[Site], depth: int, image: str | None) -> None:
    """Launches anywhere in a values-like tree; `image` is the nearest enclosing image setting."""
    if depth > MAX_DEPTH:
        return
    if isinstance(node, LineDict):
        image = _image(node) or image
        lists = [k for k in ("command", "args", "extraArgs", "extra_args") if isinstance(node.get(k), LineList)]
        if lists:
            items = [it for k in lists for it in _list_items(node[k])]
            if "command" not in lists and items and items[0][0].startswith("-"):
                program = implied_program(image) or infer_program([t for t, _ in items])
                model = next((k for k in _MODEL_KEYS if isinstance(node.get(k), str) and k in node.value_marks), None)
                flags = {t.split("=", 1)[0] for t, _ in items}
                if model and program and not flags & {"--model", "--model-path", "-m", "--model-id"}:
                    flag = {"vllm": "--model", "llama-server": "-m"}.get(program[0], "--model-path")
                    items = [(flag, node.value_marks[model]), (node[model], node.value_marks[model]), *items]
                items = _prefix(program, items)
            found = command_sites(ctx, items, image, env)
            if found:
                out.extend(found)
                return
        for key, value in node.items():
            if isinstance(value, str) and LAUNCH_TEXT.search(value) and key in node.value_marks:
                out.extend(scalar_script(ctx, node.value_marks[key], value, env, image))
            else:
                _walk(ctx, env, value, out, depth + 1, image)
    elif isinstance(node, LineList):  # CI steps, dstack `commands:`: a list of shell lines
        for item, mark in zip(node, node.item_marks, strict=True):
            if isinstance(item, str) and LAUNCH_TEXT.search(item):
                out.extend(scalar_script(ctx, mark, item, env, image))
            else:
                _walk(ctx, env, item, out, depth + 1, image)


def _prefix(program: tuple[str, ...], items: list[tuple[str, NodeMark]]) -> list[tuple[str, NodeMark]]:
    if not program or not items:
        return items
    return [(p, items[0][1]) for p in program] + items
