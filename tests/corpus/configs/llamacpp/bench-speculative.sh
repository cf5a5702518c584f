#!/bin/sh
# Offline A/B of draft lengths with llama-speculative.
for n in 4 8; do
  llama-speculative -m target.gguf -md draft.gguf -p "Write a quicksort in C." -n 256 --draft-max $n --draft-p-min 0.8 -ngl 99 -ngld 99
done
llama-speculative -m Llama-3.1-8B-Instruct-Q4_K_M.gguf -md Llama-3.2-1B-Instruct-Q8_0.gguf -n 256 --draft-max 4 --draft-min 6 -ngl 99
