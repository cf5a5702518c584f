"""`specadvisor measure`: turn an engine's acceptance metrics or logs into per-token alpha and advice.

Modules, each imported only when needed (none is loaded by `specadvisor --help`):

* `sources`    reads a file, stdin or an http(s) `/metrics` URL, refusing empty, binary and oversized input.
* `prometheus` parses Prometheus text expositions (with `prometheus_client`'s parser) from vLLM V1/V0,
  SGLang and TensorRT-LLM, and takes counter deltas between two scrapes (detecting counter resets).
* `logs`       reads engine log lines: vLLM `SpecDecoding metrics:` (V1) and `Speculative metrics:` (V0),
  SGLang `accept len:`, llama.cpp `draft acceptance rate = ...`, `statistics draft:` and `timings` JSON.
* `analysis`   derives tau, accepted/drafted, the per-token alpha, per-position acceptance with Wilson
  intervals, where rejections happen, the rules that fire and the speedup curve at the measured alpha.
* `record`     appends a measurement to a calibration file (`calibrate-model --data FILE`).
* `render`     the terminal report.

The library entry points are `specadvisor.measure.analysis.measure` and `measured_alpha`.
"""
