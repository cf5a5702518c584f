"""Property tests: no parser crashes on arbitrary input, and the estimator's invariants hold.

Each parser may fail only with its documented error type (a `SpecAdvisorError`, which the CLI turns into
a one-line message and exit code 2, or a finding for `check`); anything else would be a traceback for the
user. Inputs are drawn both from raw text and from fragments of the formats (shell words and quotes,
YAML indicators, Prometheus samples, engine log lines), which reach much deeper than random text does.

Known product bugs are kept out of the strategies by the `_KNOWN_BUG_*` filters below, each with a
strict-xfail regression test holding its minimal reproduction; when a bug is fixed, its regression
test fails (XPASS) and the filter should go with the mark.
"""

from __future__ import annotations

import atexit
import math
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specadvisor.advise.advisor import Workload, compare
from specadvisor.catalog.core import load_catalog, load_catalog_file
from specadvisor.check.extract import extract_file
from specadvisor.check.shell import ShellSyntaxError, commands, line_col, split_words
from specadvisor.errors import InputFileError, SpecAdvisorError
from specadvisor.measure.analysis import analyze, counts_from_text, report_dict
from specadvisor.measure.counts import MeasureError
from specadvisor.measure.logs import parse_log
from specadvisor.measure.prometheus import counts_from_snapshot, parse_exposition
from specadvisor.measure.sources import SourceText, _decode
from specadvisor.model.coefficients import ENGINES, TASKS
from specadvisor.yamlio import load_yaml_text

PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FAST = settings(max_examples=200, deadline=None)

_TMP = Path(tempfile.mkdtemp(prefix="specadvisor-props-"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)


def _fragments(parts: list[str], max_size: int = 40) -> st.SearchStrategy[str]:
    """Text assembled from format fragments, with some arbitrary characters mixed in."""
    piece = st.one_of(st.sampled_from(parts), st.text(max_size=3))
    return st.lists(piece, max_size=max_size).map("".join)


# -- shell words -----------------------------------------------------------------------------------

_SHELL = ["vllm", " ", "serve", "--speculative-config", "'", '"', "\\", "\\\n", "\n", "\r\n", "\t", ";", "&&", "||",
          "|", "&", "#", "$", "`", "{", "}", '{"model": "x"', "=", "sh", "-c", "python -m sglang.launch_server"]
shell_text = st.one_of(st.text(max_size=200), _fragments(_SHELL))


@FAST
@given(shell_text)
def test_split_words_raises_only_shell_syntax_errors(text: str) -> None:
    try:
        words = split_words(text)
    except ShellSyntaxError as exc:
        assert 0 <= exc.offset < len(text)
        assert text[exc.offset] in "'\""
        return
    offsets = [w.offset for w in words]
    assert offsets == sorted(offsets)
    assert all(0 <= o < len(text) for o in offsets)
    for cmd in commands(words):
        assert cmd and all(w.text not in (";", "&&", "||", "|", "&", "\n") for w in cmd)
    for o in offsets:
        line, col = line_col(text, o)
        assert line == text.count("\n", 0, o) + 1 and col >= 1


@FAST
@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
                        max_size=12), min_size=1, max_size=8))
def test_single_quoted_words_round_trip(words: list[str]) -> None:
    """Any list of words, single-quoted POSIX-style, splits back into the same words."""
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    assert [w.text for w in split_words(quoted)] == words


# -- YAML ------------------------------------------------------------------------------------------

_YAML = ["a", "b: ", "- ", "  ", "\n", "\t", ":", "[", "]", "{", "}", ",", "&x ", "*x", "<<: ", "!!str ", "!!binary ",
         "!!python/object:os.system ", "? ", "|", ">", "'", '"', "#", "---\n", "...\n", "%YAML 1.1\n", "1", "-1",
         ".nan", ".inf", "~", "null", "yes", "2024-01-01", "0x1F", "1e400", "\ufeff", "\r\n"]
yaml_text = st.one_of(st.text(max_size=200), _fragments(_YAML, 60))


