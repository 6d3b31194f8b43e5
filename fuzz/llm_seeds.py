#!/usr/bin/env python3
"""Seed corpora for the llm_* fuzz targets: a small synthetic GGUF model (256 byte tokens but 0x04,
a few merges and control tokens, ChatML), request/stream/completion bodies, texts and schemas.
Run from the repository root: python3 fuzz/llm_seeds.py"""
import hashlib, json, os, struct, sys
root = sys.argv[1] if len(sys.argv) > 1 else "."
def save(target, data):
    d = f"{root}/fuzz/corpus/{target}"; os.makedirs(d, exist_ok=True)
    open(f"{d}/{hashlib.sha1(data).hexdigest()}", "wb").write(data)

# GPT-2 byte aliases
def aliases():
    out, n = {}, 256
    for b in range(256):
        if 0x21 <= b <= 0x7e or 0xa1 <= b <= 0xac or 0xae <= b <= 0xff:
            out[b] = chr(b)
        else:
            out[b] = chr(n); n += 1
    return out
A = aliases()
def s(x):
    x = x.encode(); return struct.pack("<Q", len(x)) + x
def kv(key, typ, payload): return s(key) + struct.pack("<I", typ) + payload
STR, ARR, U32, I32, BOOL = 8, 9, 4, 5, 7
def arr_str(items): return struct.pack("<IQ", STR, len(items)) + b"".join(s(i) for i in items)
def arr_i32(items): return struct.pack("<IQ", I32, len(items)) + b"".join(struct.pack("<i", i) for i in items)
def gguf(tokens, types, merges, template, arch="llama", extra=b"", nextra=0, tensors=()):
    meta = [kv("general.architecture", STR, s(arch)),
            kv("tokenizer.ggml.model", STR, s("gpt2")),
            kv("tokenizer.ggml.pre", STR, s("smollm")),
            kv("tokenizer.ggml.tokens", ARR, arr_str(tokens)),
            kv("tokenizer.ggml.token_type", ARR, arr_i32(types)),
            kv("tokenizer.ggml.merges", ARR, arr_str(merges)),
            kv("tokenizer.ggml.eos_token_id", U32, struct.pack("<I", len(tokens) - 1)),
            kv("tokenizer.ggml.bos_token_id", U32, struct.pack("<I", len(tokens) - 2)),
            kv("tokenizer.ggml.add_bos_token", BOOL, b"\x00")]
    if template is not None:
        meta.append(kv("tokenizer.chat_template", STR, s(template)))
    body = b"".join(meta) + extra
    tinfo = b""
    for name, dims, dtype, off in tensors:
        tinfo += s(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", dtype, off)
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(meta) + nextra)
    data = head + body + tinfo
    data += b"\0" * (-len(data) % 32)
    return data + b"\0" * 64
tokens = [A[b] for b in range(256) if b != 4] + ["Ġt", "he", "Ġthe", "<|im_start|>", "<|im_end|>", "<|endoftext|>"]
types = [1] * (len(tokens) - 3) + [3, 3, 3]
merges = ["Ġ t", "h e", "Ġt he"]
chatml = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
save("llm_gguf", gguf(tokens, types, merges, chatml, tensors=[("w", [32, 2], 0, 0)]))
save("llm_gguf", gguf(tokens, types, merges, None))
save("llm_gguf", gguf(tokens, types, merges, "{{ raise_exception('x') }}", arch="qwen2"))
save("llm_gguf", gguf(tokens, types, merges, chatml, extra=kv("general.alignment", U32, struct.pack("<I", 64)), nextra=1))
# candle divides by general.alignment: 0 panicked inside its reader (now an error)
save("llm_gguf", gguf(tokens, types, merges, chatml, extra=kv("general.alignment", U32, struct.pack("<I", 0)), nextra=1))

for body in [
    {"model": "fuzz-model", "messages": [{"role": "user", "content": "hi"}]},
    {"messages": [{"role": "system", "content": "x"}, {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}],
     "max_tokens": 5, "temperature": 0.7, "top_p": 0.9, "seed": 3, "stop": ["\n", "x"], "stream": True, "stream_options": {"include_usage": True},
     "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object", "properties": {"a": {"type": "string"}}}}}},
    {"messages": [{"role": "assistant", "content": None}], "n": 1, "max_completion_tokens": 9, "stop": "END"},
]:
    save("llm_wire", b"\0" + json.dumps(body).encode())
save("llm_wire", b"\x01" + b': keep-alive\n\ndata: {"choices":[{"delta":{"content":"Hi"},"finish_reason":null}]}\n\ndata: {"choices":[{"delta":{},"finish_reason":"length"}],"usage":{"prompt_tokens":3,"completion_tokens":1}}\r\n\r\nevent: x\nid: 1\ndata: {"error":{"message":"boom"}}\ndata: more\n\ndata: [DONE]\n\n')
save("llm_wire", b"\x02" + json.dumps({"choices": [{"message": {"content": "hello"}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 1, "completion_tokens": 2}}).encode())
save("llm_wire", b"\x02" + json.dumps({"error": {"message": "nope", "type": "x"}}).encode())

for t in ["hello world", "The quick brown fox 12345", "<|im_start|>user\nhi<|im_end|>\n", "é😀\u0004 tabs\tand\r\nnewlines", "  spaces   ", "system prompt\0user prompt", "{{ messages }} {% for %}", "\ue000 0\ue000"]:
    save("llm_tokenize", t.encode())

for sch in [
    {"type": "object", "properties": {"lang": {"enum": ["bash", "python"]}, "command": {"type": "string", "maxLength": 20}}, "required": ["lang", "command"], "additionalProperties": False},
    {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 9}, "minItems": 1, "maxItems": 3},
    {"anyOf": [{"type": "string", "pattern": "^[a-z]+$"}, {"type": "number"}]},
    {"$defs": {"n": {"type": "object", "properties": {"next": {"$ref": "#/$defs/n"}}}}, "$ref": "#/$defs/n"},
    {"oneOf": [{"type": "string"}]}, True, False, {"type": 12}, {"const": {"a": [1, None]}},
    {"type": "string", "format": "date-time"}, {"prefixItems": [{"type": "boolean"}], "items": False},
]:
    save("llm_schema", json.dumps(sch).encode())
