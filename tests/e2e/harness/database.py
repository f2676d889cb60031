# SPDX-License-Identifier: Apache-2.0
"""The database of a server under test, read and written by the test itself: a SQLite
file in the server's work directory, or (pg: a PgCluster) a new PostgreSQL database,
whose URL `db` carries the cluster's password. `share` (another Database) makes a
second instance's view of the same database; only the owner drops it."""
import os
import sqlite3


class Database:
    def __init__(self, workdir, pg=None, share=None):
        self.pg = pg
        self.backend = "postgresql" if pg else "sqlite"
        self.owns_db = share is None
        if share is not None:
            self.dbname, self.db = share.dbname, share.db
        elif pg:
            self.dbname = pg.create_db()
            self.db = pg.url(self.dbname)
        else:
            self.dbname = None
            self.db = os.path.join(workdir, "t.db")

    def sql(self, query, *params):
        """Rows of a SELECT on the server's database (`?` placeholders), as tuples, on
        either backend: sqlite3, or psql on PostgreSQL."""
        if self.pg:
            return self.pg.query(self.dbname, query, *params)
        con = sqlite3.connect(self.db)
        try:
            return con.execute(query, params).fetchall()
        finally:
            con.close()

    def sql_exec(self, statement, *params):
        """Runs one writing statement (`?` placeholders) on the server's database, on
        either backend, committed."""
        if self.pg:
            return self.pg.execute(self.dbname, statement, *params)
        con = sqlite3.connect(self.db)
        try:
            with con:
                con.execute(statement, params)
        finally:
            con.close()

    def db_bytes(self):
        """Everything the database holds on disk, as bytes: the SQLite file and its
        WAL, or a pg_dump."""
        if self.pg:
            return self.pg.dump(self.dbname).encode()
        out = b""
        for path in (self.db, self.db + "-wal"):
            if os.path.exists(path):
                with open(path, "rb") as f:
                    out += f.read()
        return out

    def drop(self):
        """After the servers stopped: a PostgreSQL database this one created goes."""
        if self.pg and self.dbname and self.owns_db:
            self.pg.drop_db(self.dbname)
