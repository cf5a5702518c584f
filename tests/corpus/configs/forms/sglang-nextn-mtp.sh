#!/usr/bin/env bash
# Mimics: SGLang's DeepSeek-V3/R1 MTP recipe: --speculative-algorithm NEXTN (EAGLE with the target's
# own NextN layers), no draft path, the three step/topk/draft-token settings together.
python3 -m sglang.launch_server --model-path deepseek-ai/DeepSeek-R1-0528 --tp 8 --trust-remote-code \
  --speculative-algorithm NEXTN --speculative-num-steps 3 --speculative-eagle-topk 1 \
  --speculative-num-draft-tokens 4 --max-running-requests 64
