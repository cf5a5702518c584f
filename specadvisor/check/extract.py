"""Find server launches in files: shell scripts, Dockerfiles, compose files, Kubernetes manifests,
Helm charts and values, kustomize patches, systemd/supervisor units, vLLM and TensorRT-LLM YAML
configs, specadvisor's own deployment file (`deployments:`) and, when asked, Markdown shell blocks.

Every extracted value keeps the line and column it was written at. A file that cannot be parsed
yields a `parse-error` problem at the position the parser reports, not an exception; a Helm template
is not broken YAML, so it is read as far as it can be and never reported as unreadable.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from specadvisor.check import kinds
from specadvisor.check.commands import (
    LAUNCH_TEXT,
    SERVING_TEXT,
    ScriptError,
    command_sites,
    container_env,
    container_sites,
    containers,
    scalar_script,
    with_program,
    yaml_items,
)
from specadvisor.check.dockerfile import dockerfile_sites
from specadvisor.check.launch import implied_program, infer_program
from specadvisor.check.script import ScriptContext, dotenv, expand_in_text, script_sites
from specadvisor.check.shell import LineIndex, ShellSyntaxError, Word, parse_commands
from specadvisor.check.shellenv import Env
from specadvisor.check.sites import Loc, Site, apply_trtllm_spec, apply_vllm_spec, site_from_mapping
from specadvisor.errors import InputFileError
from specadvisor.guards import loads_bounded
from specadvisor.yamlio import LineDict, LineList, NodeMark, load_yaml_documents, read_text_file

Problem = tuple[str, Loc, str]
# More server launches than any real script holds (a fleet script has dozens); each costs a model evaluation,
# so an unbounded count would let one hostile file stall CI. check/run.py reports a file over the bound.
MAX_LAUNCHES_PER_FILE = 2_000


def extract_file(path: Path, markdown: bool = False) -> tuple[list[Site], list[Problem]]:
    """(sites, file-level problems) for one file; `markdown` reads fenced shell blocks of .md files."""
    p = str(path)
    try:
        text = read_text_file(path)
    except InputFileError as exc:
        return [], [("parse-error", Loc(exc.line or 1, 1), exc.problem)]
    kind = kinds.file_kind(path, markdown=markdown, named=True) or "shell"
    env = Env(dotenv(path.parent))
    ctx = _context(p, text, path.parent)
    if kind == "yaml":
        return _from_yaml(ctx, env, helm=kinds.is_helm_template(path, text))
    if kind == "dockerfile":
        return dockerfile_sites(ctx, env), []
    if kind == "env":
        return [], []
    if kind == "windows":
        converted = kinds.windows_script(text, path.suffix.lower())
        return script_sites(_context(p, converted, path.parent), converted, 0, env), []
    if kind == "makefile":
        from specadvisor.check.make import recipe_script

        recipes = recipe_script(text)  # make's expansion moves columns, not lines: read it as its own text
        return script_sites(_context(p, recipes, path.parent), recipes, 0, env), []
    if kind == "markdown":
        from specadvisor.check.markdown import markdown_sites

        return markdown_sites(ctx, env), []
    if kind == "unit":  # systemd ExecStart= / supervisor command= lines; a .conf without them is a script
        units = kinds.unit_commands(text)
        return script_sites(ctx, units if units.strip() else text, 0, env), []
    return script_sites(ctx, text, 0, env), []


def _context(path: str, text: str, directory: Path | None) -> ScriptContext:
    ctx = ScriptContext(path, text, LineIndex(text), None, directory)
    ctx.yaml_reader = lambda pth, t: _from_yaml(_context(pth, t, directory), Env(dotenv(directory)),
                                                quiet=True)[0]
    return ctx


# -- YAML ------------------------------------------------------------------------------------------


def _from_yaml(ctx: ScriptContext, env: Env, helm: bool = False, quiet: bool = False) -> tuple[list[Site], list[Problem]]:
    """Sites of every document of a YAML stream. `quiet`: a heredoc or Markdown block that is not YAML."""
    text = ctx.text
    if helm:
        from specadvisor.check.helm import render_template

        text = render_template(text, ctx.directory)
        ctx = ScriptContext(ctx.path, text, LineIndex(text), ctx.yaml_reader, ctx.directory)
    try:
        docs = load_yaml_documents(text, ctx.path)
    except InputFileError as exc:
        if quiet or helm or "{{" in text:  # a template is not broken YAML
            return _from_template_lines(ctx, env) if (helm or "{{" in text) else [], []
        if not SERVING_TEXT.search(text):  # mkdocs.yml, CloudFormation, another tool's CI: not ours to judge
            return [], []
        return [], [("parse-error", Loc(exc.line or 1, exc.column or 1), exc.problem)]
    sites: list[Site] = []
    problems: list[Problem] = []
    for doc in docs:
        try:
            sites += _from_doc(ctx, env, doc)
        except ScriptError as exc:
            problems.append(("parse-error", exc.loc, exc.message))
    return sites, problems


def _from_doc(ctx: ScriptContext, env: Env, doc: Any) -> list[Site]:
    from specadvisor.check import kustomize

    if isinstance(doc, LineList) and kustomize.is_json6902(doc):
        return kustomize.json6902_sites(ctx, env, doc, None)
    if not isinstance(doc, LineDict):
        return []
    if isinstance(doc.get("deployments"), list):
        return _from_specadvisor(ctx.path, doc)
    if kustomize.is_kustomization(doc):
        return kustomize.kustomization_sites(ctx, env, doc, _from_doc)
    if "apiVersion" in doc and "kind" in doc:
        return _from_k8s(ctx, env, doc)
    if isinstance(doc.get("services"), dict):
        return _from_compose(ctx, env, doc)
    sites = _from_engine_yaml(ctx.path, doc)
    if sites:
        return sites
    from specadvisor.check.helm import values_sites

    return values_sites(ctx, env, doc)


def _from_template_lines(ctx: ScriptContext, env: Env) -> list[Site]:
    """A template YAML cannot parse even rendered: read its `containers:` blocks that do parse."""
    from specadvisor.check.helm import parseable_blocks

    sites: list[Site] = []
    for block in parseable_blocks(ctx.text):
        try:
            docs = load_yaml_documents(block, ctx.path)
        except InputFileError:
            continue
        for doc in docs:
            try:
                sites += _from_doc(ctx, env, doc)
            except ScriptError:
                continue
    return sites


def _loc(d: Any, key: str) -> Loc | None:
    if isinstance(d, LineDict) and key in d.value_marks:
        m = d.value_marks[key]
        return Loc(m.line, m.col)
    if isinstance(d, LineDict):
        return Loc(d.line_of(key), 1)
    return None


def _kserve_models(node: Any, depth: int = 0) -> Iterable[Any]:
    """KServe `predictor.model` specs of the Hugging Face runtime (its vLLM backend takes vLLM flags)."""
    if depth > 40:
        return
    if isinstance(node, dict):
        fmt = node.get("modelFormat")
        if isinstance(fmt, dict) and str(fmt.get("name", "")).lower() == "huggingface" and "args" in node:
            yield node
        for value in node.values():
            yield from _kserve_models(value, depth + 1)
    elif isinstance(node, list):
        for item in node:
            yield from _kserve_models(item, depth + 1)


def _from_k8s(ctx: ScriptContext, env: Env, doc: Any) -> list[Site]:
    sites = []
    for m in _kserve_models(doc):
        args = yaml_items(m.get("args"), env)
        backend = next((t.split("=", 1)[1] for t, _ in args if t.startswith("--backend=")), "vllm")
        uri = m.get("storageUri")
        named = any(t.split("=", 1)[0].replace("_", "-") in ("--model-id", "--model") for t, _ in args)
        if isinstance(uri, str) and uri.startswith("hf://") and not named and "storageUri" in m.value_marks:
            args = [(f"--model_id={uri[5:].rstrip('/')}", m.value_marks["storageUri"]), *args]  # the HF runtime's model
        if backend == "vllm" and not m.get("command") and args:
            sites += command_sites(ctx, with_program(implied_program("vllm/vllm-openai"), args), None, env)
    for c in containers(doc):
        sites += container_sites(ctx, env, c)
    data = doc.get("data")
    if doc.get("kind") == "ConfigMap" and isinstance(data, LineDict):  # a start script mounted into the pod
        for key, value in data.items():
            if isinstance(value, str) and key in data.value_marks and LAUNCH_TEXT.search(value):
                sites += scalar_script(ctx, data.value_marks[key], value, env, None)
    for script in _argo_scripts(doc):  # Argo Workflows `script: {image, source: |}`
        image = script["image"] if isinstance(script.get("image"), str) else None
        sites += scalar_script(ctx, script.value_marks["source"], script["source"], env, image)
    return sites


def _argo_scripts(node: Any, depth: int = 0) -> Iterable[LineDict]:
    if depth > 40:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "script" and isinstance(value, LineDict) and isinstance(value.get("source"), str) \
                    and "source" in value.value_marks:
                yield value
            else:
                yield from _argo_scripts(value, depth + 1)
    elif isinstance(node, list):
        for item in node:
            yield from _argo_scripts(item, depth + 1)


def _from_compose(ctx: ScriptContext, env: Env, doc: Any) -> list[Site]:
    """Compose services: `entrypoint`/`command` (strings are split on blanks, as compose does),
    `${VAR:-default}` interpolated from the `.env` beside the file."""
    sites = []
    for svc in doc["services"].values():
        if not isinstance(svc, LineDict):
            continue
        image = expand_in_text(svc["image"], env) if isinstance(svc.get("image"), str) else None
        senv = env.copy()
        for k, v in container_env(_environment(svc)).items():
            senv.set(k, [Word(v, -1)])
        entry, cmd = svc.get("entrypoint"), svc.get("command")
        items: list[tuple[str, NodeMark]] = []
        implied = () if entry else implied_program(image)
        for key, val in (("entrypoint", entry), ("command", cmd)):
            if isinstance(val, str):
                mark = svc.value_marks[key]
                if mark.style in ("|", ">"):
                    base = ctx.text.find("\n", mark.start, mark.end) + 1 or mark.start
                    raw = ctx.text[base:mark.end]
                else:
                    base, raw = mark.start + (1 if mark.style in ("'", '"') else 0), val
                raw = expand_in_text(raw, env) if "$" in raw else raw
                try:
                    cmds = parse_commands(raw.replace("\n", " "), base)
                except ShellSyntaxError as exc:
                    if not SERVING_TEXT.search(raw) and not SERVING_TEXT.search(image or ""):
                        continue  # another service's command: not ours to judge
                    raise ScriptError(ctx.where(exc.offset), f"cannot parse the command line: {exc}") from None
                for c in cmds:
                    for w in c.words:
                        loc = ctx.where(w.offset)
                        items.append((w.text, NodeMark(loc.line, loc.col, w.offset, w.offset, None)))
            else:
                items += yaml_items(val, env)
        if implied and items and items[0][0].startswith("-"):  # arguments for the image's entrypoint
            items = with_program(implied, items)
        elif not entry and items and items[0][0].startswith("-"):
            items = with_program(infer_program([t for t, _ in items]), items)
        sites += command_sites(ctx, items, image, senv)
    return sites


def _environment(svc: LineDict) -> LineDict:
    """A compose service's `environment:` in the container `env:` shape."""
    env = svc.get("environment")
    out = LineDict()
    if isinstance(env, list):
        out["env"] = [{"name": s.split("=", 1)[0], "value": s.split("=", 1)[1]} for s in env
                      if isinstance(s, str) and "=" in s]
    elif isinstance(env, dict):
        out["env"] = env
    return out


