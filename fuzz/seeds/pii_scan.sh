#!/usr/bin/env bash
# fuzz/seeds/pii_scan.sh CORPUS_DIR: one seed per line of the PII case table (markers removed), plus a
# few French and English sentences with redacted placeholders, from the repository and ../shared.
set -euo pipefail
out="$1"
root="$(cd "$(dirname "$0")/../.." && pwd)"
mkdir -p "$out"
n=0
while IFS= read -r line; do
  case "$line" in ''|'#'*) continue ;; esac
  printf '%s' "$line" | sed -e 's/⟦[A-Z0-9_]*|//g' -e 's/⟧//g' > "$out/case_$n"
  n=$((n + 1))
done < "$root/tests/rules/data/pii_cases.txt"
printf 'Réponse : [EMAIL_1] / [ PHONE_2 ] / [iban_1] / [CARD\\_1] / [EMAIL_1' > "$out/placeholders"
shared="${OCCAM_SHARED:-$root/../shared}"
if [ -f "$shared/datasets/presidio_synth_pii/presidio_synth_pii.jsonl" ]; then
  head -40 "$shared/datasets/presidio_synth_pii/presidio_synth_pii.jsonl" | while IFS= read -r row; do
    printf '%s' "$row" > "$out/presidio_$n"
    n=$((n + 1))
  done
fi
