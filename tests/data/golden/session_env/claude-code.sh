# llmbench session 01930000-0000-7000-8000-000000000001 (claude-quiet via http://127.0.0.1:4000, model sonnet)
unset ANTHROPIC_API_KEY
export ANTHROPIC_BASE_URL='http://127.0.0.1:4000'
export ANTHROPIC_AUTH_TOKEN='lbsk_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
export ANTHROPIC_MODEL='sonnet'
export ANTHROPIC_SMALL_FAST_MODEL='sonnet'
export ANTHROPIC_DEFAULT_HAIKU_MODEL='sonnet'
export DISABLE_TELEMETRY='1'
export MAX_THINKING_TOKENS='4000'
# then start it here: claude
