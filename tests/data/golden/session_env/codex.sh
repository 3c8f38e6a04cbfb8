# llmbench session 01930000-0000-7000-8000-000000000001 (codex via http://127.0.0.1:4000, model gpt)
export LLMBENCH_SESSION_KEY='lbsk_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
export CODEX_HOME="$PWD"/'.llmbench/sessions/01930000-0000-7000-8000-000000000001/codex'
mkdir -p "$PWD"/'.llmbench/sessions/01930000-0000-7000-8000-000000000001/codex'
cat > "$PWD"/'.llmbench/sessions/01930000-0000-7000-8000-000000000001/codex/config.toml' <<'LLMBENCH_EOF'
# Codex through the llmbench proxy, session 01930000-0000-7000-8000-000000000001
model = "gpt"
model_provider = "llmbench"

[model_providers.llmbench]
name = "llmbench proxy"
base_url = "http://127.0.0.1:4000/v1"
env_key = "LLMBENCH_SESSION_KEY"
wire_api = "responses"
LLMBENCH_EOF
# then start it here: codex