@FAST
@given(yaml_text)
def test_load_yaml_text_raises_only_input_file_errors(text: str) -> None:
    try:
        load_yaml_text(text, "doc.yaml")
    except InputFileError as exc:
        assert exc.path == "doc.yaml"
        assert exc.message.startswith("doc.yaml")


# Printable text: libyaml (CSafeLoader) reads NEL and other C0/C1 controls that PyYAML's dumper leaves
# unquoted as line breaks or refuses them, a PyYAML/libyaml mismatch rather than specadvisor's.
_printable = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=20)
_json_scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
                          st.floats(allow_nan=False), _printable)
json_like = st.recursive(_json_scalars, lambda kids: st.one_of(st.lists(kids, max_size=4),
                                                               st.dictionaries(_printable, kids, max_size=4)),
                         max_leaves=20)


@FAST
@given(json_like)
def test_yaml_round_trip(value: Any) -> None:
    """What PyYAML's safe dumper writes, the line-tracking loader reads back unchanged."""
    text = yaml.safe_dump(value, allow_unicode=True)
    assert load_yaml_text(text, "doc.yaml") == value


# -- catalogs --------------------------------------------------------------------------------------

_MODEL: dict[str, Any] = {
    "id": "acme/tiny-1b", "family": "acme", "generation": "1", "params_b": 1.236, "layers": 16, "hidden_size": 2048,
    "intermediate_size": 8192, "heads": 32, "kv_heads": 8, "head_dim": 64, "vocab_size": 128256,
    "tie_embeddings": True, "tokenizer": "llama3", "precision": "bf16", "domain": "general",
    "source": "https://example.invalid/acme/tiny-1b",
}
_HARDWARE: dict[str, Any] = {"id": "acme-gpu", "name": "Acme GPU", "vendor": "acme", "kind": "gpu", "memory_gb": 48,
                             "bandwidth_gbs": 960, "bf16_tflops": 180, "source": "https://example.invalid/gpu"}
_FIELDS = sorted(set(_MODEL) | set(_HARDWARE) | {"moe", "aliases", "eos_ids", "active_params_b", "sliding_window",
                                                 "tokenizer_len", "bos_id", "max_context", "verified", "mlp"})
_values = st.one_of(_json_scalars, st.floats(), st.lists(_json_scalars, max_size=3),
                    st.dictionaries(st.sampled_from(["experts", "top_k", "expert_intermediate", "x"]), _json_scalars,
                                    max_size=4))


# _KNOWN_BUG_KEY_NEWLINE: a key with a line break makes a multi-line error (regression test below)
_keys = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=8)


@st.composite
def _entry(draw: st.DrawFn, base: dict[str, Any]) -> Any:
    if draw(st.integers(0, 9)) == 0:
        return draw(_values)  # not a mapping at all
    entry = dict(base)
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.one_of(st.sampled_from(_FIELDS), _keys))
        if draw(st.booleans()) and key in entry:
            del entry[key]
        else:
            entry[key] = draw(_values)
    return entry


catalog_docs = st.one_of(
    st.fixed_dictionaries({}, optional={"models": st.one_of(st.lists(_entry(_MODEL), max_size=3), _values),
                                        "hardware": st.one_of(st.lists(_entry(_HARDWARE), max_size=2), _values),
                                        "schema_version": _values}),
    st.dictionaries(_keys, _values, max_size=3),
    _values,
)


@PROPS
@given(catalog_docs)
def test_load_catalog_file_raises_only_input_file_errors(doc: Any) -> None:
    path = _TMP / "catalog.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    try:
        models, hardware = load_catalog_file(path)
    except InputFileError as exc:
        assert exc.path == str(path)
        assert "\n" not in exc.message
        return
    for m in models:  # whatever loads is usable: positive sizes, active <= total
        assert m.params_b > 0 and 0 < m.active_params_b <= m.params_b * 1.0001 and m.layers >= 1
    for h in hardware:
        assert h.memory_gb > 0 and h.bandwidth_gbs > 0 and h.bf16_tflops > 0


