#!/usr/bin/env bash
# Mimics: llama.cpp model-free speculation (docs/speculative.md: --spec-type ngram-mod with its own
# length settings); nothing to judge about a draft model.
llama-server -m /models/gemma-3-12b-it-Q4_K_M.gguf --spec-type ngram-mod \
  --spec-ngram-mod-n-match 16 --spec-ngram-mod-n-max 32 -c 8192
