# SPDX-License-Identifier: Apache-2.0
"""The forward-auth rules that test_verify.py and test_nginx.py both judge requests
against: a public prefix, an admin-only API, an editor-only path, methods that need a
role, and a rule written with a non-ASCII byte (docs/forward-auth.md)."""

OPEN_POLICY = {
    "role.user.scopes": "profile read:skills",
    "role.editor.scopes": "profile",      # defined, so users may hold it
    "policy.public.path": "/v1/public*", "policy.public.public": True,
    "policy.adminapi.path": "/v1/admin-api/*", "policy.adminapi.roles": "admin",
    "policy.skills.path": "/v1/skills*", "policy.skills.roles": "editor",
    "policy.notes.path": "/v1/notes*", "policy.notes.methods": "POST DELETE",
    "policy.notes.roles": "editor",
    "policy.cafe.path": "/v1/caf%c3%a9*", "policy.cafe.roles": "editor",
    "verify.default": "authenticated",
}
