# Mimics PowerShell launch scripts for llama.cpp on Windows: $VAR = "...", & "path\llama-server.exe", backticks.
$ModelDir = "C:\llm\models"
& "C:\llm\llama.cpp\llama-server.exe" -m "$ModelDir\gemma-3-12b-it-Q4_K_M.gguf" `
    -md "$ModelDir\gemma-3-1b-it-Q8_0.gguf" `
    --draft-max 6 -ngl 99
