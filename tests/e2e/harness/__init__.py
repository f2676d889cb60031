# SPDX-License-Identifier: Apache-2.0
"""The end-to-end harness, one module per concern; conftest.py holds only the pytest
fixtures and hooks built on it (and re-exports these names for older imports).

suite       what the run drives: the repository root, the binary, the backends
cli         running the binary once: its environment, the bootstrap password
process     one `tessera serve` process: start, stop, its stderr and stdout
config      the settings, environment and arguments a server starts with
database    a server's database (SQLite file or PostgreSQL database): SQL, bytes
pgcluster   the throwaway PostgreSQL server of a session
http        requests sessions, raw-socket reads, Basic credentials
api         calls of tessera's endpoints (login, refresh, OAuth 2) on a server
accounts    users and clients made through the operator CLI; what a login returns
leaks       the secrets a test used, and the check that no log shows them
server      Server: one server under test, composed of the parts above
jose        JWS and base64url helpers, verification with PyJWT
assertions  the error answers (SPEC section 2, OAuth 2, Bearer challenges)
waits       waiting for time to pass or for another process's change to arrive
"""
