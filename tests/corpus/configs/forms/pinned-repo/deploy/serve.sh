#!/usr/bin/env bash
# Mimics: a project that pins vllm==0.11.0 in requirements.txt at its root and launches from deploy/;
# vLLM 0.10-0.13 cannot run a separate draft model (engines.md 1.1), which only the pin reveals.
vllm serve Qwen/Qwen3-8B \
  --speculative-config '{"model": "Qwen/Qwen3-0.6B", "num_speculative_tokens": 4}'
