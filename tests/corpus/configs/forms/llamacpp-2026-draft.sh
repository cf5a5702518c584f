#!/usr/bin/env bash
# Mimics: a 2026 llama-server command with a separate draft (draft-simple) in the --spec-draft-* form,
# -hf repo:quant for the target, and a --spec-draft-n-min above --spec-draft-n-max (a typo llama.cpp
# does not reject up front).
llama-server -hf unsloth/Qwen3-8B-GGUF:Q4_K_M \
  --spec-type draft-simple --spec-draft-model /models/Qwen3-0.6B-Q8_0.gguf \
  --spec-draft-n-max 8 --spec-draft-n-min 12 --spec-draft-p-min 0.6 -ngl 99 --port 8081
