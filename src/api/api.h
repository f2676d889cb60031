/* The endpoint handlers, one file per endpoint family; the route tables name them. */
#ifndef API_API_H
#define API_API_H

#include "http/http.h"

/* login.c */
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
/* wellknown.c */
ts_err api_jwks(struct request *req, struct response *res);
/* oauth2.c */
ts_err api_oauth2_token(struct request *req, struct response *res);
ts_err api_oauth2_revoke(struct request *req, struct response *res);
ts_err api_oauth2_introspect(struct request *req, struct response *res);
/* metadata.c */
ts_err api_oauth2_metadata(struct request *req, struct response *res);
/* health.c */
ts_err api_healthz(struct request *req, struct response *res);
ts_err api_readyz(struct request *req, struct response *res);



/* Shared by the handlers that hand out tokens (respond.c). */
struct token_set;
/* 200 {access_token, refresh_token?, token_type, expires_in, scope, user?}. */
ts_err api_token_response(struct response *res, const struct token_set *t, int with_user);
#endif
