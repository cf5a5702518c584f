"""--emit prints the configuration that was predicted (issue #16): ranked for the emit engine, the
weight formats of target and draft as that engine's flags, and a what-if format made runnable or named."""

from __future__ import annotations

import json
import re
import shlex

import pytest
from cliutil import invoke as cli_invoke
from typer.testing import CliRunner

L70 = "meta-llama/Llama-3.1-70B-Instruct"
L1 = "meta-llama/Llama-3.2-1B-Instruct"


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, *args: str):
    return cli_invoke(*args)


def _spec(stdout: str) -> tuple[list[str], dict]:
    line = next(ln for ln in stdout.splitlines() if ln.startswith("vllm serve"))
    argv = shlex.split(line)
    return argv, json.loads(argv[argv.index("--speculative-config") + 1])


def test_emit_llamacpp_ranks_with_llamacpp_and_its_formats(runner):
    """Before: --emit llamacpp ranked with vLLM costs, picked an @int4 draft and emitted a Q8_0 file."""
    r = run(runner, "recommend", "--target", f"{L70}@q4_k_m", "--hardware", "rtx-4090", "--tp", "2",
            "--emit", "llamacpp")
    assert r.exit_code == 0, r.stderr
    argv = shlex.split(next(ln for ln in r.stdout.splitlines() if ln.startswith("llama-server")))
    assert argv[argv.index("-m") + 1].endswith("-Q4_K_M.gguf")
    predicted = re.match(r"# (\S+): predicted", r.stderr).group(1)
    fmt = predicted.split("@")[1] if "@" in predicted else "bf16"
    assert fmt in ("bf16", "fp16", "q8_0", "q4_k_m")  # llama.cpp's own formats, never a CUDA-server int4
    assert argv[argv.index("-md") + 1].endswith({"bf16": "-BF16.gguf", "fp16": "-F16.gguf"}.get(fmt, f"-{fmt.upper()}.gguf"))


@pytest.mark.parametrize("engine", ["vllm", "sglang"])
def test_fp8_target_gets_its_flag(runner, engine):
    r = run(runner, "compare", "--target", f"{L70}@fp8", L1, "--tp", "2", "--emit", engine)
    assert r.exit_code == 0, r.stderr
    line = next(ln for ln in r.stdout.splitlines() if not ln.startswith("#"))
    argv = shlex.split(line)
    assert argv[argv.index("--quantization") + 1] == "fp8"


def test_fp8_draft_is_quantized_at_load_time(runner):
    r = run(runner, "compare", "--target", L70, f"{L1}@fp8", "--tp", "4", "--emit", "vllm")
    _, spec = _spec(r.stdout)
    assert spec["model"] == L1 and spec["quantization"] == "fp8"


def test_virtual_int4_pick_says_what_to_prepare_and_what_runs(runner):
    r = run(runner, "compare", "--target", L70, f"{L1}@int4", "--tp", "4", "--emit", "vllm")
    assert r.exit_code == 0, r.stderr
    _, spec = _spec(r.stdout)
    assert spec["model"] == L1 and "quantization" not in spec  # runnable as emitted: the released bf16 draft
    assert "prepare an INT4" in r.stdout or "needs an INT4" in r.stdout
    assert re.search(r"as emitted \(meta-llama/Llama-3.2-1B-Instruct, bf16\): predicted \d\.\d\dx", r.stderr)
    for ln in r.stdout.splitlines():
        assert ln.startswith(("#", "vllm serve")), ln


def test_heterogeneous_vocab_pick_sets_the_mode(runner):
    r = run(runner, "compare", "--target", "Qwen/Qwen2.5-72B-Instruct", "Qwen/Qwen2.5-0.5B-Instruct", "--tp", "4",
            "--emit", "vllm")
    assert r.exit_code == 0, r.stderr
    _, spec = _spec(r.stdout)
    assert spec["use_heterogeneous_vocab"] is True


def test_emit_engine_contradicting_engine_is_one_line(runner):
    r = run(runner, "recommend", "--target", L70, "--tp", "4", "--engine", "sglang", "--emit", "llamacpp")
    assert r.exit_code == 2 and r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and "give one engine" in r.stderr


def test_llamacpp_refuses_a_format_gguf_has_not(runner):
    r = run(runner, "recommend", "--target", f"{L70}@fp8", "--tp", "1", "--emit", "llamacpp")
    assert r.exit_code == 2 and "@q8_0" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_v100_gets_dtype_half(runner):
    """vLLM refuses bf16 below compute capability 8.0; the prediction assumed fp16 there, so does the config."""
    r = run(runner, "recommend", "--target", "meta-llama/Llama-3.1-8B-Instruct", "--hardware", "tesla-v100",
            "--method", "draft_model",
            "--emit", "vllm")
    assert r.exit_code == 0, r.stderr
    argv, _ = _spec(r.stdout)
    assert argv[argv.index("--dtype") + 1] == "half"
