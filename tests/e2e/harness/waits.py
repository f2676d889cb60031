# SPDX-License-Identifier: Apache-2.0
"""Waiting in tests: for whole seconds to pass on the server's clock, or for what
another process changed (a revocation by the CLI or another instance) to arrive. Every
wait is bounded by what the test asserts."""
import time

# docs/security.md: what another process revokes (the operator CLI, another instance)
# reaches a running server within its sync interval (500 ms) plus one store read; what
# the server itself revokes applies to the very next request. Tests of the first kind
# allow this long.
CROSS_PROCESS_SECONDS = 2.0


def wait_past(t0, seconds):
    """Sleeps until at least `seconds` whole seconds have passed since t0, whatever the
    server's clock granularity (it may store whole seconds): until
    floor(now) > floor(t0) + seconds and now > t0 + seconds."""
    while True:
        now = time.time()
        if int(now) > int(t0) + seconds and now > t0 + seconds:
            return
        time.sleep(min(0.05, max(0.005, int(t0) + seconds + 1 - now)))


def eventually(request_fn, accept, timeout=CROSS_PROCESS_SECONDS):
    """Calls request_fn() until accept(response) holds (accept may be a status code)
    or `timeout` seconds passed; returns the last response, for the caller's
    assertions."""
    if isinstance(accept, int):
        status = accept
        accept = lambda r: r.status_code == status  # noqa: E731
    deadline = time.monotonic() + timeout
    while True:
        r = request_fn()
        if accept(r) or time.monotonic() >= deadline:
            return r
        time.sleep(0.05)


def eventually_401(request_fn, timeout=CROSS_PROCESS_SECONDS):
    """request_fn() answers 401 within `timeout` (a revocation made by another process)."""
    return eventually(request_fn, 401, timeout)
