-- SPDX-License-Identifier: Apache-2.0
-- When each jti was revoked, so every instance can pick up new revocations by time
-- (the in-memory revocation set, core/revoked.c). Rows from before this migration
-- count as revoked at 0: still listed while their token lives.
ALTER TABLE revoked_tokens ADD COLUMN revoked_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX revoked_tokens_revoked_at ON revoked_tokens (revoked_at);