# Keys that only a TensorRT-LLM speculative_config has (tensorrt_llm/llmapi/llm_args.py DecodingBaseConfig).
_TRTLLM_KEYS = {"decoding_type", "max_draft_len", "speculative_model", "speculative_model_dir", "num_nextn_predict_layers"}


def _from_engine_yaml(path: str, doc: LineDict) -> list[Site]:
    """vLLM `--config` YAML (flag names as keys) or a TensorRT-LLM LLM-API YAML."""
    spec = doc.get("speculative_config", doc.get("speculative-config"))
    spec_key = "speculative_config" if "speculative_config" in doc else "speculative-config"
    if isinstance(spec, dict) and _TRTLLM_KEYS & set(spec):
        site = Site(path, "trtllm", Loc(doc.line_of(spec_key), 1))
        apply_trtllm_spec(site, doc, spec, _loc, spec_key)
        return [site]
    keys = {str(k).replace("_", "-") for k in doc}
    if "speculative-algorithm" in keys or ("model-path" in keys and keys & {"tp", "tp-size", "speculative-draft-model-path"}):
        # SGLang `--config` YAML (server args as keys)
        mapped = site_from_mapping(path, ["python3", "-m", "sglang.launch_server"], doc, _loc, Loc(doc.line, 1))
        return [mapped] if mapped else []
    if spec is None and not ({"model", "tensor-parallel-size"} & keys and keys & {"speculative-model",
                                                                                  "num-speculative-tokens"}):
        return []
    site = Site(path, "vllm", Loc(doc.line, 1))
    if "model" in doc:
        site.set("target", str(doc["model"]), _loc(doc, "model"))
    for key in ("tensor-parallel-size", "tensor_parallel_size"):
        if key in doc:
            site.set("tp", doc[key], _loc(doc, key))
    if isinstance(spec, str):
        try:
            spec = loads_bounded(spec)
        except json.JSONDecodeError as exc:
            site.problems.append(("config-parse-error", _loc(doc, spec_key) or site.start,
                                  f"speculative-config is not valid JSON: {exc.msg}"))
            return [site]
    if isinstance(spec, dict):
        apply_vllm_spec(site, spec, lambda k: _loc(spec, k) if k else _loc(doc, spec_key))
    legacy = [k for k in doc if str(k).replace("_", "-") in ("speculative-model", "num-speculative-tokens")]
    if legacy:
        site.set("legacy_spec_flags", True, _loc(doc, legacy[0]))
        site.set("legacy_flag_names", ", ".join(f"--{str(k).replace('_', '-')}" for k in legacy), None)
        for k in legacy:
            fact = "draft" if "model" in str(k) else "k"
            site.set(fact, doc[k], _loc(doc, k))
    return [site]


