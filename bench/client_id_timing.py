#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Can a client id be told from an unknown one by how long a failed authentication
takes? Starts build/tessera on a temporary SQLite database with one confidential client,
then sends POST /oauth2/token with a wrong secret for the known id and for an unknown
one, interleaved in random order on one keep-alive connection, and prints the median
and 10th percentile of each. Both should be the same within noise (docs/security.md).

    /usr/bin/python3 bench/client_id_timing.py [N] [BIN]     (default 2000 build/tessera)
"""
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
BIN = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "build", "tessera")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    tmp = tempfile.mkdtemp()
    db = os.path.join(tmp, "t.db")
    env = dict(os.environ, TESSERA_BOOTSTRAP_PASSWORD="bench-" + os.urandom(8).hex())
    subprocess.run([BIN, "client", "add", "known", "--id", "known-client", "--grants",
                    "client_credentials", "--database", db], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    port = free_port()
    srv = subprocess.Popen([BIN, "serve", "--database", db, "--listen",
                            f"127.0.0.1:{port}", "--set", "ratelimit.ip_failures=0"],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        conn = None
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port)
                conn.connect()
                break
            except OSError:
                time.sleep(0.05)
        times = {"known-client": [], "unknown-client": []}
        for _ in range(N):
            for cid in random.sample(list(times), 2):
                body = (f"grant_type=client_credentials&client_id={cid}"
                        "&client_secret=" + "w" * 43)
                t = time.perf_counter()
                conn.request("POST", "/oauth2/token", body,
                             {"Content-Type": "application/x-www-form-urlencoded"})
                r = conn.getresponse()
                r.read()
                times[cid].append(time.perf_counter() - t)
                assert r.status == 401, r.status
        for cid, ts in times.items():
            ts.sort()
            print(f"{cid:15s} median {statistics.median(ts) * 1e6:7.1f} us   "
                  f"p10 {ts[len(ts) // 10] * 1e6:7.1f} us   ({len(ts)} requests)")
    finally:
        srv.terminate()
        srv.wait(10)


if __name__ == "__main__":
    main()
