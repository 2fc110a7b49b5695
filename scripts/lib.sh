# Shared by scripts/*: configure and build one CMake preset, quietly unless it fails.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export OCCAM_SHARED="${OCCAM_SHARED:-$(cd "$ROOT/.." && pwd)/shared}"
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/occam-ccache}"
JOBS="${OCCAM_JOBS:-$(nproc)}"

# build_preset PRESET [TARGET...]
build_preset() {
  local preset="$1"; shift
  local dir="$ROOT/build/$preset" log
  log="$(mktemp)"
  if [ ! -f "$dir/build.ninja" ]; then
    if ! cmake --preset "$preset" -S "$ROOT" >"$log" 2>&1; then
      cat "$log" >&2; rm -f "$log"; echo "configure ($preset) failed" >&2; return 1
    fi
  fi
  local targets=()
  for t in "$@"; do targets+=(--target "$t"); done
  if ! cmake --build "$dir" -j "$JOBS" "${targets[@]}" >"$log" 2>&1; then
    grep -E -A8 "error|FAILED" "$log" | head -80 >&2; rm -f "$log"; echo "build ($preset) failed" >&2; return 1
  fi
  rm -f "$log"
}

OCCAM_T0="${OCCAM_T0:-$(date +%s)}"
# step TITLE: a section header with the seconds elapsed since the script started.
step() { printf '\n== %s (t=%ss)\n' "$*" "$(( $(date +%s) - OCCAM_T0 ))"; }
