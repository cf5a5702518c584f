"""The Hub layer against a real HTTP fake Hub on 127.0.0.1 (tests/fakehub.py): no internet, no mocks."""

from __future__ import annotations

import socket
import time

import pytest
from fakehub import TOKENIZERS, FakeHub, default_models

from specadvisor.hub.cache import HubCache
from specadvisor.hub.config import precision_of, spec_from_config
from specadvisor.hub.discover import family_stem, fetch_records, find_candidates
from specadvisor.hub.errors import HubGatedError, HubNotFoundError, HubOfflineMissError, HubUnavailableError
from specadvisor.hub.resolve import model_from_record
from specadvisor.hub.source import HubSource
from specadvisor.hub.tokenizers import check_pair, fingerprint, pair_verdict

Q72, Q05 = "Qwen/Qwen2.5-72B-Instruct", "Qwen/Qwen2.5-0.5B-Instruct"


@pytest.fixture(scope="module")
def hub():
    with FakeHub() as h:
        yield h


@pytest.fixture
def source(hub, tmp_path):
    return HubSource(hub.url, token=False, timeout=2.0, cache=HubCache(tmp_path / "hub"))


def _tok(name: str):
    return fingerprint(TOKENIZERS[name])


# -- tokenizer verdicts ------------------------------------------------------------------------------


def test_same_tokenizer_padded_rows_is_identical_padded_and_engines_disagree():
    t = _tok("qwen2")
    chk = check_pair(Q05, t, t, 152064, 151936)
    assert chk.verdict == "identical-padded"
    assert not chk.engines["vllm"].accepts and not chk.engines["sglang"].accepts and not chk.engines["trtllm"].accepts
    assert chk.engines["llamacpp"].accepts and "128" in chk.engines["llamacpp"].note
    assert "llamacpp" in chk.advice and "pad" in chk.advice
    assert check_pair(Q05, t, t, 152064, 152064).verdict == "identical"


def test_superset_different_ids_and_different():
    qwen2, qwen3 = _tok("qwen2"), _tok("qwen3")
    assert pair_verdict(qwen2, qwen3, 152064, 151936) == "superset"
    assert pair_verdict(qwen3, qwen2, 151936, 151936) == "superset"
    a, b = _tok("mapA"), _tok("mapB")
    assert pair_verdict(a, b, 32000, 32000) == "different-ids"
    chk = check_pair("other/Mapper-1B", a, b, 32000, 32000)
    assert not chk.engines["vllm"].accepts and "garbage" in chk.engines["vllm"].note
    assert not chk.engines["llamacpp"].accepts
    assert pair_verdict(qwen2, _tok("llama3"), 152064, 128256) == "different"


def test_fingerprint_ignores_merges_spelling_but_not_content():
    import copy

    doc = copy.deepcopy(TOKENIZERS["qwen2"])
    doc["model"]["merges"] = [m.split(" ") for m in doc["model"]["merges"]]  # newer tokenizers write pairs
    assert fingerprint(doc).fingerprint == _tok("qwen2").fingerprint
    doc["model"]["merges"] = doc["model"]["merges"][1:]
    assert fingerprint(doc).fingerprint != _tok("qwen2").fingerprint


def test_special_ids_come_from_tokenizer_config_and_generation_config():
    t = fingerprint(TOKENIZERS["llama3"], {"bos_token": "<|begin_of_text|>", "eos_token": "<|end_of_text|>"},
                    {"eos_token_id": [401, 408]}, {"eos_token_id": 409})
    assert t.bos_id == 400
    assert t.eos_ids[0] == 401 and set(t.eos_ids) == {401, 408, 409}


# -- config.json -> ModelSpec --------------------------------------------------------------------------


@pytest.mark.parametrize("repo, expected", [
    ("Qwen/Qwen2.5-0.5B-Instruct", 494_032_768), ("Qwen/Qwen2.5-72B-Instruct", 72_706_203_648),
    ("meta-llama/Llama-3.2-1B-Instruct", 1_235_814_400), ("meta-llama/Llama-3.1-70B-Instruct", 70_553_706_496),
])
def test_dense_counts_match_published(repo, expected):
    m = next(m for m in default_models() if m.id == repo)
    spec, der = spec_from_config(repo, m.config, tokenizer_key="k")
    assert der.config_params == expected


