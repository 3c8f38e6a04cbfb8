# llmbench session 01930000-0000-7000-8000-000000000001 (anthropic-sdk via http://127.0.0.1:4000, model sonnet)
unset ANTHROPIC_AUTH_TOKEN
export ANTHROPIC_BASE_URL='http://127.0.0.1:4000'
export ANTHROPIC_API_KEY='lbsk_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
export ANTHROPIC_MODEL='sonnet'
