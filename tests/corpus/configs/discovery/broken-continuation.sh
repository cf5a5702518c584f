#!/bin/bash
# Mimics the broken continuations seen in users' launch scripts: a backslash followed by spaces (an
# escaped space, so the command ends there) and a flag line under a launch with no backslash above it.
vllm serve meta-llama/Llama-3.1-8B-Instruct \
  --max-num-seqs 32 \   
  --speculative-config '{"model": "meta-llama/Llama-3.2-1B-Instruct", "num_speculative_tokens": 4}'

llama-server -m /models/Qwen2.5-7B-Instruct-Q4_K_M.gguf -ngl 99
  -md /models/Qwen2.5-0.5B-Instruct-Q8_0.gguf --draft-max 8
