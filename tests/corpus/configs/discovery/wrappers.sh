#!/bin/sh
# Mimics launch lines behind wrappers: uv (`uv run --with vllm==X -- vllm serve`), environment
# prefixes with timeout, and a job launcher with `--` (`srun ... -- cmd`).
uv run --with vllm==0.11.0 -- vllm serve Qwen/Qwen3-8B \
  --speculative-config '{"method": "ngram", "num_speculative_tokens": 4, "prompt_lookup_max": 4}'

CUDA_VISIBLE_DEVICES=0,1 timeout 2h python -m vllm.entrypoints.openai.api_server \
  --model Qwen/Qwen2.5-32B-Instruct --tensor-parallel-size 2 \
  --speculative-config '{"model": "Qwen/Qwen2.5-1.5B-Instruct", "num_speculative_tokens": 3}'

srun --gres=gpu:1 --time=01:00:00 -- llama-server -m /models/gemma-3-27b-it-Q4_K_M.gguf -md /models/gemma-3-1b-it-Q8_0.gguf --draft-max 4
