#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# make bench: wrk against the real tessera server, beside nginx `return 200` measured in
# the same run. See bench/README.md for what each figure means and the budgets.
#
#   sh bench/run.sh                     # from the repository root, after `make`
#   BENCH_DURATION=5 make bench         # shorter runs
#   BENCH_KEEP=1 sh bench/run.sh        # keep the temporary directory (logs, wrk output)
#   BENCH_STRICT=1 sh bench/run.sh      # exit 1 when a budget is missed, too
#   BENCH_TOKEN_ALGS=ES256 sh bench/run.sh   # token endpoint for ES256 only ("": none)
#   BENCH_TLS=0 sh bench/run.sh         # skip the TLS runs (handshakes/s, tokens over TLS)
#   BENCH_FRESH_ALGS= BENCH_LIBTESSERA_ALGS= sh bench/run.sh   # skip the verification runs
#   BENCH_BUILD=build-x sh bench/run.sh  # build the bench drivers with make BUILD=build-x
#
# Exit status: 0 when every run answered only 2xx over kept-alive connections with no
# socket errors (the new-connection runs: only 2xx, no socket errors, no resumed TLS
# session); 1 otherwise, or when setup fails (and, with BENCH_STRICT=1, when a budget is
# missed).

# --- settings ---------------------------------------------------------------------
THREADS=${BENCH_THREADS:-2}                   # wrk threads
CONNECTIONS=${BENCH_CONNECTIONS:-50}          # nginx, /healthz, /v1/auth/profile
LOGIN_CONNECTIONS=${BENCH_LOGIN_CONNECTIONS:-8}   # login: Argon2id, ~10 ms a hash
MEM_CONNECTIONS=${BENCH_MEM_CONNECTIONS:-100} # the memory budget's connection count
DURATION=${BENCH_DURATION:-10}                # seconds per wrk run
ARGON2_SECONDS=${BENCH_ARGON2_SECONDS:-3}     # seconds of the raw Argon2id measurement
TOKEN_CONNECTIONS=${BENCH_TOKEN_CONNECTIONS:-50}  # POST /oauth2/token (the p99 budget's)
TOKEN_ALGS=${BENCH_TOKEN_ALGS-ES256 EdDSA RS256}  # one fresh server each; "" skips them
SIGN_SECONDS=${BENCH_SIGN_SECONDS:-3}         # seconds of each raw signing measurement
TLS=${BENCH_TLS:-1}                           # 1: the TLS runs (tessera dev-certs); 0: none
NEWCONN_CONNECTIONS=${BENCH_NEWCONN_CONNECTIONS:-16}  # new-connection runs (tls_handshake)
TLS_TOKEN_ALG=ES256                           # client_credentials over TLS vs plain HTTP
TESSERA=${TESSERA_BIN:-build/tessera}
BENCH_BUILD=${BENCH_BUILD:-build}             # make BUILD= of the drivers below
ARGON2_RATE=$BENCH_BUILD/bench/argon2_rate
SIGN_RATE=$BENCH_BUILD/bench/sign_rate        # also `sign_rate --verify`: raw verification
HANDSHAKE=$BENCH_BUILD/bench/tls_handshake
# GET /v1/auth/verify with a new token each request, and libtessera's verifier, each
# beside the raw signature-verification rate (section "verification" below).
FRESH_ALGS=${BENCH_FRESH_ALGS-ES256}          # one fresh server each; "" skips them
FRESH_TOKENS=${BENCH_FRESH_TOKENS:-30000}     # distinct tokens (the server caches 4,096)
FRESH_CONNECTIONS=${BENCH_FRESH_CONNECTIONS:-50}
LIBTESSERA_ALGS=${BENCH_LIBTESSERA_ALGS-ES256 EdDSA RS256}   # "" skips them
VERIFY_SECONDS=${BENCH_VERIFY_SECONDS:-3}     # each raw verify / libtessera measurement
LIBTESSERA_TOKENS=4096                        # distinct tokens libtessera_rate signs
LIBTESSERA_RATE=$BENCH_BUILD/bench/libtessera_rate
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
WRK=$(command -v wrk 2>/dev/null || echo wrk)

# Budgets (bench/README.md, "Budgets").
BUDGET_LOGIN_RATIO=0.9        # login req/s >= 0.9 x raw Argon2id rate
BUDGET_PROFILE_RATIO=0.5      # GET /v1/auth/verify, repeated token >= 0.5 x nginx
BUDGET_IDLE_KIB=10240         # idle RSS <= 10 MiB
BUDGET_LOAD_KIB=65536         # RSS under 100 connections <= 64 MiB (+ hashing buffers)
BUDGET_START_MS=100           # first 200 from /healthz after exec, existing database
BUDGET_TOKEN_RATIO=0.7        # client_credentials tokens/s >= 0.7 x raw signing rate
BUDGET_TOKEN_P99_MS=5         # ... with p99 < 5 ms at 50 connections
BUDGET_FRESH_RATIO=0.8        # GET /v1/auth/verify, new token each request >= 0.8 x raw
                              # signature verification of the algorithm

set -u
cd "$(dirname "$0")/.." || exit 1

say() { printf '%s\n' "bench: $*" >&2; }
die() { say "$*"; exit 1; }

# --- processes and cleanup ---------------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tessera-bench.XXXXXX") || exit 1
NGINX_PID=
NGINX_WORKERS=
TESSERA_PID=
CHILD_PID=

alive() {   # a live process (not a zombie awaiting wait)
    [ -n "$1" ] && [ -r "/proc/$1/stat" ] &&
        ! sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | grep -q '^Z'
}

stop_pid() {   # TERM, up to 5 s to exit, then KILL; reap it
    [ -n "$1" ] || return 0
    kill -TERM "$1" 2>/dev/null
    i=0
    while alive "$1" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    if alive "$1"; then
        say "pid $1 ignored SIGTERM for 5 s: SIGKILL"
        kill -KILL "$1" 2>/dev/null
    fi
    wait "$1" 2>/dev/null
}