# -- deployment configs (check) --------------------------------------------------------------------

_CONFIG = ["vllm serve ", "meta-llama/Llama-3.1-70B-Instruct", " meta-llama/Llama-3.2-1B-Instruct",
           " --speculative-config ", "'{\"model\": \"meta-llama/Llama-3.2-1B-Instruct\", ", "\"num_speculative_tokens\": ",
           "4", "0", "-1", "1e9", "NaN", "}'", " --tensor-parallel-size ", "\\\n", "\r\n", "\n", "'", '"', " ", "  ",
           "apiVersion: v1\nkind: Pod\n", "spec:\n  containers:\n    - name: a\n", "      command: ", "      args: ",
           "[\"sh\", \"-c\", \"", "services:\n  a:\n    command: ", "deployments:\n  - ", "target: ", "draft: ", "k: ",
           "speculative_config:\n  ", "model: ", "num_speculative_tokens: ", "max_draft_len: ", "decoding_type: Draft\n",
           "FROM vllm/vllm-openai:v0.15.1\n", "CMD ", "ENTRYPOINT ", "[", "]", "{", "}", ",", ":", "- ", "&a ", "*a",
           "#", "\t", "python -m sglang.launch_server --model-path ", " --speculative-algorithm EAGLE",
           "llama-server -m a.gguf -md b.gguf --draft-max ", "trtllm-serve ", "\ufeff"]
config_text = st.one_of(st.text(max_size=300), _fragments(_CONFIG, 50))


@PROPS
@given(config_text, st.sampled_from(["serve.sh", "config.yaml", "Dockerfile", "compose.yml", "run.env"]))
def test_extract_file_never_raises(text: str, name: str) -> None:
    path = _TMP / name
    path.write_text(text, encoding="utf-8", newline="")
    sites, problems = extract_file(path)
    for kind, loc, msg in problems:
        assert kind in ("parse-error", "config-parse-error") and loc.line >= 1 and msg
    for site in sites:
        for kind, loc, msg in site.problems:
            assert kind in ("parse-error", "config-parse-error") and loc.line >= 1 and msg


@pytest.fixture(scope="module")
def check_env() -> tuple[Any, Any, Any, Any]:
    from specadvisor.check.config import CheckConfig
    from specadvisor.model.coefficients import load_coefficients
    from specadvisor.rules.engine import load_rules

    return load_catalog(), load_coefficients(), load_rules(), CheckConfig()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(config_text, st.sampled_from(["serve.sh", "config.yaml", "Dockerfile"]))
def test_check_reports_findings_and_never_raises(check_env: tuple[Any, Any, Any, Any], text: str, name: str) -> None:
    """The whole `check` pipeline (extraction, facts, rules) on arbitrary files: findings, never an exception."""
    from specadvisor.check.run import check_paths

    path = _TMP / name
    path.write_text(text, encoding="utf-8", newline="")
    result = check_paths([str(path)], *check_env)
    for f in result.findings:
        assert f.path == str(path) and f.line >= 1 and f.col >= 1 and f.rule.startswith("SPEC")


# -- metrics and logs (measure) --------------------------------------------------------------------

_NAMES = ["vllm:spec_decode_num_drafts_total", "vllm:spec_decode_num_draft_tokens_total",
          "vllm:spec_decode_num_accepted_tokens_total", "vllm:spec_decode_num_accepted_tokens_per_pos_total",
          "vllm:spec_decode_num_emitted_tokens_total", "vllm:spec_decode_draft_acceptance_rate",
          "vllm:spec_decode_efficiency", "sglang:spec_accept_length", "sglang:spec_accept_rate",
          "trtllm_spec_decode_num_draft_tokens_total", "trtllm_spec_decode_num_accepted_tokens_total",
          "trtllm_spec_decode_acceptance_length", "trtllm_speculative_config_info", "other_metric"]
