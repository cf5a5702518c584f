"""Published measurements as a CSV (the layout of published-dev.csv), mapped onto the catalog without a hand mapping."""

from __future__ import annotations

import csv
import json

import pytest
from cliutil import invoke

from specadvisor.calibration.csv_import import KNOWN_COLUMNS, import_csv, match_hardware, match_model
from specadvisor.calibration.load import load_rows
from specadvisor.errors import InputFileError


@pytest.mark.parametrize(("text", "expected"), [
    ("Qwen/Qwen3-32B", "Qwen/Qwen3-32B"),
    ("vicuna-68m (double7/vicuna-68m, distilled from Vicuna)", "double7/vicuna-68m"),  # an id in parentheses
    ("Llama3-70B (Instruct)", "meta-llama/Meta-Llama-3-70B-Instruct"),  # not Llama-3.3: "3" is not "3.3"
    ("meta-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B-Instruct"),  # base name -> the catalog's instruct entry
    ("Llama-3.1-70B", "meta-llama/Llama-3.1-70B-Instruct"),  # "3.1" outranks Llama 3's "3"
    ("T5-XXL (T5 v1.1, fine-tuned on task)", "google/t5-v1_1-xxl"),  # "v1.1" matches "v1_1"
    ("Qwen2.5-Coder-32B-Instruct", "Qwen/Qwen2.5-Coder-32B-Instruct"),  # the most specific id wins
    ("Qwen2.5-7B (Instruct)", "Qwen/Qwen2.5-7B-Instruct"),
    ("Distil-Whisper large-v2", "distil-whisper/distil-large-v2"),  # the organisation's words count
    ("Qwen2.5-7B-Instruct-Q8_0.gguf", "Qwen/Qwen2.5-7B-Instruct"),  # quantization tags are not model words
    ("mlx-community/Qwen3-4B-4bit", "Qwen/Qwen3-4B"),
    ("llama3.1:8b-instruct-q8_0", "meta-llama/Llama-3.1-8B-Instruct"),
])
def test_model_descriptions_map_onto_catalog_ids(catalog, text, expected):
    spec = match_model(text, catalog)
    assert spec is not None and spec.id == expected


@pytest.mark.parametrize("text", [
    "EAGLE-3 head (Llama 3.1 8B)",  # a draft head, not the model in parentheses
    "Medusa-2 heads for Vicuna-7B v1.3",
    "Qwen2.5-Math-7B",  # a variant the catalog does not hold is not the base model
    "Phi-4 mini",
    "Llama-3.1-Nemotron-70B",
    "StarCoder2",
    "Qwen/Qwen2.5-7B-Instruct-1M",  # an explicit id the catalog lacks
    "Llama-2-7B/13B",  # two models in one cell
    "Llama 3.1 8B + Llama 3.2 1B",
    "LaMDA 137B",
    "Chinchilla-style 4B draft (8 layers)",
    "Qwen 2.5 '1B' (as written; no Qwen2.5-1B exists, probably 1.5B or 0.5B)",  # the size outside () decides
    "LLaMA 70B (version not stated)",  # Llama 2 or 3? neither id's words are all there
    "",
])
def test_ambiguous_or_unknown_models_are_not_guessed(catalog, text):
    assert match_model(text, catalog) is None


@pytest.mark.parametrize(("text", "hw", "count"), [
    ("4x H100 (TP=4)", "h100-sxm", 4),
    ("1x RTX 3090 24GB", "rtx-3090", 1),
    ("Apple M1 Ultra 128GB (LM Studio)", "apple-m1-ultra", 1),
    ("1x NVIDIA A6000", "a6000", 1),
    ("8x A100 (TP=8)", "a100-80gb", 8),
    ("1x TPU-v4", "tpu-v4", 1),
    ("A100*4", "a100-80gb", 4),
    ("4xA100", "a100-80gb", 4),
    ("H100 x 8", "h100-sxm", 8),
    ("4090 x 2", "rtx-4090", 2),  # the model number is not a count
    ("DGX H100 (8x)", "h100-sxm", 8),
    ("H100 80GB PCIe", "h100-pcie", 1),
])
def test_hardware_descriptions_map_with_their_count(catalog, text, hw, count):
    got, n = match_hardware(text, catalog)
    assert got is not None and got.id == hw and n == count


@pytest.mark.parametrize("text", [
    "", "Some accelerator", "CPU only", "Intel Xeon Gold 6338 CPU",
    "A100 PCIe 40GB",  # the catalog's A100s are SXM4: another part
    "RTX 3060 Ti", "RTX 4090 Laptop",
])
def test_hardware_the_catalog_does_not_hold_maps_to_nothing(catalog, text):
    assert match_hardware(text, catalog)[0] is None


