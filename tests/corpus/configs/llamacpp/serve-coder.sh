#!/usr/bin/env bash
# Qwen2.5-Coder 32B with a 1.5B draft on one GPU (llama.cpp accepts the 152064/151936 pair).
set -euo pipefail
MODELS=/srv/models
exec llama-server \
  -m "$MODELS/Qwen2.5-Coder-32B-Instruct-Q4_K_M.gguf" \
  -md "$MODELS/Qwen2.5-Coder-1.5B-Instruct-Q8_0.gguf" \
  -ngl 99 -ngld 99 -c 16384 -cd 16384 \
  --draft-max 16 --draft-min 1 --draft-p-min 0.8 \
  --host 0.0.0.0 --port 8080
