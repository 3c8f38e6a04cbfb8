# llmbench session 01930000-0000-7000-8000-000000000001 (opencode via http://127.0.0.1:4000, model gpt)
export LLMBENCH_SESSION_KEY='lbsk_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
export OPENCODE_CONFIG="$PWD"/'.llmbench/sessions/01930000-0000-7000-8000-000000000001/opencode.json'
mkdir -p "$PWD"/'.llmbench/sessions/01930000-0000-7000-8000-000000000001'
cat > "$PWD"/'.llmbench/sessions/01930000-0000-7000-8000-000000000001/opencode.json' <<'LLMBENCH_EOF'
{
  "$schema": "https://opencode.ai/config.json",
  "provider": {
    "llmbench": {
      "npm": "@ai-sdk/openai-compatible",
      "name": "llmbench proxy",
      "options": {
        "baseURL": "http://127.0.0.1:4000/v1",
        "apiKey": "{env:LLMBENCH_SESSION_KEY}"
      },
      "models": {
        "gpt": { "name": "gpt" }
      }
    }
  },
  "model": "llmbench/gpt"
}
LLMBENCH_EOF
# then start it here: opencode
