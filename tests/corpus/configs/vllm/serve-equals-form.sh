#!/bin/sh
# --flag=value spelling; num_speculative_tokens is missing.
exec vllm serve Qwen/Qwen3-8B --port 8000 --speculative-config='{"model": "Qwen/Qwen3-0.6B"}'
