-- SPDX-License-Identifier: Apache-2.0
-- 0004_client_auth_methods: a client with a secret accepts both client_secret_basic
-- and client_secret_post unless it is pinned to its auth_method (core/client.c).
--
-- Portable SQL, run unchanged on SQLite and on PostgreSQL (../pg/ has the same
-- statements). auth_method keeps one method, so a previous version reading the table
-- during a rolling upgrade sees what it always saw; the new column defaults to pinned,
-- so a client such a version inserts keeps its old meaning.
--
-- Before this migration every confidential client created without --auth-method got
-- client_secret_basic, and nothing told that default from a chosen one: those clients
-- become unpinned and accept both methods, as a client created today without
-- --auth-method does. client_secret_post was always a choice and stays pinned; public
-- and RFC 8705 clients have no secret and accept exactly their method.
ALTER TABLE clients ADD COLUMN auth_method_pinned INTEGER NOT NULL DEFAULT 1;
UPDATE clients SET auth_method_pinned = 0 WHERE auth_method = 'client_secret_basic';
