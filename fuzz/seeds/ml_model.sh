#!/usr/bin/env bash
# fuzz/seeds/ml_model.sh CORPUS_DIR: small model files of every kind, trained by the fuzz binary itself.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
mkdir -p "$1"
OCCAM_ML_FUZZ_WRITE_SEEDS="$1" "$ROOT/build/fuzz/fuzz/fuzz_ml_model" -runs=0 >/dev/null 2>&1
ls "$1" | grep -q . || { echo "ml_model seeds: none written" >&2; exit 1; }
