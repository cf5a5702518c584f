#!/usr/bin/env bash
# Mimics: 2024-2025 llama-server scripts (-md, --draft-max/--draft-min/--draft-p-min) pairing GGUF files
# from TheBloke/bartowski re-hosts by file name; here a Llama target with a Qwen draft.
llama-server -m ./Meta-Llama-3.1-70B-Instruct-Q4_K_M.gguf -md ./Qwen2.5-0.5B-Instruct-Q8_0.gguf \
  --draft-max 16 --draft-min 4 --draft-p-min 0.75 -ngl 99 -ngld 99
