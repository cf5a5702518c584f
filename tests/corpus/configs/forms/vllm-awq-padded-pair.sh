#!/usr/bin/env bash
# Mimics: a benchmark recipe that serves the vendor's AWQ repo from the Hugging Face cache of a CI
# runner and drafts with the 0.5B model; vLLM compares config.json vocab_size (152064 vs 151936).
HF_HOME=/data/hf
vllm serve /data/hf/hub/models--Qwen--Qwen2.5-7B-Instruct-AWQ/snapshots/b25037543e9394b818fdfca67ab2a00ecc7dd641 \
  --quantization awq \
  --speculative-config '{"method": "draft_model", "model": "Qwen/Qwen2.5-0.5B-Instruct", "num_speculative_tokens": 4}'
