#!/usr/bin/env bash
# Mimics vLLM benchmark/recipe scripts that collect the server flags in a bash array over many lines
# (with comments and a conditional +=), then start it with nohup and "${args[@]}" in the background.
# vLLM >= 0.10 form: --speculative-config JSON.
MODEL=${MODEL:-meta-llama/Llama-3.1-70B-Instruct}
TP=4

args=(
  --model "$MODEL"                     # target
  --tensor-parallel-size "$TP"
  --max-num-seqs 64
  --gpu-memory-utilization 0.90
)
if [[ "${SPEC:-1}" == "1" ]]; then
  args+=(--speculative-config '{"model": "meta-llama/Llama-3.2-1B-Instruct", "num_speculative_tokens": 4}')
fi

nohup python3 -m vllm.entrypoints.openai.api_server "${args[@]}" > server.log 2>&1 &
echo $! > server.pid
