#!/bin/bash
# Mimics SGLang recipes run from a conda env: `conda run -n ENV --no-capture-output "$PY" -m
# sglang.launch_server ...` with the interpreter in a variable. SGLang >= 0.4 EAGLE flags.
PY=${PY:-python3}
MODEL_PATH=meta-llama/Llama-3.1-8B-Instruct
DRAFT_PATH=yuhuili/EAGLE-LLaMA3.1-Instruct-8B

conda run -n sglang --no-capture-output "$PY" -m sglang.launch_server \
  --model-path "$MODEL_PATH" \
  --speculative-algorithm EAGLE \
  --speculative-draft-model-path "$DRAFT_PATH" \
  --speculative-num-steps 5 --speculative-eagle-topk 8 --speculative-num-draft-tokens 32 \
  --port 30000