def _write(tmp_path, rows: list[dict[str, str]]):
    path = tmp_path / "published.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(KNOWN_COLUMNS))
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in KNOWN_COLUMNS})
    return path


ROWS = [
    # fully mappable: vLLM (from the source id), HumanEval -> code, per-token alpha and speedup
    {"source_id": "someone_vllm_blog", "target_model": "Qwen/Qwen3-32B", "target_params_b": "32",
     "draft_model": "Qwen/Qwen3-1.7B", "draft_params_b": "1.7", "hardware": "2x H100 (TP=2)", "batch_size": "8",
     "k_draft_tokens": "4", "temperature": "0", "task_or_dataset": "HumanEval", "speedup": "1.8",
     "alpha_per_token": "0.72", "draft_precision": "FP8"},
    # models without a public config: alpha only, from the inline sizes
    {"source_id": "paper", "target_model": "LaMDA 137B", "target_params_b": "137", "draft_model": "LaMDA 2B",
     "draft_params_b": "2", "same_family": "yes", "task_or_dataset": "LaMDA dialog task", "alpha_per_token": "0.71"},
    # MLX named in the notes, MT-Bench is chat even though it has a coding category
    {"source_id": "forum", "target_model": "Llama-3.1-8B (Instruct)", "draft_model": "Llama-3.2-1B",
     "hardware": "Apple M1 Pro 32GB", "task_or_dataset": "mt-bench incl. coding", "speedup": "0.9",
     "notes": "LM Studio MLX engine", "target_precision": "4-bit", "draft_precision": "4-bit"},
    # nothing usable: unknown models and no alpha -> skipped with its reason
    {"source_id": "x", "target_model": "Mystery 70B", "draft_model": "Mystery 1B", "hardware": "1x H100",
     "speedup": "2.0"},
]


def test_csv_rows_map_with_engine_task_format_and_reasons(tmp_path, catalog):
    imp = import_csv(_write(tmp_path, ROWS), catalog)
    assert len(imp.rows) == 3
    vllm, lamda, mlx = imp.rows
    assert (vllm.engine, vllm.task, vllm.tp, vllm.batch_size, vllm.k) == ("vllm", "code", 2, 8, 4)
    assert vllm.hardware == "h100-sxm" and vllm.draft_format == "fp8" and vllm.fits_speedup and vllm.fits_alpha
    assert lamda.target is None and lamda.fits_alpha and not lamda.fits_speedup
    assert (lamda.target_params_b, lamda.draft_params_b, lamda.same_family, lamda.task) == (137, 2, True, "chat")
    assert (mlx.engine, mlx.task, mlx.target_format) == ("mlx", "chat", "int4")
    assert mlx.target == "meta-llama/Llama-3.1-8B-Instruct" and mlx.hardware == "apple-m1-pro"
    assert [line for line, _ in imp.skipped] == [5]
    assert "'Mystery 70B' is not in the catalog" in imp.skipped[0][1]
    assert any(line == 3 for line, _ in imp.notes)  # the LaMDA row says what it could not map


def test_load_calibration_reads_csv_and_calibrate_model_fits_it(tmp_path):
    path = _write(tmp_path, ROWS)
    assert len(load_rows(path)) == 3
    res = invoke("calibrate-model", "--data", str(path), "--dry-run", "--format", "json")
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)["summary"]
    assert summary["speedup_rows"] == 2 and summary["alpha_rows"] == 2
    assert [(s["line"], "Mystery 70B" in s["reason"]) for s in summary["skipped"]] == [(5, True)]


def test_csv_with_no_mappable_row_is_an_error_naming_the_line(tmp_path, catalog):
    path = _write(tmp_path, ROWS[3:])
    before = path.read_bytes()
    with pytest.raises(InputFileError) as e:
        import_csv(path, catalog)
    assert e.value.line == 2 and "no row maps onto the catalog" in str(e.value)
    assert path.read_bytes() == before


def test_csv_header_only_is_an_error(tmp_path, catalog):
    with pytest.raises(InputFileError, match="no data rows"):
        import_csv(_write(tmp_path, []), catalog)


def test_optional_columns_state_what_the_prose_leaves_implicit(tmp_path, catalog):
    path = tmp_path / "sheet.csv"
    cols = [*KNOWN_COLUMNS, "engine", "tp", "context_len", "k_adaptive"]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        w.writerow({**{k: "" for k in cols}, "source_id": "mine", "target_model": "Qwen/Qwen2.5-Coder-32B-Instruct",
                    "draft_model": "Qwen/Qwen2.5-Coder-0.5B-Instruct", "hardware": "1x RTX 3090", "k_draft_tokens": "16",
                    "speedup": "3.1", "engine": "llamacpp", "context_len": "4096", "k_adaptive": "yes"})
        w.writerow({**{k: "" for k in cols}, "source_id": "mine2", "target_model": "Qwen/Qwen3-32B",
                    "draft_model": "Qwen/Qwen3-1.7B", "hardware": "1x H100", "speedup": "1.9", "engine": "vllm", "tp": "2"})
    a, b = import_csv(path, catalog).rows
    assert (a.engine, a.context_len, a.k_adaptive, a.k) == ("llamacpp", 4096, True, 16)
    assert (b.engine, b.tp) == ("vllm", 2)


