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
from specadvisor.check.versions import version_from_image
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
    "trtllm-serve": "trtllm", "tensorrt_llm.commands.serve": "trtllm",
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
        version = version_from_image(image, engine)
        if version:
            site.set("engine_version", version, None)
            site.set("engine_version_source", f"image {image}", None)
    positional, raw_opts = _options(words, start)
    opts = {_norm(k): v for k, v in raw_opts.items()}
    reader = _Reader(site, opts, where)
    if engine == "vllm":
        _vllm(site, reader, positional, opts, where, source)
    elif engine == "sglang":
        _sglang(site, reader)
    elif engine == "llamacpp":
        _llamacpp(site, reader, words, start)
    elif engine == "trtllm":
        models = [w for w in positional if w.text != "serve"]  # python -m tensorrt_llm.commands.serve serve MODEL
        if models:
            site.set("target", models[0].text, where(models[0].offset))
        reader.take("tp", "--tp-size", conv=_int)
        reader.take("max_num_seqs", "--max-batch-size", conv=_int)
        reader.take("trtllm_config_file", "--config", "--extra-llm-api-options")
    elif engine == "tgi":
        reader.take("target", "--model-id")
        drafts = [k for k in opts if _DRAFT_MODEL.search(k)]
        if drafts:
            site.set("tgi_draft_requested", True, where(opts[drafts[0]][1].offset))
    elif engine == "ollama":
        draft_words = [w for w in words if _DRAFT_MODEL.search(w.text)]
        if draft_words:
            site.set("ollama_draft_requested", True, where(draft_words[0].offset))
    return site


def site_from_mapping(path: str, program: list[str], doc: dict[str, Any],
                      loc_of: Callable[[Any, str], Loc | None], start: Loc) -> Site | None:
    """A launch from a config file whose keys are the server's flag names (`--config serve.yaml`).

    SGLang and vLLM both read a YAML file of `flag-name: value` pairs; turning it back into the command
    line it stands for reads every speculative form exactly as on the command line. Each word points at
    its key's value in the file.
    """
    words: list[Word] = []
    locs: list[Loc] = []

    def add(text: str, loc: Loc | None) -> None:
        words.append(Word(text, len(locs)))
        locs.append(loc or start)

    for part in program:
        add(part, start)
    for key, value in doc.items():
        flag = "--" + str(key).replace("_", "-")
        loc = loc_of(doc, str(key))
        if value is None or value is False:
            continue
        if value is True:
            add(flag, loc)
        elif isinstance(value, list):
            add(flag, loc)
            for item in value:
                add(str(item), loc)
        elif isinstance(value, dict):
            add(flag, loc)
            add(json.dumps(value), loc)
        else:
            add(flag, loc)
            add(str(value), loc)
    return site_from_command(path, words, lambda off: locs[off] if 0 <= off < len(locs) else start)


class _Reader:
    """Reads options into facts; a value that cannot be converted is a finding, not a crash."""

    def __init__(self, site: Site, opts: dict[str, tuple[str | None, Word, Word | None]],
                 where: Callable[[int], Loc]) -> None:
        self.site, self.opts, self.where = site, opts, where

    def opt(self, *names: str) -> tuple[str | None, Loc | None, bool]:
        for n in names:
            if n in self.opts:
                value, flag_word, value_word = self.opts[n]
                return value, self.where((value_word or flag_word).offset), True
        return None, None, False

    def take(self, key: str, *names: str, conv: Callable[[str | None], Any] = lambda v: v) -> None:
        value, loc, present = self.opt(*names)
        if not present:
            return
        converted = conv(value)
        if conv in (_int, _float) and converted is None:
            if loc is not None and "$" not in str(value):  # $n: set at run time, nothing to say
                kind = "an integer" if conv is _int else "a probability between 0 and 1"
                self.site.problems.append(("config-parse-error", loc, f"{names[0]} expects {kind}, got {value!r}"))
            return  # unknown: leave the engine's default in place
        self.site.set(key, converted, loc)


# -- vLLM ------------------------------------------------------------------------------------------

# Forms of the speculative config on vLLM's command line (vllm/engine/arg_utils.py): the JSON flag
# (`-sc` is its short form in 2026 builds), the dotted per-key form of FlexibleArgumentParser
# (`--speculative-config.method mtp`), and the top-level aliases `--spec-method/--spec-model/--spec-tokens`
# added by vllm-project/vllm PR #42476 (2026); setting one key both ways is an error in vLLM.
_VLLM_JSON_FLAGS = ("--speculative-config", "-sc")
_VLLM_ALIASES = {"--spec-method": "method", "--spec-model": "model", "--spec-tokens": "num_speculative_tokens"}
_VLLM_INT_KEYS = ("num_speculative_tokens", "draft_tensor_parallel_size", "max_model_len")


