#!/bin/bash
# Mimics scripts that load a .env beside them (`set -a; source .env; set +a`) and build the model
# path from its variables, then run the binary by a path variable that nobody set ("$BIN/llama-server").
set -a
source .env
set +a

"$BIN/llama-server" \
  -m "${MODEL_ROOT_DIR}/${MODEL}" \
  --model-draft "${MODEL_ROOT_DIR}/${DRAFT_MODEL}" \
  -c 16384 --host 0.0.0.0 --port 8080 \
  --draft-max 6
