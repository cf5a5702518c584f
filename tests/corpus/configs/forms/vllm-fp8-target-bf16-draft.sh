#!/usr/bin/env bash
# Mimics: a RedHatAI/neuralmagic FP8 re-host as the target (the model card's `vllm serve` line) with an
# unquantized Llama draft, the shape of many 2025 launch scripts (vLLM 0.14+ JSON form, method left to vLLM).
vllm serve RedHatAI/Llama-3.3-70B-Instruct-FP8-dynamic -tp 4 \
  --speculative-config '{"model": "meta-llama/Llama-3.2-1B-Instruct", "num_speculative_tokens": 4, "draft_tensor_parallel_size": 4}'
