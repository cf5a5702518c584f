#!/bin/bash
# Mimics the `docker run` lines of engine READMEs and recipes: vllm/vllm-openai with arguments for its
# `vllm serve` entrypoint, ghcr.io/ggml-org/llama.cpp:server-cuda (entrypoint /app/llama-server),
# lmsysorg/sglang and nvcr.io TensorRT-LLM with the command after the image.
IMAGE=vllm/vllm-openai:v0.10.1

docker run --gpus all --rm -p 8000:8000 --ipc=host \
  -v ~/.cache/huggingface:/root/.cache/huggingface \
  -e HF_TOKEN="$HF_TOKEN" \
  "$IMAGE" \
  --model Qwen/Qwen3-32B \
  --speculative-config '{"model": "Qwen/Qwen3-1.7B", "num_speculative_tokens": 4}'

docker run -d --gpus all -v /models:/models -p 8080:8080 ghcr.io/ggml-org/llama.cpp:server-cuda \
  -m /models/Qwen3-8B-Q4_K_M.gguf -md /models/Qwen3-0.6B-Q8_0.gguf --draft-max 8 -ngl 99 -ngld 99

docker run --gpus all --shm-size 32g -p 30000:30000 lmsysorg/sglang:v0.5.2-cu126 \
  python3 -m sglang.launch_server --model-path Qwen/Qwen3-14B --tp 1 \
  --speculative-algorithm STANDALONE --speculative-draft-model-path Qwen/Qwen3-0.6B \
  --speculative-num-steps 3 --speculative-eagle-topk 1 --speculative-num-draft-tokens 4

docker run --rm -it --gpus all --ipc host nvcr.io/nvidia/tensorrt-llm/release:1.0.0 \
  trtllm-serve meta-llama/Llama-3.1-8B-Instruct --tp_size 1 --extra_llm_api_options /app/spec.yaml
