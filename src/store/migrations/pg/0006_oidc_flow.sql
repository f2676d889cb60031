-- SPDX-License-Identifier: Apache-2.0
-- 0006_oidc_flow, PostgreSQL dialect: the statements of ../0006_oidc_flow.sql (read it
-- for what each column holds), with every text column COLLATE "C".
ALTER TABLE clients ADD COLUMN redirect_uris TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN post_logout_redirect_uris TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN first_party INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN backchannel_logout_uri TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN id_token_alg TEXT COLLATE "C" NOT NULL DEFAULT 'RS256';

CREATE TABLE browser_sessions (
    session_id  TEXT   COLLATE "C" NOT NULL PRIMARY KEY,
    cookie_hash TEXT   COLLATE "C" NOT NULL UNIQUE,
    auth_time   BIGINT NOT NULL
);

CREATE TABLE auth_codes (
    hash           TEXT   COLLATE "C" NOT NULL PRIMARY KEY,
    client_id      TEXT   COLLATE "C" NOT NULL,
    redirect_uri   TEXT   COLLATE "C" NOT NULL,
    code_challenge TEXT   COLLATE "C" NOT NULL DEFAULT '',
    scope          TEXT   COLLATE "C" NOT NULL DEFAULT '',
    nonce          TEXT   COLLATE "C" NOT NULL DEFAULT '',
    browser_sid    TEXT   COLLATE "C" NOT NULL,
    user_id        TEXT   COLLATE "C" NOT NULL,
    auth_time      BIGINT NOT NULL,
    issued_sid     TEXT   COLLATE "C" NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT
);
CREATE INDEX auth_codes_expires_at ON auth_codes (expires_at);
