#!/usr/bin/env bash
# Mimics: llama.cpp users' scripts after the 2026 speculative refactor (common/arg.cpp --spec-type list,
# --spec-draft-* names): the target GGUF carries its MTP layers, a sidecar draft GGUF is optional.
MODEL_DIR="${MODEL_DIR:-$HOME/models}"
"$MODEL_DIR/../bin/llama-server" -m "$MODEL_DIR/Qwen3-8B-Q4_K_M.gguf" \
  --spec-type draft-mtp --spec-draft-n-max 3 -ngl 99 -c 32768 --port 8080
