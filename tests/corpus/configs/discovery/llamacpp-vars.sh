#!/usr/bin/env bash
# Mimics llama.cpp users' run scripts on GitHub (e.g. per-model run.sh files that set the binary and
# model directory with ${VAR:-default} and `: "${X:=...}"`, then `exec "$BIN" ...`). llama.cpp flags
# as of b6xxx (2025): -md/--model-draft, --draft-max, --draft-min, -ngld.
set -euo pipefail

MODEL_DIR="${MODEL_DIR:-$HOME/models}"
LLAMA_SERVER_BIN="${LLAMA_SERVER_BIN:-./build/bin/llama-server}"
: "${PORT:=8080}"
: "${DRAFT_MAX:=8}"
TARGET=Qwen2.5-Coder-32B-Instruct-Q4_K_M.gguf
DRAFT="Qwen2.5-Coder-0.5B-Instruct-Q8_0.gguf"

echo "starting $LLAMA_SERVER_BIN on port $PORT"
exec "$LLAMA_SERVER_BIN" \
    -m "$MODEL_DIR/$TARGET" \
    -md "$MODEL_DIR/$DRAFT" \
    -ngl 99 -ngld 99 \
    --draft-max "$DRAFT_MAX" --draft-min 2 \
    --port "$PORT" --host 0.0.0.0
