#!/usr/bin/env python3
"""llama.cpp on the same GGUF file and prompt as `autonomic llm bench`: a
yardstick, not a dependency. Needs llama-cpp-python (which compiles
llama.cpp with cmake):

    python3 -m venv target/llama-cpp && \
      CMAKE_ARGS="-DGGML_NATIVE=ON -DLLAMA_CURL=OFF" target/llama-cpp/bin/pip install llama-cpp-python==0.3.36
    target/llama-cpp/bin/python scripts/llama-cpp-yardstick.py MODEL.gguf [THREADS] [TOKENS]

Prints prompt evaluation and generation tokens/s (one thread by default),
greedy, from llama.cpp's own timings; the best of three runs.
"""
import json
import sys
import time

from llama_cpp import Llama

# The same user message `autonomic llm bench` sends (keep them equal).
PROMPT = (
    "You are reviewing a shell command an AI coding agent wants to run in a "
    "repository. Explain in a few sentences what `git log --oneline -n 20 -- src/` "
    "shows, when a developer would use it, and one safer or faster alternative."
)


def main():
    path = sys.argv[1]
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    tokens = int(sys.argv[3]) if len(sys.argv) > 3 else 128
    started = time.perf_counter()
    llm = Llama(model_path=path, n_ctx=2048, n_threads=threads, n_threads_batch=threads,
                verbose=False, seed=0)
    load = time.perf_counter() - started
    messages = [{"role": "user", "content": PROMPT}]
    best = None
    for _ in range(3):
        llm.reset()
        t0 = time.perf_counter()
        first = None
        n = 0
        for chunk in llm.create_chat_completion(messages=messages, max_tokens=tokens,
                                                temperature=0.0, stream=True):
            if chunk["choices"][0]["delta"].get("content"):
                n += 1
                if first is None:
                    first = time.perf_counter() - t0
        total = time.perf_counter() - t0
        run = {"ttft_s": first, "gen_tok_s": (n - 1) / (total - first) if n > 1 else 0.0,
               "tokens": n}
        if best is None or run["gen_tok_s"] > best["gen_tok_s"]:
            best = run
    # Prompt evaluation rate from a plain eval of the rendered prompt's tokens.
    text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    ids = llm.tokenize((text + "<|im_start|>assistant\n").encode(), add_bos=False, special=True)
    llm.reset()
    t0 = time.perf_counter()
    llm.eval(ids)
    prompt_s = time.perf_counter() - t0
    best.update({"engine": "llama.cpp (llama-cpp-python 0.3.36)", "threads": threads,
                 "load_s": load, "prompt_tokens": len(ids),
                 "prompt_tok_s": len(ids) / prompt_s})
    print(json.dumps(best, indent=2))


if __name__ == "__main__":
    main()
