@echo off
REM Mimics llama.cpp users' Windows batch files: set VAR=..., %VAR% paths with backslashes, ^ at line ends.
set MODELS=D:\models
set "DRAFT=Qwen2.5-0.5B-Instruct-Q8_0.gguf"
llama-server.exe -m %MODELS%\Qwen2.5-14B-Instruct-Q4_K_M.gguf ^
  -md %MODELS%\%DRAFT% ^
  -ngl 99 -ngld 99 --draft-max 8 --port 8080
