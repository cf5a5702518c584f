#!/usr/bin/env bash
# Mimics speculative-decoding benchmark scripts that wrap the server start in a shell function and
# call it once per configuration ("$1" the target, "$2" the draft, the rest passed on with "$@").
set -e

start_server() {
  local target=$1 draft=$2
  shift 2
  python3 -m sglang.launch_server --model-path "$target" \
    --speculative-algorithm STANDALONE --speculative-draft-model-path "$draft" \
    --speculative-num-steps 3 --speculative-eagle-topk 1 --speculative-num-draft-tokens 4 "$@" &
  sleep 60
}

function stop_server {
  pkill -f sglang.launch_server || true
}

start_server Qwen/Qwen3-8B Qwen/Qwen3-0.6B --tp 1
stop_server
start_server Qwen/Qwen3-32B Qwen/Qwen3-1.7B --tp 2
stop_server
