#!/usr/bin/env bash
# fuzz/seeds/tokenizer.sh CORPUS_DIR: one seed file per test string of ../shared/reference/tokenizer
# (the upstream .inp strings and the .fr.json texts), each prefixed with the fuzzer's option byte 0
# (add_special = false, parse_special = false).
set -euo pipefail
corpus="${1:?usage: fuzz/seeds/tokenizer.sh CORPUS_DIR}"
shared="${OCCAM_SHARED:-$(cd "$(dirname "$0")/../../.." && pwd)/shared}"
mkdir -p "$corpus"
python3 - "$shared/reference/tokenizer" "$corpus" <<'EOF'
import glob, hashlib, json, os, sys
src, out = sys.argv[1], sys.argv[2]
texts = set()
for path in glob.glob(os.path.join(src, "*.inp")):
    with open(path, "rb") as f:
        texts.update(f.read().split(b"\n__ggml_vocab_test__\n"))
for path in glob.glob(os.path.join(src, "*.fr.json")):
    with open(path, encoding="utf-8") as f:
        texts.update(case["text"].encode("utf-8") for case in json.load(f)["cases"])
for text in texts:
    data = b"\x00" + text
    with open(os.path.join(out, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)
print(f"tokenizer seeds: {len(texts)} files in {out}")
EOF
