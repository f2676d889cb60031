/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Audiences (RFC 8707 resource indicators, the `aud` claim of RFC 9068): which values a
 * token may be issued for, and the checks of a requested audience against what the
 * user's roles and the client allow.
 *
 * An audience value is 1 to AUDIENCE_VALUE_MAX bytes of printable ASCII without a
 * space (0x21-0x7e). Values are compared byte for byte, as RFC 7519 compares
 * StringOrURI values (no case folding, no URI normalisation): the value that enters is
 * the value compared, on issue and on every check. A `resource` parameter must also be
 * an absolute URI without a fragment (RFC 8707 section 2); its `audience` alias takes
 * any value.
 *
 * A list of audiences is space-separated, without duplicates, in the order given, of
 * at most AUDIENCE_MAX_VALUES values in AUDIENCE_LIST_MAX bytes. The empty list asks
 * for (and a session stores it as) the default audience: tokens.default_audience, or
 * server.audience when that is unset.
 */
#ifndef CORE_AUDIENCE_H
#define CORE_AUDIENCE_H

#include <stddef.h>

#include "core/config.h"
#include "base/err.h"

#define AUDIENCE_LIST_MAX 1024
#define AUDIENCE_VALUE_MAX 255
#define AUDIENCE_MAX_VALUES 8

struct client_rec;

enum audience_param { AUDIENCE_PARAM_AUDIENCE, AUDIENCE_PARAM_RESOURCE };

/* Adds one requested value (a `resource` or `audience` parameter, n bytes) to `list`
 * after checking it; a value already there is not added twice. The limit on the count
 * is checked before the value is. TS_ETARGET with a sentence in why for a malformed
 * value or one too many. */
ts_err audience_add(char list[AUDIENCE_LIST_MAX], enum audience_param kind,
                    const char *value, size_t n, char *why, size_t whylen);

/* A configured list (comma and/or space separated) checked and written canonical into
 * out: -1 with why set for a bad value or too many. "" stays "". */
int audience_list_canonical(const char *in, char *out, size_t outlen, char *why,
                            size_t whylen);

/* The default audience list: tokens.default_audience, else server.audience. */
const char *audience_default(const struct config *c);

/* The audience a token asked for as `list` names: list itself, or the default when it
 * is "". */
const char *audience_effective(const struct config *c, const char *list);

/* Whether a token may be issued for every value of `asked` (a canonical list; "" asks
 * for the default, which is always allowed). A value is allowed when it is one of the
 * default audience, or when it is granted:
 *  - a user's token (user_roles_json not NULL): by one of the user's roles
 *    (role.NAME.audiences), and, through a client (client not NULL) that has a list of
 *    audiences, only a value in that list;
 *  - a client's own token (user_roles_json NULL, client_credentials): by the client's
 *    list when it has one, else by one of its roles.
 * TS_ETARGET with why naming the first value refused; TS_ENOMEM. */
ts_err audience_allowed(const struct config *c, const char *user_roles_json,
                        const struct client_rec *client, const char *asked, char *why,
                        size_t whylen);

/* A narrower audience asked at a refresh: each value of `asked` must be in the
 * session's (its effective audience: the default for ""). out receives `asked`, or the
 * session's own list when nothing is asked. TS_ETARGET with why set otherwise. */
ts_err audience_narrow(const struct config *c, const char *session_list,
                       const char *asked, char out[AUDIENCE_LIST_MAX], char *why,
                       size_t whylen);

#endif
