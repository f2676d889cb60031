#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# make bench-backends: the store-bound endpoints on each backend in one run, so the
# figures compare on the same machine at the same moment:
#
#   sqlite     one instance on a SQLite file (WAL, synchronous=normal: survives a crash
#              of the process, not of the machine)
#   sqlite-f   the same with synchronous=full (fsync at each commit, as PostgreSQL)
#   pg         one instance on PostgreSQL (started here, fsync and synchronous_commit on)
#   pg-x2      two instances on one PostgreSQL database, each driven by its own wrk
#
# and for each: POST /v1/auth/login (Argon2id plus a session insert), POST
# /v1/auth/refresh with rotating tokens (one transaction with row locks on PostgreSQL),
# POST /oauth2/token client_credentials (signing; no write but the counted audit event).
# See bench/README.md.
#
#   sh bench/backends.sh                 # from the repository root, after `make`
#   BENCH_DURATION=10 sh bench/backends.sh
#   BENCH_KEEP=1 sh bench/backends.sh    # keep the temporary directory (logs)
set -u
cd "$(dirname "$0")/.." || exit 1

TESSERA=${TESSERA_BIN:-build/tessera}
DURATION=${BENCH_DURATION:-5}
LOGIN_CONNECTIONS=${BENCH_LOGIN_CONNECTIONS:-8}
REFRESH_CONNECTIONS=${BENCH_REFRESH_CONNECTIONS:-16}
TOKEN_CONNECTIONS=${BENCH_TOKEN_CONNECTIONS:-32}
REFRESH_TOKENS=${BENCH_REFRESH_TOKENS:-64}    # sessions whose tokens rotate in the run
WRK=$(command -v wrk 2>/dev/null || echo wrk)

say() { printf '%s\n' "bench: $*" >&2; }
die() { say "$*"; exit 1; }

[ -x "$TESSERA" ] || die "$TESSERA not found: run make first"
command -v "$WRK" >/dev/null 2>&1 || die "wrk not found: run make deps"
command -v curl >/dev/null 2>&1 || die "curl not found: run make deps"
command -v jq >/dev/null 2>&1 || die "jq not found: run make deps"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ] || die "no PostgreSQL server: run make deps"
[ $((REFRESH_TOKENS / 2)) -ge "$REFRESH_CONNECTIONS" ] ||
    die "BENCH_REFRESH_TOKENS must be at least twice BENCH_REFRESH_CONNECTIONS"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/tessera-backends.XXXXXX") || exit 1
# PostgreSQL's own directory, apart: the server runs as `postgres`, which must not need
# to enter TMP (0700, ours).
PGROOT=$(mktemp -d "${TMPDIR:-/tmp}/tessera-backends-pg.XXXXXX") || exit 1
PIDS=
PGDATA_DIR="$PGROOT/data"

as_pg() {   # runs a PostgreSQL tool as `postgres` when we are root (it refuses root)
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

stop_servers() {
    for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
    for p in $PIDS; do
        i=0
        while alive "$p" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        alive "$p" && kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    PIDS=
}

# shellcheck disable=SC2317  # called through trap
cleanup() {
    rc=$?
    trap - EXIT INT TERM
    stop_servers
    if [ -f "$PGDATA_DIR/postmaster.pid" ]; then
        as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m immediate -w stop > /dev/null 2>&1
    fi
    if [ "${BENCH_KEEP:-0}" = 1 ]; then
        say "kept $TMP and $PGROOT"
    else
        rm -rf "$TMP" "$PGROOT"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    while :; do
        p=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 30000 + 20000 ))
        ss -Hltn "sport = :$p" 2>/dev/null | grep -q . || break
    done
    printf '%s\n' "$p"
}

# --- PostgreSQL, in the temporary directory ------------------------------------------------
if [ "$(id -u)" = 0 ]; then chown postgres: "$PGROOT" || exit 1; fi
PGPORT=$(free_port)
as_pg "$PGBIN/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust --no-sync \
    --encoding=UTF8 --locale=C.UTF-8 > "$TMP/initdb.log" 2>&1 ||
    { cat "$TMP/initdb.log" >&2; die "initdb failed"; }
