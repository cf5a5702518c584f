"""The embedded model/hardware catalog, lookups, `ID@format` refs, and user catalog files."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from specadvisor.catalog import core as catalog_mod
from specadvisor.catalog.core import Catalog, ModelRef, load_catalog, load_catalog_file
from specadvisor.catalog.params import count_params, has_shapes
from specadvisor.errors import InputFileError, UnknownHardwareError, UnknownModelError

REQUIRED_MODELS = [
    # Llama 2, TinyLlama, Vicuna, CodeLlama
    "meta-llama/Llama-2-7b-hf",
    "meta-llama/Llama-2-13b-hf",
    "meta-llama/Llama-2-70b-hf",
    "TinyLlama/TinyLlama-1.1B-Chat-v1.0",
    "lmsys/vicuna-7b-v1.3",
    "lmsys/vicuna-13b-v1.3",
    "lmsys/vicuna-33b-v1.3",
    "double7/vicuna-68m",
    "codellama/CodeLlama-7b-hf",
    "codellama/CodeLlama-13b-hf",
    "codellama/CodeLlama-34b-hf",
    # Llama 3.x
    "meta-llama/Llama-3.1-8B-Instruct",
    "meta-llama/Llama-3.1-70B-Instruct",
    "meta-llama/Llama-3.1-405B-Instruct",
    "meta-llama/Llama-3.2-1B-Instruct",
    "meta-llama/Llama-3.2-3B-Instruct",
    "meta-llama/Llama-3.3-70B-Instruct",
    # Qwen 2.5, Qwen 2.5 Coder, Qwen 3
    *[f"Qwen/Qwen2.5-{s}-Instruct" for s in ("0.5B", "1.5B", "3B", "7B", "14B", "32B", "72B")],
    *[f"Qwen/Qwen2.5-Coder-{s}-Instruct" for s in ("0.5B", "1.5B", "3B", "7B", "14B", "32B")],
    *[f"Qwen/Qwen3-{s}" for s in ("0.6B", "1.7B", "4B", "8B", "14B", "32B", "30B-A3B")],
    # Gemma 2 and 3
    "google/gemma-2-2b-it",
    "google/gemma-2-9b-it",
    "google/gemma-2-27b-it",
    "google/gemma-3-270m-it",
    "google/gemma-3-1b-it",
    "google/gemma-3-4b-it",
    "google/gemma-3-12b-it",
    "google/gemma-3-27b-it",
    # Mistral
    "mistralai/Mistral-7B-v0.3",
    "mistralai/Mistral-7B-Instruct-v0.3",
    "mistralai/Mixtral-8x7B-Instruct-v0.1",
    # DeepSeek R1 distills
    *[f"deepseek-ai/DeepSeek-R1-Distill-Qwen-{s}" for s in ("1.5B", "7B", "14B", "32B")],
    "deepseek-ai/DeepSeek-R1-Distill-Llama-8B",
    "deepseek-ai/DeepSeek-R1-Distill-Llama-70B",
    # Phi
    "microsoft/Phi-3-mini-4k-instruct",
    "microsoft/phi-4",
    # OPT
    *[f"facebook/opt-{s}" for s in ("125m", "350m", "1.3b", "2.7b", "6.7b", "13b", "30b", "66b")],
    # gpt-oss
    "openai/gpt-oss-20b",
    "openai/gpt-oss-120b",
]

REQUIRED_HARDWARE = [
    "a10g",
    "l4",
    "l40s",
    "a6000",
    "a100-40gb",
    "a100-80gb",
    "h100-sxm",
    "h100-pcie",
    "h20",
    "h200",
    "b200",
    "mi300x",
    "rtx-3060",
    "rtx-3090",
    "rtx-4090",
]


# -- embedded catalog: size and coverage -----------------------------------------------------------


def test_catalog_size_and_families(catalog):
    assert len(catalog.models) >= 45
    assert len({m.family for m in catalog.models}) >= 10


@pytest.mark.parametrize("model_id", REQUIRED_MODELS)
def test_required_model_present(catalog, model_id):
    spec = catalog.find_model(model_id)
    assert spec is not None, f"{model_id} missing from the embedded catalog"
    assert model_id.lower() in {spec.id.lower(), *(a.lower() for a in spec.aliases)}


def test_find_model_is_case_insensitive_and_trims(catalog):
    spec = catalog.find_model("  META-LLAMA/llama-3.1-8b-instruct ")
    assert spec is not None and spec.id == "meta-llama/Llama-3.1-8B-Instruct"
    assert catalog.find_model("meta-llama/Llama-3.1-8B") is spec  # alias
    assert catalog.find_model("no-such/model") is None


@pytest.mark.parametrize(
    ("model_id", "low", "high"),
    [
        ("meta-llama/Llama-2-7b-hf", 6.5, 7.0),
        ("meta-llama/Llama-3.1-70B-Instruct", 69, 72),
        ("meta-llama/Llama-3.1-405B-Instruct", 400, 410),
        ("meta-llama/Llama-3.2-1B-Instruct", 1.1, 1.3),
        ("google/gemma-3-270m-it", 0.25, 0.3),
        ("double7/vicuna-68m", 0.06, 0.07),
        ("Qwen/Qwen2.5-72B-Instruct", 72, 73.5),
        ("facebook/opt-66b", 65, 67),
    ],
)
def test_parameter_counts_are_plausible(catalog, model_id, low, high):
    assert low <= catalog.find_model(model_id).params_b <= high


def test_moe_models_have_fewer_active_params(catalog):
    for model_id in (
        "mistralai/Mixtral-8x7B-Instruct-v0.1",
        "Qwen/Qwen3-30B-A3B",
        "openai/gpt-oss-20b",
        "openai/gpt-oss-120b",
    ):
        m = catalog.find_model(model_id)
        assert m.moe is not None, model_id
        assert m.active_params_b < m.params_b / 2, model_id


def _embedded_models():
    return load_catalog().models


@pytest.mark.parametrize("model", _embedded_models(), ids=lambda m: m.id)
def test_params_recomputed_from_shapes(model):
    assert has_shapes(model), f"{model.id} lacks intermediate_size/heads: its count cannot be checked"
    pc = count_params(model)
    assert pc.total / 1e9 == pytest.approx(model.params_b, rel=0.03), (
        f"{model.id}: shapes give {pc.total / 1e9:.4f}B, catalog says {model.params_b}B"
    )
    assert pc.active / 1e9 == pytest.approx(model.active_params_b, rel=0.03), (
        f"{model.id}: shapes give {pc.active / 1e9:.4f}B active, catalog says {model.active_params_b}B"
    )
    if model.moe is None:
        assert pc.active == pc.total
        assert model.active_params_b == model.params_b


@pytest.mark.parametrize("model", _embedded_models(), ids=lambda m: m.id)
def test_model_has_https_source_and_sane_facts(model):
    assert model.source.startswith("https://")
    assert model.vocab_size >= 1000
    assert model.layers >= 1 and model.hidden_size >= 64
    assert model.dim_per_head * model.n_heads >= model.hidden_size // 2
    assert model.n_heads % model.n_kv_heads == 0  # GQA groups divide evenly


def test_model_ids_and_aliases_are_unique(catalog):
    owners = defaultdict(set)
    for m in catalog.models:
        for key in (m.id, *m.aliases):
            owners[key.lower()].add(m.id)
    clashes = {k: v for k, v in owners.items() if len(v) > 1}
    assert not clashes


def test_same_tokenizer_implies_compatible_vocab(catalog):
    # Same `tokenizer` key means the same id map: the embedding sizes may only differ by padding.
    by_tok = defaultdict(list)
    for m in catalog.models:
        by_tok[m.tokenizer].append(m.vocab_size)
    for tok, sizes in by_tok.items():
        assert max(sizes) - min(sizes) <= 1024, tok


# -- hardware --------------------------------------------------------------------------------------


def test_hardware_count(catalog):
    assert len(catalog.hardware) >= 15


@pytest.mark.parametrize("hw_id", REQUIRED_HARDWARE)
def test_required_hardware_present_with_source(catalog, hw_id):
    hw = catalog.hardware_by_name(hw_id)
    assert hw.id == hw_id
    assert hw.source.startswith("https://")
    assert hw.memory_gb > 0 and hw.bandwidth_gbs > 0 and hw.bf16_tflops > 0


def test_apple_max_and_ultra_present(catalog):
    apple = [h for h in catalog.hardware if h.kind == "apple"]
    assert any(re.search(r"m\d+-max", h.id) for h in apple)
    assert any(re.search(r"m\d+-ultra", h.id) for h in apple)
    for h in apple:
        assert h.source.startswith("https://")


def test_every_hardware_entry_has_a_source(catalog):
    for h in catalog.hardware:
        assert h.source.startswith("https://"), h.id


@pytest.mark.parametrize(
    ("name", "hw_id"),
    [
        ("H100", "h100-sxm"),
        ("h100", "h100-sxm"),
        ("H100 SXM", "h100-sxm"),
        ("h100-pcie", "h100-pcie"),
        ("rtx 4090", "rtx-4090"),
        ("RTX4090", "rtx-4090"),
        ("rtx-4090", "rtx-4090"),
        ("4090", "rtx-4090"),
        ("A100 80GB", "a100-80gb"),
        ("a100-40gb", "a100-40gb"),
        ("MI300X", "mi300x"),
        ("m2 ultra", "apple-m2-ultra"),
        (" L40S ", "l40s"),
    ],
)
def test_hardware_aliases_resolve(catalog, name, hw_id):
    assert catalog.hardware_by_name(name).id == hw_id


def test_hardware_aliases_do_not_collide(catalog):
    from specadvisor.catalog.core import _norm_hw

    owners = defaultdict(set)
    for h in catalog.hardware:
        for a in (h.id, *h.aliases):
            owners[_norm_hw(a)].add(h.id)
    assert not {k: v for k, v in owners.items() if len(v) > 1}


def test_unknown_hardware_lists_closest(catalog):
    with pytest.raises(UnknownHardwareError) as exc:
        catalog.hardware_by_name("h1000")
    assert "h1000" in exc.value.message
    assert "closest" in exc.value.message and "h100-sxm" in exc.value.message


# -- model refs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "fmt", "bits"),
    [
        ("fp8", "fp8", 8.0),
        ("int4", "int4", 4.25),
        ("q4_k_m", "q4_k_m", 4.89),
        ("FP8", "fp8", 8.0),
        ("awq", "int4", 4.25),
        ("Q4_K_M", "q4_k_m", 4.89),
    ],
)
def test_format_refs_resolve_to_virtual_refs(catalog, suffix, fmt, bits):
    ref = catalog.model(f"meta-llama/Llama-3.2-1B-Instruct@{suffix}")
    assert isinstance(ref, ModelRef)
    assert ref.spec.id == "meta-llama/Llama-3.2-1B-Instruct"
    assert ref.weight_format == fmt
    assert ref.virtual is True
    assert ref.quantized is True
    assert ref.bits_per_weight == pytest.approx(bits)
    assert ref.label == f"meta-llama/Llama-3.2-1B-Instruct@{fmt}"


def test_plain_ref_uses_shipped_precision(catalog):
    ref = catalog.model("meta-llama/Llama-3.2-1B-Instruct")
    assert (ref.weight_format, ref.virtual, ref.quantized) == ("bf16", False, False)
    assert ref.label == "meta-llama/Llama-3.2-1B-Instruct"
    # Asking for the shipped format is not a what-if.
    same = catalog.model("meta-llama/Llama-3.2-1B-Instruct@bfloat16")
    assert (same.weight_format, same.virtual) == ("bf16", False)
    assert catalog.model("openai/gpt-oss-20b").weight_format == "mxfp4"
    assert catalog.model("facebook/opt-125m").weight_format == "fp16"


def test_alias_ref_resolves_to_canonical_spec(catalog):
    ref = catalog.model("Qwen/Qwen2.5-7B@int4")
    assert ref.spec.id == "Qwen/Qwen2.5-7B-Instruct" and ref.virtual


def test_unknown_weight_format_is_an_error(catalog):
    with pytest.raises(UnknownModelError) as exc:
        catalog.model("meta-llama/Llama-3.2-1B-Instruct@q9")
    assert "q9" in exc.value.message and "int4" in exc.value.message


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("meta-llama/Llama-3.1-70B-Instrct", "meta-llama/Llama-3.1-70B-Instruct"),
        ("Qwen/Qwen2.5-7B-Instrcut", "Qwen/Qwen2.5-7B-Instruct"),
        ("llama-3.2-1b", "meta-llama/Llama-3.2-1B-Instruct"),
        ("meta-llama/Llama-3.1-70B-Instrct@fp8", "meta-llama/Llama-3.1-70B-Instruct"),
    ],
)
def test_unknown_model_lists_closest_ids(catalog, ref, expected):
    with pytest.raises(UnknownModelError) as exc:
        catalog.model(ref)
    msg = exc.value.message
    assert "closest" in msg
    assert expected in msg
    assert "\n" not in msg


def test_unknown_model_with_nothing_close(catalog):
    with pytest.raises(UnknownModelError) as exc:
        catalog.model("zzz/qqqqqq")
    assert "zzz/qqqqqq" in exc.value.message


# -- user catalogs (--catalog) ---------------------------------------------------------------------


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_user_catalog_adds_and_overrides(tmp_path, model_entry):
    override = model_entry.replace('"acme/tiny-1b"', '"META-LLAMA/Llama-3.2-1B-Instruct"', 1).split(
        "models:\n", 1
    )[1]
    override = override.replace('family: "acme"', 'family: "llama"').replace(
        'generation: "1"', 'generation: "3.2"'
    )
    override = override.replace("params_b: 1.236", "params_b: 1.2")
    text = model_entry + override + textwrap_hw()
    path = _write(tmp_path, "extra.yaml", text)
    base = load_catalog()
    cat = load_catalog([path])
    assert isinstance(cat, Catalog)
    assert len(cat.models) == len(base.models) + 1  # one new, one replaced
    new = cat.find_model("acme/tiny-1b")
    assert new is not None and new.family == "acme" and new.origin.startswith(str(path))
    replaced = cat.find_model("meta-llama/Llama-3.2-1B-Instruct")
    assert replaced.params_b == 1.2
    assert replaced.origin.startswith(str(path))
    assert base.find_model("meta-llama/Llama-3.2-1B-Instruct").params_b != 1.2  # embedded copy untouched
    # the embedded aliases belong to the replaced entry, so they no longer resolve
    assert cat.find_model("meta-llama/Llama-3.2-1B") is None
    assert cat.hardware_by_name("acme accelerator").id == "acme-x1"
    assert cat.model("acme/tiny-1b@int4").virtual
    assert str(path) in cat.sources


def textwrap_hw() -> str:
    return (
        "hardware:\n"
        "  - id: acme-x1\n"
        "    name: Acme X1\n"
        "    vendor: acme\n"
        "    kind: gpu\n"
        '    aliases: ["acme accelerator"]\n'
        "    memory_gb: 64\n"
        "    bandwidth_gbs: 2000\n"
        "    bf16_tflops: 400\n"
        "    source: https://example.invalid/acme-x1\n"
    )


def test_later_user_catalog_wins(tmp_path, model_entry):
    a = _write(tmp_path, "a.yaml", model_entry)
    b = _write(tmp_path, "b.yaml", model_entry.replace("params_b: 1.236", "params_b: 1.3"))
    assert load_catalog([a, b]).find_model("acme/tiny-1b").params_b == 1.3
    assert load_catalog([b, a]).find_model("acme/tiny-1b").params_b == 1.236


def test_user_catalog_alone(tmp_path, model_entry):
    path = _write(tmp_path, "only.yaml", model_entry)
    cat = load_catalog([path], include_embedded=False)
    assert [m.id for m in cat.models] == ["acme/tiny-1b"]
    assert cat.hardware == ()


def test_user_model_entry_counts_match_its_shapes(tmp_path, model_entry):
    (spec,), _ = load_catalog_file(_write(tmp_path, "c.yaml", model_entry))
    assert count_params(spec).total / 1e9 == pytest.approx(spec.params_b, rel=0.03)


def _line_re(path, line):
    return re.compile(re.escape(f"{path}:{line}:"))


@pytest.mark.parametrize(
    ("name", "edit", "line", "needles"),
    [
        (
            "duplicate-key",
            lambda t: t.replace('    family: "acme"\n', '    family: "acme"\n    family: "acme2"\n'),
            4,
            ["family", "duplicate key", "line 3"],
        ),
        (
            "unknown-field",
            lambda t: t.replace("    layers: 16\n", "    layers: 16\n    hiden_size: 2048\n"),
            7,
            ["hiden_size", "unknown field", "did you mean 'hidden_size'"],
        ),
        (
            "wrong-type",
            lambda t: t.replace("layers: 16", 'layers: "sixteen"'),
            6,
            ["layers", "expected an integer", "sixteen"],
        ),
        (
            "bool-for-int",
            lambda t: t.replace("layers: 16", "layers: true"),
            6,
            ["layers", "expected an integer"],
        ),
        (
            "missing-required",
            lambda t: t.replace("    vocab_size: 128256\n", ""),
            2,
            ["vocab_size", "required field is missing"],
        ),
        (
            "negative-params",
            lambda t: t.replace("params_b: 1.236", "params_b: -1.0"),
            5,
            ["params_b", "must be > 0"],
        ),
        (
            "zero-params",
            lambda t: t.replace("params_b: 1.236", "params_b: 0"),
            5,
            ["params_b", "must be > 0"],
        ),
        ("nan-params", lambda t: t.replace("params_b: 1.236", "params_b: .nan"), 5, ["params_b", "finite"]),
        (
            "bad-choice",
            lambda t: t.replace('domain: "general"', 'domain: "generl"'),
            16,
            ["domain", "not one of", "did you mean 'general'"],
        ),
        (
            "unknown-precision",
            lambda t: t.replace('precision: "bf16"', 'precision: "bf17"'),
            15,
            ["precision", "unknown weight format"],
        ),
        ("invalid-yaml", lambda t: t.replace("    layers: 16\n", "    layers: [16\n"), 7, ["invalid YAML"]),
        ("bad-indent", lambda t: t.replace("    layers: 16\n", "      layers: 16\n"), 6, ["invalid YAML"]),
        (
            "unknown-top-level",
            lambda t: t.replace("models:", "modles:", 1),
            1,
            ["modles", "unknown field", "did you mean 'models'"],
        ),
        (
            "active-exceeds-total",
            lambda t: t.replace("params_b: 1.236", "params_b: 1.236\n    active_params_b: 2.0"),
            6,
            ["active_params_b", "exceed"],
        ),
    ],
)
def test_malformed_user_catalog(tmp_path, model_entry, name, edit, line, needles):
    path = _write(tmp_path, f"{name}.yaml", edit(model_entry))
    with pytest.raises(InputFileError) as exc:
        load_catalog([path])
    msg = exc.value.message
    assert _line_re(path, line).search(msg), msg
    assert exc.value.path == str(path) and exc.value.line == line
    for needle in needles:
        assert needle in msg, msg
    assert "\n" not in msg


def test_duplicate_model_id_in_one_file(tmp_path, model_entry):
    text = model_entry + model_entry.split("models:\n", 1)[1].replace('"acme/tiny-1b"', '"ACME/tiny-1b"')
    path = _write(tmp_path, "dup-id.yaml", text)
    with pytest.raises(InputFileError) as exc:
        load_catalog([path])
    assert _line_re(path, 18).search(exc.value.message)
    assert "duplicate id" in exc.value.message and "line 2" in exc.value.message


def test_moe_top_k_above_experts(tmp_path, model_entry):
    text = model_entry.replace(
        "    tie_embeddings: true\n",
        "    tie_embeddings: true\n    moe: {experts: 4, top_k: 8, expert_intermediate: 512}\n",
    )
    path = _write(tmp_path, "moe.yaml", text)
    with pytest.raises(InputFileError) as exc:
        load_catalog([path])
    assert str(path) in exc.value.message and "top_k" in exc.value.message and exc.value.line == 14


def test_empty_user_catalog(tmp_path):
    path = _write(tmp_path, "empty.yaml", "")
    with pytest.raises(InputFileError) as exc:
        load_catalog([path])
    assert str(path) in exc.value.message and "empty" in exc.value.message


def test_comment_only_user_catalog_is_empty(tmp_path):
    path = _write(tmp_path, "comments.yaml", "# nothing here\n\n")
    with pytest.raises(InputFileError) as exc:
        load_catalog([path])
    assert str(path) in exc.value.message and "empty" in exc.value.message


def test_binary_user_catalog(tmp_path):
    path = tmp_path / "weights.bin.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(InputFileError) as exc:
        load_catalog([path])
    assert str(path) in exc.value.message and "binary" in exc.value.message


def test_non_utf8_user_catalog_names_line(tmp_path, model_entry):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(model_entry.replace('family: "acme"', 'family: "acm\xe9"').encode("latin-1"))
    with pytest.raises(InputFileError) as exc:
        load_catalog([path])
    assert _line_re(path, 3).search(exc.value.message) and "UTF-8" in exc.value.message


@pytest.mark.parametrize("text", ["- just\n- a list\n", "42\n", "models: 3\n", "models:\n  - 3\n"])
def test_wrong_document_shape(tmp_path, text):
    path = _write(tmp_path, "shape.yaml", text)
    with pytest.raises(InputFileError) as exc:
        load_catalog([path])
    assert str(path) in exc.value.message


def test_missing_user_catalog(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(InputFileError) as exc:
        load_catalog([path])
    assert str(path) in exc.value.message and "no such file" in exc.value.message


# -- the parsed-catalog cache ----------------------------------------------------------------------


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("SPECADVISOR_CACHE_DIR", str(d))
    monkeypatch.delenv("SPECADVISOR_NO_CACHE", raising=False)
    return d


def _embedded_path() -> str:
    from specadvisor import paths

    return str(paths.catalog_path())


def test_cache_round_trip_equals_parse(cache_dir):
    path = _embedded_path()
    parsed = load_catalog_file(path)
    first = catalog_mod._load_file_cached(path)  # miss: parses and writes
    files = list(cache_dir.glob("catalog-*.json"))
    assert len(files) == 1
    second = catalog_mod._load_file_cached(path)  # hit
    for got in (first, second):
        assert got[0] == parsed[0] and got[1] == parsed[1]
        assert [m.origin for m in got[0]] == [m.origin for m in parsed[0]]
        assert [m.moe for m in got[0]] == [m.moe for m in parsed[0]]
        assert all(isinstance(m.aliases, tuple) and isinstance(m.eos_ids, tuple) for m in got[0])
        assert all(isinstance(h.aliases, tuple) for h in got[1])


def test_cache_hit_is_used(cache_dir, tmp_path, model_entry):
    path = _write(tmp_path, "user.yaml", model_entry)
    catalog_mod._load_file_cached(str(path))
    (cache,) = cache_dir.glob("catalog-*.json")
    cache.write_text(cache.read_text().replace('"params_b": 1.236', '"params_b": 9.0'))
    (spec,), _ = catalog_mod._load_file_cached(str(path))
    assert spec.params_b == 9.0  # proves the cache is read, so the equality test above is meaningful


def test_changed_file_invalidates_cache(cache_dir, tmp_path, model_entry):
    path = _write(tmp_path, "user.yaml", model_entry)
    assert catalog_mod._load_file_cached(str(path))[0][0].params_b == 1.236
    path.write_text(model_entry.replace("params_b: 1.236", "params_b: 1.25"), encoding="utf-8")
    assert catalog_mod._load_file_cached(str(path))[0][0].params_b == 1.25


def test_corrupt_cache_falls_back_to_yaml(cache_dir, tmp_path, model_entry):
    path = _write(tmp_path, "user.yaml", model_entry)
    expected = load_catalog_file(path)
    catalog_mod._load_file_cached(str(path))
    (cache,) = cache_dir.glob("catalog-*.json")
    for junk in ("{not json", '{"models": [{"id": 3}], "hardware": []}', "[]", ""):
        cache.write_text(junk)
        assert catalog_mod._load_file_cached(str(path)) == expected


def test_invalid_catalog_is_never_cached(cache_dir, tmp_path, model_entry):
    path = _write(tmp_path, "bad.yaml", model_entry.replace("layers: 16", "layers: -1"))
    for _ in range(2):
        with pytest.raises(InputFileError):
            catalog_mod._load_file_cached(str(path))
    assert not list(cache_dir.glob("catalog-*.json"))


def test_no_cache_env_disables_cache(tmp_path, monkeypatch, model_entry):
    d = tmp_path / "cache"
    monkeypatch.setenv("SPECADVISOR_CACHE_DIR", str(d))
    monkeypatch.setenv("SPECADVISOR_NO_CACHE", "1")
    path = _write(tmp_path, "user.yaml", model_entry)
    assert catalog_mod._load_file_cached(str(path))[0][0].id == "acme/tiny-1b"
    assert not d.exists()


def test_unwritable_cache_dir_still_loads(tmp_path, monkeypatch, model_entry):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the cache directory should be")
    monkeypatch.setenv("SPECADVISOR_CACHE_DIR", str(blocker / "cache"))
    path = _write(tmp_path, "user.yaml", model_entry)
    assert catalog_mod._load_file_cached(str(path))[0][0].id == "acme/tiny-1b"
