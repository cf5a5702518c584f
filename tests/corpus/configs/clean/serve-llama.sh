#!/usr/bin/env bash
# The documented vLLM pair: a 1B draft at the target's TP, k=4, vLLM with V1 draft models.
set -euo pipefail
vllm serve meta-llama/Llama-3.1-70B-Instruct --tensor-parallel-size 4 \
  --speculative-config '{"method": "draft_model", "model": "meta-llama/Llama-3.2-1B-Instruct", "num_speculative_tokens": 4, "draft_tensor_parallel_size": 4, "max_model_len": 8192}' \
  --port 8000
