#!/usr/bin/env bash
# bench/gateway.sh [SECONDS] [CONNECTIONS] [THREADS]
# Gateway overhead against nginx, in one run: wrk (POST /v1/chat/completions, keep-alive) against
#   direct   -> a fast upstream (nginx returning a canned chat completion)
#   nginx    -> nginx proxy_pass (keep-alive upstream pool) -> the same upstream
#   occam    -> occam serve (remote backend) -> the same upstream
# Prints requests/s, p50/p99 latency, the latency each proxy adds over direct, and occam/nginx throughput.
# Needs a built occam (build/release or $OCCAM_BIN), nginx and wrk. Everything runs on 127.0.0.1, free ports.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SECONDS_PER_RUN="${1:-10}"
CONNECTIONS="${2:-256}"
THREADS="${3:-2}"          # occam I/O threads = nginx worker_processes (same CPU budget)
OCCAM="${OCCAM_BIN:-$ROOT/build/release/bin/occam}"
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
[ -x "$OCCAM" ] || { echo "no occam binary at $OCCAM (cmake --build build/release --target occam)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 1; }

work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; return 1; }

up_port=$(free_port); px_port=$(free_port); oc_port=$(free_port)
answer='{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Bonjour, votre ticket est bien reçu."},"finish_reason":"stop","logprobs":null}],"usage":{"prompt_tokens":12,"completion_tokens":9,"total_tokens":21}}'

mkdir -p "$work/up" "$work/px"
cat >"$work/up/nginx.conf" <<CONF
worker_processes 1;
pid $work/up/nginx.pid;
error_log $work/up/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $work/up; proxy_temp_path $work/up; fastcgi_temp_path $work/up; uwsgi_temp_path $work/up; scgi_temp_path $work/up;
  server {
    listen 127.0.0.1:$up_port;
    location / { default_type application/json; return 200 '$answer'; }
  }
}
CONF
cat >"$work/px/nginx.conf" <<CONF
worker_processes $THREADS;
pid $work/px/nginx.pid;
error_log $work/px/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $work/px; proxy_temp_path $work/px; fastcgi_temp_path $work/px; uwsgi_temp_path $work/px; scgi_temp_path $work/px;
  upstream fast { server 127.0.0.1:$up_port; keepalive 128; }
  server {
    listen 127.0.0.1:$px_port;
    location / { proxy_pass http://fast; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
CONF
cat >"$work/occam.yaml" <<CONF
server:
  threads: $THREADS
  limits: {max_concurrency: 4096, max_queue: 4096}
models:
  m:
    backend: remote
    base_url: http://127.0.0.1:$up_port/v1
    max_idle_connections: 256
    circuit_breaker: {failures: 0}
CONF
cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"m","messages":[{"role":"system","content":"Tu es un assistant de support."},{"role":"user","content":"Bonjour, mon colis n\'est pas arrivé, pouvez-vous vérifier ?"}],"temperature":0.2,"max_tokens":64}'
LUA

"$NGINX" -p "$work/up" -c "$work/up/nginx.conf" -g 'daemon off;' 2>"$work/up/stderr" & pids+=($!)
"$NGINX" -p "$work/px" -c "$work/px/nginx.conf" -g 'daemon off;' 2>"$work/px/stderr" & pids+=($!)
OCCAM_LOG_LEVEL=warn "$OCCAM" serve --config "$work/occam.yaml" --host 127.0.0.1 --port "$oc_port" >"$work/occam.out" 2>"$work/occam.err" & pids+=($!)
wait_port "$up_port"; wait_port "$px_port"; wait_port "$oc_port"

# The occam answer must be a real chat completion (not an error) before it is timed.
check=$(curl -s -X POST -H 'Content-Type: application/json' --data '{"model":"m","messages":[{"role":"user","content":"x"}]}' "http://127.0.0.1:$oc_port/v1/chat/completions")
echo "$check" | grep -q '"chat.completion"' || { echo "occam did not answer: $check" >&2; cat "$work/occam.err" >&2; exit 1; }

# to_ms VALUE-with-unit -> milliseconds
to_ms() { python3 -c "import sys,re; v=sys.argv[1]; m=re.match(r'([0-9.]+)(us|ms|s)',v); f={'us':1e-3,'ms':1,'s':1e3}[m.group(2)]; print(float(m.group(1))*f)" "$1"; }
run() {  # run NAME PORT -> sets RPS_<NAME>, P50_<NAME>, P99_<NAME>
  local name=$1 port=$2 out
  wrk -t2 -c"$CONNECTIONS" -d2s -s "$work/post.lua" "http://127.0.0.1:$port/v1/chat/completions" >/dev/null  # warm-up
  out=$(wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency -s "$work/post.lua" "http://127.0.0.1:$port/v1/chat/completions")
  if echo "$out" | grep -q "Non-2xx"; then echo "$name: non-2xx answers:" >&2; echo "$out" >&2; exit 1; fi
  printf -v "RPS_$name" '%s' "$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
  printf -v "P50_$name" '%s' "$(to_ms "$(echo "$out" | awk '$1=="50%" {print $2}')")"
  printf -v "P99_$name" '%s' "$(to_ms "$(echo "$out" | awk '$1=="99%" {print $2}')")"
}
run direct "$up_port"
run nginx "$px_port"
run occam "$oc_port"

python3 - "$CONNECTIONS" "$THREADS" "$SECONDS_PER_RUN" "$RPS_direct" "$P50_direct" "$P99_direct" "$RPS_nginx" "$P50_nginx" "$P99_nginx" "$RPS_occam" "$P50_occam" "$P99_occam" <<'PY'
import sys
c, t, s = sys.argv[1:4]
d_rps, d50, d99, n_rps, n50, n99, o_rps, o50, o99 = map(float, sys.argv[4:])
print(f"gateway bench: wrk -t2 -c{c} -d{s}s, POST /v1/chat/completions, {t} proxy threads/workers, canned upstream")
print(f"{'path':<8} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'added p50':>10} {'added p99':>10}")
print(f"{'direct':<8} {d_rps:>10.0f} {d50:>8.3f} {d99:>8.3f} {'-':>10} {'-':>10}")
print(f"{'nginx':<8} {n_rps:>10.0f} {n50:>8.3f} {n99:>8.3f} {n50-d50:>10.3f} {n99-d99:>10.3f}")
print(f"{'occam':<8} {o_rps:>10.0f} {o50:>8.3f} {o99:>8.3f} {o50-d50:>10.3f} {o99-d99:>10.3f}")
print(f"occam/nginx throughput: {o_rps/n_rps:.2f}x (target >= 0.8x); occam added p99 {o99-d99:.3f} ms (target <= 1 ms)")
PY