as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$PGROOT/server.log" -w -o \
    "-c listen_addresses=127.0.0.1 -p $PGPORT -c unix_socket_directories=$PGROOT" \
    start > /dev/null || { tail -n 20 "$PGROOT/server.log" >&2; die "pg_ctl start failed"; }
say "PostgreSQL $("$PGBIN/postgres" --version | awk '{ print $3 }') on 127.0.0.1:$PGPORT"

createdb() {
    "$PGBIN/psql" -X -q -h "$PGROOT" -p "$PGPORT" -U postgres -d postgres \
        -c "CREATE DATABASE $1" || die "CREATE DATABASE $1 failed"
}

# --- tessera -------------------------------------------------------------------------------
ADMIN_PASSWORD="admin-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
PASSWORD="bench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"

start_server() {   # label, database URL; appends to PIDS and BASES
    log="$TMP/$1.err"
    : > "$log"
    TESSERA_BOOTSTRAP_PASSWORD=$ADMIN_PASSWORD "$TESSERA" serve --listen 127.0.0.1:0 \
        --database "$2" --set server.issuer=http://bench.test \
        --set ratelimit.client_tokens=100000000 --set ratelimit.client_window=1 \
        > "$TMP/$1.out" 2> "$log" &
    pid=$!
    PIDS="$PIDS $pid"
    port=
    i=0
    while [ -z "$port" ]; do
        port=$(sed -n 's|^tessera: listening on http://127\.0\.0\.1:\([0-9]*\)$|\1|p' \
            "$log" | head -n 1)
        [ -n "$port" ] && break
        alive "$pid" || { tail -n 20 "$log" >&2; die "$1: tessera serve exited"; }
        [ $i -lt 200 ] || die "$1: no 'listening on' line within 10 s"
        sleep 0.05
        i=$((i + 1))
    done
    BASES="$BASES http://127.0.0.1:$port"
}

prepare() {   # database URL: the user, the client, REFRESH_TOKENS refresh tokens
    printf '%s\n' "$PASSWORD" | "$TESSERA" user add --database "$1" \
        --email bench@example.com --username bench --password-stdin \
        > /dev/null 2> "$TMP/user.err" || { cat "$TMP/user.err" >&2; die "user add"; }
    "$TESSERA" client add bench --database "$1" --grants client_credentials \
        > "$TMP/client.json" 2> "$TMP/client.err" ||
        { cat "$TMP/client.err" >&2; die "client add"; }
    CLIENT_ID=$(jq -r .client_id "$TMP/client.json")
    CLIENT_SECRET=$(jq -r .client_secret "$TMP/client.json")
    rm -f "$TMP/client.json"
    base=$(echo $BASES | awk '{ print $1 }')
    : > "$TMP/refresh.tokens"
    n=0
    while [ $n -lt "$REFRESH_TOKENS" ]; do
        curl -sS -H 'Content-Type: application/json' --data-binary \
            "{\"username\":\"bench\",\"password\":\"$PASSWORD\"}" "$base/v1/auth/login" |
            jq -r '.refresh_token // empty' >> "$TMP/refresh.tokens"
        n=$((n + 1))
    done
    [ "$(sort -u "$TMP/refresh.tokens" | wc -l)" -eq "$REFRESH_TOKENS" ] ||
        die "could not log in $REFRESH_TOKENS times"
}

ROWS="$TMP/rows"
: > "$ROWS"

