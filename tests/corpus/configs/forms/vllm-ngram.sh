#!/bin/sh
# Mimics: vLLM docs "n-gram" example (prompt lookup, no draft model), V1 engine, 0.9+ JSON form.
exec python3 -m vllm.entrypoints.openai.api_server --model meta-llama/Llama-3.1-8B-Instruct \
  --speculative-config '{"method": "ngram", "num_speculative_tokens": 5, "prompt_lookup_max": 4, "prompt_lookup_min": 2}'