_LABELS = ["", '{engine="0"}', '{position="0"}', '{position="1"}', '{position="3"}', '{position="-1"}',
           '{position="x"}', '{model_name="a",engine="1"}', '{max_draft_len="4"}', '{max_draft_len="0"}', '{a="b"']
_VALUES = ["0", "1", "4", "1000", "1845.0", "-5", "0.5", "1.5", "2.8", "NaN", "1e308", "abc", ""]


@st.composite
def expositions(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.integers(0, 9))
        name = draw(st.sampled_from(_NAMES))
        if kind == 0:
            lines.append(f"# TYPE {name} {draw(st.sampled_from(['counter', 'gauge', 'untyped', 'histogram', 'x']))}")
        elif kind == 1:
            lines.append(draw(st.text(max_size=20)))
        else:
            lines.append(f"{name}{draw(st.sampled_from(_LABELS))} {draw(st.sampled_from(_VALUES))}")
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n"]))


_NUM = ["0", "1", "4", "460", "1000", "0.5", "2.84", "nan", "inf", "1e400", "-1", ""]


@st.composite
def engine_logs(draw: st.DrawFn) -> str:
    n = lambda: draw(st.sampled_from(_NUM))  # noqa: E731
    templates = [
        lambda: (f"INFO SpecDecoding metrics: Mean acceptance length: {n()}, Accepted: {n()} tokens, Drafted: {n()} "
                 f"tokens, Per-position acceptance rate: {n()}, {n()}, Avg Draft acceptance rate: {n()}%"),
        lambda: (f"INFO Speculative metrics: Draft acceptance rate: {n()}, System efficiency: {n()}, Number of "
                 f"speculative tokens: {n()}, Number of accepted tokens: {n()}, Number of draft tokens: {n()}, "
                 f"Number of emitted tokens: {n()}."),
        lambda: f"[TP0] Decode batch. #running-req: 1, accept len: {n()}, accept rate: {n()}, gen throughput (token/s): {n()}",
        lambda: f"draft acceptance rate = {n()} ( {n()} accepted / {n()} generated)",
        lambda: f"statistics draft: #calls = {n()}, #gen drafts = {n()}, #acc drafts = {n()}, #gen tokens = {n()}, "
                f"#acc tokens = {n()}",
        lambda: '{"timings": {"draft_n": ' + (n() or "1") + ', "draft_n_accepted": ' + (n() or "1") + "}}",
        lambda: draw(st.text(max_size=30)),
    ]
    lines = [draw(st.sampled_from(templates))() for _ in range(draw(st.integers(1, 6)))]
    text = "\n".join(lines) + "\n"
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]  # truncated anywhere
    return text


def _measure_text(text: str) -> None:
    """What `measure FILE` does with a file's text: decode, parse (log or exposition), analyse."""
    try:
        st_text = SourceText(_decode(text.encode("utf-8"), "input"), "input", "measured:input")
        _, counts = counts_from_text(st_text)
        m = analyze(counts)
        report_dict(m, None, ["--target"])
    except SpecAdvisorError as exc:
        assert "\n" not in exc.message.strip(), exc.message
        return
    if m.alpha is not None:
        assert 0.0 <= m.alpha <= 1.0
    if m.tau is not None and m.k is not None:
        assert 1.0 - 1e-9 <= m.tau <= m.k + 1 + 1e-9


@PROPS
@given(st.one_of(expositions(), st.text(max_size=200)))
def test_measure_on_expositions_raises_only_documented_errors(text: str) -> None:
    _measure_text(text)


@PROPS
@given(engine_logs())
def test_measure_on_engine_logs_raises_only_documented_errors(text: str) -> None:
    _measure_text(text)


@FAST
@given(expositions())
def test_parse_exposition_raises_only_input_file_errors(text: str) -> None:
    try:
        snap = parse_exposition(text, "metrics.txt")
    except InputFileError as exc:
        assert exc.path == "metrics.txt"
        return
    try:
        counts_from_snapshot(snap)
    except SpecAdvisorError as exc:  # MeasureError, or InputFileError naming the series
        assert exc.message.startswith("metrics.txt")