# Runs wrk against every instance at once (connections split between them, one wrk
# thread each with two instances, two with one); sums req/s, keeps the worst p99.
drive() {   # config label, endpoint label, path, connections, script, script args...
    label=$1 what=$2 path=$3 conns=$4 script=$5
    shift 5
    n=$(echo $BASES | wc -w)
    threads=$(( n == 1 ? 2 : 1 ))
    per=$(( conns / n ))
    k=0
    wpids=
    for b in $BASES; do
        if [ "$script" = bench/refresh.lua ]; then
            # each instance its own share of the sessions' tokens
            awk -v n="$n" -v k="$k" 'NR % n == k' "$TMP/refresh.tokens" \
                > "$TMP/refresh.$k.tokens"
            "$WRK" -t"$threads" -c"$per" -d"${DURATION}s" --latency -s "$script" \
                "$b$path" -- "$TMP/refresh.$k.tokens" "$threads" > "$TMP/wrk.$k.txt" 2>&1 &
        else
            "$WRK" -t"$threads" -c"$per" -d"${DURATION}s" --latency -s "$script" \
                "$b$path" -- "$@" > "$TMP/wrk.$k.txt" 2>&1 &
        fi
        wpids="$wpids $!"
        k=$((k + 1))
    done
    for p in $wpids; do wait "$p"; done
    cat "$TMP"/wrk.*.txt | grep '^BENCH ' | awk -v l="$label" -v w="$what" -v c="$conns" '
    function f(s, k,   i, n, kv) {
        n = split(s, kv, " ")
        for (i = 1; i <= n; i++) if (index(kv[i], k "=") == 1) return substr(kv[i], length(k) + 2)
    }
    { rps += f($0, "rps"); p = f($0, "p99_ms") + 0; if (p > p99) p99 = p
      bad += f($0, "non2xx") + f($0, "sockerr") + f($0, "close") }
    END { printf "%s|%s|%d|%.0f|%.2f|%d\n", l, w, c, rps, p99, bad }' >> "$ROWS"
    rm -f "$TMP"/wrk.*.txt
}

run_config() {   # label, database URL, instances
    BASES=
    i=0
    while [ $i -lt "$3" ]; do start_server "$1-$i" "$2"; i=$((i + 1)); done
    say "$1: $3 instance(s):$BASES"
    prepare "$2"
    drive "$1" "POST /v1/auth/login" /v1/auth/login "$LOGIN_CONNECTIONS" \
        bench/login.lua bench "$PASSWORD"
    drive "$1" "POST /v1/auth/refresh (rotating)" /v1/auth/refresh "$REFRESH_CONNECTIONS" \
        bench/refresh.lua
    drive "$1" "POST /oauth2/token client_cred." /oauth2/token "$TOKEN_CONNECTIONS" \
        bench/token.lua "$CLIENT_ID" "$CLIENT_SECRET"
    stop_servers
}

run_config sqlite "$TMP/bench.db" 1
run_config "sqlite-f" "$TMP/bench-full.db?synchronous=full" 1
createdb bench1
run_config pg "postgresql://postgres@127.0.0.1:$PGPORT/bench1" 1
createdb bench2
run_config "pg-x2" "postgresql://postgres@127.0.0.1:$PGPORT/bench2" 2

echo
echo "tessera backends: $(nproc) cores, ${DURATION}s a run, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
awk -F'|' '
BEGIN { printf "%-8s %-34s %5s %9s %8s %6s\n", "store", "endpoint", "conns", "req/s", \
    "p99 ms", "errors" }
{ printf "%-8s %-34s %5d %9.0f %8.2f %6d%s\n", $1, $2, $3, $4, $5, $6, \
    ($6 > 0 ? "  <-- FLAG" : "")
  rps[$1 "|" $2] = $4; names[$2] = 1 }
END {
    print "ratios (req/s):"
    for (w in names)
        printf "  %-34s pg/sqlite %.2f  pg/sqlite-full %.2f  pg x2/pg %.2f\n", w, \
            (rps["sqlite|" w] > 0 ? rps["pg|" w] / rps["sqlite|" w] : 0), \
            (rps["sqlite-f|" w] > 0 ? rps["pg|" w] / rps["sqlite-f|" w] : 0), \
            (rps["pg|" w] > 0 ? rps["pg-x2|" w] / rps["pg|" w] : 0)
}' "$ROWS"
! awk -F'|' '$6 > 0 { bad = 1 } END { exit !bad }' "$ROWS"
