"""Ready-to-paste engine configuration for a chosen target/draft/k: exactly the configuration predicted.

Keys and flags follow each engine's current documentation (../shared/reference/engines.md): vLLM
`--speculative-config` JSON with method draft_model, SGLang STANDALONE flags, TensorRT-LLM's
DraftTarget YAML, transformers assisted generation, llama.cpp `llama-server -md`.

The emitted config must be the one the prediction was for: the ranking ran with the emit engine's
costs and formats, the target's and the draft's weight formats become that engine's flags, and a
what-if format the engine cannot make at load time is either prepared by the user (the output says
what to prepare) or replaced by the released checkpoint, whose own prediction is printed.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from specadvisor.catalog.core import ModelRef
from specadvisor.errors import SpecAdvisorError, UsageError
from specadvisor.vocab import EMIT_ENGINES as EMIT_ENGINE_LIST
from specadvisor.vocab import Verdict

if TYPE_CHECKING:
    from specadvisor.advise.advisor import Advice
    from specadvisor.catalog.core import Catalog

# Verdicts a candidate may have and still be emitted as the deployment's draft.
USABLE_VERDICTS = (Verdict.recommended.value, Verdict.marginal.value)

EMIT_ENGINES = tuple(e.value for e in EMIT_ENGINE_LIST)

# Weight formats an engine applies to an unquantized checkpoint at load time (its flag value):
# vLLM and SGLang `--quantization fp8` / speculative_config quantization fp8 (dynamic FP8);
# transformers bitsandbytes 8/4-bit (BitsAndBytesConfig load_in_8bit / load_in_4bit).
_ONLINE_QUANT: dict[str, dict[str, str]] = {
    "vllm": {"fp8": "fp8"}, "sglang": {"fp8": "fp8"},
    "transformers": {"int8": "load_in_8bit", "int4": "load_in_4bit"},
}
# What a user prepares for a format the engine cannot make at load time.
_PREPARE = {
    "int4": "an INT4 (AWQ or GPTQ, group 128) checkpoint",
    "int8": "an INT8 (W8A16) checkpoint",
    "fp8": "an FP8 checkpoint (e.g. quantized with llm-compressor or ModelOpt)",
    "nvfp4": "an NVFP4 checkpoint (ModelOpt)",
}


_GGUF_PLAIN = {"bf16": "BF16", "fp16": "F16", "fp32": "F32"}


def _gguf_name(ref: ModelRef) -> str:
    """The GGUF file llama.cpp loads for this format (a placeholder name; the quant is the prediction's).

    GGUF has no FP8/AWQ/GPTQ/MX types: such a format was not what llama.cpp would run, so it is refused
    rather than silently swapped for another quant.
    """
    fmt = ref.weight_format.lower()
    if fmt in _GGUF_PLAIN:
        quant = _GGUF_PLAIN[fmt]
    elif fmt.startswith("q"):
        quant = fmt.upper()
    else:
        raise UsageError(f"llama.cpp loads GGUF files and has no {fmt} type: ask for {ref.spec.id}@q8_0 or "
                         f"@q4_k_m so the prediction is for what llama.cpp runs")
    return f"{ref.spec.id.rsplit('/', 1)[-1]}-{quant}.gguf"


def runnable_as_emitted(engine: str, ref: ModelRef) -> bool:
    """Whether `engine` runs this weight format from the released checkpoint plus a load-time flag.

    llama.cpp always loads a GGUF file the user converts (llama-quantize makes any quant), so its
    formats count as runnable; the file names in the output say which quant to make.
    """
    if not ref.virtual or engine == "llamacpp":
        return True
    return ref.weight_format in _ONLINE_QUANT.get(engine, {})


def emit_config(engine: str, target: ModelRef, draft: ModelRef, k: int, tp: int, heterogeneous_vocab: bool = False,
                fp16_only: bool = False, draft_device: str | None = None) -> str:
    """The launch command/config for this pair, with the weight formats of both as the engine's flags.

    `fp16_only`: a CUDA card without bf16 units (V100, P40), where vLLM and SGLang refuse a bf16
    checkpoint unless told `--dtype half` (the prediction already assumed fp16 arithmetic there).
    """
    if engine not in EMIT_ENGINES:
        raise UsageError(f"--emit supports {', '.join(EMIT_ENGINES)}; got {engine!r}")
    notes: list[str] = []
    d_online = _ONLINE_QUANT.get(engine, {}).get(draft.weight_format) if draft.virtual else None
    t_online = _ONLINE_QUANT.get(engine, {}).get(target.weight_format) if target.virtual else None
    for role, ref, online in (("draft", draft, d_online), ("target", target, t_online)):
        if ref.virtual and online is None and engine != "llamacpp":
            what = _PREPARE.get(ref.weight_format, f"a {ref.weight_format} checkpoint")
            notes.append(f"# {role} {ref.label}: prepare {what} of {ref.spec.id} ({engine} cannot quantize it at "
                         "load time) and put its path below.")

    if engine == "vllm":
        spec: dict[str, Any] = {"method": "draft_model", "model": draft.spec.id, "num_speculative_tokens": k,
                                "draft_tensor_parallel_size": tp}
        if d_online:
            spec["quantization"] = d_online
        if heterogeneous_vocab:
            spec["use_heterogeneous_vocab"] = True
            notes.append("# use_heterogeneous_vocab needs vLLM >= 0.25.0 and drafts greedily (temperature 0)")
        cmd = ["vllm", "serve", target.spec.id, "--tensor-parallel-size", str(tp)]
        if fp16_only:
            cmd += ["--dtype", "half"]
        if t_online:
            cmd += ["--quantization", t_online]
        cmd += ["--speculative-config", json.dumps(spec, separators=(",", ":"))]
        body = " ".join(shlex.quote(x) for x in cmd)
        notes.append("# needs a vLLM release with V1 draft_model support (after v0.13.x)")
    elif engine == "sglang":
        cmd = ["python3", "-m", "sglang.launch_server", "--model-path", target.spec.id, "--tp", str(tp)]
        if fp16_only:
            cmd += ["--dtype", "half"]
        if t_online:
            cmd += ["--quantization", t_online]
        cmd += ["--speculative-algorithm", "STANDALONE", "--speculative-draft-model-path", draft.spec.id,
                "--speculative-num-steps", str(k), "--speculative-eagle-topk", "1",
                "--speculative-num-draft-tokens", str(k + 1)]
        if d_online:
            cmd += ["--speculative-draft-model-quantization", d_online]
        body = " ".join(shlex.quote(x) for x in cmd)
    elif engine == "trtllm":
        body = "\n".join([
            "# config.yaml for: trtllm-serve " + target.spec.id + f" --backend pytorch --tp_size {tp} --config config.yaml",
            "disable_overlap_scheduler: true",
            "speculative_config:",
            "  decoding_type: DraftTarget",
            f"  max_draft_len: {k}",
            f"  speculative_model: {draft.spec.id}",
        ])
    elif engine == "transformers":
        def load(var: str, ref: ModelRef, online: str | None) -> str:
            quant = f", quantization_config=BitsAndBytesConfig({online}=True)" if online else ""
            return (f"{var} = AutoModelForCausalLM.from_pretrained({ref.spec.id!r}, torch_dtype='auto', "
                    f"device_map='auto'{quant})")

        imports = "from transformers import AutoModelForCausalLM, AutoTokenizer"
        if d_online or t_online:
            imports += ", BitsAndBytesConfig"
        body = "\n".join([
            imports,
            f"tok = AutoTokenizer.from_pretrained({target.spec.id!r})",
            load("target", target, t_online),
            load("draft", draft, d_online),
            "inputs = tok('Hello', return_tensors='pt').to(target.device)",
            "out = target.generate(**inputs, assistant_model=draft, max_new_tokens=256,",
            f"                      num_assistant_tokens={k}, num_assistant_tokens_schedule='constant')",
        ])
    else:  # llamacpp
        cmd = ["llama-server", "-m", _gguf_name(target), "-md", _gguf_name(draft), "-ngl", "99", "-ngld", "99",
               "--draft-max", str(k), "--draft-min", "1", "--port", "8080"]
        if draft_device:
            cmd[7:7] = ["--device-draft", "CUDA1"]
            notes.append(f"# the draft runs on the {draft_device} (--device-draft; `llama-server --list-devices` "
                         "names it, CUDA1 is a placeholder)")
        body = " ".join(shlex.quote(x) for x in cmd)
        notes.append("# GGUF file names are placeholders for the quant predicted (convert with llama-quantize); "
                     "newer builds name the flags --spec-draft-n-max/--spec-draft-n-min")
    return "\n".join([*notes, body]) + "\n"


def _method_runs_on(engine: str, c: Any) -> bool:
    """A head / MTP / n-gram candidate the emit engine can run (it may differ from the advice's engine)."""
    from specadvisor.advise.methods import runs_on
    from specadvisor.catalog.heads import load_heads

    heads = load_heads()
    return runs_on(engine, c.method, next((h for h in heads.heads if h.id == c.draft_id), None), heads)


def _emit_method(engine: str, advice: Advice, best: Any) -> EmittedConfig:
    """The config for a head, MTP or n-gram pick, with its k per concurrency (advise/schedule.py)."""
    from specadvisor.advise.method_emit import emit_method_config
    from specadvisor.advise.schedule import k_schedule
    from specadvisor.catalog.heads import load_heads
    from specadvisor.model.coefficients import load_coefficients
    from specadvisor.rules.engine import load_rules

    heads = load_heads()
    head = next((h for h in heads.heads if h.id == best.draft_id), None)
    schedule = k_schedule(advice.target, (best.method, best.draft, head), advice.workload, load_coefficients(),
                          load_rules(), heads)
    text = emit_method_config(engine, advice.target, best.method, head, best.k, advice.workload.tp, heads, schedule)
    return EmittedConfig(text, f"# {best.draft} ({best.method}): predicted {best.speedup:.2f}x (band "
                               f"{best.speedup_low:.2f}-{best.speedup_high:.2f}x) at k={best.k}, estimate")


@dataclass(frozen=True)
class EmittedConfig:
    """The config for the best usable candidate, and the prediction lines it carries (for stderr)."""

    text: str
    prediction: str  # what was predicted and, when the emitted config differs, what it predicts


def emit_best(engine: str, advice: Advice, catalog: Catalog) -> EmittedConfig:
    """The config for the best usable candidate of `advice` (ranked for `engine`), and what it predicts.

    A what-if draft format the engine cannot make at load time is replaced by the released checkpoint
    in the config; the messages say what to prepare for the predicted pick and what the emitted,
    runnable config predicts on its own.
    """
    from specadvisor.advise.advisor import evaluate_pair
    from specadvisor.model.coefficients import load_coefficients
    from specadvisor.rules.engine import load_rules

    w = advice.workload
    fp16 = w.hardware.kind == "gpu" and not w.hardware.bf16_native
    ddev = w.draft_hardware.name if w.draft_hardware is not None else None
    if w.engine != engine:
        raise UsageError(f"--emit {engine} needs advice ranked for {engine}, not {w.engine}: pass --engine {engine}")
    usable_any = [c for c in advice.candidates if c.compatible and c.verdict in USABLE_VERDICTS]
    usable = [c for c in usable_any if c.method == "draft_model" or _method_runs_on(engine, c)]
    if usable_any and not usable:
        methods = sorted({c.method for c in usable_any})
        raise SpecAdvisorError(f"{engine} cannot run {', '.join(methods)} speculation for these candidates "
                               "(research section 4); choose another engine with --emit")
    if not usable:
        raise SpecAdvisorError("no usable draft to emit a config for (verdict: " + advice.verdict + ")")
    best = usable[0]
    if best.method != "draft_model":  # a head, MTP or n-gram (issue #12)
        return _emit_method(engine, advice, best)
    draft = catalog.model(best.draft)
    het = best.facts.get("engine_mode") == "heterogeneous_vocab"
    msgs = [f"# {best.draft}: predicted {best.speedup:.2f}x (band {best.speedup_low:.2f}-{best.speedup_high:.2f}x) "
            f"at k={best.k}, estimate"]
    if runnable_as_emitted(engine, draft):
        return EmittedConfig(emit_config(engine, advice.target, draft, best.k, w.tp, het, fp16, ddev), "\n".join(msgs))
    shipped = catalog.model(draft.spec.id)
    res = evaluate_pair(catalog, advice.target, shipped, w, load_coefficients(), load_rules(), verdict_only=True)
    what = _PREPARE.get(draft.weight_format, f"a {draft.weight_format} checkpoint")
    cfg = emit_config(engine, advice.target, shipped, res.k, w.tp, res.facts.get("engine_mode") == "heterogeneous_vocab",
                      fp16, ddev)
    header = (f"# predicted pick {draft.label} needs {what} of {draft.spec.id} ({engine} cannot quantize it at load "
              f"time); the config below runs the released {shipped.label} ({shipped.weight_format}): predicted "
              f"{res.speedup:.2f}x (band {res.speedup_low:.2f}-{res.speedup_high:.2f}x) at k={res.k}\n")
    msgs.append(f"# as emitted ({shipped.label}, {shipped.weight_format}): predicted {res.speedup:.2f}x "
                f"(band {res.speedup_low:.2f}-{res.speedup_high:.2f}x) at k={res.k}, estimate")
    return EmittedConfig(header + cfg, "\n".join(msgs))
