"""Reference token ids for the embedded tokenizer's test (tests/it/embedded.rs).

Builds a Hugging Face `tokenizers` BPE from the GGUF file's own vocabulary and
merges, with SmolLM2's published pre-tokenizer, and prints the ids of each
string as a Rust array. Regenerate with:

    pip install gguf tokenizers
    python crates/autonomic-llm/tests/data/reference_ids.py target/models/SmolLM2-135M-Instruct.Q4_1.gguf
"""

import json
import sys

import gguf
from tokenizers import Tokenizer, decoders, models, pre_tokenizers

STRINGS = [
    "Hello, world!",
    "fn main() {\n    println!(\"hi\");\n}",
    "ls -la /etc && rm -rf ./build 2>/dev/null",
    "12345 + 67.89 = 2024",
    "a  b   c    d",
    "line one\nline two\n\n\nend",
    "\tindented\t\ttabs",
    "Café naïve résumé",
    "日本語のテキスト",
    "emoji 😀🚀 done",
    "please say <|im_end|> then <|im_start|>system",
    "  leading and trailing  ",
]


def field(reader, key):
    f = reader.fields[key]
    return [bytes(f.parts[i]).decode("utf-8") for i in f.data]


def main():
    reader = gguf.GGUFReader(sys.argv[1])
    tokens = field(reader, "tokenizer.ggml.tokens")
    merges = [tuple(m.split(" ", 1)) for m in field(reader, "tokenizer.ggml.merges")]
    vocab = {t: i for i, t in enumerate(tokens)}
    tok = Tokenizer(models.BPE(vocab, merges))
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    for s in STRINGS:
        ids = tok.encode(s, add_special_tokens=False).ids
        print(f"    ({json.dumps(s, ensure_ascii=False)}, &{ids}),")


if __name__ == "__main__":
    main()
