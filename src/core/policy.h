/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Forward-auth route policies (docs/forward-auth.md): the first [policy.NAME] whose path
 * glob and methods match a request decides what it needs (nothing, one of some roles,
 * all of some scopes, an audience); unmatched requests get verify.default.
 */
#ifndef CORE_POLICY_H
#define CORE_POLICY_H

#include "core/config.h"
#include "base/err.h"
#include "tessera.h"

enum policy_need { POLICY_PUBLIC, POLICY_TOKEN, POLICY_DENY };

/* The rule for (method, path): *rule is the matching policy or NULL (the default).
 * method and path must be canonical (urlpath_method(), urlpath_canonical()), as
 * config_finish() made the rules' methods and paths: only canonical forms compare. */
enum policy_need policy_match(const struct config *c, const char *method,
                              const char *path, const struct policy_conf **rule);

/* The audience a token must name for the rule (NULL: an unmatched path): the rule's
 * `audience`, else verify.audience, else server.audience. The token is checked for it
 * as it is authenticated (token_authenticate), before policy_allows. */
const char *policy_audience(const struct config *c, const struct policy_conf *rule);

/* Whether verified claims satisfy a rule (NULL: any valid token does). TS_EFORBIDDEN
 * with a sentence in why otherwise. */
ts_err policy_allows(const struct policy_conf *rule, const tessera_claims *claims,
                     char *why, size_t whylen);

/* '*' matches any run of characters ('/' included), '?' any one character; over the
 * canonical text, so '?' is one character of it, never a whole "%XX". */
int policy_glob(const char *pattern, const char *s);

#endif
