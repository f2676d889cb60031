# SPDX-License-Identifier: Apache-2.0
"""End-to-end harness, the pytest side: fixtures and hooks. What they are built on lives
in harness/, one module a concern (harness/__init__.py lists them; README.md describes
the harness).

Every test gets its own server on a free port (`--listen 127.0.0.1:0`) with a fresh
database: a SQLite file in a temporary directory, or a new database on a PostgreSQL
server the harness starts once per session (harness/pgcluster.py). Every test that
starts a server runs on both backends, `test_x[sqlite]` and `test_x[postgresql]`; mark a
test `sqlite_only` or `postgresql_only` to keep one, and set TESSERA_E2E_BACKENDS=sqlite
(or postgresql) to run the suite on one. Secrets a test used (passwords, access and
refresh tokens) are collected in `Server.secrets`; after the test, when every server is
stopped, the autouse fixture `no_secrets_in_log` fails the test if any of them appears
in a log.

Run with Debian's Python: TESSERA_BIN=build/tessera /usr/bin/python3 -m pytest -q tests/e2e
"""
import os

import pytest

# The harness's asserts explain their failures as they did when they were in conftest.
pytest.register_assert_rewrite("harness")

from harness.config import parse_settings  # noqa: E402
from harness.leaks import find_leaks, new_leaks  # noqa: E402
from harness.pgcluster import PgCluster  # noqa: E402
from harness.server import Server, stop_servers  # noqa: E402
from harness.suite import BACKENDS, BIN, KNOWN_BACKENDS  # noqa: E402

# Re-exported: test files import these names from conftest too (as they did before
# harness/ existed); new code imports them from their harness module.
from harness.accounts import Login, User, client_flags  # noqa: F401,E402
from harness.api import (INTROSPECT_PATH, MTLS_AUTH_METHODS, REVOKE_PATH,  # noqa: F401,E402
                         TOKEN_PATH)
from harness.assertions import (NO_BEARER, OAUTH_ERROR_URI,  # noqa: F401,E402
                                assert_bearer_401, assert_error, assert_oauth_error,
                                no_password_fields)
from harness.cli import (BOOTSTRAP_LINE, BOOTSTRAP_PASSWORD, base_env,  # noqa: F401,E402
                         run_bin)
from harness.http import HTTP_TIMEOUT, basic_auth, read_all  # noqa: F401,E402
from harness.jose import (b64url_decode, b64url_encode, jwt_parts,  # noqa: F401,E402
                          scope_set, verify_jwt)
from harness.leaks import (SECRET_FORM_FIELDS, SECRET_REQUEST_FIELDS,  # noqa: F401,E402
                           SECRET_RESPONSE_FIELDS)
from harness.process import (LISTEN_RE, PLAIN_LISTEN_RE,  # noqa: F401,E402
                             START_TIMEOUT, STOP_TIMEOUT)
from harness.server import drop_databases  # noqa: F401,E402
from harness.suite import ROOT  # noqa: F401,E402
from harness.waits import (CROSS_PROCESS_SECONDS, eventually,  # noqa: F401,E402
                           eventually_401, wait_past)


# --- hooks ----------------------------------------------------------------------------

def pytest_configure(config):
    if not os.access(BIN, os.X_OK):
        raise pytest.UsageError(
            f"tessera binary not found at {BIN}: build it (make build/tessera) or set "
            "TESSERA_BIN")
    unknown = set(BACKENDS) - set(KNOWN_BACKENDS)
    if unknown:
        raise pytest.UsageError(f"TESSERA_E2E_BACKENDS: unknown backend(s) {unknown}")
    config.addinivalue_line("markers", "sqlite_only: run only on the SQLite backend "
                            "(the test reads or locks the database file itself)")
    config.addinivalue_line("markers", "postgresql_only: run only on PostgreSQL")


