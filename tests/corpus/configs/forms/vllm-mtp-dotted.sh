#!/usr/bin/env bash
# Mimics: the vLLM recipes for MTP models (DeepSeek-V3/R1, Qwen3-Next), 2026 builds, which set the
# speculative config per key with FlexibleArgumentParser's dotted form instead of one JSON string.
set -euo pipefail
vllm serve deepseek-ai/DeepSeek-V3.1 \
  --tensor-parallel-size 8 \
  --max-model-len 65536 \
  --speculative-config.method mtp \
  --speculative-config.num_speculative_tokens 1 \
  --trust-remote-code