def test_moe_total_and_active():
    m = next(m for m in default_models() if m.id == "moe-org/MoE-30B-A3B")
    spec, der = spec_from_config(m.id, m.config, tokenizer_key="k")
    assert der.config_params == 30_532_122_624
    assert abs(der.config_active_params - 3_353_032_704) / 3_353_032_704 < 0.001
    assert spec.moe is not None and spec.moe.experts == 128 and spec.moe.top_k == 8
    assert spec.qk_norm and spec.family == "qwen"


def test_mla_deepseek_v3_counts():
    cfg = {"model_type": "deepseek_v3", "hidden_size": 7168, "num_hidden_layers": 61, "intermediate_size": 18432,
           "moe_intermediate_size": 2048, "n_routed_experts": 256, "n_shared_experts": 1, "num_experts_per_tok": 8,
           "first_k_dense_replace": 3, "num_attention_heads": 128, "num_key_value_heads": 128, "q_lora_rank": 1536,
           "kv_lora_rank": 512, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128, "vocab_size": 129280,
           "tie_word_embeddings": False, "num_nextn_predict_layers": 1,
           "quantization_config": {"quant_method": "fp8", "fmt": "e4m3", "weight_block_size": [128, 128]}}
    spec, der = spec_from_config("deepseek-ai/DeepSeek-V3", cfg, tokenizer_key="k")
    assert abs(der.config_params - 671_026_419_200) / 671_026_419_200 < 0.001
    assert abs(der.config_active_params - 37_552_297_472) / 37_552_297_472 < 0.001
    assert spec.precision == "fp8"
    assert spec.kv_bytes_per_token(1.0) == 61 * (512 + 64)  # the compressed latent, not 128 full heads
    assert any("MTP" in n for n in der.notes)


def test_text_config_is_read_for_wrapped_models():
    cfg = {"model_type": "gemma3", "architectures": ["Gemma3ForConditionalGeneration"], "torch_dtype": "bfloat16",
           "text_config": {"model_type": "gemma3_text", "hidden_size": 2560, "num_hidden_layers": 34,
                           "intermediate_size": 10240, "num_attention_heads": 8, "num_key_value_heads": 4,
                           "head_dim": 256, "vocab_size": 262208, "sliding_window": 1024},
           "vision_config": {"hidden_size": 1152}}
    spec, der = spec_from_config("google/gemma-3-4b-it", cfg, tokenizer_key="k",
                                 safetensors={"parameters": {"BF16": 4_300_079_472}, "total": 4_300_079_472})
    assert spec.vocab_size == 262208 and spec.layers == 34 and spec.family == "gemma" and spec.tie_embeddings
    assert "text_config" in der.params_source and any("vision" in n for n in der.notes)


@pytest.mark.parametrize("cfg, files, fmt", [
    ({"quantization_config": {"quant_method": "awq", "bits": 4}}, None, "int4"),
    ({"quantization_config": {"quant_method": "gptq", "bits": 8}}, None, "int8"),
    ({"quantization_config": {"quant_method": "fp8"}}, None, "fp8"),
    ({"quantization_config": {"quant_method": "compressed-tensors",
                              "config_groups": {"g": {"weights": {"num_bits": 8, "type": "float"}}}}}, None, "fp8"),
    ({"quantization_config": {"quant_method": "bitsandbytes", "load_in_4bit": True}}, None, "int4"),
    ({"quantization": {"group_size": 64, "bits": 4}}, None, "int4"),
    ({"dtype": "float16"}, None, "fp16"),
    ({"torch_dtype": "bfloat16"}, None, "bf16"),
    ({}, ["model-Q4_K_M.gguf"], "q4_k_m"),
])
def test_precision(cfg, files, fmt):
    assert precision_of(cfg, files)[0] == fmt


def test_safetensors_disagreement_is_reported_and_used():
    m = next(m for m in default_models() if m.id == Q05)
    spec, der = spec_from_config(Q05, m.config, tokenizer_key="k", safetensors={"parameters": {"BF16": 600_000_000}})
    assert spec.params_b == pytest.approx(0.6) and "safetensors total" in der.params_source


# -- the source: caching, errors, retries ------------------------------------------------------------


