# llmbench session 01930000-0000-7000-8000-000000000001 (openai-sdk via http://127.0.0.1:4000, model gpt)
export OPENAI_BASE_URL='http://127.0.0.1:4000/v1'
export OPENAI_API_KEY='lbsk_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
export OPENAI_MODEL='gpt'
