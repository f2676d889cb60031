-- SPDX-License-Identifier: Apache-2.0
-- 0005_audience: RFC 8707 resource indicators. The audience a session's access tokens
-- are issued for, and the audiences a client may ask for.
--
-- Portable SQL (runs unchanged on SQLite; the PostgreSQL dialect in pg/ is the same).
--  - sessions.audience: the audience values the login asked for, space-separated; ''
--    when it asked for none: its tokens then name the default audience of the day
--    (tokens.default_audience). Rows from before this migration read ''.
--  - clients.audiences: the values the client may ask for, space-separated; '': no
--    limit of its own (see docs/oauth2.md).
ALTER TABLE sessions ADD COLUMN audience TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN audiences TEXT NOT NULL DEFAULT '';
