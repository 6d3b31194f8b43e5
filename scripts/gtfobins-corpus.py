#!/usr/bin/env python3
"""Turn a GTFOBins checkout into a validator corpus (JSON Lines).

GTFOBins (https://gtfobins.github.io/, GPL-3.0) documents how ordinary
binaries give a shell, run commands, read, write, upload or download files.
Each `_gtfobins/<name>` file has YAML front matter listing functions, each
with code examples. This writes one corpus line per example of the functions
an agent's command must never get through unreviewed:

    {"cmd": ..., "lang": "bash", "category": <function>, "source": "gtfobins:<name>"}

The corpus is not stored in this repository (GTFOBins' examples are theirs);
the README gives the figure and this script reproduces it:

    git clone https://github.com/GTFOBins/GTFOBins.github.io /tmp/gtfobins
    scripts/gtfobins-corpus.py /tmp/gtfobins > /tmp/gtfobins.jsonl
    autonomic validate --no-audit --corpus /tmp/gtfobins.jsonl --list allow
"""

import json
import os
import sys

import yaml  # python3-yaml

FUNCTIONS = {"shell", "command", "upload", "download", "file-write", "privilege-escalation"}


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = os.path.join(sys.argv[1], "_gtfobins")
    if not os.path.isdir(root):
        print(f"{root}: not a GTFOBins checkout (no _gtfobins/)", file=sys.stderr)
        return 1
    n = 0
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        # A file opens with `---` and its YAML; a closing `---` is optional.
        parts = text.split("---", 2)
        if len(parts) < 2:
            print(f"{path}: no front matter, skipped", file=sys.stderr)
            continue
        meta = yaml.safe_load(parts[1]) or {}
        for function, examples in (meta.get("functions") or {}).items():
            if function not in FUNCTIONS:
                continue
            for example in examples or []:
                code = (example or {}).get("code", "")
                if code:
                    line = {"cmd": code, "lang": "bash", "category": function, "source": f"gtfobins:{name}"}
                    print(json.dumps(line))
                    n += 1
    print(f"{n} examples", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
