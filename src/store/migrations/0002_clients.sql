-- SPDX-License-Identifier: Apache-2.0
-- 0002_clients: OAuth 2 clients, and revoked access tokens that have no session.
--
-- Portable SQL: this file runs unchanged on SQLite and on PostgreSQL. The backend runs
-- it inside one transaction together with its schema_migrations row, so it holds no
-- BEGIN/COMMIT of its own. The conventions of 0001_init.sql hold here too.
--
--  - clients has one column per field of struct client_rec (store.h). Empty text fields
--    are stored as ''; a TTL of 0 ("server default") is stored as NULL.
--  - A client's sessions keep its id in sessions.client_id; there is no foreign key:
--    deleting a client revokes its sessions and keeps the rows (see 0001_init.sql).

CREATE TABLE clients (
    id               TEXT    NOT NULL PRIMARY KEY,
    name             TEXT    NOT NULL DEFAULT '',
    secret_hash      TEXT    NOT NULL DEFAULT '',   -- '' for public clients
    grants           TEXT    NOT NULL DEFAULT '',   -- space-separated grant types
    scopes           TEXT    NOT NULL DEFAULT '',   -- space-separated; '': any
    roles_json       TEXT    NOT NULL DEFAULT '[]',
    auth_method      TEXT    NOT NULL,
    is_public        INTEGER NOT NULL DEFAULT 0,
    disabled         INTEGER NOT NULL DEFAULT 0,
    refresh_rotation INTEGER NOT NULL DEFAULT -1,   -- -1: server default, 0 off, 1 on
    access_ttl       BIGINT,                        -- seconds; NULL: server default
    refresh_ttl      BIGINT,
    refresh_idle_ttl BIGINT,
    tls_subject_dn   TEXT    NOT NULL DEFAULT '',
    tls_thumbprint   TEXT    NOT NULL DEFAULT '',
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL
);

CREATE INDEX sessions_client_id ON sessions (client_id);

-- The jti of each revoked client_credentials access token, kept until the token's own
-- exp (expires_at), after which it may be purged.
CREATE TABLE revoked_tokens (
    jti        TEXT   NOT NULL PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX revoked_tokens_expires_at ON revoked_tokens (expires_at);
