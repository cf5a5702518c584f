#!/usr/bin/env bash
# Mimics: SGLang launch scripts that copy the EAGLE-2 example and swap in an EAGLE-3 head
# (SpecForge/lmsys naming) without changing --speculative-algorithm; SGLang 0.4.x-0.5.x flags.
python3 -m sglang.launch_server \
  --model-path meta-llama/Llama-3.1-8B-Instruct \
  --speculative-algorithm EAGLE \
  --speculative-draft-model-path lmsys/sglang-EAGLE3-LLaMA3.1-Instruct-8B \
  --speculative-num-steps 5 --speculative-eagle-topk 8 --speculative-num-draft-tokens 32 \
  --mem-fraction-static 0.7 --port 30000
