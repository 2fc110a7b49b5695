#!/usr/bin/env bash
# fuzz/seeds/chat_template.sh CORPUS_DIR: one seed per real chat template of
# ../shared/reference/chat-templates/*.jinja, plus every template of tests/tokenizer/data/chat_template_cases.json.
set -euo pipefail
corpus="${1:?usage: fuzz/seeds/chat_template.sh CORPUS_DIR}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
shared="${OCCAM_SHARED:-$(cd "$root/.." && pwd)/shared}"
mkdir -p "$corpus"
for f in "$shared"/reference/chat-templates/*.jinja; do
  cp "$f" "$corpus/$(basename "$f")"
done
python3 - "$root/tests/tokenizer/data/chat_template_cases.json" "$corpus" <<'PY'
import hashlib, json, os, sys
with open(sys.argv[1], encoding="utf-8") as f:
    cases = json.load(f)["cases"]
for case in (c for c in cases if "template" in c):
    data = case["template"].encode("utf-8")
    with open(os.path.join(sys.argv[2], "case-" + hashlib.sha1(data).hexdigest()[:16]), "wb") as out:
        out.write(data)
PY