# shellcheck disable=SC2317  # called through trap
cleanup() {
    rc=$?
    trap - EXIT INT TERM HUP
    stop_pid "$CHILD_PID"
    stop_pid "$TESSERA_PID"
    stop_pid "$NGINX_PID"
    for w in $NGINX_WORKERS; do   # only if the master died without taking them along
        if alive "$w"; then kill -KILL "$w" 2>/dev/null; fi
    done
    if [ "${BENCH_KEEP:-0}" = 1 ]; then
        say "kept $TMP"
    else
        rm -rf "$TMP"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

fail_with_log() {   # message, log file
    say "$1"
    if [ -s "$2" ]; then
        say "last lines of $2:"
        tail -n 20 "$2" >&2
    fi
    exit 1
}

rss_kib() {   # VmRSS or VmHWM (argument 2) of pid $1, in KiB
    sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status" 2>/dev/null
}

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

# --- preconditions -----------------------------------------------------------------
[ -x "$TESSERA" ] || die "$TESSERA not found: run make first"
[ -x "$NGINX" ] || die "nginx not found: run make deps"
command -v "$WRK" >/dev/null 2>&1 || die "wrk not found: run make deps"
command -v curl >/dev/null 2>&1 || die "curl not found: run make deps"
command -v jq >/dev/null 2>&1 || die "jq not found: run make deps"
make -s BUILD="$BENCH_BUILD" "$ARGON2_RATE" >&2 || die "could not build $ARGON2_RATE"
make -s BUILD="$BENCH_BUILD" "$SIGN_RATE" >&2 || die "could not build $SIGN_RATE"
case $TLS in
0) ;;
1)
    make -s BUILD="$BENCH_BUILD" "$HANDSHAKE" >&2 || die "could not build $HANDSHAKE"
    "$TESSERA" dev-certs --help > /dev/null 2>&1 ||
        die "$TESSERA has no 'dev-certs' (TLS): rebuild it, or skip the TLS runs with" \
            "BENCH_TLS=0"
    "$TESSERA" client add --help > /dev/null 2>&1 ||
        die "$TESSERA has no 'client add' (tokens over TLS): rebuild it, or BENCH_TLS=0"
    ;;
*) die "BENCH_TLS: $TLS is not 0 or 1" ;;
esac
if [ -n "$TOKEN_ALGS" ]; then
    "$TESSERA" client add --help > /dev/null 2>&1 ||
        die "$TESSERA has no 'client add' (POST /oauth2/token): rebuild it," \
            "or skip the token runs with BENCH_TOKEN_ALGS=''"
    for alg in $TOKEN_ALGS; do
        case $alg in
        ES256 | EdDSA | RS256) ;;
        *) die "BENCH_TOKEN_ALGS: $alg is not one of ES256 EdDSA RS256" ;;
        esac
    done
fi
# verification runs: GET /v1/auth/verify with new tokens, libtessera
if [ -n "$FRESH_ALGS" ]; then
    "$TESSERA" client add --help > /dev/null 2>&1 ||
        die "$TESSERA has no 'client add' (tokens for GET /v1/auth/verify): rebuild it," \
            "or skip those runs with BENCH_FRESH_ALGS=''"
    for alg in $FRESH_ALGS; do
        case $alg in
        ES256 | EdDSA | RS256) ;;
        *) die "BENCH_FRESH_ALGS: $alg is not one of ES256 EdDSA RS256" ;;
        esac
    done
    [ "$FRESH_TOKENS" -ge 1 ] 2>/dev/null || die "BENCH_FRESH_TOKENS must be a number >= 1"
    [ "$FRESH_CONNECTIONS" -ge "$THREADS" ] 2>/dev/null ||
        die "BENCH_FRESH_CONNECTIONS must be >= threads ($THREADS)"
fi
for alg in $LIBTESSERA_ALGS; do
    case $alg in
    ES256 | EdDSA | RS256) ;;
    *) die "BENCH_LIBTESSERA_ALGS: $alg is not one of ES256 EdDSA RS256" ;;
    esac
done
if [ -n "$LIBTESSERA_ALGS" ]; then
    make -s BUILD="$BENCH_BUILD" "$LIBTESSERA_RATE" >&2 ||
        die "could not build $LIBTESSERA_RATE"
fi
[ "$CONNECTIONS" -ge "$THREADS" ] && [ "$LOGIN_CONNECTIONS" -ge "$THREADS" ] &&
    [ "$TOKEN_CONNECTIONS" -ge "$THREADS" ] ||
    die "connections must be >= threads ($THREADS)"
[ "$NEWCONN_CONNECTIONS" -ge 1 ] 2>/dev/null ||
    die "BENCH_NEWCONN_CONNECTIONS must be a number >= 1"

say "$(nproc) cores; wrk -t$THREADS, ${DURATION}s a run; temp dir $TMP"

# --- TLS: a development CA and server certificate, for nginx and tessera ----------------
CERTS="$TMP/certs"
CA="$CERTS/ca.pem"
if [ "$TLS" = 1 ]; then
    "$TESSERA" dev-certs --dir "$CERTS" > "$TMP/dev-certs.out" 2> "$TMP/dev-certs.err" ||
        fail_with_log "tessera dev-certs failed" "$TMP/dev-certs.err"
fi

# --- nginx: the baseline ---------------------------------------------------------------
mkdir -p "$TMP/nginx" || exit 1
NGINX_USER=
if [ "$(id -u)" = 0 ]; then   # as root, keep workers as root: the temp dir is 0700
    NGINX_USER="user $(id -un) $(id -gn);"
fi

nginx_tls_server() {   # port: the HTTPS server block, same certificate as tessera's
    [ -n "$1" ] || return 0
    # nginx 1.22's default ssl_protocols lacks TLSv1.3, which tessera negotiates. The
    # session cache stays off (the default); tls_handshake refuses tickets.
    cat <<EOF
    server {
        listen 127.0.0.1:$1 ssl;
        ssl_certificate $CERTS/server.pem;
        ssl_certificate_key $CERTS/server-key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        location / { return 200 "ok"; }
    }
EOF
}

start_nginx() {   # port, TLS port or ""; 0 when nginx answers on both, 1 when it died
                  # (port taken?), 2 other
    d="$TMP/nginx"
    cat > "$d/nginx.conf" <<EOF
$NGINX_USER
worker_processes auto;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 100000000;   # the default 1000 closes connections mid-run
    keepalive_timeout 75s;
    client_body_temp_path $d/client_body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;
    server {
        listen 127.0.0.1:$1;
        location / { return 200 "ok"; }
    }
$(nginx_tls_server "$2")
}
EOF
    : > "$d/error.log"
    "$NGINX" -p "$d/" -c "$d/nginx.conf" -e "$d/error.log" > "$d/stdout" 2>&1 &
    NGINX_PID=$!
    i=0
    while [ $i -lt 100 ]; do
        if curl -fsS -o /dev/null "http://127.0.0.1:$1/" 2>/dev/null &&
           { [ -z "$2" ] ||
             curl -fsS -o /dev/null --cacert "$CA" "https://127.0.0.1:$2/" 2>/dev/null; }
        then
            return 0
        fi
        if ! alive "$NGINX_PID"; then
            wait "$NGINX_PID" 2>/dev/null
            NGINX_PID=
            if grep -q "in use" "$d/error.log" "$d/stdout"; then return 1; fi
            return 2
        fi
        sleep 0.05
        i=$((i + 1))
    done
    return 2
}

