/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sessions (docs/api.md): password login creating a session and its refresh-token
 * family, refresh with rotation, grace window and reuse detection, logout, password
 * change. Login and password change hash passwords: run them on the worker pool.
 */
#ifndef CORE_SESSION_H
#define CORE_SESSION_H

#include "core/app.h"
#include "core/scope.h"
#include "base/secret.h"
#include "core/token.h"

struct login_req {
    const char *login;        /* email or username */
    int by_email;             /* 1: `login` came as "email" */
    const char *password;
    size_t password_len;
    const char *scope;        /* NULL: the roles' defaults */
    const char *user_agent;   /* may be NULL */
    const char *ip;           /* may be NULL */
    const struct client_rec *client; /* the OAuth client (password grant); NULL for the
                                      * native API */
    const char *cnf_x5t;      /* bind the access token to this certificate, or NULL */
    const char *audience;     /* RFC 8707: the audience values asked for, a canonical
                               * list (core/audience.h); NULL or "": the default */
};

/* What a login or refresh hands back. Release with token_set_clear(). */
struct token_set {
    char *access_token;
    char *id_token;           /* malloc'd; NULL unless the code grant made one */
    char refresh_token[SECRET_TOKEN_CHARS + 1];  /* "" when none is returned */
    long expires_in;
    char scope[SCOPE_MAX_LEN];
    struct user_rec user;
    long retry_after;         /* with TS_ELIMIT: seconds to wait */
    char why[160];            /* with TS_ETARGET: which audience was refused */
};
void token_set_clear(struct token_set *t);

/* TS_ECREDS for a wrong password, unknown or disabled user (same answer, same cost);
 * TS_ESCOPE for a scope the roles do not grant; TS_ELIMIT (out->retry_after set) while
 * the account or the client IP has too many recent failures: then not even the right
 * password is checked. Each attempt takes a place in both budgets before its hash
 * (core/budget.h) and gives it back only when the password was right: every
 * TS_ECREDS counts one failure for both. TS_ETARGET (out->why set) for an audience
 * the user's roles, or the client, do not allow (audience_allowed()); the session
 * keeps the audience asked, for its refreshes. */
ts_err session_login(struct app *a, const struct login_req *r, struct token_set *out);

/* cnf_x5t (NULL: none) binds the new access token to a certificate (RFC 8705).
 * TS_EGRANT for an unknown, expired, revoked or reused token, or one obtained through
 * another client (client NULL: the native API, whose sessions have no client). A reuse
 * past the grace window revokes the whole session. `scope` (NULL: the session's) may
 * narrow the new access token's scope; a scope outside the session's is TS_ESCOPE.
 * The scope granted is the session's (or the narrower one asked) cut down to what the
 * user's roles, and the client's scopes, grant now: dropped silently, or TS_ESCOPE
 * when asked for by name. `audience` (a canonical list; NULL or "": the session's) may
 * narrow the audience likewise; one outside the session's, or one the roles or the
 * client no longer allow, is TS_ETARGET (out->why set). */
ts_err session_refresh(struct app *a, const struct client_rec *client,
                       const char *refresh_token, const char *scope,
                       const char *audience, const char *cnf_x5t,
                       const char *user_agent, const char *ip, struct token_set *out);

/* --- the browser flow (docs/oidc.md) --- */

/* A browser session: the hosted login page's, named by its cookie. */
struct browser_session {
    char id[STORE_ID_LEN + 1];          /* the session's id (never the cookie) */
    char user_id[STORE_ID_LEN + 1];
    int64_t auth_time;                  /* when the user logged in */
};

/* The hosted login page's login: the password checked as session_login checks it
 * (same answers, rate limits and audit), then a new session without tokens (listed,
 * revocable and audited as any other, client_id "") that lives web.session_ttl, ends
 * after web.session_idle_ttl unused, and is named by a new random cookie value
 * (*cookie; only its SHA-256 is stored). r->scope and r->client are ignored. Run on
 * the worker pool. TS_ELIMIT (*retry_after set), TS_ECREDS, or a store error. */
ts_err session_browser_login(struct app *a, const struct login_req *r,
                             char cookie[SECRET_TOKEN_CHARS + 1],
                             struct browser_session *out, long *retry_after);

/* The active browser session the cookie value names, its idle clock restarted:
 * TS_ENOTFOUND for an unknown, revoked, expired or idle one, or when its user is
 * gone or disabled. */
ts_err session_browser_get(struct app *a, const char *cookie,
                           struct browser_session *out);

/* Ends the browser session the cookie value names, if it is still active: a new
 * login in the same browser replaces it. Recorded as a `logout` with
 * {"session_id", "replaced_by_login": true}. TS_OK when there was nothing to end. */
ts_err session_browser_end(struct app *a, const char *cookie, const char *ip);

/* The code grant's tokens (RFC 6749 4.1.3) for a code that authcode_redeem accepted:
 * a new session with id code->issued_sid for code->client_id, the user's, with the
 * code's scope cut to what the user's roles and the client allow now (openid kept),
 * an access token and a refresh token, as session_login makes them; refresh,
 * revocation and forward auth treat it as any other session. TS_EOGRANT when the
 * browser session that approved it has ended or the user is gone or disabled. */
struct code_rec;
ts_err session_code_grant(struct app *a, const struct client_rec *c,
                          const struct code_rec *code, const char *user_agent,
                          const char *ip, const char *cnf_x5t, struct token_set *out);

/* Revokes the caller's session, or with all every session of its user. */
ts_err session_logout(struct app *a, const struct auth_ctx *who, int all,
                      const char *ip);

/* The active sessions (not revoked, not expired) of the user user_id, newest first
 * (GET /v1/auth/sessions); see store_session_list_user. */
ts_err session_list(struct app *a, const char *user_id, session_cb cb, void *ctx);

/* Ends one session of the caller's own (DELETE /v1/auth/sessions/{id}), recorded as
 * the `logout` session_logout records ({"session_id", "all": false}). TS_ENOTFOUND
 * when `id` is unknown, already revoked or another user's: never "forbidden", so
 * session ids cannot be probed. */
ts_err session_end(struct app *a, const struct auth_ctx *who, const char *id,
                   const char *ip);

/* Checks the current password, sets the new one and revokes the user's other
 * sessions. TS_ECURPW (400) for a wrong current password; TS_EINVAL (why set) for a new
 * password that breaks the rules. A wrong current password spends the account's and
 * the address's failure budgets as a failed login does (core/budget.h): while one is
 * spent, TS_ELIMIT (why set) with *retry_after the seconds to wait, unchecked. */
ts_err session_change_password(struct app *a, const struct auth_ctx *who,
                               const char *current, const char *new_password,
                               const char *ip, long *retry_after, char *why,
                               size_t whylen);

#endif
