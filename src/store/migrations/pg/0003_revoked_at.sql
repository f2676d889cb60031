-- SPDX-License-Identifier: Apache-2.0
-- 0003_revoked_at, PostgreSQL dialect: the same statements as ../0003_revoked_at.sql
-- (when each jti was revoked, so every instance picks up new revocations by time).
ALTER TABLE revoked_tokens ADD COLUMN revoked_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX revoked_tokens_revoked_at ON revoked_tokens (revoked_at);