free_port() {   # a random port nothing listens on now (nginx may still lose a race)
    while :; do
        p=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 30000 + 20000 ))
        ss -Hltn "sport = :$p" 2>/dev/null | grep -q . || break
    done
    printf '%s\n' "$p"
}

launch_nginx() {   # sets NGINX_PID, NGINX_WORKERS, NGINX_PORT, NGINX_TLS_PORT ("" unless
                   # BENCH_TLS=1)
    NGINX_PORT=
    NGINX_TLS_PORT=
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        port=$(free_port)
        tport=
        if [ "$TLS" = 1 ]; then
            tport=$(free_port)
            [ "$tport" != "$port" ] || continue
        fi
        start_nginx "$port" "$tport"
        case $? in
        0) NGINX_PORT=$port NGINX_TLS_PORT=$tport; break ;;
        1) continue ;;
        *) cat "$TMP/nginx/stdout" >&2
           fail_with_log "nginx did not start" "$TMP/nginx/error.log" ;;
        esac
    done
    [ -n "$NGINX_PORT" ] || die "no free port for nginx after 10 tries"
    NGINX_WORKERS=$(pgrep -P "$NGINX_PID" 2>/dev/null | tr '\n' ' ')
    say "nginx $NGINX_PID (workers: $NGINX_WORKERS) on 127.0.0.1:$NGINX_PORT" \
        "${NGINX_TLS_PORT:+and https://127.0.0.1:$NGINX_TLS_PORT}"
}

launch_nginx

# --- tessera -----------------------------------------------------------------------------
ADMIN_PASSWORD="admin-$(random_hex 12)"
BENCH_PASSWORD="bench-$(random_hex 12)"
DB="$TMP/bench.db"

start_tessera() {   # label, database, serve options...; sets TESSERA_PID, PORT, SCHEME
                    # (http or https), START_MS (exec to the first 200 from /healthz)
    name=$1 db=$2
    shift 2
    log="$TMP/tessera.$name.err"
    : > "$log"   # exists before the loop below reads it, whenever the child opens it
    t0=$(date +%s%N)
    TESSERA_BOOTSTRAP_PASSWORD=$ADMIN_PASSWORD \
        "$TESSERA" serve --listen 127.0.0.1:0 --database "$db" "$@" \
        > "$TMP/tessera.$name.out" 2> "$log" &
    TESSERA_PID=$!
    PORT=
    while [ -z "$PORT" ]; do
        PORT=$(sed -n \
            's|^tessera: listening on https\{0,1\}://127\.0\.0\.1:\([0-9][0-9]*\)$|\1|p' \
            "$log" | head -n 1)
        if [ -z "$PORT" ]; then
            alive "$TESSERA_PID" || fail_with_log "tessera serve exited at start" "$log"
            [ $(( $(date +%s%N) - t0 )) -lt 10000000000 ] ||
                fail_with_log "tessera serve: no 'listening on' line within 10 s" "$log"
        fi
    done
    SCHEME=http
    if grep -q '^tessera: listening on https://' "$log"; then SCHEME=https; fi
    while ! curl -fsS -o /dev/null --cacert "$CA" "$SCHEME://127.0.0.1:$PORT/healthz" \
            2>/dev/null; do
        alive "$TESSERA_PID" || fail_with_log "tessera serve exited at start" "$log"
        [ $(( $(date +%s%N) - t0 )) -lt 10000000000 ] ||
            fail_with_log "GET /healthz: no 200 within 10 s of start" "$log"
    done
    START_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
}

start_tessera first "$DB"
TESSERA_LOG="$TMP/tessera.first.err"
say "tessera $TESSERA_PID on 127.0.0.1:$PORT (new database: first 200 after ${START_MS} ms)"
sleep 1   # let start-up settle before calling it idle
IDLE_RSS=$(rss_kib "$TESSERA_PID" VmRSS)

printf '%s\n' "$BENCH_PASSWORD" |
    "$TESSERA" user add --database "$DB" --email bench@example.com --username bench \
        --password-stdin > "$TMP/user-add.out" 2> "$TMP/user-add.err" ||
    fail_with_log "tessera user add failed" "$TMP/user-add.err"

