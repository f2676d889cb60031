# SPDX-License-Identifier: Apache-2.0
"""The PostgreSQL backend's own tests (tests/unit/test_store_pg.c: collation, racing
migrations and rotations, LISTEN/NOTIFY, reconnection, URLs), run against the server
this harness starts; and what an operator sees of a PostgreSQL URL."""
import os
import re
import subprocess

import pytest

from harness.cli import run_bin
from harness.suite import BACKENDS, BIN, ROOT

UNIT = os.path.join(os.path.dirname(BIN), "tests", "test_store_pg")

pytestmark = pytest.mark.skipif("postgresql" not in BACKENDS,
                                reason="TESSERA_E2E_BACKENDS leaves PostgreSQL out")


def test_store_unit_tests_against_the_harness_server(pg_cluster):
    if not os.access(UNIT, os.X_OK):
        pytest.skip(f"{UNIT} is not built (make {os.path.relpath(UNIT, ROOT)})")
    url = f"postgresql://tessera:{pg_cluster.password}@127.0.0.1:{pg_cluster.port}/"
    env = dict(os.environ, TESSERA_TEST_PG_URL=url)
    r = subprocess.run([UNIT], capture_output=True, text=True, timeout=600, env=env,
                       stdin=subprocess.DEVNULL)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    m = re.search(r"\[  PASSED  \] (\d+) test", out)
    assert m and int(m.group(1)) >= 15, out[-2000:]
    assert "SKIPPED" not in out, out[-2000:]
    assert pg_cluster.password not in out


def test_cli_errors_never_show_the_url(pg_cluster, tmp_path):
    """A wrong password, a database that does not exist, a malformed URL: one line on
    stderr naming the scheme only, never the password."""
    pw = "not-the-pw-" + os.urandom(4).hex()
    urls = [
        f"postgresql://tessera:{pw}@127.0.0.1:{pg_cluster.port}/postgres",
        f"postgresql://tessera:{pg_cluster.password}@127.0.0.1:{pg_cluster.port}/"
        f"no_such_db_{pw.replace('-', '_')}",
        f"postgres://tessera:{pw}%zz@127.0.0.1:{pg_cluster.port}/x",
        f"postgresql://tessera:{pw}@127.0.0.1:{pg_cluster.port}/x?pool_size=0",
    ]
    for url in urls:
        for args in (("db", "migrate"), ("user", "list"),
                     ("serve", "--listen", "127.0.0.1:0")):
            r = run_bin(*args, "--database", url, timeout=30, cwd=tmp_path)
            assert r.returncode != 0, (args, r.stdout, r.stderr)
            out = r.stdout + r.stderr
            assert pw not in out and pg_cluster.password not in out, out
            assert "postgres" in out, out     # it does say which kind of database


def test_db_migrate_on_postgresql(pg_cluster):
    db = pg_cluster.create_db()
    try:
        url = pg_cluster.url(db)
        r = run_bin("db", "migrate", "--database", url, timeout=30)
        assert r.returncode == 0, r.stderr
        assert re.search(r"applied \d+ migration\(s\); schema version \d+", r.stdout)
        tables = {row[0] for row in pg_cluster.query(
            db, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        assert {"users", "sessions", "refresh_tokens", "signing_keys", "clients",
                "revoked_tokens", "audit_events", "server_secrets",
                "schema_migrations"} <= tables
        versions = pg_cluster.query(db, "SELECT version, name FROM schema_migrations "
                                        "ORDER BY version")
        assert versions[0] == (1, "0001_init")
        r2 = run_bin("db", "migrate", "--database", url, timeout=30)
        assert r2.returncode == 0 and "applied 0 migration(s)" in r2.stdout, r2.stdout
        # Text compares as bytes whatever the database's collation.
        coll = pg_cluster.query(db, "SELECT collation_name FROM "
                                    "information_schema.columns WHERE table_name = "
                                    "'users' AND column_name = 'id'")
        assert coll == [("C",)]
    finally:
        pg_cluster.drop_db(db)