@FAST
@given(engine_logs())
def test_parse_log_raises_only_documented_errors(text: str) -> None:
    try:
        parse_log(text, "engine.log")
    except (InputFileError, MeasureError) as exc:
        assert exc.message.startswith("engine.log")


@FAST
@given(st.binary(max_size=300))
def test_decode_refuses_bad_bytes_with_measure_errors(data: bytes) -> None:
    try:
        text = _decode(data, "input")
    except MeasureError as exc:
        assert exc.message.startswith("input: ")
        return
    assert isinstance(text, str) and "\x00" not in text


# -- regressions: minimal reproductions of bugs the bad-input corpus found ---------------------------
# Each pins its outcome: these inputs are refused with one line that says why (they once crashed).


def _refused(text: str, needle: str) -> None:
    """`measure` refuses `text` with a one-line MeasureError containing `needle` (never a crash, never a number)."""
    st_text = SourceText(_decode(text.encode("utf-8"), "input"), "input", "measured:input")
    with pytest.raises(SpecAdvisorError) as exc:
        _, counts = counts_from_text(st_text)
        analyze(counts)
    assert "\n" not in exc.value.message.strip()
    assert needle in exc.value.message, exc.value.message


def test_regression_huge_integer_in_yaml() -> None:
    with pytest.raises(InputFileError):
        load_yaml_text("x: 1" + "0" * 4300 + "\n", "doc.yaml")


@pytest.mark.parametrize("text", ["!!map 0", "!!seq 0", "!!set 0", "models: !!map x", "!!int abc", "!!float x", "!!bool x",
                                  "!!timestamp x", "!!seq {a: 1}", "!!map [1, 2]"])
def test_regression_explicit_tags(text: str) -> None:
    with pytest.raises(InputFileError):
        load_yaml_text(text + "\n", "doc.yaml")


