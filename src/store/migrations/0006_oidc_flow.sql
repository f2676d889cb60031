-- SPDX-License-Identifier: Apache-2.0
-- 0006_oidc_flow: the OpenID Connect authorization code flow (docs/oidc.md).
--
-- Portable SQL (runs unchanged on SQLite; the PostgreSQL dialect in pg/ is the same
-- but for COLLATE "C" on the new text keys).
--  - clients gain their browser-flow registration: redirect_uris and
--    post_logout_redirect_uris (space-separated, each URI checked by core/client.c, so
--    none holds a space), first_party, backchannel_logout_uri ('' none) and
--    id_token_alg (RS256, ES256 or EdDSA).
--  - browser_sessions: the hosted login page's sessions. The session itself is a row of
--    sessions (listed, revoked and audited as every other); this row adds the SHA-256
--    of the cookie's random secret (never the session id) and the login's time.
--  - auth_codes: authorization codes, by the SHA-256 of the code; used_at is set once,
--    atomically, by the exchange. issued_sid is the id the exchange gives the session
--    it creates, chosen when the code is, so a replayed code can revoke it.
ALTER TABLE clients ADD COLUMN redirect_uris TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN first_party INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN backchannel_logout_uri TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN id_token_alg TEXT NOT NULL DEFAULT 'RS256';

CREATE TABLE browser_sessions (
    session_id  TEXT   NOT NULL PRIMARY KEY,
    cookie_hash TEXT   NOT NULL UNIQUE,
    auth_time   BIGINT NOT NULL
);

CREATE TABLE auth_codes (
    hash           TEXT   NOT NULL PRIMARY KEY,
    client_id      TEXT   NOT NULL,
    redirect_uri   TEXT   NOT NULL,
    code_challenge TEXT   NOT NULL DEFAULT '',   -- S256 challenge; '' without PKCE
    scope          TEXT   NOT NULL DEFAULT '',
    nonce          TEXT   NOT NULL DEFAULT '',
    browser_sid    TEXT   NOT NULL,              -- the browser session that approved
    user_id        TEXT   NOT NULL,
    auth_time      BIGINT NOT NULL,
    issued_sid     TEXT   NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT                        -- NULL until exchanged
);
CREATE INDEX auth_codes_expires_at ON auth_codes (expires_at);
