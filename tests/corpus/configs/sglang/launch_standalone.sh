#!/usr/bin/env bash
# SGLang docs example (STANDALONE draft). Rejected since sgl-project/sglang PR #23838:
# Qwen2.5-7B has vocab_size 152064, Qwen2.5-1.5B 151936.
python3 -m sglang.launch_server --model Qwen/Qwen2.5-7B-Instruct \
  --speculative-algorithm STANDALONE \
  --speculative-draft-model-path Qwen/Qwen2.5-1.5B-Instruct \
  --speculative-num-steps 4 --speculative-eagle-topk 2 --speculative-num-draft-tokens 7 \
  --mem-fraction-static 0.7 --cuda-graph-max-bs 8
