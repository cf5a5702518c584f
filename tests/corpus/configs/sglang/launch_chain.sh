#!/usr/bin/env bash
# A topk-1 chain that verifies 8 tokens for 4 drafted ones: SGLang resets it to 5.
python3 -m sglang.launch_server --model-path Qwen/Qwen3-8B --tp 1 \
  --speculative-algorithm STANDALONE --speculative-draft-model-path Qwen/Qwen3-0.6B \
  --speculative-num-steps 4 --speculative-eagle-topk 1 --speculative-num-draft-tokens 8 \
  --enable-metrics
