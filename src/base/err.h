/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ts_err: the one result type of the server. Each error carries its HTTP status and
 * its OAuth/native error code, so a handler returns an error and never picks a status.
 */
#ifndef BASE_ERR_H
#define BASE_ERR_H

/*      name             status code                        default description */
#define TS_ERRORS(X)                                                                    \
    X(OK,                200, NULL,                      "ok")                          \
    X(EINVAL,            400, "invalid_request",         "The request is malformed.")   \
    X(ESCOPE,            400, "invalid_scope",           "The requested scope is not allowed.") \
    X(EGRANT,            401, "invalid_grant",           "The refresh token is invalid, expired or revoked.") \
    X(ECREDS,            401, "invalid_credentials",     "Invalid username or password.") \
    X(ECURPW,            400, "invalid_credentials",     "The current password is wrong.") \
    X(ETOKEN,            401, "invalid_token",           "The access token is invalid, expired or revoked.") \
    X(ECLIENT,           401, "invalid_client",          "Client authentication failed.") \
    X(EOGRANT,           400, "invalid_grant",           "The grant is invalid, expired or revoked.") \
    X(ETARGET,           400, "invalid_target",          "The requested resource or audience is not allowed.") \
    X(EUNAUTHCLIENT,     400, "unauthorized_client",     "The client is not allowed to use this grant type.") \
    X(EGRANTTYPE,        400, "unsupported_grant_type",  "The grant type is not supported.") \
    X(ENOTOKEN,          401, "invalid_token",           "You must specify a Bearer token in the Authorization header to access this resource") \
    X(EFORBIDDEN,        403, "insufficient_scope",      "The token does not grant access to this resource.") \
    X(ECERT,             403, "access_denied",           "A valid client certificate is required.") \
    X(EDISABLED,         403, "access_denied",           "This feature is disabled.")   \
    X(ENOTFOUND,         404, "not_found",               "No such resource.")           \
    X(EMETHOD,           405, "method_not_allowed",      "Method not allowed for this resource.") \
    X(ECONFLICT,         409, "conflict",                "The resource already exists.") \
    X(ETOOBIG,           413, "invalid_request",         "The request body is too large.") \
    X(EMEDIA,            415, "invalid_request",         "Unsupported content type.")   \
    X(ELIMIT,            429, "rate_limited",            "Too many requests; retry later.") \
    X(EBUSY,             503, "temporarily_unavailable", "The server is busy; retry later.") \
    X(ENOMEM,            503, "temporarily_unavailable", "The server is out of memory; retry later.") \
    X(EDB,               500, "server_error",            "Storage error.")              \
    X(EINTERNAL,         500, "server_error",            "Internal error.")

typedef enum {
#define TS_ERR_ENUM(name, status, code, desc) TS_##name,
    TS_ERRORS(TS_ERR_ENUM)
#undef TS_ERR_ENUM
    TS_ERR_COUNT
} ts_err;

int ts_err_status(ts_err e);             /* HTTP status */
const char *ts_err_code(ts_err e);       /* "invalid_request"...; NULL for TS_OK */
const char *ts_err_description(ts_err e);/* the default human sentence */
const char *ts_err_name(ts_err e);       /* "EINVAL", for logs and tests */

#endif
