-- SPDX-License-Identifier: Apache-2.0
-- 0005_audience, PostgreSQL dialect: the same statements as ../0005_audience.sql (the
-- audience of a session's tokens, the audiences a client may ask for).
ALTER TABLE sessions ADD COLUMN audience TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN audiences TEXT NOT NULL DEFAULT '';
