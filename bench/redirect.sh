#!/bin/sh
# bench/redirect: how fast kanal answers short-link redirects, each one
# logged before it is answered, beside nginx answering `return 302` with its
# access log on, both measured with wrk on loopback in the same run, in
# ROUNDS alternating rounds (one run is not a measurement: the machine's
# speed drifts, so the ratio is taken round by round and its median quoted).
# A kanal round lasts until the clicks it answered are stored (kanal's
# store runs behind the answers), so that storing them neither takes CPU
# from nginx's round nor goes uncounted; each server's CPU time a redirect
# is printed beside its rate.
# Prints numbers, never pass/fail.
# Usage: bench/redirect.sh [SECONDS] [CONNECTIONS] [ROUNDS] [keepalive|close]
# "close" sends `Connection: close`, so every redirect is a new TCP
# connection, as a click from a reader's browser usually is; keepalive
# (the default) measures the server's own work per request.
set -eu

secs=${1:-10}
conns=${2:-64}
rounds=${3:-5}
mode=${4:-keepalive}
case $mode in
keepalive) conn_header="Connection: keep-alive" ;;
close) conn_header="Connection: close" ;;
*) echo "bench/redirect: the fourth argument is keepalive or close, not '$mode'"; exit 1 ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
kanal=${KANAL_BIN:-$root/build/kanal}
for tool in wrk nginx sqlite3; do
    command -v $tool >/dev/null 2>&1 || { echo "bench/redirect: needs $tool (make deps)"; exit 1; }
done
[ -x "$kanal" ] || { echo "bench/redirect: build kanal first (make)"; exit 1; }

tmp=$(mktemp -d /tmp/kanal-bench-redirect.XXXXXX)
kpid=""
cleanup() {
    [ -n "$kpid" ] && kill "$kpid" 2>/dev/null || true
    [ -f "$tmp/nginx.pid" ] && kill "$(cat "$tmp/nginx.pid")" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
cpus=$(nproc)
ua="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
target="https://example.org/page?utm_source=facebook&utm_medium=social&utm_campaign=bench"

# ---- kanal: one link in a fresh SQLite store ----
db=$tmp/kanal.db
"$kanal" migrate --db "$db" >/dev/null
sqlite3 "$db" "INSERT INTO workspaces (name, slug, created_at, updated_at) VALUES ('Bench', 'bench', 0, 0)"
"$kanal" link add --db "$db" --workspace bench --url https://example.org/page --code bench \
    --utm-source facebook --utm-medium social --utm-campaign bench >/dev/null
kport=$(free_port)
token=bench-$$-$(date +%s)
"$kanal" serve --db "$db" --listen 127.0.0.1:$kport --threads "$cpus" --log-level warn \
    --click-log "$tmp/clicks.log" --max-per-address 0 --metrics-token "$token" \
    >"$tmp/kanal.out" 2>&1 &
kpid=$!

# ---- nginx: the same answer from a static rule, logging every request ----
nport=$(free_port)
mkdir -p "$tmp/nginx/logs"
cat >"$tmp/nginx.conf" <<CONF
worker_processes $cpus;
pid $tmp/nginx.pid;
error_log $tmp/nginx/logs/error.log;
events { worker_connections 4096; }
http {
    access_log $tmp/nginx/logs/access.log;
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    server {
        listen 127.0.0.1:$nport;
        location /l/ {
            add_header Cache-Control no-store;
            return 302 "$target";
        }
    }
}
CONF
nginx -p "$tmp/nginx" -c "$tmp/nginx.conf" -e "$tmp/nginx/logs/error.log"

# Both must answer 302 before they are measured.
for i in $(seq 50); do
    c1=$(/usr/bin/python3 - "$kport" "$nport" <<'PY' 2>/dev/null || true
import http.client, sys
for p in sys.argv[1:]:
    c = http.client.HTTPConnection("127.0.0.1", int(p), timeout=2)
    c.request("GET", "/l/bench"); r = c.getresponse()
    assert r.status == 302, r.status
print("ok")
PY
)
    [ "$c1" = ok ] && break
    sleep 0.1
done
[ "$c1" = ok ] || { echo "bench/redirect: a server did not answer 302"; cat "$tmp/kanal.out"; exit 1; }

# CPU time (clock ticks) the server has used: kanal's process (every
# thread, the click store's too), nginx's workers.
cpu_ticks() { # name
    if [ "$1" = kanal ]; then pids=$kpid; else pids=$(pgrep -P "$(cat "$tmp/nginx.pid")"); fi
    for p in $pids; do cut -d')' -f2 "/proc/$p/stat"; done | awk '{t += $12 + $13} END {print t}'
}
# Clicks answered but not yet stored, from kanal's /metrics.
pending() {
    /usr/bin/python3 - "$kport" "$token" <<'PY' 2>/dev/null || echo 0
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=5)
c.request("GET", "/metrics", headers={"Authorization": "Bearer " + sys.argv[2]})
for line in c.getresponse().read().decode().splitlines():
    if line.startswith("kanal_clicks_pending "):
        print(line.split()[1])
PY
}
run_wrk() { # name port round
    c0=$(cpu_ticks "$1")
    wrk -t2 -c"$conns" -d"${secs}s" --latency -H "User-Agent: $ua" -H "$conn_header" \
        "http://127.0.0.1:$2/l/bench" >"$tmp/wrk-$1-$3.txt"
    # kanal's round ends when what it answered is stored: its store may
    # fall behind while the answers take the CPU, and must neither run
    # into nginx's round nor leave its CPU time out of kanal's.
    waited=0
    if [ "$1" = kanal ]; then
        t0=$(date +%s%N)
        while [ "$(pending)" != 0 ] && [ $(( ($(date +%s%N) - t0) / 1000000000 )) -lt 120 ]; do
            sleep 0.05
        done
        waited=$(( ($(date +%s%N) - t0) / 1000000 ))
    fi
    echo "$(( $(cpu_ticks "$1") - c0 )) $waited" >"$tmp/cpu-$1-$3.txt"
}
field() { # file: rps p50 p99 requests non3xx
    awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
         /requests in/ {n=$1} /Non-2xx or 3xx/ {bad=$5}
         END {printf "%s %s %s %s %s\n", rps, p50, p99, n, bad+0}' "$1"
}

