-- SPDX-License-Identifier: Apache-2.0
-- 0002_clients, PostgreSQL dialect: ../0002_clients.sql with every TEXT column
-- COLLATE "C" (see pg/0001_init.sql). Read that file for what each column holds.

CREATE TABLE clients (
    id               TEXT    COLLATE "C" NOT NULL PRIMARY KEY,
    name             TEXT    COLLATE "C" NOT NULL DEFAULT '',
    secret_hash      TEXT    COLLATE "C" NOT NULL DEFAULT '',
    grants           TEXT    COLLATE "C" NOT NULL DEFAULT '',
    scopes           TEXT    COLLATE "C" NOT NULL DEFAULT '',
    roles_json       TEXT    COLLATE "C" NOT NULL DEFAULT '[]',
    auth_method      TEXT    COLLATE "C" NOT NULL,
    is_public        INTEGER NOT NULL DEFAULT 0,
    disabled         INTEGER NOT NULL DEFAULT 0,
    refresh_rotation INTEGER NOT NULL DEFAULT -1,
    access_ttl       BIGINT,
    refresh_ttl      BIGINT,
    refresh_idle_ttl BIGINT,
    tls_subject_dn   TEXT    COLLATE "C" NOT NULL DEFAULT '',
    tls_thumbprint   TEXT    COLLATE "C" NOT NULL DEFAULT '',
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL
);

CREATE INDEX sessions_client_id ON sessions (client_id);

CREATE TABLE revoked_tokens (
    jti        TEXT   COLLATE "C" NOT NULL PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX revoked_tokens_expires_at ON revoked_tokens (expires_at);
