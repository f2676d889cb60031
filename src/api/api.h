/* SPDX-License-Identifier: Apache-2.0 */
/* The endpoint handlers, one file per endpoint family; the route tables name them. */
#ifndef API_API_H
#define API_API_H

#include "http/http.h"

/* login.c: every password login, native or compat; the route's data is its
 * struct compat_shape (below). */
ts_err api_login(struct request *req, struct response *res);
ts_err api_register(struct request *req, struct response *res);
/* refresh.c */
ts_err api_refresh(struct request *req, struct response *res);
/* session.c */
ts_err api_logout(struct request *req, struct response *res);
ts_err api_sessions_list(struct request *req, struct response *res);
ts_err api_sessions_delete(struct request *req, struct response *res);
ts_err api_password(struct request *req, struct response *res);
/* profile.c */
ts_err api_profile(struct request *req, struct response *res);
/* userinfo.c */
ts_err api_userinfo(struct request *req, struct response *res);
/* wellknown.c */
ts_err api_jwks(struct request *req, struct response *res);
/* oauth2.c */
ts_err api_oauth2_token(struct request *req, struct response *res);
ts_err api_oauth2_revoke(struct request *req, struct response *res);
ts_err api_oauth2_introspect(struct request *req, struct response *res);
/* authorize.c: GET|POST /oauth2/authorize (docs/oidc.md) */
ts_err api_oauth2_authorize(struct request *req, struct response *res);
/* login_page.c: the hosted login page's POST, its stylesheet and script */
ts_err api_login_page(struct request *req, struct response *res);
ts_err api_web_static(struct request *req, struct response *res);
/* metadata.c */
ts_err api_oauth2_metadata(struct request *req, struct response *res);
ts_err api_openid_configuration(struct request *req, struct response *res);
/* revocations.c */
ts_err api_revocations(struct request *req, struct response *res);
/* verify.c */
ts_err api_verify(struct request *req, struct response *res);
/* health.c */
ts_err api_healthz(struct request *req, struct response *res);
ts_err api_readyz(struct request *req, struct response *res);
ts_err api_metrics(struct request *req, struct response *res);



/* compat.c: the compat profiles' handlers (docs/compat.md). Each route row's data is
 * a struct compat_shape: the field names and answer members of the API it imitates. */
enum compat_out {
    COMPAT_REFRESH = 1 << 0,   /* answer with the refresh token */
    COMPAT_TYPE    = 1 << 1,   /* token_type: "Bearer" */
    COMPAT_EXPIRES = 1 << 2,   /* expires_in */
    COMPAT_SCOPE   = 1 << 3,   /* scope */
    COMPAT_USER    = 1 << 4,   /* the user object */
    COMPAT_ASK_SCOPE = 1 << 5  /* a "scope" member or ?scope= narrows the login */
};
struct compat_shape {
    const char *login_fields[2];  /* request members naming the account, in order */
    const char *refresh_field;    /* request member with the refresh token */
    const char *access_key;       /* answer member of the access token */
    unsigned out;                 /* enum compat_out */
    int rotation;                 /* refresh: -1 server default, 0 off, 1 on */
    const char *grant_error;      /* token endpoint: the unsupported_grant_type sentence */
};
ts_err api_compat_refresh(struct request *req, struct response *res);
ts_err api_compat_role_me(struct request *req, struct response *res);

/* Shared by the handlers that hand out tokens (respond.c). */
struct token_set;
/* 200 {access_token, refresh_token?, token_type, expires_in, scope}. */
ts_err api_token_response(struct response *res, const struct token_set *t);
/* The same answer in a compat profile's shape (shape NULL: the native one). */
ts_err api_token_response_shaped(struct response *res, const struct token_set *t,
                                 const struct compat_shape *shape);
#endif
