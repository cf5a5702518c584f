"""`specadvisor measure` on the command line: output, exit codes, the HTTP path and `--save`.

The HTTP tests start a real `http.server` on 127.0.0.1 (an ephemeral port) in a thread; nothing else
touches the network.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from specadvisor.calibration.rows import load_calibration
from specadvisor.cli.app import app
from specadvisor.errors import InputFileError

FIX = Path(__file__).parent / "fixtures" / "measure"
LLAMA_70B = "meta-llama/Llama-3.1-70B-Instruct"
LLAMA_1B = "meta-llama/Llama-3.2-1B-Instruct"
PAIR = ("--target", LLAMA_70B, "--draft", LLAMA_1B, "--hardware", "h100-sxm", "--tp", "4")


def f(name: str) -> str:
    return str(FIX / name)


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: str, input: str | None = None):
    result = runner.invoke(app, ["measure", *args], input=input, catch_exceptions=True, env={"COLUMNS": "200"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"specadvisor measure {' '.join(args)} crashed") from result.exception
    return result


def run_json(runner: CliRunner, *args: str, input: str | None = None) -> dict:
    result = invoke(runner, *args, "--format", "json", input=input)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return json.loads(result.stdout)


def assert_usage_error(result, *needles: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


# -- the done-when -------------------------------------------------------------------------


def test_done_when_vllm_rate_046_at_k4_reports_alpha_072(runner):
    d = run_json(runner, f("vllm_v1.prom"), *PAIR)
    assert d["schema_version"] == 1
    assert round(d["accepted_per_drafted"], 2) == 0.46
    assert d["k"] == 4 and abs(d["tau"] - 2.85) < 0.01
    assert abs(d["alpha"] - 0.72) < 0.01  # the per-token alpha, not 0.46
    # one sentence that names both numbers
    expl = d["explanation"]
    assert "0.46" in expl and "0.71" in expl and expl.endswith(".") and expl.count(". ") == 0
    pred = d["prediction"]
    curve = {int(k): s for k, s in pred["speedup_by_k"].items()}
    assert sorted(curve) == list(range(1, 17))
    best = max(curve, key=lambda k: (curve[k], -k))
    assert d["recommended_k"] == pred["k_recommended"] == best
    assert pred["alpha"] == pytest.approx(d["alpha"], abs=1e-4)
    assert pred["k_deployed"] == 4 and pred["speedup_deployed"] == pytest.approx(curve[4], abs=1e-3)
    # consistent with alpha 0.71: inside the article's k range for it, and longer than what the
    # mistaken alpha = 0.46 would suggest for the same pair
    g = d["k_guidance"]
    assert g["rule"] == "SPEC206" and g["k_min"] <= d["recommended_k"] <= g["k_max"]
    wrong = runner.invoke(app, ["compare", "--target", LLAMA_70B, LLAMA_1B, "--hardware", "h100-sxm", "--tp", "4",
                                "--alpha", "0.46", "--format", "json"])
    assert wrong.exit_code == 0
    assert json.loads(wrong.stdout)["candidates"][0]["k"] < d["recommended_k"]


def test_table_output(runner):
    r = invoke(runner, f("vllm_v1.prom"), *PAIR)
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    for needle in ("tau", "2.845", "accepted/drafted", "0.461", "per-token alpha", "0.714",
                   "Acceptance by position", "█", "Where rejections happen: even", "Recommended k =",
                   "is accepted/drafted = (tau - 1) / k", "SPEC213"):
        assert needle in out, needle


def test_without_pair_reports_alpha_and_what_is_missing(runner):
    d = run_json(runner, f("vllm_v1.prom"))
    assert d["prediction"] is None and d["recommended_k"] is None
    assert d["missing"] == ["--target", "--draft", "--hardware"]
    assert any("no speedup prediction" in n for n in d["notes"])
    assert d["alpha"] == pytest.approx(0.7135, abs=1e-3)
    r = invoke(runner, f("vllm_v1.prom"))
    assert "k advice: 4-6 (SPEC206, the table at alpha 0.71)" in r.stdout


def test_low_alpha_fires_spec204_without_a_pair(runner, tmp_path):
    p = tmp_path / "low.prom"
    p.write_text("# TYPE vllm:spec_decode_num_drafts_total counter\nvllm:spec_decode_num_drafts_total 1000.0\n"
                 "# TYPE vllm:spec_decode_num_draft_tokens_total counter\nvllm:spec_decode_num_draft_tokens_total 4000.0\n"
                 "# TYPE vllm:spec_decode_num_accepted_tokens_total counter\nvllm:spec_decode_num_accepted_tokens_total 800.0\n")
    d = run_json(runner, str(p))
    assert d["alpha"] < 0.65
    assert [x["rule"] for x in d["diagnostics"]] == ["SPEC204"]


def test_high_alpha_expensive_draft_fires_spec205(runner, tmp_path):
    per_pos = [1000 * 0.95 ** (i + 1) for i in range(8)]
    lines = ["# TYPE vllm:spec_decode_num_drafts_total counter", "vllm:spec_decode_num_drafts_total 1000.0",
             "# TYPE vllm:spec_decode_num_draft_tokens_total counter", "vllm:spec_decode_num_draft_tokens_total 8000.0",
             "# TYPE vllm:spec_decode_num_accepted_tokens_total counter",
             f"vllm:spec_decode_num_accepted_tokens_total {sum(per_pos)!r}",
             "# TYPE vllm:spec_decode_num_accepted_tokens_per_pos_total counter"]
    lines += [f'vllm:spec_decode_num_accepted_tokens_per_pos_total{{position="{i}"}} {v!r}' for i, v in enumerate(per_pos)]
    p = tmp_path / "high.prom"
    p.write_text("\n".join(lines) + "\n")
    d = run_json(runner, str(p), "--target", "meta-llama/Llama-3.1-8B-Instruct", "--draft",
                 "meta-llama/Llama-3.2-3B-Instruct", "--hardware", "h100-sxm", "--tp", "1")
    assert d["alpha"] == pytest.approx(0.95, abs=1e-6)
    assert "SPEC205" in [x["rule"] for x in d["diagnostics"]]


def test_sglang_k_from_option(runner):
    d = run_json(runner, f("sglang_no_rate.prom"))
    assert d["alpha"] is None and d["tau"] == 2.6 and any("--k" in m for m in d["missing"])
    d = run_json(runner, f("sglang_no_rate.prom"), "--k", "4")
    assert d["k"] == 4 and d["k_source"] == "--k" and d["alpha"] == pytest.approx(0.6656, abs=1e-3)


def test_stdin(runner):
    d = run_json(runner, "-", input=(FIX / "vllm_v1.prom").read_text())
    assert d["source"]["location"] == "stdin" and d["drafts"] == 1000


def test_before_after(runner):
    d = run_json(runner, "--before", f("vllm_v1_before.prom"), "--after", f("vllm_v1_after.prom"))
    assert d["drafts"] == 500 and d["source"]["scrapes"] == 2
    assert d["rejections"]["where"] == "early"


@pytest.mark.parametrize("name", ["vllm_v1.log", "vllm_v0.log", "sglang.log", "llamacpp.log", "llamacpp_timings.json",
                                  "vllm_v0.prom", "trtllm.prom", "sglang.prom", "vllm_v1_no_per_pos.prom"])
def test_every_fixture_renders(runner, name):
    for fmt in ("table", "json"):
        r = invoke(runner, f(name), "--format", fmt)
        assert r.exit_code == 0, r.stderr
    alpha = json.loads(invoke(runner, f(name), "--format", "json").stdout)["alpha"]
    assert (alpha is None) == (name == "llamacpp_timings.json")  # timings count no rounds: no alpha


# -- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "needles"), [
    (("malformed.prom",), ("malformed.prom:3:", "Prometheus")),
    (("truncated_lastline.prom",), ("truncated_lastline.prom:19:",)),
    (("truncated_midline.prom",), ("incomplete",)),
    (("vllm_v1_truncated.log",), ("vllm_v1_truncated.log:1:", "truncated")),
    (("binary.bin",), ("binary",)),
    (("empty.prom",), ("empty",)),
    (("not_metrics.txt",), ("not_metrics.txt:1:",)),
    (("missing.prom",), ("no such file",)),
])
def test_bad_files_exit_2(runner, args, needles):
    assert_usage_error(invoke(runner, *(f(a) for a in args)), *needles)


def test_counter_reset_exits_2(runner):
    r = invoke(runner, "--before", f("vllm_v1_before.prom"), "--after", f("vllm_v1_after_restart.prom"))
    assert_usage_error(r, "counter reset", "fell from 1000 to 120")


@pytest.mark.parametrize(("args", "needle"), [
    (("--before", "x.prom"), "both --before and --after"),
    ((), "nothing to measure"),
    (("--interval", "5"), "--interval needs a URL"),
    (("--save", "out.yaml"), "--save needs --target and --draft"),
    (("--target", LLAMA_70B, "--draft", "no/such-model", "--hardware", "h100"), "unknown model"),
    (("--target", LLAMA_70B, "--draft", LLAMA_1B, "--hardware", "nope-9000"), "unknown hardware"),
    (("--k", "0"), "--k must be >= 1"),
])
def test_usage_errors(runner, tmp_path, args, needle):
    src = () if args in ((), ("--before", "x.prom")) else (f("vllm_v1.prom"),)
    if args == ("--interval", "5"):
        src = (f("vllm_v1.prom"),)
    assert_usage_error(invoke(runner, *src, *args), needle)


# -- HTTP ------------------------------------------------------------------------------------------


class _Metrics:
    """Serves /metrics whose counters grow by a fixed window on every request (or restart)."""

    def __init__(self) -> None:
        self.pages = [(FIX / "vllm_v1_before.prom").read_text(), (FIX / "vllm_v1_after.prom").read_text()]
        self.requests = 0


@pytest.fixture
def server() -> Iterator[tuple[str, _Metrics]]:
    state = _Metrics()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if self.path != "/metrics":
                self.send_error(404, "Not Found")
                return
            body = state.pages[min(state.requests, len(state.pages) - 1)].encode()
            state.requests += 1
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def test_url_single_scrape(runner, server):
    base, state = server
    d = run_json(runner, f"{base}/metrics")
    assert d["drafts"] == 1000 and d["source"]["location"] == f"{base}/metrics"
    assert state.requests == 1


def test_url_interval_measures_the_window(runner, server):
    base, state = server
    r = invoke(runner, "--url", f"{base}/metrics", "--interval", "0.05", "--format", "json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert state.requests == 2
    assert (d["drafts"], d["draft_tokens"], d["accepted_tokens"]) == (500, 2000, 1032)
    assert d["source"]["window_s"] >= 0.05 and d["source"]["scrapes"] == 2
    assert "scraping again" in r.stderr


def test_url_interval_detects_a_restart(runner, server):
    base, state = server
    state.pages = [(FIX / "vllm_v1_before.prom").read_text(), (FIX / "vllm_v1_after_restart.prom").read_text()]
    r = invoke(runner, f"{base}/metrics", "--interval", "0.01")
    assert r.exit_code == 2 and "counter reset" in r.stderr and "Traceback" not in r.output


def test_url_http_error_and_refused(runner, server):
    base, _ = server
    assert_usage_error(invoke(runner, f"{base}/nope"), "HTTP 404")
    import socket

    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert_usage_error(invoke(runner, f"http://127.0.0.1:{port}/metrics", "--timeout", "2"), "cannot connect")


def test_library_measured_alpha_over_http(server):
    from specadvisor.measure.analysis import measured_alpha

    base, _ = server
    assert measured_alpha(f"{base}/metrics") == pytest.approx(0.7135, abs=1e-3)


# -- --save ----------------------------------------------------------------------------------------


def test_save_creates_and_appends_calibration_rows(runner, tmp_path, catalog):
    out = tmp_path / "mine.yaml"
    r = invoke(runner, f("vllm_v1.prom"), *PAIR, "--batch-size", "8", "--save", str(out))
    assert r.exit_code == 0, r.stderr
    assert "appended row 1" in r.stderr
    rows = load_calibration(out)
    assert len(rows) == 1
    row = rows[0]
    assert row.source_id == "measured:vllm_v1.prom"
    assert (row.target, row.draft, row.hardware, row.tp, row.batch_size, row.k, row.engine) == \
        (LLAMA_70B, LLAMA_1B, "h100-sxm", 4, 8, 4, "vllm")
    assert row.alpha == pytest.approx(0.7135, abs=1e-3) and row.tau == pytest.approx(2.845)
    assert row.use_for == ("alpha", "tau") and row.fits_alpha
    raw = yaml.safe_load(out.read_text())["rows"][0]
    assert raw["measured_at"].endswith("Z") and "T" in raw["measured_at"]
    # calibrate-model can use the row
    from specadvisor.calibration.fit import predict, prior_document

    (pred,) = predict([row], catalog, prior_document())
    assert 0 < pred.alpha_pred < 1 and pred.alpha_meas == pytest.approx(row.alpha)

    out.write_text(out.read_text() + "# a comment the user added\n")
    r = invoke(runner, f("sglang.prom"), "--target", "Qwen/Qwen3-8B", "--draft", "Qwen/Qwen3-0.6B", "--save", str(out))
    assert r.exit_code == 0, r.stderr
    rows = load_calibration(out)
    assert [x.row for x in rows] == [1, 2] and rows[1].engine == "sglang" and rows[1].hardware is None
    assert "# a comment the user added" in out.read_text()


def test_save_refuses_a_file_calibrate_model_would_refuse(runner, tmp_path):
    out = tmp_path / "cal.yaml"
    out.write_text("rows:\n  - row: 7\n    source_id: \"mine\"\n    use_for: []\nsomething_else: 1\n")
    with pytest.raises(InputFileError):  # the project's loader refuses unknown top-level keys; so must we
        load_calibration(out)
    r = invoke(runner, f("vllm_v1.prom"), *PAIR, "--save", str(out))
    assert_usage_error(r, "cal.yaml")
    assert "something_else: 1" in out.read_text()  # untouched


def test_save_after_flow_style_rows(runner, tmp_path):
    out = tmp_path / "cal.yaml"
    out.write_text("# header\nrows: [{row: 3, source_id: mine, use_for: []}]\n")
    r = invoke(runner, f("vllm_v1.prom"), *PAIR, "--save", str(out))
    assert r.exit_code == 0, r.stderr
    rows = load_calibration(out)
    assert [x.row for x in rows] == [3, 4] and rows[0].source_id == "mine"


def test_save_refuses_malformed_file_and_leaves_it(runner, tmp_path):
    out = tmp_path / "bad.yaml"
    out.write_text("rows:\n  - row: one\n")
    r = invoke(runner, f("vllm_v1.prom"), *PAIR, "--save", str(out))
    assert_usage_error(r, "bad.yaml")
    assert out.read_text() == "rows:\n  - row: one\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]  # no temp file left behind


def test_save_without_alpha_is_refused(runner, tmp_path):
    out = tmp_path / "x.yaml"
    r = invoke(runner, f("sglang_no_rate.prom"), "--target", "Qwen/Qwen3-8B", "--draft", "Qwen/Qwen3-0.6B",
               "--save", str(out))
    assert_usage_error(r, "--save needs a per-token alpha")
    assert not out.exists()


def test_save_refuses_csv(runner, tmp_path):
    r = invoke(runner, f("vllm_v1.prom"), *PAIR, "--save", str(tmp_path / "x.csv"))
    assert_usage_error(r, "YAML")


# -- start-up --------------------------------------------------------------------------------------


def test_cli_start_does_not_import_measure_dependencies():
    code = ("import sys; import specadvisor.cli.app; "
            "bad = [m for m in ('prometheus_client', 'httpx', 'huggingface_hub', 'specadvisor.measure.prometheus', "
            "'specadvisor.measure.analysis') if m in sys.modules]; print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parent.parent)
    assert out.stdout.strip() == ""
    assert "measure" in subprocess.run([sys.executable, "-m", "specadvisor", "--help"], capture_output=True,
                                       text=True, check=True, cwd=Path(__file__).parent.parent).stdout
