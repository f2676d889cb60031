-- 0001_init: the first schema. Portable SQL (SQLite and PostgreSQL): TEXT ids and
-- hashes, BIGINT Unix seconds, 0 for "not set". The backend creates schema_migrations
-- itself and runs this file in one transaction with its version row.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    email_lower TEXT NOT NULL UNIQUE,
    username TEXT,
    username_lower TEXT UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    roles_json TEXT NOT NULL DEFAULT '[]',
    attributes_json TEXT NOT NULL DEFAULT '{}',
    disabled INTEGER NOT NULL DEFAULT 0,
    password_hash TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    client_id TEXT NOT NULL DEFAULT '',
    scope TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    ip TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_revoked ON sessions (revoked_at);
CREATE TABLE refresh_tokens (
    hash TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    private_jwk TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    activated_at BIGINT NOT NULL DEFAULT 0,
    retired_at BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE audit_events (
    at BIGINT NOT NULL,
    event TEXT NOT NULL,
    user_id TEXT,
    client_id TEXT,
    ip TEXT,
    detail_json TEXT
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
