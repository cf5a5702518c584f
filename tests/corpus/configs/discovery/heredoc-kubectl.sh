#!/usr/bin/env bash
# Mimics deployment scripts that pipe a manifest to kubectl with a heredoc (`cat <<EOF | kubectl apply -f -`),
# the model coming from a shell variable; vLLM image v0.11.0.
NAME=qwen3-spec
MODEL=Qwen/Qwen3-8B

cat <<EOF | kubectl apply -f -
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${NAME}
spec:
  template:
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.11.0
          args:
            - --model
            - ${MODEL}
            - --speculative-config
            - '{"method": "ngram", "num_speculative_tokens": 3, "prompt_lookup_max": 3}'
EOF