def test_a_misspelt_column_is_named_with_a_suggestion(tmp_path, catalog):
    path = tmp_path / "sheet.csv"
    path.write_text(",".join([*KNOWN_COLUMNS, "engien"]) + "\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="did you mean 'engine'"):
        import_csv(path, catalog)


def test_an_unknown_engine_skips_the_row_with_its_reason(tmp_path, catalog):
    path = tmp_path / "sheet.csv"
    cols = [*KNOWN_COLUMNS, "engine"]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        w.writerow({**{k: "" for k in cols}, "source_id": "a", "target_model": "Qwen/Qwen3-32B",
                    "draft_model": "Qwen/Qwen3-1.7B", "hardware": "1x H100", "speedup": "1.9", "engine": "tgi"})
        w.writerow({**{k: "" for k in cols}, "source_id": "b", "target_model": "Qwen/Qwen3-32B",
                    "draft_model": "Qwen/Qwen3-1.7B", "hardware": "1x H100", "speedup": "1.9"})
    imp = import_csv(path, catalog)
    assert len(imp.rows) == 1 and imp.skipped[0][0] == 2 and "engine 'tgi'" in imp.skipped[0][1]


def _sheet(tmp_path, rows, cols=KNOWN_COLUMNS, trailing_comma=False):
    path = tmp_path / "s.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([*cols, ""] if trailing_comma else list(cols))
        for r in rows:
            w.writerow([r.get(c, "") for c in cols] + ([""] if trailing_comma else []))
    return path


OK = {"source_id": "ok", "target_model": "Qwen/Qwen3-32B", "draft_model": "Qwen/Qwen3-1.7B", "hardware": "1x H100",
      "speedup": "1.9"}


@pytest.mark.parametrize(("field", "value", "why"), [
    ("speedup", "inf", "no usable"), ("temperature", "-1", "out of range"), ("k_draft_tokens", "100000", "out of range"),
    ("draft_model", "Qwen/Qwen3-32B", "target and draft both read as Qwen/Qwen3-32B"),
])
def test_rows_out_of_range_or_self_drafting_are_skipped_with_the_reason(tmp_path, catalog, field, value, why):
    imp = import_csv(_sheet(tmp_path, [OK, {**OK, field: value}]), catalog)
    assert len(imp.rows) == 1 and imp.skipped[0][0] == 3 and why in imp.skipped[0][1]


def test_nan_temperature_reads_as_not_stated(tmp_path, catalog):
    (row,) = import_csv(_sheet(tmp_path, [{**OK, "temperature": "nan"}]), catalog).rows
    assert row.temperature == 0.0


def test_llamacpp_rows_read_k_as_a_cap_and_drop_alpha(tmp_path, catalog):
    base = {**OK, "source_id": "llamacpp_issue", "hardware": "1x RTX 3090", "k_draft_tokens": "16",
            "alpha_per_token": "0.85"}
    adaptive, fixed = import_csv(_sheet(tmp_path, [base, {**base, "notes": "--draft-p-min 0"}]), catalog).rows
    assert adaptive.k_adaptive and adaptive.measured_alpha is None and adaptive.use_for == ("speedup",)
    assert not fixed.k_adaptive and fixed.measured_alpha == 0.85


def test_line_numbers_follow_quoted_newlines_and_a_trailing_comma_is_fine(tmp_path, catalog):
    path = _sheet(tmp_path, [{**OK, "notes": "two\nlines"}, {**OK, "target_model": "Mystery 9B"}], trailing_comma=True)
    imp = import_csv(path, catalog)
    assert len(imp.rows) == 1 and imp.skipped == [(4, "target 'Mystery 9B' is not in the catalog")]


def test_task_keywords_match_whole_words(tmp_path, catalog):
    rows = import_csv(_sheet(tmp_path, [{**OK, "task_or_dataset": "greedy decode, encoder-decoder translation"},
                                        {**OK, "task_or_dataset": "code-edit prompt"}]), catalog).rows
    assert [r.task for r in rows] == ["translation", "edit"]


def test_a_defaulted_engine_and_an_unknown_precision_are_noted(tmp_path, catalog):
    imp = import_csv(_sheet(tmp_path, [{**OK, "target_precision": "IQ4_XS"}]), catalog)
    (line, note), = imp.notes
    assert line == 2 and "transformers assumed" in note and "'IQ4_XS' not understood" in note