def _vllm(site: Site, reader: _Reader, positional: list[Word], opts: dict[str, tuple[str | None, Word, Word | None]],
          where: Callable[[int], Loc], source: str | None) -> None:
    if positional:
        site.set("target", positional[0].text, where(positional[0].offset))
    reader.take("target", "--model", "--model-id")
    reader.take("tp", "--tensor-parallel-size", "-tp", conv=_int)
    if isinstance(site.values.get("tp"), int) and site.values["tp"] < 1:
        site.problems.append(("config-parse-error", site.locs.get("tp", site.start),
                              f"--tensor-parallel-size must be at least 1, got {site.values['tp']}"))
        site.values.pop("tp")
    reader.take("target_quantization", "--quantization", "-q")
    reader.take("max_num_seqs", "--max-num-seqs", conv=_int)
    legacy = [f for f in VLLM_LEGACY_FLAGS if _norm(f) in opts]
    if legacy:
        first = opts[_norm(legacy[0])][1]
        site.set("legacy_spec_flags", True, where(first.offset))
        site.set("legacy_flag_names", ", ".join(legacy), None)
        for f in legacy:
            key = VLLM_LEGACY_FLAGS[f]
            if key:
                conv: Callable[[str | None], Any] = _int if key in ("k", "draft_tp", "spec_max_model_len") else (lambda v: v)
                reader.take(key, _norm(f), conv=conv)
        from specadvisor.check.methods import vllm_method

        method = vllm_method(None, site.values.get("draft"))
        if method == "ngram" and str(site.values.get("draft", "")).strip().lower() in ("[ngram]", "ngram"):
            site.values.pop("draft", None)  # '[ngram]' names the method, not a model
        site.set("method", method, None)
    spec: dict[str, Any] = {}
    explicit: dict[str, Loc] = {}
    json_loc: Callable[[str], Loc] | None = None
    for flag in _VLLM_JSON_FLAGS:
        if flag in opts:
            value, flag_word, value_word = opts[flag]
            start = (value_word or flag_word).offset
            parsed = _vllm_spec_json(site, value or "", where(start), start, source)
            if parsed is None:
                return
            spec, json_loc = parsed
            break
    for name, (value, flag_word, value_word) in opts.items():
        key = None
        if name.startswith(tuple(f + "." for f in _VLLM_JSON_FLAGS)):
            key = name.split(".", 1)[1].replace("-", "_")
        elif name in _VLLM_ALIASES:
            key = _VLLM_ALIASES[name]
        if key is None or not key:
            continue
        if key in spec and name in _VLLM_ALIASES:
            site.problems.append(("config-parse-error", where(flag_word.offset),
                                  f"{name} and --speculative-config['{key}'] are mutually exclusive"))
            continue
        spec[key] = value
        explicit[key] = where((value_word or flag_word).offset)
    if not spec:
        return

    def loc_of(key: str) -> Loc | None:
        if key in explicit:
            return explicit[key]
        if json_loc is not None:
            return json_loc(key)
        return next(iter(explicit.values()), None) if not key else None

    apply_vllm_spec(site, spec, loc_of)


def _vllm_spec_json(site: Site, text: str, loc: Loc, offset: int = 0,
                    source: str | None = None) -> tuple[dict[str, Any], Callable[[str], Loc]] | None:
    try:
        spec = loads_bounded(text)  # depth, size and integer-length bounds (guards.py): a finding, not a crash
    except json.JSONDecodeError as exc:
        if re.search(r"\$\{?[A-Za-z_]|\{\{", text):  # "$K" or {{ .Values.k }}: valid once the shell or Helm expands it
            quoted = _RUNTIME_VALUE.sub(lambda m: json.dumps(m.group(0)), text)
            try:
                spec = loads_bounded(quoted)
            except json.JSONDecodeError:
                site.set("spec_config", True, loc)
                site.set("spec_form", "speculative_config (set at run time)", None)
                return None
            if isinstance(spec, dict):
                return spec, lambda key: loc
            return None
        site.problems.append(("config-parse-error", loc, f"--speculative-config is not valid JSON: {exc.msg} "
                                                         f"(character {exc.pos + 1})"))
        return None
    if not isinstance(spec, dict):
        site.problems.append(("config-parse-error", loc, "--speculative-config must be a JSON object"))
        return None

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

    return spec, key_loc


# A bare shell variable or Helm expression where a JSON value belongs: `"num_speculative_tokens": $K`.
_RUNTIME_VALUE = re.compile(r"(?<![\"\w])(?:\$\{[^}\"]*\}|\$[A-Za-z_]\w*|\{\{[^}\"]*\}\})(?![\"\w])")


