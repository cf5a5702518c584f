#!/usr/bin/env bash
# Mimics: launch scripts written for vLLM builds with the --spec-method/--spec-model/--spec-tokens
# aliases (vllm-project/vllm PR #42476, 2026), next to a JSON --speculative-config for the other keys.
vllm serve Qwen/Qwen3-32B --tensor-parallel-size 2 \
  --spec-method draft_model --spec-model Qwen/Qwen3-1.7B --spec-tokens 4 \
  --speculative-config '{"draft_tensor_parallel_size": 2}'
