#!/bin/sh
exec vllm serve Qwen/Qwen3-8B \
  --speculative-config '{"model": "Qwen/Qwen3-0.6B", "num_speculative_tokens": 5'
