#!/bin/bash
# Mimics TensorRT-LLM recipes that write the LLM-API options with a heredoc and pass the file to
# trtllm-serve (speculative_config by decoding_type; an unquoted delimiter expands $DRAFT).
MODEL=meta-llama/Llama-3.1-8B-Instruct
DRAFT=meta-llama/Llama-3.2-1B-Instruct

cat > /tmp/extra_llm_api_options.yaml <<EOF
disable_overlap_scheduler: true
speculative_config:
  decoding_type: DraftTarget
  max_draft_len: 4
  speculative_model: $DRAFT
EOF

trtllm-serve "$MODEL" --backend pytorch --extra_llm_api_options /tmp/extra_llm_api_options.yaml