def _deployment_fields() -> dict[str, Any]:
    from specadvisor.model.coefficients import ENGINES, TASKS
    from specadvisor.schema import Field

    return {
        "name": Field(str), "target": Field(str, required=True), "draft": Field(str),
        "k": Field(int, minimum=1, maximum=64), "engine": Field(str, choices=ENGINES), "engine_version": Field(str),
        "hardware": Field(str), "tp": Field(int, minimum=1, maximum=64), "draft_tp": Field(int, minimum=1, maximum=64),
        "batch_size": Field(int, minimum=1, maximum=100_000), "context_len": Field(int, minimum=1),
        "task": Field(str, choices=TASKS), "temperature": Field(float, minimum=0, maximum=10),
    }


def _from_specadvisor(path: str, doc: LineDict) -> list[Site]:
    """specadvisor's own deployment file: teams declare the intent the other configs should meet.

    Each entry is validated like any specadvisor file; an invalid one becomes a finding at its line.
    """
    from specadvisor.schema import validate_mapping

    sites = []
    items = doc["deployments"]
    for i, d in enumerate(items):
        line = items.item_lines[i] if isinstance(items, LineList) else doc.line
        try:
            v = validate_mapping(d, _deployment_fields(), path, f"deployments[{i}]", line)
        except InputFileError as exc:
            site = Site(path, "unknown", Loc(exc.line or line, 1))
            site.problems.append(("config-parse-error", site.start, f"{exc.field}: {exc.problem}"
                                  if exc.field else exc.problem))
            sites.append(site)
            continue
        site = Site(path, v["engine"] or "vllm", Loc(line, 1))
        for key, value in v.items():
            if value is not None and key != "engine":
                site.set(key, value, _loc(d, key))
        site.set("declared", True, None)
        sites.append(site)
    return sites
