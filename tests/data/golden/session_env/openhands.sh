# llmbench session 01930000-0000-7000-8000-000000000001 (openhands via http://127.0.0.1:4000, model gpt)
export LLM_BASE_URL='http://127.0.0.1:4000/v1'
export LLM_API_KEY='lbsk_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
export LLM_MODEL='openai/gpt'
# then start it here: openhands