# Alternate which server goes first, so neither always meets a warmer machine.
for r in $(seq "$rounds"); do
    if [ $((r % 2)) -eq 1 ]; then
        run_wrk kanal "$kport" "$r"; run_wrk nginx "$nport" "$r"
    else
        run_wrk nginx "$nport" "$r"; run_wrk kanal "$kport" "$r"
    fi
done

# kanal stores what is left in its log when it stops.
kill -TERM "$kpid"
wait "$kpid" || true
kpid=""
kill "$(cat "$tmp/nginx.pid")"
sleep 0.5

echo "bench/redirect: GET /l/CODE -> 302, wrk -t2 -c$conns -d${secs}s on loopback, $cpus CPUs, $rounds rounds, $conn_header"
echo "                kanal $("$kanal" version | cut -d' ' -f2), --threads $cpus, SQLite, click log fsync per batch"
echo "                nginx $(nginx -v 2>&1 | cut -d/ -f2), worker_processes $cpus, return 302, access_log on"
hz=$(getconf CLK_TCK)
printf '%-6s %-6s %12s %10s %10s %12s %10s %12s %10s\n' round server "redirects/s" p50 p99 answered \
    "non-3xx" "CPU µs/redir" "store ms"
k_total=0
: >"$tmp/ratios"
: >"$tmp/cpu-ratios"
cpu_us() { # ticks requests
    awk -v t="$1" -v n="$2" -v hz="$hz" 'BEGIN {printf "%.2f", n ? t * 1e6 / hz / n : 0}'
}
for r in $(seq "$rounds"); do
    set -- $(field "$tmp/wrk-kanal-$r.txt")
    read -r kt kw <"$tmp/cpu-kanal-$r.txt"
    k_cpu=$(cpu_us "$kt" "$4")
    printf '%-6s %-6s %12s %10s %10s %12s %10s %12s %10s\n' "$r" kanal "$1" "$2" "$3" "$4" "$5" \
        "$k_cpu" "$kw"
    k_rps=$1 k_total=$((k_total + $4))
    set -- $(field "$tmp/wrk-nginx-$r.txt")
    read -r nt nw <"$tmp/cpu-nginx-$r.txt"
    n_cpu=$(cpu_us "$nt" "$4")
    printf '%-6s %-6s %12s %10s %10s %12s %10s %12s %10s\n' "$r" nginx "$1" "$2" "$3" "$4" "$5" \
        "$n_cpu" -
    awk -v k="$k_rps" -v n="$1" 'BEGIN {printf "%.3f\n", k / n}' >>"$tmp/ratios"
    awk -v k="$k_cpu" -v n="$n_cpu" 'BEGIN {printf "%.3f\n", (n > 0 ? k / n : 0)}' >>"$tmp/cpu-ratios"
done
median() { # file label
    sort -n "$1" | awk -v label="$2" '{v[NR] = $1} END {
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%s: median %.2f, min %.2f, max %.2f (%d rounds)\n", label, m, v[1], v[NR], NR}'
}
median "$tmp/ratios" "ratio kanal/nginx per round"
median "$tmp/cpu-ratios" "CPU a redirect, kanal/nginx (kanal's until its clicks are stored)"
stored=$(sqlite3 "$db" "SELECT COUNT(*) FROM clicks")
logged=$(wc -l <"$tmp/nginx/logs/access.log")
echo "clicks stored by kanal: $stored (answered to wrk: $k_total, plus 1 readiness check;" \
     "requests wrk left unfinished at its deadlines may add a few)"
echo "nginx access log lines: $logged"