def _lax_int(value: Any) -> int | None:
    """An integer as vLLM's pydantic config accepts it (lax mode): 5, "5", 5.0; never a bool."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) < 2**63 else None  # a 4,000-digit YAML integer is not a count
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        return bounded_int(value, 19)
    return None


def apply_vllm_spec(site: Site, spec: dict[str, Any], loc_of: Callable[[str], Loc | None]) -> None:
    """Record the keys of a vLLM speculative_config (JSON on the CLI, dotted flags, aliases or YAML)."""
    from specadvisor.check.methods import vllm_method

    site.set("spec_config", True, loc_of(""))
    site.set("spec_form", "speculative_config", None)
    mapping = {"model": "draft", "num_speculative_tokens": "k", "draft_tensor_parallel_size": "draft_tp",
               "max_model_len": "spec_max_model_len", "quantization": "draft_quantization"}
    for key, fact in mapping.items():
        if key not in spec or spec[key] is None:
            continue
        value = spec[key]
        if key in _VLLM_INT_KEYS:
            number = _lax_int(value)
            if number is None:
                if "$" in str(value) or "{{" in str(value):
                    site.set(f"{fact}_runtime", True, loc_of(key))  # set at run time: not missing, not wrong
                    continue
                where = loc_of(key) or site.start
                site.problems.append(("config-parse-error", where, f"speculative_config.{key} must be an integer, "
                                                                   f"got {value!r}"))
                continue
            value = number
        site.set(fact, value if fact != "draft" else str(value), loc_of(key))
    method = vllm_method(spec.get("method"), spec.get("model"))
    if method is not None:
        site.set("method", method, loc_of("method") if "method" in spec else loc_of("model"))
    if method == "ngram" and str(site.values.get("draft", "")).strip().lower() in ("[ngram]", "ngram"):
        site.values.pop("draft", None)
    if "tensor_parallel_size" in spec:
        site.set("spec_has_tp_key", True, loc_of("tensor_parallel_size"))
    if spec.get("disable_padded_drafter_batch"):
        site.set("disable_padded_drafter_batch", True, loc_of("disable_padded_drafter_batch"))


# -- SGLang ----------------------------------------------------------------------------------------


def _sglang(site: Site, reader: _Reader) -> None:
    """SGLang server args (python/sglang/srt/server_args.py; engines.md 2.1)."""
    from specadvisor.check.methods import sglang_method

    reader.take("target", "--model-path", "--model")
    reader.take("tp", "--tp", "--tp-size", "--tensor-parallel-size", conv=_int)
    reader.take("target_quantization", "--quantization")
    reader.take("sglang_algorithm", "--speculative-algorithm", "--speculative-algo")
    reader.take("draft", "--speculative-draft-model-path", "--speculative-draft-model")
    reader.take("sglang_steps", "--speculative-num-steps", conv=_int)
    reader.take("sglang_topk", "--speculative-eagle-topk", conv=_int)
    reader.take("sglang_num_draft_tokens", "--speculative-num-draft-tokens", conv=_int)
    reader.take("draft_quantization", "--speculative-draft-model-quantization")
    reader.take("max_num_seqs", "--max-running-requests", conv=_int)
    set_count = sum(k in site.values for k in ("sglang_steps", "sglang_topk", "sglang_num_draft_tokens"))
    site.set("sglang_spec_params_set", set_count, None)
    if "sglang_steps" in site.values:
        site.set("k", site.values["sglang_steps"], site.locs.get("sglang_steps"))
    method = sglang_method(site.values.get("sglang_algorithm"), site.values.get("draft"))
    if method is not None:
        site.set("method", method, site.locs.get("sglang_algorithm"))
        site.set("spec_config", True, site.locs.get("sglang_algorithm"))
        site.set("spec_form", "--speculative-algorithm", None)


# -- llama.cpp -------------------------------------------------------------------------------------

# llama.cpp common/arg.cpp: the 2025 names (-md/--model-draft, --draft-max/--draft/--draft-n,
# --draft-min/--draft-n-min, --draft-p-min; engines.md 5.1) and the 2026 refactor's --spec-draft-*
# names (--spec-draft-model, --spec-draft-hf, --spec-draft-n-max/-n-min/-p-min) with --spec-type.
_LLAMACPP_DRAFT = ("-md", "--model-draft", "--spec-draft-model", "-hfd", "-hfrd", "--hf-repo-draft", "--spec-draft-hf")


def _llamacpp(site: Site, reader: _Reader, words: list[Word], start: int) -> None:
    from specadvisor.check.methods import llamacpp_methods

    reader.take("target", "-m", "--model", "-hf", "-hfr", "--hf-repo")
    reader.take("draft", *_LLAMACPP_DRAFT)
    reader.take("k", "--draft-max", "--draft", "--draft-n", "-draft", "--spec-draft-n-max", conv=_int)
    reader.take("llamacpp_draft_min", "--draft-min", "--draft-n-min", "--spec-draft-n-min", conv=_int)
    reader.take("llamacpp_p_min", "--draft-p-min", "--spec-draft-p-min", conv=_float)
    reader.take("max_num_seqs", "-np", "--parallel", conv=_int)
    types: list[str] = []
    type_loc: Loc | None = None
    for i in range(start, len(words) - 1):  # --spec-type accumulates: repeated flags and comma lists
        w = words[i].text
        if w == "--spec-type" or w.startswith("--spec-type="):
            value_word = words[i] if "=" in w else words[i + 1]
            value = w.split("=", 1)[1] if "=" in w else words[i + 1].text
            types += [t for t in value.split(",") if t.strip()]
            type_loc = type_loc or reader.where(value_word.offset)
    refactored = any(o.startswith("--spec-draft-") for o in reader.opts) or any(
        t.strip().lower().startswith("draft-") for t in types)  # the 2026 flag names (engines.md 5.1)
    site.set("llamacpp_refactored", refactored, None)
    # --spec-default (llama.cpp PR #22787) turns the default speculative settings on, as --spec-type does
    site.set("llamacpp_spec_enabled", bool(types) or "--spec-default" in reader.opts, type_loc)
    methods = llamacpp_methods(types, site.values.get("draft"))
    if methods:
        primary = next((m for m in methods if m != "ngram"), methods[0])
        site.set("method", primary, type_loc or site.locs.get("draft"))
        site.set("methods", ",".join(methods), None)
        site.set("spec_config", True, type_loc or site.locs.get("draft"))
        site.set("spec_form", "--spec-type" if types else "-md", None)
    if "draft" in site.values or site.values.get("method") not in (None, "ngram"):
        if "k" not in site.values:
            site.set("k", 3 if refactored else 16, None)  # documented defaults (engines.md 5.1)
        if "llamacpp_p_min" not in site.values:
            site.set("llamacpp_p_min", 0.0 if refactored else 0.75, None)  # documented defaults (engines.md 5.1)


# -- TensorRT-LLM ----------------------------------------------------------------------------------


def apply_trtllm_spec(site: Site, doc: Any, spec: dict[str, Any], loc_of: Callable[[Any, str], Loc | None],
                      spec_key: str) -> None:
    """TensorRT-LLM LLM-API `speculative_config` (trtllm-serve --config / --extra_llm_api_options YAML).

    `decoding_type` selects the method (tensorrt_llm/llmapi/llm_args.py): only DraftTarget needs
    `speculative_model` (its validator: 'speculative_model must be specified for DraftTarget'); Eagle3
    names a head in speculative_model(_dir); MTP reads num_nextn_predict_layers; NGram drafts from the
    prompt (max_draft_len, max_matching_ngram_size).
    """
    from specadvisor.check.methods import trtllm_method

    site.set("spec_config", True, loc_of(doc, spec_key))
    site.set("spec_form", "speculative_config.decoding_type", None)
    site.set("trtllm_decoding_type", spec.get("decoding_type"), loc_of(spec, "decoding_type"))
    model_key = "speculative_model" if "speculative_model" in spec else "speculative_model_dir"
    model = spec.get(model_key)
    method = trtllm_method(spec.get("decoding_type"), model)
    if method == "eagle" and spec.get("eagle3_one_model"):  # EagleDecodingConfig running an EAGLE-3 head
        method = "eagle3"
    if method is not None:
        site.set("method", method, loc_of(spec, "decoding_type") or loc_of(doc, spec_key))
    for key in ("max_draft_len", "num_nextn_predict_layers") if method == "mtp" else ("max_draft_len",):
        if key in spec:
            k = _lax_int(spec[key])
            if k is None:
                site.problems.append(("config-parse-error", loc_of(spec, key) or site.start,
                                      f"speculative_config.{key} must be an integer, got {spec[key]!r}"))
            else:
                site.set("k", k, loc_of(spec, key))
    site.set("trtllm_has_speculative_model", bool(model), loc_of(doc, spec_key))
    if model:
        site.set("draft", str(model), loc_of(spec, model_key))
    site.set("trtllm_disable_overlap", bool(doc.get("disable_overlap_scheduler", False)),
             loc_of(doc, "disable_overlap_scheduler") or loc_of(doc, spec_key))
    if "max_concurrency" in spec:
        site.set("trtllm_max_concurrency", spec["max_concurrency"], loc_of(spec, "max_concurrency"))
    if isinstance(doc.get("tensor_parallel_size"), int):
        site.set("tp", doc["tensor_parallel_size"], loc_of(doc, "tensor_parallel_size"))
    if isinstance(doc.get("max_batch_size"), int):
        site.set("max_num_seqs", doc["max_batch_size"], loc_of(doc, "max_batch_size"))
