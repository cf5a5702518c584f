"""`specadvisor measure`: turn an engine's acceptance metrics or logs into per-token alpha and advice.

Modules, each imported only when needed (none is loaded by `specadvisor --help`):

* `sources`       reads a file, stdin or an http(s) `/metrics` URL, refusing empty, binary and oversized input.
* `formats`       the forms measure reads (`FORMATS`, one per `vocab.SourceFormat`, with engine versions) and
  the choice of reader; input in none of them gets one error that lists them.
* `prometheus`    Prometheus text expositions (vLLM, SGLang, TensorRT-LLM, llama.cpp), counter deltas.
* `logs`          picks the text reader: `vllm_logs`, `sglang_logs`, `llamacpp_logs`, `json_reports`.
* `diagnosis`     where rejections happen (cliffs, unreached positions), broken runs, small samples,
  tau(k) from the measured positions, rules found by kind.
* `analysis`      tau, accepted/drafted, the per-token alpha, per-position statistics, the prediction and
  the JSON report.
* `record`        appends a measurement to a calibration file (`calibrate-model --data FILE`).
* `render`        the terminal report.

The library entry points are `specadvisor.measure.analysis.measure` and `measured_alpha`.
"""
