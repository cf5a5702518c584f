#!/bin/sh
vllm serve meta-llama/Llama-3.1-70B-Instruct --speculative-config '{"model": "meta-llama/Llama-3.2-1B-Instruct"}
