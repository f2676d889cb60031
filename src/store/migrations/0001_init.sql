-- SPDX-License-Identifier: Apache-2.0
-- 0001_init: the first schema of tessera.
--
-- Portable SQL: this file runs unchanged on SQLite and on PostgreSQL. The backend runs
-- it inside one transaction together with its schema_migrations row, so it holds no
-- BEGIN/COMMIT of its own.
--
-- Conventions:
--  - ids, hashes and names are TEXT; times are Unix seconds in BIGINT.
--  - an optional time is NULL while unset (store.h maps NULL to 0).
--  - email_lower / username_lower hold the lookup keys, lowercased by the backend in C
--    (ASCII only) so both databases compare exactly the same bytes.
--  - audit_events.id is assigned by the backend on insert (SQLite: one more than the
--    current maximum, inside the INSERT; PostgreSQL: its own sequence, created by that
--    backend outside this file), because SQLite's INTEGER PRIMARY KEY rowid alias and
--    PostgreSQL's identity columns have no common syntax.

CREATE TABLE schema_migrations (
    version     INTEGER NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    applied_at  BIGINT  NOT NULL
);

CREATE TABLE users (
    id              TEXT    NOT NULL PRIMARY KEY,
    email           TEXT    NOT NULL,
    email_lower     TEXT    NOT NULL UNIQUE,
    username        TEXT,                    -- NULL when the user has none
    username_lower  TEXT    UNIQUE,          -- NULL when none; NULLs never clash
    name            TEXT    NOT NULL DEFAULT '',
    roles_json      TEXT    NOT NULL DEFAULT '[]',
    attributes_json TEXT    NOT NULL DEFAULT '{}',
    disabled        INTEGER NOT NULL DEFAULT 0,
    password_hash   TEXT    NOT NULL DEFAULT '',
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);

-- No foreign key to users: deleting a user keeps its (revoked) sessions for the
-- revocation feed and the audit trail.
CREATE TABLE sessions (
    id           TEXT   NOT NULL PRIMARY KEY,
    user_id      TEXT   NOT NULL,
    client_id    TEXT   NOT NULL DEFAULT '',
    scope        TEXT   NOT NULL DEFAULT '',
    user_agent   TEXT   NOT NULL DEFAULT '',
    ip           TEXT   NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT                      -- NULL while active
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_revoked_at ON sessions (revoked_at);

-- Every refresh token a session was given: the current one has retired_at NULL; the
-- retired ones stay for reuse detection.
CREATE TABLE refresh_tokens (
    hash       TEXT   NOT NULL PRIMARY KEY,
    session_id TEXT   NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);
CREATE INDEX refresh_tokens_session_id ON refresh_tokens (session_id);

CREATE TABLE signing_keys (
    kid          TEXT   NOT NULL PRIMARY KEY,
    alg          TEXT   NOT NULL,
    private_jwk  TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    activated_at BIGINT,                     -- NULL: published, never signed with
    retired_at   BIGINT                      -- NULL: still in the JWKS
);

CREATE TABLE audit_events (
    id          BIGINT NOT NULL PRIMARY KEY,
    at          BIGINT NOT NULL,
    event       TEXT   NOT NULL,
    user_id     TEXT,
    client_id   TEXT,
    ip          TEXT,
    detail_json TEXT
);
CREATE INDEX audit_events_at ON audit_events (at);

CREATE TABLE server_secrets (
    name  TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);
