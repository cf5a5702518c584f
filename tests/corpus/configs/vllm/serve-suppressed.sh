#!/bin/sh
# k=8 was measured faster than the predicted best on our code-completion traffic.
# specadvisor: ignore[SPEC241] measured 2026-10, see perf/qwen3-k-sweep.md
vllm serve Qwen/Qwen3-8B --port 8000 --speculative-config '{"model": "Qwen/Qwen3-0.6B", "num_speculative_tokens": 8}' &
vllm serve Qwen/Qwen3-8B --port 8001 --speculative-config '{"model": "Qwen/Qwen3-0.6B", "num_speculative_tokens": 8}'  # specadvisor: ignore[k-far-from-optimum]
wait