BASE="http://127.0.0.1:$PORT"
code=$(curl -sS -o "$TMP/login.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "{\"username\":\"bench\",\"password\":\"$BENCH_PASSWORD\"}" \
    "$BASE/v1/auth/login") || fail_with_log "curl login failed" "$TESSERA_LOG"
[ "$code" = 200 ] || fail_with_log "POST /v1/auth/login: $code $(cat "$TMP/login.json")" \
    "$TESSERA_LOG"
TOKEN=$(jq -er .access_token "$TMP/login.json") ||
    die "no access_token in the login response: $(cat "$TMP/login.json")"
code=$(curl -sS -o "$TMP/profile.json" -w '%{http_code}' \
    -H "Authorization: Bearer $TOKEN" "$BASE/v1/auth/profile")
[ "$code" = 200 ] || fail_with_log "GET /v1/auth/profile: $code $(cat "$TMP/profile.json")" \
    "$TESSERA_LOG"

# --- wrk runs ------------------------------------------------------------------------------
ROWS="$TMP/rows"
: > "$ROWS"
FLAGGED=0

field() { printf '%s\n' "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

flag_row() {   # label [newconn]; FLAG it when $line shows non-2xx responses, socket
               # errors, a closed keep-alive (not for newconn: the point there), or a
               # resumed TLS session
    bad=0
    [ "$(field non2xx)" = 0 ] || bad=1
    [ "$(field sockerr)" = 0 ] || bad=1
    [ "${2:-}" = newconn ] || [ "$(field close)" = 0 ] || bad=1
    r=$(field resumed)
    [ -z "$r" ] || [ "$r" = 0 ] || bad=1
    if [ $bad = 1 ]; then
        FLAGGED=1
        say "FLAG $1: non2xx=$(field non2xx) close=$(field close)" \
            "sockerr=$(field sockerr) statuses=$(field statuses)" \
            "${2:+resumed=$(field resumed)}"
    fi
}

bench() {   # label, connections, duration, wrk arguments...
    label=$1 conns=$2 dur=$3
    shift 3
    out="$TMP/wrk.$(printf '%s' "$label" | tr -c 'A-Za-z0-9' '_').txt"
    say "wrk -c$conns -d${dur}s: $label"
    "$WRK" -t"$THREADS" -c"$conns" -d"${dur}s" "$@" > "$out" 2>&1 &
    CHILD_PID=$!
    wait "$CHILD_PID"
    rc=$?
    CHILD_PID=
    line=$(grep '^BENCH ' "$out" | tail -n 1)
    if [ $rc -ne 0 ] || [ -z "$line" ]; then
        cat "$out" >&2
        die "wrk failed for $label (exit $rc)"
    fi
    printf '%s|%s|%s|\n' "$label" "$conns" "$line" >> "$ROWS"
    RPS=$(field rps)
    flag_row "$label"
}

# A new connection per request (TCP connect, for https a full TLS handshake, GET,
# "Connection: close"), with build/bench/tls_handshake rather than wrk: wrk with
# "Connection: close" reconnects, but resumes the previous TLS session wherever the
# server issues tickets (nginx does, tessera does not).
newconn() {   # label, kind (new-http or new-https: the nginx baseline of the row), URL
    label=$1 kind=$2 url=$3
    out="$TMP/newconn.$(printf '%s' "$label" | tr -c 'A-Za-z0-9' '_').txt"
    say "tls_handshake c$NEWCONN_CONNECTIONS ${DURATION}s: $label"
    "$HANDSHAKE" "$url" "$DURATION" "$NEWCONN_CONNECTIONS" > "$out" 2> "$out.err" &
    CHILD_PID=$!
    wait "$CHILD_PID"
    rc=$?
    CHILD_PID=
    line=$(grep '^BENCH ' "$out" | tail -n 1)
    if [ $rc -ne 0 ] || [ -z "$line" ]; then
        cat "$out" "$out.err" >&2
        die "tls_handshake failed for $label (exit $rc)"
    fi
    printf '%s|%s|%s|%s\n' "$label" "$NEWCONN_CONNECTIONS" "$line" "$kind" >> "$ROWS"
    RPS=$(field rps)
    NEWCONN_TLS=$(field tls)
    flag_row "$label" newconn
}

bench "nginx return 200" "$CONNECTIONS" "$DURATION" -s bench/status.lua \
    "http://127.0.0.1:$NGINX_PORT/"
NGINX_RPS=$RPS
stop_pid "$NGINX_PID"      # idle from here on; free its memory and cores
NGINX_PID=

bench "GET /healthz" "$CONNECTIONS" "$DURATION" -s bench/status.lua "$BASE/healthz"

bench "GET /v1/auth/profile" "$CONNECTIONS" "$DURATION" -s bench/profile.lua \
    "$BASE/v1/auth/profile" -- "$TOKEN"
PROFILE_RPS=$RPS
PROFILE_RSS=$(rss_kib "$TESSERA_PID" VmRSS)
PROFILE_HWM=$(rss_kib "$TESSERA_PID" VmHWM)

bench "GET /v1/auth/verify" "$CONNECTIONS" "$DURATION" -s bench/verify.lua \
    "$BASE/v1/auth/verify" -- "$TOKEN"
VERIFY_RPS=$RPS

mem_dur=$DURATION
[ "$mem_dur" -le 3 ] || mem_dur=3
bench "GET /v1/auth/profile c$MEM_CONNECTIONS" "$MEM_CONNECTIONS" "$mem_dur" \
    -s bench/profile.lua "$BASE/v1/auth/profile" -- "$TOKEN"
LOAD_HWM=$(rss_kib "$TESSERA_PID" VmHWM)

bench "POST /v1/auth/login" "$LOGIN_CONNECTIONS" "$DURATION" -s bench/login.lua \
    "$BASE/v1/auth/login" -- bench "$BENCH_PASSWORD"
LOGIN_RPS=$RPS
LOGIN_HWM=$(rss_kib "$TESSERA_PID" VmHWM)

say "raw Argon2id for ${ARGON2_SECONDS}s, one thread per core"
"$ARGON2_RATE" "$ARGON2_SECONDS" > "$TMP/argon2.txt" 2>&1 &
CHILD_PID=$!
wait "$CHILD_PID" || { cat "$TMP/argon2.txt" >&2; die "argon2_rate failed"; }
CHILD_PID=
ARGON2_LINE=$(cat "$TMP/argon2.txt")
ARGON2_RPS=$(printf '%s\n' "$ARGON2_LINE" | sed -n 's/.*rate=\([0-9.]*\).*/\1/p')

# --- restart on the existing database: start time and clean shutdown ----------------------
term_tessera() {   # label; SIGTERM, up to 10 s to exit 0, else FLAG; sets SHUTDOWN
    kill -TERM "$TESSERA_PID"
    i=0
    while alive "$TESSERA_PID" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    if alive "$TESSERA_PID"; then
        say "FLAG $1 did not exit within 10 s of SIGTERM"
        FLAGGED=1
        stop_pid "$TESSERA_PID"
        SHUTDOWN="no exit 10 s after SIGTERM"
    else
        wait "$TESSERA_PID"
        src=$?
        SHUTDOWN="exit $src after SIGTERM"
        if [ $src -ne 0 ]; then
            say "FLAG $1 exited $src on SIGTERM (expected 0)"
            FLAGGED=1
        fi
    fi
    TESSERA_PID=
}

term_tessera tessera
MAIN_SHUTDOWN=$SHUTDOWN
start_tessera second "$DB"
RESTART_MS=$START_MS

# --- POST /oauth2/token client_credentials, beside the raw signing rate ---------------------
# One fresh server and database per algorithm (tokens.algorithm applies to new keys), a
# confidential client, wrk, then the server is stopped and sign_rate measures the raw
# signing rate of the same algorithm on the same cores, a few seconds later.
TOKENS="$TMP/tokens"
: > "$TOKENS"
TOKEN_SHUTDOWN=
[ -z "$TOKEN_ALGS" ] || stop_pid "$TESSERA_PID"   # the restarted one: done with it
[ -z "$TOKEN_ALGS" ] || TESSERA_PID=

jwt_alg() {   # the "alg" of a compact JWS's header
    h=${1%%.*}
    case $(( ${#h} % 4 )) in 2) h="$h==" ;; 3) h="$h=" ;; esac
    printf '%s' "$h" | tr '_-' '/+' | base64 -d 2>/dev/null | jq -r '.alg // empty' 2>/dev/null
}

add_client() {   # name (of the files), database: a confidential client_credentials client;
                 # exports BENCH_CLIENT_ID and BENCH_CLIENT_SECRET (read by bench/token.lua)
    "$TESSERA" client add bench --grants client_credentials --database "$2" \
        > "$TMP/client-$1.json" 2> "$TMP/client-$1.err" ||
        fail_with_log "tessera client add failed ($1)" "$TMP/client-$1.err"
    if ! BENCH_CLIENT_ID=$(jq -er .client_id "$TMP/client-$1.json") ||
       ! BENCH_CLIENT_SECRET=$(jq -er .client_secret "$TMP/client-$1.json"); then
        die "no client_id/client_secret from tessera client add: $(cat "$TMP/client-$1.json")"
    fi
    export BENCH_CLIENT_ID BENCH_CLIENT_SECRET
}

check_token() {   # name (of the files), alg, base URL, server log: one token with curl
                  # (client_secret_basic), a 200 whose access token says "alg": alg
    code=$(curl -sS -o "$TMP/token-$1.json" -w '%{http_code}' --cacert "$CA" \
        -u "$BENCH_CLIENT_ID:$BENCH_CLIENT_SECRET" -d grant_type=client_credentials \
        "$3/oauth2/token") || fail_with_log "curl token failed ($1)" "$4"
    [ "$code" = 200 ] || fail_with_log \
        "POST /oauth2/token ($1): $code $(cat "$TMP/token-$1.json")" "$4"
    got=$(jwt_alg "$(jq -r '.access_token // empty' "$TMP/token-$1.json")")
    [ "$got" = "$2" ] ||
        die "POST /oauth2/token with tokens.algorithm=$2: a token signed with '$got'"
}

for alg in $TOKEN_ALGS; do
    tdb="$TMP/token-$alg.db"
    # The per-client token limit (default 100,000 a minute) would answer 429 within a
    # run; raised, not turned off, so its check stays on the measured path.
    start_tessera "token-$alg" "$tdb" --set "tokens.algorithm=$alg" \
        --set ratelimit.client_tokens=100000000 --set ratelimit.client_window=1
    tlog="$TMP/tessera.token-$alg.err"
    say "tessera $TESSERA_PID on 127.0.0.1:$PORT, tokens.algorithm=$alg, new database"
    add_client "$alg" "$tdb"
    TBASE="http://127.0.0.1:$PORT"
    check_token "$alg" "$alg" "$TBASE" "$tlog"

    bench "POST /oauth2/token $alg" "$TOKEN_CONNECTIONS" "$DURATION" --latency \
        -s bench/token.lua "$TBASE/oauth2/token"
    p99=$(field p99_ms)
    term_tessera "tessera ($alg)"
    [ "$SHUTDOWN" = "exit 0 after SIGTERM" ] ||
        TOKEN_SHUTDOWN="$TOKEN_SHUTDOWN; $alg server: $SHUTDOWN"

    say "raw $alg signing for ${SIGN_SECONDS}s, one thread per core"
    "$SIGN_RATE" "$alg" "$SIGN_SECONDS" > "$TMP/sign-$alg.txt" 2> "$TMP/sign-$alg.err" &
    CHILD_PID=$!
    wait "$CHILD_PID" || { cat "$TMP/sign-$alg.err" >&2; die "sign_rate $alg failed"; }
    CHILD_PID=
    SIGN_RPS=$(head -n 1 "$TMP/sign-$alg.txt")
    printf '%s %s %s %s\n' "$alg" "$RPS" "$SIGN_RPS" "$p99" >> "$TOKENS"
done

# --- verification: GET /v1/auth/verify with a new token each request, and libtessera ------
# Both beside the raw signature-verification rate of the same algorithm (sign_rate
# --verify: a prepared EVP_MD_CTX duplicated per call, as lib/sig.c does), measured
# just before and just after each on the same cores, and averaged.
#
# GET /v1/auth/verify: one fresh server per algorithm, a confidential client, then
# FRESH_TOKENS distinct access tokens from POST /oauth2/token (curl, 16 in parallel)
# into a file, far more than the server's verified-token cache holds (16 x 256 slots,
# direct-mapped), and wrk with bench/verify_fresh.lua sending a different one on each
# request, so that nearly every request pays a full verification.
FRESH="$TMP/fresh"          # alg rps raw p99 server_cpu_s requests wrk_s raw_per_cpu_s
LIBT="$TMP/libtessera"      # alg verifies/s raw per_cpu_s raw_per_cpu_s
: > "$FRESH"
: > "$LIBT"
FRESH_SHUTDOWN=

per_cpu() { sed -n 's/.* per_cpu_s=\([0-9.]*\).*/\1/p' "$1" | head -n 1; }

raw_verify() {   # alg, file name tag: sign_rate --verify for VERIFY_SECONDS; sets
                 # RAW_VERIFY (verifications/s) and RAW_VERIFY_CPU (per CPU second)
    say "raw $1 signature verification for ${VERIFY_SECONDS}s, one thread per core"
    "$SIGN_RATE" --verify "$1" "$VERIFY_SECONDS" > "$TMP/verify-$2.txt" \
        2> "$TMP/verify-$2.err" &
    CHILD_PID=$!
    wait "$CHILD_PID" ||
        { cat "$TMP/verify-$2.err" >&2; die "sign_rate --verify $1 failed"; }
    CHILD_PID=
    RAW_VERIFY=$(head -n 1 "$TMP/verify-$2.txt")
    RAW_VERIFY_CPU=$(per_cpu "$TMP/verify-$2.err")
}

mean() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (a + b) / 2 }'; }

cpu_ticks() {   # utime + stime of pid $1, in clock ticks
    sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'
}

fresh_tokens() {   # alg, base URL, server log, output file: FRESH_TOKENS distinct tokens
    cfg="$TMP/fresh-$1.curl"
    {
        printf 'user = "%s:%s"\n' "$BENCH_CLIENT_ID" "$BENCH_CLIENT_SECRET"
        awk -v n="$FRESH_TOKENS" -v u="$2/oauth2/token" \
            'BEGIN { for (i = 0; i < n; i++) printf "url = \"%s\"\n", u }'
    } > "$cfg" || die "could not write $cfg"
    say "POST /oauth2/token x $FRESH_TOKENS ($1), curl --parallel-max 16"
    curl -sS --no-progress-meter --parallel --parallel-max 16 \
        -d grant_type=client_credentials -K "$cfg" \
        > "$TMP/fresh-$1.json" 2> "$TMP/fresh-$1.curl.err" &
    CHILD_PID=$!
    wait "$CHILD_PID"
    crc=$?
    CHILD_PID=
    rm -f "$cfg"   # holds the client secret
    jq -r '.access_token // empty' "$TMP/fresh-$1.json" > "$4" 2>/dev/null
    got=$(sort -u "$4" | wc -l)
    if [ $crc -ne 0 ] || [ "$got" -ne "$FRESH_TOKENS" ]; then
        cat "$TMP/fresh-$1.curl.err" >&2
        jq -c 'select(.access_token == null)' "$TMP/fresh-$1.json" 2>/dev/null |
            sort | uniq -c | head -n 5 >&2
        fail_with_log \
            "POST /oauth2/token x $FRESH_TOKENS: $got distinct tokens (curl exit $crc)" "$3"
    fi
    rm -f "$TMP/fresh-$1.json"
}

if [ -n "$FRESH_ALGS" ] || [ -n "$LIBTESSERA_ALGS" ]; then
    stop_pid "$TESSERA_PID"   # the restarted server, when no token run stopped it
    TESSERA_PID=
fi
for alg in $FRESH_ALGS; do
    vdb="$TMP/fresh-$alg.db"
    vlog="$TMP/tessera.fresh-$alg.err"
    # The client token limit raised as in the token runs: FRESH_TOKENS in seconds.
    start_tessera "fresh-$alg" "$vdb" --set "tokens.algorithm=$alg" \
        --set ratelimit.client_tokens=100000000 --set ratelimit.client_window=1
    say "tessera $TESSERA_PID on 127.0.0.1:$PORT, tokens.algorithm=$alg, new database"
    add_client "fresh-$alg" "$vdb"
    VBASE="http://127.0.0.1:$PORT"
    check_token "fresh-$alg" "$alg" "$VBASE" "$vlog"
    fresh_tokens "$alg" "$VBASE" "$vlog" "$TMP/fresh-$alg.tokens"

    raw_verify "$alg" "fresh-$alg-before"   # the server idle: no requests
    raw_before=$RAW_VERIFY raw_before_cpu=$RAW_VERIFY_CPU
    t0=$(cpu_ticks "$TESSERA_PID")
    bench "GET /v1/auth/verify fresh $alg" "$FRESH_CONNECTIONS" "$DURATION" --latency \
        -s bench/verify_fresh.lua "$VBASE/v1/auth/verify" -- "$TMP/fresh-$alg.tokens" \
        "$THREADS"
    t1=$(cpu_ticks "$TESSERA_PID")
    cpu_s=$(awk -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { printf "%.2f", (b - a) / hz }')
    p99=$(field p99_ms)
    reqs=$(field requests)
    wrk_s=$(field seconds)
    term_tessera "tessera (fresh $alg)"
    [ "$SHUTDOWN" = "exit 0 after SIGTERM" ] ||
        FRESH_SHUTDOWN="$FRESH_SHUTDOWN; fresh-token $alg server: $SHUTDOWN"
    raw_verify "$alg" "fresh-$alg-after"
    printf '%s %s %s %s %s %s %s %s\n' "$alg" "$RPS" "$(mean "$raw_before" "$RAW_VERIFY")" \
        "$p99" "$cpu_s" "$reqs" "$wrk_s" "$(mean "$raw_before_cpu" "$RAW_VERIFY_CPU")" \
        >> "$FRESH"
    rm -f "$TMP/fresh-$alg.tokens"
done

# libtessera: tessera_verifier_verify() from one thread per core, like the raw rate,
# over LIBTESSERA_TOKENS distinct tokens (bench/libtessera_rate.c); no server running.
for alg in $LIBTESSERA_ALGS; do
    raw_verify "$alg" "lib-$alg-before"
    raw_before=$RAW_VERIFY raw_before_cpu=$RAW_VERIFY_CPU
    say "libtessera $alg verification for ${VERIFY_SECONDS}s, one thread per core"
    "$LIBTESSERA_RATE" "$alg" "$VERIFY_SECONDS" 0 "$LIBTESSERA_TOKENS" \
        > "$TMP/libtessera-$alg.txt" 2> "$TMP/libtessera-$alg.err" &
    CHILD_PID=$!
    wait "$CHILD_PID" ||
        { cat "$TMP/libtessera-$alg.err" >&2; die "libtessera_rate $alg failed"; }
    CHILD_PID=
    lib_rps=$(head -n 1 "$TMP/libtessera-$alg.txt")
    raw_verify "$alg" "lib-$alg-after"
    printf '%s %s %s %s %s\n' "$alg" "$lib_rps" "$(mean "$raw_before" "$RAW_VERIFY")" \
        "$(per_cpu "$TMP/libtessera-$alg.err")" \
        "$(mean "$raw_before_cpu" "$RAW_VERIFY_CPU")" >> "$LIBT"
done
# --- end of verification -----------------------------------------------------------------

# --- TLS: client_credentials over TLS keep-alive, and new connections per second ----------
# A fresh tessera serving https on server.listen and plain HTTP on tls.plain_listen: one
# process, one database, so plain and TLS differ by the listener alone.
# client_credentials ($TLS_TOKEN_ALG) over the plain listener, then over https, with the
# same wrk settings as the token runs above. They come first, on the fresh server as in
# the token runs, not after the new-connection runs and their sockets in TIME_WAIT.
# Then nginx again (its plain server and an https one with the same dev certificate),
# and new-connection runs alternating between nginx and tessera, https then http.
TLS_SHUTDOWN=
NGINX_NEW_HTTP=0 NGINX_NEW_HTTPS=0
if [ "$TLS" = 1 ]; then
    stop_pid "$TESSERA_PID"   # the restarted server, when no token run stopped it
    TESSERA_PID=
    tdb="$TMP/tls.db"
    tlog="$TMP/tessera.tls.err"
    start_tessera tls "$tdb" --set "tls.cert_file=$CERTS/server.pem" \
        --set "tls.key_file=$CERTS/server-key.pem" --set tls.plain_listen=127.0.0.1:0 \
        --set "tokens.algorithm=$TLS_TOKEN_ALG" \
        --set ratelimit.client_tokens=100000000 --set ratelimit.client_window=1
    [ "$SCHEME" = https ] || fail_with_log "tessera with tls.cert_file: not https" "$tlog"
    TLS_PORT=$PORT
    PLAIN_PORT=
    i=0
    while [ -z "$PLAIN_PORT" ]; do
        PLAIN_PORT=$(sed -n \
            's|^tessera: also listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$|\1|p' \
            "$tlog" | head -n 1)
        [ -n "$PLAIN_PORT" ] && break
        [ $i -lt 100 ] ||
            fail_with_log "tls.plain_listen: no 'also listening on http://' line" "$tlog"
        sleep 0.05
        i=$((i + 1))
    done
    curl -fsS -o /dev/null "http://127.0.0.1:$PLAIN_PORT/healthz" ||
        fail_with_log "GET /healthz on the plain listener failed" "$tlog"
    say "tessera $TESSERA_PID on https://127.0.0.1:$TLS_PORT and" \
        "http://127.0.0.1:$PLAIN_PORT, tokens.algorithm=$TLS_TOKEN_ALG, new database"

    add_client tls "$tdb"
    check_token tls-plain "$TLS_TOKEN_ALG" "http://127.0.0.1:$PLAIN_PORT" "$tlog"
    check_token tls-https "$TLS_TOKEN_ALG" "https://127.0.0.1:$TLS_PORT" "$tlog"
    bench "POST /oauth2/token $TLS_TOKEN_ALG plain" "$TOKEN_CONNECTIONS" "$DURATION" \
        --latency -s bench/token.lua "http://127.0.0.1:$PLAIN_PORT/oauth2/token"
    TOK_PLAIN=$RPS TOK_PLAIN_P99=$(field p99_ms)
    bench "POST /oauth2/token $TLS_TOKEN_ALG TLS" "$TOKEN_CONNECTIONS" "$DURATION" \
        --latency -s bench/token.lua "https://127.0.0.1:$TLS_PORT/oauth2/token"
    TOK_TLS=$RPS TOK_TLS_P99=$(field p99_ms)

    launch_nginx
    newconn "nginx new conn https" new-https "https://127.0.0.1:$NGINX_TLS_PORT/"
    NGINX_NEW_HTTPS=$RPS NGINX_TLS_INFO=$NEWCONN_TLS
    newconn "GET /healthz new conn https" new-https "https://127.0.0.1:$TLS_PORT/healthz"
    NEW_HTTPS=$RPS NEW_HTTPS_P99=$(field p99_ms) TESSERA_TLS_INFO=$NEWCONN_TLS
    newconn "nginx new conn http" new-http "http://127.0.0.1:$NGINX_PORT/"
    NGINX_NEW_HTTP=$RPS
    newconn "GET /healthz new conn http" new-http "http://127.0.0.1:$PLAIN_PORT/healthz"
    NEW_HTTP=$RPS NEW_HTTP_P99=$(field p99_ms)
    stop_pid "$NGINX_PID"
    NGINX_PID=
    term_tessera "tessera (TLS)"
    TLS_SHUTDOWN="; TLS server: $SHUTDOWN"
fi

# --- report ----------------------------------------------------------------------------------
echo
echo "tessera bench: $(nproc) cores, wrk -t$THREADS, ${DURATION}s a run," \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
awk -F'|' -v base="$NGINX_RPS" -v bhttp="$NGINX_NEW_HTTP" -v bhttps="$NGINX_NEW_HTTPS" '
function f(s, k,   n, i, kv) {
    n = split(s, kv, " ")
    for (i = 1; i <= n; i++) if (index(kv[i], k "=") == 1) return substr(kv[i], length(k) + 2)
    return ""
}
BEGIN {
    printf "%-32s %5s %10s %8s %8s %7s %6s %8s\n", "endpoint", "conns", "req/s", \
        "p50 ms", "p99 ms", "non2xx", "errors", "x nginx"
}
{
    # new-connection rows: "Connection: close" is the point; a resumed TLS session is
    # the error; x nginx is against nginx new connections of the same scheme
    if ($4 == "") { e = f($3, "close") + f($3, "sockerr"); b = base }
    else { e = f($3, "sockerr") + f($3, "resumed"); b = ($4 == "new-https" ? bhttps : bhttp) }
    flag = (f($3, "non2xx") + 0 > 0 || e > 0) ? "  <-- FLAG " f($3, "statuses") : ""
    printf "%-32s %5d %10.0f %8.2f %8.2f %7d %6d %8.3f%s\n", $1, $2, f($3, "rps"), \
        f($3, "p50_ms"), f($3, "p99_ms"), f($3, "non2xx"), e, \
        (b > 0 ? f($3, "rps") / b : 0), flag
}' "$ROWS"
echo "(errors = socket errors + responses with Connection: close; new conn rows: socket"
echo " errors + resumed TLS sessions, x nginx against nginx new conn of the same scheme)"
echo

MISSED=0
check() {   # description, measured, budget, ">=", "<=" or "<"; prints one line
    ok=$(awk -v m="$2" -v b="$3" -v op="$4" \
        'BEGIN { print ((op == ">=" ? m >= b : op == "<" ? m < b : m <= b) ? "ok" : "MISSED") }')
    [ "$ok" = ok ] || MISSED=1
    printf '  %-58s %10s  (budget %s %s)  %s\n' "$1" "$2" "$4" "$3" "$ok"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }

if [ -s "$TOKENS" ]; then
    echo "POST /oauth2/token client_credentials, c$TOKEN_CONNECTIONS, beside raw signing" \
        "(sign_rate, $(nproc) threads, ${SIGN_SECONDS}s):"
    awk '
    BEGIN { printf "  %-6s %10s %12s %7s %8s\n", "alg", "tokens/s", "raw signs/s", \
        "ratio", "p99 ms" }
    { printf "  %-6s %10.0f %12.0f %7.3f %8.2f\n", $1, $2, $3, ($3 > 0 ? $2 / $3 : 0), $4 }
    ' "$TOKENS"
fi
# verification (the section above): new-token GET /v1/auth/verify and libtessera
if [ -s "$FRESH" ]; then
    echo "GET /v1/auth/verify, a new token each request ($FRESH_TOKENS distinct tokens)," \
        "c$FRESH_CONNECTIONS, beside raw verification (sign_rate --verify, $(nproc)" \
        "threads, ${VERIFY_SECONDS}s before and after, mean); then per CPU second:"
    awk -v ntok="$FRESH_TOKENS" '
    BEGIN { printf "  %-6s %9s %12s %7s %7s | %7s %10s %10s %7s\n", "alg", "req/s", \
        "raw verify/s", "ratio", "p99 ms", "server", "req/CPU-s", "raw/CPU-s", "ratio" }
    {
        per = ($5 > 0 ? $6 / $5 : 0)
        printf "  %-6s %9.0f %12.0f %7.3f %7.2f | %6.2fc %10.0f %10.0f %7.3f\n", $1, $2, \
            $3, ($3 > 0 ? $2 / $3 : 0), $4, ($7 > 0 ? $5 / $7 : 0), per, $8, \
            ($8 > 0 ? per / $8 : 0)
        printf "  (%s: each token sent %.1f times, about %d requests apart: past the" \
            " 4,096 slots of the server cache)\n", $1, (ntok > 0 ? $6 / ntok : 0), ntok
    }
    ' "$FRESH"
fi
if [ -s "$LIBT" ]; then
    echo "libtessera tessera_verifier_verify, $(nproc) threads, ${VERIFY_SECONDS}s," \
        "$LIBTESSERA_TOKENS distinct tokens, beside raw verification (sign_rate --verify," \
        "before and after, mean); then per CPU second:"
    awk '
    BEGIN { printf "  %-6s %11s %12s %7s | %10s %10s %7s\n", "alg", "verifies/s", \
        "raw verify/s", "ratio", "lib/CPU-s", "raw/CPU-s", "ratio" }
    { printf "  %-6s %11.0f %12.0f %7.3f | %10.0f %10.0f %7.3f\n", $1, $2, $3, \
        ($3 > 0 ? $2 / $3 : 0), $4, $5, ($5 > 0 ? $4 / $5 : 0) }
    ' "$LIBT"
fi
if [ "$TLS" = 1 ]; then
    echo "new connections/s, GET with Connection: close, c$NEWCONN_CONNECTIONS (tls_handshake:" \
        "connect, full TLS handshake, no resumption):"
    printf '  %-6s %10s %10s %8s %12s\n' scheme tessera nginx "x nginx" "tessera p99"
    printf '  %-6s %10.0f %10.0f %8s %12.2f\n' \
        https "$NEW_HTTPS" "$NGINX_NEW_HTTPS" "$(ratio "$NEW_HTTPS" "$NGINX_NEW_HTTPS")" \
        "$NEW_HTTPS_P99" \
        http "$NEW_HTTP" "$NGINX_NEW_HTTP" "$(ratio "$NEW_HTTP" "$NGINX_NEW_HTTP")" \
        "$NEW_HTTP_P99"
    echo "  tessera https / http: $(ratio "$NEW_HTTPS" "$NEW_HTTP");" \
        "nginx https / http: $(ratio "$NGINX_NEW_HTTPS" "$NGINX_NEW_HTTP")"
    echo "  negotiated: tessera $TESSERA_TLS_INFO, nginx $NGINX_TLS_INFO (dev certificate," \
        "EC P-256)"
    echo "POST /oauth2/token client_credentials $TLS_TOKEN_ALG, keep-alive, c$TOKEN_CONNECTIONS," \
        "one server (https listener, and its plain listener):"
    printf '  %-6s %10s %8s\n' "" tokens/s "p99 ms"
    printf '  %-6s %10.0f %8.2f\n' plain "$TOK_PLAIN" "$TOK_PLAIN_P99" \
        TLS "$TOK_TLS" "$TOK_TLS_P99"
    echo "  TLS / plain: $(ratio "$TOK_TLS" "$TOK_PLAIN")"
fi
echo "raw $ARGON2_LINE"
echo "budgets:"
check "login req/s / raw Argon2id rate ($LOGIN_RPS / $ARGON2_RPS)" \
    "$(ratio "$LOGIN_RPS" "$ARGON2_RPS")" "$BUDGET_LOGIN_RATIO" ">="
check "verify req/s / nginx req/s (forward auth, repeated token)" \
    "$(ratio "$VERIFY_RPS" "$NGINX_RPS")" "$BUDGET_PROFILE_RATIO" ">="
check "idle RSS after start, MiB" "$(mib "$IDLE_RSS")" "$(mib $BUDGET_IDLE_KIB)" "<="
check "peak RSS, profile at $MEM_CONNECTIONS connections, MiB" "$(mib "$LOAD_HWM")" \
    "$(mib $BUDGET_LOAD_KIB)" "<="
check "first 200 from /healthz after exec, existing database, ms" "$RESTART_MS" \
    "$BUDGET_START_MS" "<="
while read -r alg trps srps p99; do
    check "tokens/s / raw signs/s, $alg ($trps / $srps)" \
        "$(ratio "$trps" "$srps")" "$BUDGET_TOKEN_RATIO" ">="
    check "token p99 ms at $TOKEN_CONNECTIONS connections, $alg" "$p99" \
        "$BUDGET_TOKEN_P99_MS" "<"
done < "$TOKENS"
while read -r alg frps vrps _; do
    check "new-token verify req/s / raw verify/s, $alg ($(printf '%.0f / %.0f' \
        "$frps" "$vrps"))" \
        "$(ratio "$frps" "$vrps")" "$BUDGET_FRESH_RATIO" ">="
done < "$FRESH"
echo "memory (VmRSS / VmHWM, MiB): idle $(mib "$IDLE_RSS");" \
    "after profile c$CONNECTIONS $(mib "$PROFILE_RSS") / peak $(mib "$PROFILE_HWM");" \
    "peak at c$MEM_CONNECTIONS $(mib "$LOAD_HWM"); peak after login $(mib "$LOGIN_HWM")" \
    "(includes Argon2id buffers, 19 MiB per hash in flight)"
[ -z "$TOKEN_ALGS" ] || [ -n "$TOKEN_SHUTDOWN" ] ||
    TOKEN_SHUTDOWN="; token servers ($TOKEN_ALGS): exit 0 after SIGTERM"
[ -z "$FRESH_ALGS" ] || [ -n "$FRESH_SHUTDOWN" ] ||
    FRESH_SHUTDOWN="; fresh-token servers ($FRESH_ALGS): exit 0 after SIGTERM"
echo "shutdown: $MAIN_SHUTDOWN$TOKEN_SHUTDOWN$FRESH_SHUTDOWN$TLS_SHUTDOWN;" \
    "request log: $(wc -c < "$TESSERA_LOG")" \
    "bytes of stderr"

if [ "$FLAGGED" != 0 ]; then
    echo "FLAGGED: some responses were not 2xx, closed keep-alive, resumed a TLS session," \
        "or failed: figures invalid"
    exit 1
fi
if [ "$MISSED" != 0 ] && [ "${BENCH_STRICT:-0}" = 1 ]; then
    echo "budgets missed (BENCH_STRICT=1)"
    exit 1
fi
exit 0