def test_regression_newline_in_key(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text('"mod\\nels": []\n', encoding="utf-8")
    with pytest.raises(InputFileError) as exc:
        load_catalog_file(path)
    assert "\n" not in exc.value.message


def test_regression_control_character_message() -> None:
    with pytest.raises(InputFileError) as exc:
        load_yaml_text("a: 1\nb: \x07\n", "doc.yaml")
    assert "\n" not in exc.value.message and exc.value.line == 2


def test_regression_llamacpp_nan_timings() -> None:
    _refused('{"timings": {"draft_n": NaN, "draft_n_accepted": 5}}\n', 'is not a count')


def test_regression_llamacpp_inf_timings() -> None:
    _refused('{"timings": {"draft_n": Infinity, "draft_n_accepted": 5}}\n', 'is not a count')


def test_regression_vllm_v1_infinite_per_position_rate() -> None:
    _refused("INFO SpecDecoding metrics: Mean acceptance length: 2, Accepted: 500 tokens, Drafted: 1000 tokens, "
                  "Per-position acceptance rate: 0.5, inf\n", 'is not an acceptance rate')


def test_regression_counter_sum_overflow() -> None:
    _refused('vllm:spec_decode_num_drafts_total{engine="0"} 1e308\n'
                  'vllm:spec_decode_num_drafts_total{engine="1"} 1e308\n', 'more than a float can hold')


def test_regression_llamacpp_inconsistent_statistics() -> None:
    _refused("statistics draft: #calls = 0, #gen drafts = 1, #acc drafts = 0, #gen tokens = 0, #acc tokens = 1\n"
                  '{"timings": {"draft_n": 1, "draft_n_accepted": 0}}\n', 'exceeds')


def test_regression_llamacpp_statistics_k_below_one() -> None:
    _refused("draft acceptance rate = 0 ( 0 accepted / 1 generated)\n"
                  "statistics draft: #calls = 4, #gen drafts = 4, #acc drafts = 0, #gen tokens = 1, #acc tokens = 0\n",
             "at least one")


def test_regression_sglang_infinite_accept_length() -> None:
    _refused("sglang:spec_accept_length +Inf\nsglang:spec_accept_rate 0.5\n", 'not a mean acceptance length')


def test_regression_trtllm_huge_acceptance_length() -> None:
    _refused("trtllm_spec_decode_num_draft_tokens_total 100\ntrtllm_spec_decode_num_accepted_tokens_total 50\n"
                  "trtllm_spec_decode_acceptance_length 1e308\n", 'not a mean acceptance length')


# -- estimator invariants --------------------------------------------------------------------------

_CAT = load_catalog()
_IDS = sorted(m.id for m in _CAT.models)
_HW = sorted(h.id for h in _CAT.hardware)

workloads = st.builds(
    Workload,
    hardware=st.sampled_from(_HW),
    tp=st.sampled_from([None, 1, 2, 4, 8]),
    batch_size=st.integers(min_value=1, max_value=100_000),
    context_len=st.integers(min_value=1, max_value=10_000_000),
    task=st.sampled_from(TASKS),
    temperature=st.floats(min_value=0.0, max_value=10.0),
    engine=st.sampled_from(ENGINES),
    alpha=st.one_of(st.none(), st.floats(min_value=0.0, max_value=1.0, exclude_max=True)),
    k=st.one_of(st.none(), st.integers(min_value=1, max_value=64)),
    max_k=st.integers(min_value=1, max_value=64),
)
drafts = st.lists(st.tuples(st.sampled_from(_IDS), st.sampled_from(["", "@fp8", "@int4", "@int8", "@q4_k_m", "@q8_0"]))
                  .map("".join), min_size=1, max_size=4)


@PROPS
@given(st.sampled_from(_IDS), drafts, workloads)
def test_estimator_invariants(target: str, draft_refs: list[str], w: Workload) -> None:
    try:
        advice = compare(_CAT, target, draft_refs, w)
    except SpecAdvisorError as exc:  # e.g. a target that fits no tensor-parallel group of this hardware
        assert "\n" not in exc.message
        return
    if advice.verdict == "cannot-run":  # the workload itself cannot run (too long a context, no room): no speedups
        assert not advice.candidates and advice.reasons
        return
    assert len(advice.candidates) == len(draft_refs)
    for c in advice.candidates:
        assert 0.0 <= c.alpha_low <= c.alpha <= c.alpha_high <= 1.0
        assert c.speedup_low <= c.speedup <= c.speedup_high
        assert all(math.isfinite(x) and x > 0 for x in (c.speedup_low, c.speedup, c.speedup_high))
        assert 1 <= c.k <= max(w.max_k, w.k or 0)
        assert 1.0 <= c.tokens_per_round <= c.k + 1
        a = c.alpha
        tau = c.k + 1 if a >= 1 else (1 - a ** (c.k + 1)) / (1 - a)
        assert c.tokens_per_round == pytest.approx(tau, rel=1e-9)
        assert c.k_best in c.speedup_by_k and c.speedup_by_k[c.k_best] == max(c.speedup_by_k.values())
        if w.k is None:
            assert c.k == c.k_best
        if c.k in c.speedup_by_k:
            assert c.speedup == pytest.approx(c.speedup_by_k[c.k])
        assert c.cost_ratio > 0 and c.draft_step_ms > 0 and c.target_step_ms > 0


@PROPS
@given(st.sampled_from(_IDS), drafts, workloads)
def test_a_pair_does_not_depend_on_the_other_drafts_compared(target: str, draft_refs: list[str], w: Workload) -> None:
    try:
        together = compare(_CAT, target, draft_refs, w)
    except SpecAdvisorError:
        return
    if together.verdict == "cannot-run":
        return
    alone = compare(_CAT, target, draft_refs[-1:], w)
    b = alone.candidates[0]
    (a,) = [c for c in together.candidates if c.draft == b.draft][:1]  # candidates come ranked, not in input order
    assert (a.alpha, a.k, a.speedup, a.speedup_low, a.speedup_high, a.verdict) == \
        (b.alpha, b.k, b.speedup, b.speedup_low, b.speedup_high, b.verdict)
