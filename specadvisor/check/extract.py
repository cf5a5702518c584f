"""Find server launches in files: shell scripts, Dockerfiles, compose files, Kubernetes manifests, vLLM
and TensorRT-LLM YAML configs, and specadvisor's own deployment file (`deployments:`).

Every extracted value keeps the line and column it was written at. A file that cannot be parsed
yields a `parse-error` problem at the position the parser reports, not an exception.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from specadvisor.check.shell import ShellSyntaxError, Word, commands, line_col, split_words
from specadvisor.check.sites import Loc, Site, apply_trtllm_spec, apply_vllm_spec, site_from_command, site_from_mapping
from specadvisor.errors import InputFileError
from specadvisor.yamlio import LineDict, LineList, NodeMark, load_yaml_documents, read_text_file

YAML_SUFFIXES = (".yaml", ".yml")
SHELLS = {"sh", "bash", "/bin/sh", "/bin/bash", "/usr/bin/env", "zsh", "dash"}


def extract_file(path: Path) -> tuple[list[Site], list[tuple[str, Loc, str]]]:
    """(sites, file-level problems) for one file."""
    p = str(path)
    try:
        text = read_text_file(path)
    except InputFileError as exc:
        return [], [("parse-error", Loc(exc.line or 1, 1), exc.problem)]
    name = path.name.lower()
    if name.endswith(YAML_SUFFIXES):
        return _from_yaml(p, text)
    if name == "dockerfile" or name.startswith("dockerfile.") or name.endswith(".dockerfile") or name == "containerfile":
        return _from_dockerfile(p, text), []
    return _from_shell_text(p, text, 0, lambda off: Loc(*line_col(text, off)), source=text), []


def _from_shell_text(path: str, script: str, base: int, where: Callable[[int], Loc],
                     image: str | None = None, source: str | None = None) -> list[Site]:
    try:
        words = split_words(script)
    except ShellSyntaxError as exc:
        site = Site(path, "unknown", where(base + exc.offset))
        site.problems.append(("parse-error", where(base + exc.offset), f"cannot parse the command line: {exc}"))
        return [site]
    shifted = [Word(w.text, base + w.offset) for w in words]
    out = []
    for cmd in commands(shifted):
        site = site_from_command(path, cmd, where, image, source)
        if site is not None:
            out.append(site)
    return out


# -- Dockerfile ------------------------------------------------------------------------------------

_INSTR = re.compile(r"^\s*(FROM|CMD|ENTRYPOINT)\s+(.*?)\s*$", re.IGNORECASE | re.DOTALL)


def _from_dockerfile(path: str, text: str) -> list[Site]:
    image = None
    parts: dict[str, tuple[list[Word], Callable[[int], Loc]]] = {}
    lines = text.splitlines(keepends=True)
    offset = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        start = offset
        # join continuation lines
        body = line
        while body.rstrip("\r\n").endswith("\\") and i + 1 < len(lines):
            i += 1
            body += lines[i]
        offset = start + len(body)
        i += 1
        m = _INSTR.match(body)
        if not m:
            continue
        instr, rest = m.group(1).upper(), m.group(2)
        rest_off = start + body.index(rest) if rest else start
        if instr == "FROM":
            image = rest.split()[0] if rest.split() else None
            continue
        if rest.lstrip().startswith("["):
            try:
                items = json.loads(rest.replace("\\\n", " "))
            except json.JSONDecodeError:
                items = None
            if isinstance(items, list) and all(isinstance(x, str) for x in items):
                ws = [Word(x, rest_off + max(rest.find(json.dumps(x)), 0)) for x in items]
                parts[instr] = (ws, lambda off: Loc(*line_col(text, off)))
                continue
            if rest.rstrip().endswith("]") or "[" in rest[:2] and '"' in rest:
                site = Site(path, "unknown", Loc(*line_col(text, rest_off)))
                site.problems.append(("parse-error", site.start, f"{instr} looks like an exec-form JSON array "
                                                                 "but does not parse"))
                return [site]
        try:
            ws = [Word(w.text, rest_off + w.offset) for w in split_words(rest) if w.text != "\n"]
        except ShellSyntaxError as exc:
            site = Site(path, "unknown", Loc(*line_col(text, rest_off + exc.offset)))
            site.problems.append(("parse-error", site.start, f"cannot parse {instr}: {exc}"))
            return [site]
        parts[instr] = (ws, lambda off: Loc(*line_col(text, off)))
    words = (parts.get("ENTRYPOINT", ([], None))[0]) + (parts.get("CMD", ([], None))[0])
    if not words:
        return []
    words = _unwrap_shell(words, text)
    site = site_from_command(path, words, lambda off: Loc(*line_col(text, off)), image, text)
    return [site] if site else []


def _unwrap_shell(words: list[Word], text: str) -> list[Word]:
    """`sh -c "vllm serve ..."` in exec form: the words of the script, positioned in the file."""
    if len(words) >= 3 and words[0].text in SHELLS and words[1].text == "-c":
        script = words[2].text
        try:
            inner = split_words(script)
        except ShellSyntaxError:
            return words
        base = text.find(script[:20], words[2].offset) if script else -1
        base = base if base >= 0 else words[2].offset
        return [Word(w.text, base + w.offset) for w in inner if w.text != "\n"]
    return words


# -- YAML ------------------------------------------------------------------------------------------


def _from_yaml(path: str, text: str) -> tuple[list[Site], list[tuple[str, Loc, str]]]:
    try:
        docs = load_yaml_documents(text, path)
    except InputFileError as exc:
        return [], [("parse-error", Loc(exc.line or 1, exc.column or 1), exc.problem)]
    sites: list[Site] = []
    problems: list[tuple[str, Loc, str]] = []
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        try:
            if isinstance(doc.get("deployments"), list):
                sites += _from_specadvisor(path, doc)
            elif "apiVersion" in doc and "kind" in doc:
                sites += _from_k8s(path, text, doc)
            elif isinstance(doc.get("services"), dict):
                sites += _from_compose(path, text, doc)
            else:
                sites += _from_engine_yaml(path, doc)
        except _ScriptError as exc:
            problems.append(("parse-error", exc.loc, exc.message))
    return sites, problems


def _loc(d: Any, key: str) -> Loc | None:
    if isinstance(d, LineDict) and key in d.value_marks:
        m = d.value_marks[key]
        return Loc(m.line, m.col)
    if isinstance(d, LineDict):
        return Loc(d.line_of(key), 1)
    return None


class _ScriptError(Exception):
    def __init__(self, loc: Loc, message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


def _scalar_words(text: str, mark: NodeMark, value: str) -> tuple[list[Word], Callable[[int], Loc]]:
    """Shell words of a YAML string scalar; word offsets are offsets into the file text.

    Block scalars are tokenized from the raw file text. Quoted and plain scalars are tokenized from
    their value, placed at the value's first character (exact on one line without escapes).
    """
    where = lambda off: Loc(*line_col(text, off))  # noqa: E731
    if mark.style in ("|", ">"):
        nl = text.find("\n", mark.start, mark.end)
        base = nl + 1 if nl >= 0 else mark.start
        raw = text[base:mark.end]
        if mark.style == ">":
            raw = raw.replace("\n", " ")
        try:
            return [Word(w.text, base + w.offset) for w in split_words(raw)], where
        except ShellSyntaxError as exc:
            raise _ScriptError(where(base + exc.offset), f"cannot parse the command line: {exc}") from None
    base = mark.start + (1 if mark.style in ("'", '"') else 0)
    try:
        return [Word(w.text, base + w.offset) for w in split_words(value)], where
    except ShellSyntaxError as exc:
        raise _ScriptError(where(base + exc.offset), f"cannot parse the command line: {exc}") from None


def _command_sites(path: str, text: str, items: list[tuple[str, NodeMark]], image: str | None) -> list[Site]:
    """Sites from an exec-form command (a list of strings, each with its mark)."""
    if not items:
        return []
    if len(items) >= 3 and items[0][0] in SHELLS and items[1][0] == "-c":
        script, mark = items[2]
        words, where = _scalar_words(text, mark, script)
        out = []
        for cmd in commands(words):
            site = site_from_command(path, cmd, where, image, text)
            if site:
                out.append(site)
        return out
    # exec form: each item is one word, positioned at its content in the file
    words = [Word(t, m.start + (1 if m.style in ("'", '"') else 0)) for t, m in items]
    site = site_from_command(path, words, lambda off: Loc(*line_col(text, off)), image, text)
    return [site] if site else []


def _items(seq: Any) -> list[tuple[str, NodeMark]]:
    if isinstance(seq, LineList):
        return [(str(v), m) for v, m in zip(seq, seq.item_marks, strict=True) if isinstance(v, str | int | float)]
    return []


def _containers(node: Any) -> Iterable[Any]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("containers", "initContainers") and isinstance(value, list):
                yield from (c for c in value if isinstance(c, dict))
            else:
                yield from _containers(value)
    elif isinstance(node, list):
        for item in node:
            yield from _containers(item)


# Images whose entrypoint launches an engine, for containers that give only `args` (engines.md 1.4).
_IMAGE_ENTRYPOINTS = (
    (re.compile(r"vllm[-/]openai|/vllm:|^vllm:", re.IGNORECASE), ["python3", "-m", "vllm.entrypoints.openai.api_server"]),
    (re.compile(r"text-generation-inference", re.IGNORECASE), ["text-generation-launcher"]),
    (re.compile(r"llama\.cpp:server", re.IGNORECASE), ["llama-server"]),
)


def _implied(image: str | None) -> list[str]:
    for pattern, program in _IMAGE_ENTRYPOINTS:
        if image and pattern.search(image):
            return program
    return []


def _kserve_models(node: Any) -> Iterable[Any]:
    """KServe `predictor.model` specs of the Hugging Face runtime (its vLLM backend takes vLLM flags)."""
    if isinstance(node, dict):
        fmt = node.get("modelFormat")
        if isinstance(fmt, dict) and str(fmt.get("name", "")).lower() == "huggingface" and "args" in node:
            yield node
        for value in node.values():
            yield from _kserve_models(value)
    elif isinstance(node, list):
        for item in node:
            yield from _kserve_models(item)


def _with_program(program: list[str], items: list[tuple[str, NodeMark]]) -> list[tuple[str, NodeMark]]:
    """Prefix the implied program, positioned at the first argument."""
    if not program or not items:
        return items
    return [(word, items[0][1]) for word in program] + items


def _from_k8s(path: str, text: str, doc: Any) -> list[Site]:
    sites = []
    for m in _kserve_models(doc):
        args = _items(m.get("args"))
        backend = next((t.split("=", 1)[1] for t, _ in args if t.startswith("--backend=")), "vllm")
        if backend == "vllm" and not m.get("command"):
            sites += _command_sites(path, text, _with_program(_implied("vllm/vllm-openai"), args), None)
    for c in _containers(doc):
        image = c.get("image") if isinstance(c.get("image"), str) else None
        items = _items(c.get("command")) + _items(c.get("args"))
        if not c.get("command"):
            items = _with_program(_implied(image), items)
        if isinstance(c.get("args"), str) and isinstance(c, LineDict):  # args as one string
            words, where = _scalar_words(text, c.value_marks["args"], c["args"])
            first = words[0].offset if words else c.value_marks["args"].start
            program = [t for t, _ in _items(c.get("command"))] or _implied(image)
            prefix = [Word(t, first) for t in program]
            sites += [s for s in [site_from_command(path, prefix + words, where, image, text)] if s]
            continue
        sites += _command_sites(path, text, items, image)
    return sites


def _from_compose(path: str, text: str, doc: Any) -> list[Site]:
    sites = []
    for svc in doc["services"].values():
        if not isinstance(svc, LineDict):
            continue
        image = svc.get("image") if isinstance(svc.get("image"), str) else None
        entry, cmd = svc.get("entrypoint"), svc.get("command")
        items: list[tuple[str, NodeMark]] = []
        implied = [] if entry else _implied(image)
        for key, val in (("entrypoint", entry), ("command", cmd)):
            if isinstance(val, str):
                words, where = _scalar_words(text, svc.value_marks[key], val)
                items += [(w.text, NodeMark(where(w.offset).line, where(w.offset).col, w.offset, w.offset, None))
                          for w in words if w.text != "\n"]
            else:
                items += _items(val)
        if implied and items and items[0][0].startswith("-"):  # arguments for the image's entrypoint
            items = _with_program(implied, items)
        sites += _command_sites(path, text, items, image)
    return sites


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
        site = site_from_mapping(path, ["python3", "-m", "sglang.launch_server"], doc, _loc, Loc(doc.line, 1))
        return [site] if site else []
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
            spec = json.loads(spec)
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
