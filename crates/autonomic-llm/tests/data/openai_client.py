"""The official `openai` Python package as a third-party client of
`autonomic llm serve`: a plain completion, a streamed one, the model list
and a json_schema response_format, against the base URL given as argv[1].
Prints one JSON line of what it saw (the Rust test asserts on it).

Usage: openai_client.py BASE_URL [MODEL] [bench N]
"""
import json
import sys
import time

import openai

base_url = sys.argv[1]
client = openai.OpenAI(base_url=base_url, api_key="unused", max_retries=0, timeout=60)
model = sys.argv[2] if len(sys.argv) > 2 else client.models.list().data[0].id

if len(sys.argv) > 4 and sys.argv[3] == "bench":
    n = int(sys.argv[4])
    messages = [{"role": "user", "content": "hi"}]
    client.chat.completions.create(model=model, messages=messages, max_tokens=4)
    start = time.perf_counter()
    for _ in range(n):
        client.chat.completions.create(model=model, messages=messages, max_tokens=4)
    print(json.dumps({"requests": n, "ms_per_request": (time.perf_counter() - start) * 1000 / n}))
    sys.exit(0)

seen = {"openai": openai.__version__, "models": [m.id for m in client.models.list().data]}

messages = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "name three colours"},
]
whole = client.chat.completions.create(model=model, messages=messages, max_tokens=32, temperature=0)
seen["whole"] = {
    "id": whole.id,
    "object": whole.object,
    "text": whole.choices[0].message.content,
    "role": whole.choices[0].message.role,
    "finish_reason": whole.choices[0].finish_reason,
    "prompt_tokens": whole.usage.prompt_tokens,
    "completion_tokens": whole.usage.completion_tokens,
}

pieces = []
finish = None
usage = None
roles = []
stream = client.chat.completions.create(
    model=model, messages=messages, max_tokens=32, temperature=0, stream=True,
    stream_options={"include_usage": True},
)
for chunk in stream:
    if chunk.usage is not None:
        usage = {"prompt_tokens": chunk.usage.prompt_tokens, "completion_tokens": chunk.usage.completion_tokens}
    for choice in chunk.choices:
        if choice.delta.role:
            roles.append(choice.delta.role)
        if choice.delta.content:
            pieces.append(choice.delta.content)
        if choice.finish_reason:
            finish = choice.finish_reason
seen["stream"] = {"pieces": pieces, "finish_reason": finish, "usage": usage, "roles": roles}

schema = {
    "type": "object",
    "properties": {"lang": {"enum": ["bash", "python"]}, "command": {"type": "string"}},
    "required": ["lang", "command"],
    "additionalProperties": False,
}
structured = client.chat.completions.create(
    model=model,
    messages=[{"role": "user", "content": "list the files in this directory"}],
    max_tokens=64,
    response_format={"type": "json_schema", "json_schema": {"name": "command", "schema": schema, "strict": True}},
)
seen["schema"] = {"text": structured.choices[0].message.content}

try:
    client.chat.completions.create(model="no-such-model", messages=messages)
    seen["unknown_model"] = None
except openai.BadRequestError as error:
    seen["unknown_model"] = {"status": error.status_code, "code": error.code, "param": error.param}

print(json.dumps(seen))