def test_record_reads_files_and_second_source_makes_no_request(hub, source, tmp_path):
    before = hub.count()
    rec = source.record(Q72)
    assert rec.config["vocab_size"] == 152064 and rec.tokenizer is not None and rec.missing == []
    assert hub.count() - before == source.requests == 5  # model info + 4 small files (no weights)
    again = HubSource(hub.url, token=False, cache=HubCache(tmp_path / "hub"))
    assert again.record(Q72).tokenizer == rec.tokenizer
    offline = HubSource(hub.url, token=False, cache=HubCache(tmp_path / "hub"), offline=True)
    assert offline.record(Q72).sha == rec.sha
    assert hub.count() - before == 5 and again.requests == 0 and offline.requests == 0


def test_offline_miss(source):
    source.offline = True
    with pytest.raises(HubOfflineMissError, match="without --offline"):
        source.record(Q05)


def test_missing_file_is_recorded(source):
    rec = source.record("nofiles/NoTokenizer-1B")
    assert "tokenizer.json" in rec.missing and rec.config is not None
    hm = model_from_record(rec)
    assert hm.spec.tokenizer.startswith("hub-unknown:")


def test_rate_limit_then_success(hub, source):
    before = len(hub.requests)
    rec = source.record("flaky/RateLimited-1B")
    assert rec.config is not None
    info_calls = [p for _m, p in hub.requests[before:] if p.startswith("/api/models/flaky/")]
    assert len(info_calls) == 2


def test_stalled_server_times_out(hub, tmp_path):
    src = HubSource(hub.url, token=False, timeout=0.5, cache=HubCache(tmp_path))
    start = time.monotonic()
    with pytest.raises(HubUnavailableError, match="did not answer within 0.5s"):
        src.record("stall/Stalled-1B")
    assert time.monotonic() - start < 3.0


def test_gated_not_found_revision_malformed(source):
    with pytest.raises(HubGatedError, match="request access") as exc:
        source.record("gated-org/Gated-8B")
    assert "HF_TOKEN" in exc.value.message
    with pytest.raises(HubNotFoundError, match="no such model"):
        source.record("nobody/Nothing-1B")
    with pytest.raises(HubNotFoundError, match="revision not found"):
        source.record(Q05, revision="v9")
    with pytest.raises(HubUnavailableError, match="not valid JSON"):
        source.record("broken/Broken-1B")
    with pytest.raises(HubNotFoundError, match="owner/name"):
        source.record("not-an-id")


def test_connection_refused(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    src = HubSource(f"http://127.0.0.1:{port}", token=False, timeout=2.0, cache=HubCache(tmp_path))
    with pytest.raises(HubUnavailableError, match="cannot reach"):
        src.record(Q05)


# -- discovery ---------------------------------------------------------------------------------------


def test_family_stem():
    assert family_stem(Q72) == "Qwen2"
    assert family_stem("meta-llama/Llama-3.1-70B-Instruct") == "Llama-3"
    assert family_stem("mistralai/Mixtral-8x7B-v0.1") == "Mixtral"


def test_find_candidates_for_qwen_72b(source):
    target = source.record(Q72)
    disc = find_candidates(source, target, Q72, 72.7)
    ids = disc.candidates
    assert ids[0] == "drafts-org/Qwen2.5-72B-Instruct-DRAFT-0.5B"  # official draft repos first
    for size in ("0.5B", "1.5B", "3B", "7B", "14B", "32B"):
        assert f"Qwen/Qwen2.5-{size}-Instruct" in ids
    assert "Qwen/Qwen2.5-1.5B-Instruct-AWQ" in ids and "RedHatAI/Qwen2.5-3B-Instruct-FP8" in ids
    assert Q72 not in ids and "Qwen/Qwen3-0.6B" not in ids
    assert disc.why["RedHatAI/Qwen2.5-3B-Instruct-FP8"].startswith("quantized variant")
    short = find_candidates(source, target, Q72, 72.7, max_candidates=3)
    assert len(short.candidates) == 3 and "--max-candidates" in short.warnings[0]


def test_fetch_records_concurrent_and_skips_failures(source):
    skipped = []
    recs, workers = fetch_records(source, [Q05, "gated-org/Gated-8B", "Qwen/Qwen2.5-3B-Instruct"], progress=False,
                                  on_error=lambda rid, exc: skipped.append(rid))
    assert set(recs) == {Q05, "Qwen/Qwen2.5-3B-Instruct"} and skipped == ["gated-org/Gated-8B"] and workers == 3
