-- SPDX-License-Identifier: Apache-2.0
-- 0004_client_auth_methods, PostgreSQL dialect: the same statements as
-- ../0004_client_auth_methods.sql (a client with a secret accepts both secret methods
-- unless pinned; the old default, client_secret_basic, becomes unpinned).
ALTER TABLE clients ADD COLUMN auth_method_pinned INTEGER NOT NULL DEFAULT 1;
UPDATE clients SET auth_method_pinned = 0 WHERE auth_method = 'client_secret_basic';
