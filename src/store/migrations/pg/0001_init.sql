-- SPDX-License-Identifier: Apache-2.0
-- 0001_init, PostgreSQL dialect: the same tables, columns and indexes as
-- ../0001_init.sql (read that file for what each holds), with two differences:
--  - every TEXT column is COLLATE "C": ordering and comparison are by bytes, as in
--    SQLite, whatever collation the database was created with. The keyset
--    pagination (ORDER BY id, id > cursor) and the unique lookup keys depend on it.
--  - audit_events.id is still assigned by the backend (one more than the largest,
--    under a transaction-scoped advisory lock), so ids are dense and commit in order.
-- The backend runs this file inside one transaction together with its
-- schema_migrations row, under pg_advisory_lock so that instances starting together
-- do not race.

CREATE TABLE schema_migrations (
    version     INTEGER NOT NULL PRIMARY KEY,
    name        TEXT    COLLATE "C" NOT NULL,
    applied_at  BIGINT  NOT NULL
);

CREATE TABLE users (
    id              TEXT    COLLATE "C" NOT NULL PRIMARY KEY,
    email           TEXT    COLLATE "C" NOT NULL,
    email_lower     TEXT    COLLATE "C" NOT NULL UNIQUE,
    username        TEXT    COLLATE "C",
    username_lower  TEXT    COLLATE "C" UNIQUE,
    name            TEXT    COLLATE "C" NOT NULL DEFAULT '',
    roles_json      TEXT    COLLATE "C" NOT NULL DEFAULT '[]',
    attributes_json TEXT    COLLATE "C" NOT NULL DEFAULT '{}',
    disabled        INTEGER NOT NULL DEFAULT 0,
    password_hash   TEXT    COLLATE "C" NOT NULL DEFAULT '',
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);

CREATE TABLE sessions (
    id           TEXT   COLLATE "C" NOT NULL PRIMARY KEY,
    user_id      TEXT   COLLATE "C" NOT NULL,
    client_id    TEXT   COLLATE "C" NOT NULL DEFAULT '',
    scope        TEXT   COLLATE "C" NOT NULL DEFAULT '',
    user_agent   TEXT   COLLATE "C" NOT NULL DEFAULT '',
    ip           TEXT   COLLATE "C" NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_revoked_at ON sessions (revoked_at);

CREATE TABLE refresh_tokens (
    hash       TEXT   COLLATE "C" NOT NULL PRIMARY KEY,
    session_id TEXT   COLLATE "C" NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);
CREATE INDEX refresh_tokens_session_id ON refresh_tokens (session_id);

CREATE TABLE signing_keys (
    kid          TEXT   COLLATE "C" NOT NULL PRIMARY KEY,
    alg          TEXT   COLLATE "C" NOT NULL,
    private_jwk  TEXT   COLLATE "C" NOT NULL,
    created_at   BIGINT NOT NULL,
    activated_at BIGINT,
    retired_at   BIGINT
);

CREATE TABLE audit_events (
    id          BIGINT NOT NULL PRIMARY KEY,
    at          BIGINT NOT NULL,
    event       TEXT   COLLATE "C" NOT NULL,
    user_id     TEXT   COLLATE "C",
    client_id   TEXT   COLLATE "C",
    ip          TEXT   COLLATE "C",
    detail_json TEXT   COLLATE "C"
);
CREATE INDEX audit_events_at ON audit_events (at);

CREATE TABLE server_secrets (
    name  TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    value TEXT COLLATE "C" NOT NULL
);
