#!/usr/bin/env bash
# Mimics: benchmark recipes that sweep the draft length with a shell variable inside the JSON
# (`"num_speculative_tokens": $K`): valid JSON only after the shell expands it.
K="${K:-4}"
DRAFT=Qwen/Qwen3-0.6B
vllm serve Qwen/Qwen3-8B --max-num-seqs 16 \
  --speculative-config "{\"method\": \"draft_model\", \"model\": \"$DRAFT\", \"num_speculative_tokens\": $K}"
