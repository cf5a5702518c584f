"""What a deployment config says about speculative decoding, engine by engine.

A `Site` is one server launch found in a file: the engine, the target and draft, k, tensor
parallelism and every other setting the rules read, each with the file position it was written at.
Command lines from any container (shell scripts, Dockerfiles, compose files, Kubernetes manifests)
go through `site_from_command`; YAML configs of vLLM and TensorRT-LLM and specadvisor's own
deployment file are read by `extract.py`. Flag names follow ../shared/reference/engines.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from specadvisor.check.shell import Word, line_col
from specadvisor.guards import bounded_int, loads_bounded


@dataclass(frozen=True)
class Loc:
    line: int
    col: int


@dataclass
class Site:
    path: str
    engine: str  # vllm | sglang | trtllm | llamacpp | tgi | ollama | (declared by specadvisor.yaml)
    start: Loc
    values: dict[str, Any] = field(default_factory=dict)
    locs: dict[str, Loc] = field(default_factory=dict)
    problems: list[tuple[str, Loc, str]] = field(default_factory=list)  # (kind, where, message)

    def set(self, key: str, value: Any, loc: Loc | None) -> None:
        self.values[key] = value
        if loc is not None:
            self.locs[key] = loc


# Programs (or `python -m` modules) that launch each engine.
_PROGRAMS = {
    "vllm": "vllm", "vllm.entrypoints.openai.api_server": "vllm",
    "sglang.launch_server": "sglang",
    "llama-server": "llamacpp", "llama-speculative": "llamacpp", "llama-speculative-simple": "llamacpp",
    "server": None,  # too generic: ignored
    "trtllm-serve": "trtllm",
    "text-generation-launcher": "tgi",
    "ollama": "ollama",
}
# A flag or setting that asks for a separate draft *model* (not, e.g., Ollama's --draft-quantize).
_DRAFT_MODEL = re.compile(r"^--draft$|draft[-_]?model|model[-_]?draft|assistant[-_]?model", re.IGNORECASE)
_WRAPPERS = {"exec", "nohup", "env", "time", "sudo", "uv", "run", "uvx"}
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")

# Legacy vLLM (V0) speculative flags, removed by vllm-project/vllm PR #15466 (engines.md 1.2).
VLLM_LEGACY_FLAGS = {
    "--speculative-model": "draft", "--num-speculative-tokens": "k",
    "--speculative-draft-tensor-parallel-size": "draft_tp", "-spec-draft-tp": "draft_tp",
    "--speculative-max-model-len": "spec_max_model_len", "--speculative-model-quantization": "draft_quantization",
    "--speculative-disable-by-batch-size": None, "--speculative-disable-mqa-scorer": None,
    "--ngram-prompt-lookup-max": None, "--ngram-prompt-lookup-min": None,
    "--spec-decoding-acceptance-method": None,
}


def identify(words: list[Word]) -> tuple[str | None, int]:
    """The engine a command launches and the index of its first argument, or (None, 0)."""
    i = 0
    while i < len(words) and (words[i].text in _WRAPPERS or _ASSIGNMENT.match(words[i].text)):
        i += 1
    if i >= len(words):
        return None, 0
    prog = words[i].text.rsplit("/", 1)[-1]
    if prog.startswith("python"):
        if i + 2 < len(words) and words[i + 1].text == "-m":
            return _PROGRAMS.get(words[i + 2].text), i + 3
        return None, 0
    engine = _PROGRAMS.get(prog)
    if engine == "vllm":
        if i + 1 < len(words) and words[i + 1].text == "serve":
            return "vllm", i + 2
        return None, 0
    return engine, i + 1


def _options(words: list[Word], start: int) -> tuple[list[Word], dict[str, tuple[str | None, Word, Word | None]]]:
    """Positional words and options (`--flag value`, `--flag=value`, bare `--flag`)."""
    positional: list[Word] = []
    opts: dict[str, tuple[str | None, Word, Word | None]] = {}
    i = start
    while i < len(words):
        w = words[i]
        if w.text.startswith("-") and len(w.text) > 1:
            if "=" in w.text and w.text.startswith("--"):
                name, _, value = w.text.partition("=")
                opts[name] = (value, w, Word(value, w.offset + len(name) + 1))
                i += 1
                continue
            nxt = words[i + 1] if i + 1 < len(words) else None
            if nxt is not None and not (nxt.text.startswith("-") and len(nxt.text) > 1 and not _is_number(nxt.text)):
                opts[w.text] = (nxt.text, w, nxt)
                i += 2
            else:
                opts[w.text] = (None, w, None)
                i += 1
            continue
        positional.append(w)
        i += 1
    return positional, opts


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def _int(value: str | None) -> int | None:
    return bounded_int(value) if value is not None else None  # 5,000 digits: not an int, never a ValueError


def _float(value: str | None) -> float | None:
    try:
        x = float(value) if value is not None else None
    except ValueError:
        return None
    return x if x is not None and 0.0 <= x <= 1.0 else None  # a probability; anything else is not one


def _norm(flag: str) -> str:
    return flag.replace("_", "-")


def site_from_command(path: str, words: list[Word], where: Callable[[int], Loc],
                      image: str | None = None, source: str | None = None) -> Site | None:
    """Interpret one command; None when it launches no engine we know.

    `source` is the file text when word offsets index into it; positions inside values (the keys of a
    JSON speculative config) are then found in the raw text, quotes and escapes included.
    """
    engine, start = identify(words)
    if engine is None:
        return None
    site = Site(path, engine, where(words[0].offset))
    if image:
        site.set("image", image, None)
        m = re.search(r":v?(\d+\.\d+(?:\.\d+)?)", image)
        if m:
            site.set("engine_version", m.group(1), None)
    positional, raw_opts = _options(words, start)
    opts = {_norm(k): v for k, v in raw_opts.items()}

    def opt(*names: str) -> tuple[str | None, Loc | None, bool]:
        for n in names:
            if n in opts:
                value, flag_word, value_word = opts[n]
                return value, where((value_word or flag_word).offset), True
        return None, None, False

    def take(key: str, *names: str, conv: Callable[[str | None], Any] = lambda v: v) -> None:
        value, loc, present = opt(*names)
        if present:
            converted = conv(value)
            if conv in (_int, _float) and converted is None:
                if loc is not None and "$" not in str(value):  # $n: set at run time, nothing to say
                    kind = "an integer" if conv is _int else "a probability between 0 and 1"
                    site.problems.append(("config-parse-error", loc, f"{names[0]} expects {kind}, got {value!r}"))
                return  # unknown: leave the engine's default in place
            site.set(key, converted, loc)

    if engine == "vllm":
        if positional:
            site.set("target", positional[0].text, where(positional[0].offset))
        take("target", "--model", "--model-id")
        take("tp", "--tensor-parallel-size", "-tp", conv=_int)
        if isinstance(site.values.get("tp"), int) and site.values["tp"] < 1:
            site.problems.append(("config-parse-error", site.locs.get("tp", site.start),
                                  f"--tensor-parallel-size must be at least 1, got {site.values['tp']}"))
            site.values.pop("tp")
        take("target_quantization", "--quantization", "-q")
        take("max_num_seqs", "--max-num-seqs", conv=_int)
        legacy = [f for f in VLLM_LEGACY_FLAGS if _norm(f) in opts]
        if legacy:
            first = opts[_norm(legacy[0])][1]
            site.set("legacy_spec_flags", True, where(first.offset))
            site.set("legacy_flag_names", ", ".join(legacy), None)
            for f in legacy:
                key = VLLM_LEGACY_FLAGS[f]
                if key:
                    conv: Callable[[str | None], Any] = _int if key in ("k", "draft_tp", "spec_max_model_len") else (lambda v: v)
                    take(key, _norm(f), conv=conv)
        if "--speculative-config" in opts:
            value, flag_word, value_word = opts["--speculative-config"]
            start = (value_word or flag_word).offset
            _vllm_spec_json(site, value or "", where(start), start, source)
    elif engine == "sglang":
        take("target", "--model-path", "--model")
        take("tp", "--tp", "--tp-size", "--tensor-parallel-size", conv=_int)
        take("target_quantization", "--quantization")
        take("method", "--speculative-algorithm")
        take("draft", "--speculative-draft-model-path", "--speculative-draft-model")
        take("sglang_steps", "--speculative-num-steps", conv=_int)
        take("sglang_topk", "--speculative-eagle-topk", conv=_int)
        take("sglang_num_draft_tokens", "--speculative-num-draft-tokens", conv=_int)
        take("draft_quantization", "--speculative-draft-model-quantization")
        set_count = sum(k in site.values for k in ("sglang_steps", "sglang_topk", "sglang_num_draft_tokens"))
        site.set("sglang_spec_params_set", set_count, None)
        if "sglang_steps" in site.values:
            site.set("k", site.values["sglang_steps"], site.locs.get("sglang_steps"))
    elif engine == "llamacpp":
        take("target", "-m", "--model", "-hf", "--hf-repo")
        take("draft", "-md", "--model-draft", "-hfd", "--hf-repo-draft")
        take("k", "--draft-max", "--draft", "--draft-n", "--spec-draft-n-max", conv=_int)
        take("llamacpp_draft_min", "--draft-min", "--draft-n-min", "--spec-draft-n-min", conv=_int)
        take("llamacpp_p_min", "--draft-p-min", "--spec-draft-p-min", conv=_float)
        refactored = any(o.startswith("--spec-draft-") for o in opts)  # the 2026 flag names (engines.md 5.1)
        if "k" not in site.values and "draft" in site.values:
            site.set("k", 3 if refactored else 16, None)  # documented defaults (engines.md 5.1)
        if "llamacpp_p_min" not in site.values and "draft" in site.values:
            site.set("llamacpp_p_min", 0.0 if refactored else 0.75, None)  # documented defaults (engines.md 5.1)
    elif engine == "trtllm":
        if positional:
            site.set("target", positional[0].text, where(positional[0].offset))
        take("tp", "--tp-size", "--tp_size", conv=_int)
        take("trtllm_config_file", "--config", "--extra-llm-api-options", "--extra_llm_api_options")
    elif engine == "tgi":
        take("target", "--model-id")
        drafts = [k for k in opts if _DRAFT_MODEL.search(k)]
        if drafts:
            site.set("tgi_draft_requested", True, where(opts[drafts[0]][1].offset))
    elif engine == "ollama":
        drafts = [w for w in words if _DRAFT_MODEL.search(w.text)]
        if drafts:
            site.set("ollama_draft_requested", True, where(drafts[0].offset))
    return site


def _vllm_spec_json(site: Site, text: str, loc: Loc, offset: int = 0, source: str | None = None) -> None:
    try:
        spec = loads_bounded(text)  # depth, size and integer-length bounds (guards.py): a finding, not a crash
    except json.JSONDecodeError as exc:
        site.problems.append(("config-parse-error", loc, f"--speculative-config is not valid JSON: {exc.msg} "
                                                         f"(character {exc.pos + 1})"))
        return
    if not isinstance(spec, dict):
        site.problems.append(("config-parse-error", loc, "--speculative-config must be a JSON object"))
        return
    def key_loc(key: str) -> Loc:
        if not key:
            return loc
        if source is not None:  # find the key in the raw text of the file
            j = source.find(f'"{key}"', offset, offset + 2 * len(text) + 64)
            if j < 0:
                j = source.find(f'\\"{key}\\"', offset, offset + 2 * len(text) + 64)
                j = j + 1 if j >= 0 else j
            if j >= 0:
                return Loc(*line_col(source, j))  # indexed: linear over many launches
        # Otherwise count within the value (the word usually starts with a quote character).
        i = text.find(f'"{key}"')
        if i < 0:
            return loc
        nl = text.count("\n", 0, i)
        if nl == 0:
            return Loc(loc.line, loc.col + 1 + i)
        return Loc(loc.line + nl, i - text.rfind("\n", 0, i))

    apply_vllm_spec(site, spec, key_loc)


def apply_vllm_spec(site: Site, spec: dict[str, Any], loc_of: Callable[[str], Loc | None]) -> None:
    """Record the keys of a vLLM speculative_config (from JSON on the CLI or a YAML config file)."""
    site.set("spec_config", True, loc_of(""))
    mapping = {"model": "draft", "num_speculative_tokens": "k", "method": "method",
               "draft_tensor_parallel_size": "draft_tp", "max_model_len": "spec_max_model_len",
               "quantization": "draft_quantization"}
    for key, fact in mapping.items():
        if key in spec:
            value = spec[key]
            if fact in ("k", "draft_tp", "spec_max_model_len") and (isinstance(value, bool) or not isinstance(value, int)):
                where = loc_of(key) or site.start
                site.problems.append(("config-parse-error", where, f"speculative_config.{key} must be an integer, "
                                                                   f"got {value!r}"))
                continue
            site.set(fact, value, loc_of(key))
    if "tensor_parallel_size" in spec:
        site.set("spec_has_tp_key", True, loc_of("tensor_parallel_size"))
    if spec.get("disable_padded_drafter_batch"):
        site.set("disable_padded_drafter_batch", True, loc_of("disable_padded_drafter_batch"))
    if "draft" in site.values and "method" not in site.values:
        site.set("method", "draft_model", None)  # vLLM's default for a plain draft model (engines.md 1.1)