def pytest_generate_tests(metafunc):
    """Every test that starts a server (it uses the `backend` fixture through
    make_server or make_module_server) runs once per backend."""
    if "backend" not in metafunc.fixturenames:
        return
    backends = list(BACKENDS)
    if metafunc.definition.get_closest_marker("sqlite_only"):
        backends = [b for b in backends if b == "sqlite"]
    if metafunc.definition.get_closest_marker("postgresql_only"):
        backends = [b for b in backends if b == "postgresql"]
    metafunc.parametrize("backend", backends, indirect=True, scope="module")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist with --dist loadgroup (make test: tests/run-all.sh), one work
    unit is a module on one backend: its tests run in order on one worker, so its
    module-scoped servers start once, as in a sequential run, and the SQLite and
    PostgreSQL halves of a module may run side by side on two workers. (xdist reads
    the marks in its own hook, which must come after this one; on a worker it sets
    the `loadgroup` option, not `dist`.)"""
    if not config.getoption("loadgroup", default=False):
        return
    for item in items:
        cs = getattr(item, "callspec", None)
        backend = cs.params.get("backend") if cs else None
        group = item.nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
        item.add_marker(pytest.mark.xdist_group(f"{group}:{backend}" if backend
                                                 else group))


# --- the backend ----------------------------------------------------------------------

@pytest.fixture(scope="session")
def pg_cluster():
    """The PostgreSQL server of the session, started at its first use."""
    c = PgCluster()
    yield c
    c.remove()


@pytest.fixture(scope="module")
def backend(request):
    """"sqlite" or "postgresql" (parametrised by pytest_generate_tests)."""
    return getattr(request, "param", "sqlite")


def backend_cluster(request, backend):
    """The PgCluster for a postgresql server, None for sqlite."""
    return request.getfixturevalue("pg_cluster") if backend == "postgresql" else None


# --- servers of one test --------------------------------------------------------------

@pytest.fixture
def test_secrets():
    return set()


@pytest.fixture
def server_registry():
    return []


@pytest.fixture
def make_server(request, backend, tmp_path, test_secrets, server_registry):
    """Factory: make_server(settings=None, env=None, start=True, args=(), **kw) where kw
    keys use "__" for ".", e.g. tokens__access_ttl=1 or role__user__scopes="a b".
    Each server gets a fresh database of the test's backend; share=S makes another
    instance on the database of server S."""
    servers = server_registry
    pg = backend_cluster(request, backend)

    def factory(settings=None, env=None, start=True, args=(), verify=None, share=None,
                **kw):
        s = Server(str(tmp_path / f"s{len(servers)}"), parse_settings(settings, kw), env,
                   test_secrets, args, verify=verify, pg=pg, share=share)
        servers.append(s)
        if start:
            s.start()
        return s

    factory.servers = servers
    factory.backend = backend
    yield factory
    errors = stop_servers(servers)
    if errors:
        pytest.fail("\n".join(errors), pytrace=False)


@pytest.fixture
def server(make_server):
    return make_server()


@pytest.fixture(autouse=True)
def no_secrets_in_log(test_secrets, server_registry):
    """After the test (and after its servers stopped): no secret it used may appear in
    any server's stderr or stdout."""
    yield
    leaks = find_leaks(server_registry, test_secrets)
    if leaks:
        pytest.fail("secrets in the server log:\n" + "\n".join(leaks), pytrace=False)


# --- one server for a whole module ----------------------------------------------------

@pytest.fixture(scope="module")
def module_server_registry():
    return []


@pytest.fixture(scope="module")
def make_module_server(request, backend, tmp_path_factory, module_server_registry):
    """Like make_server, for module-scoped fixtures: servers shared by the tests of a
    module that do not interfere (each uses its own users and clients). Their secrets
    are checked against their logs after every test (autouse no_secrets_in_module_log)
    and again at the end of the module, once they are stopped."""
    servers = module_server_registry
    secrets = set()
    pg = backend_cluster(request, backend)
    first = len(servers)

    def factory(settings=None, env=None, start=True, args=(), verify=None, **kw):
        s = Server(str(tmp_path_factory.mktemp("module")), parse_settings(settings, kw),
                   env, secrets, args, verify=verify, pg=pg)
        servers.append(s)
        if start:
            s.start()
        return s

    factory.servers = servers
    factory.backend = backend
    yield factory
    mine = servers[first:]
    errors = stop_servers(mine)
    for s in mine:
        errors += new_leaks(s)
    if errors:
        pytest.fail("\n".join(errors), pytrace=False)


@pytest.fixture(autouse=True)
def no_secrets_in_module_log(module_server_registry):
    """After each test: the module's shared servers still run, and their logs hold none
    of their secrets (so far: the end of the module checks again)."""
    yield
    problems = []
    for s in module_server_registry:
        if s.proc is not None and s.proc.poll() is not None and not s.stopped_by_test:
            problems.append(f"shared server {s.workdir} exited on its own with status "
                            f"{s.proc.returncode}\nstderr tail:\n"
                            + "\n".join(s.log[-30:]))
        problems += new_leaks(s)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
