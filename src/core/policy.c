/* SPDX-License-Identifier: Apache-2.0 */
/* Matching forward-auth requests to route policies. */
#include "core/policy.h"

#include <stdio.h>
#include <string.h>

#include "core/scope.h"

int policy_glob(const char *p, const char *s)
{
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*p == '*') {
            star = p++;
            resume = s;
        } else if (*p == '?' || *p == *s) {
            p++;
            s++;
        } else if (star) {
            p = star + 1;
            s = ++resume;
        } else {
            return 0;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

enum policy_need policy_match(const struct config *c, const char *method,
                              const char *path, const struct policy_conf **rule)
{
    *rule = NULL;
    for (int i = 0; i < c->npolicies; i++) {
        const struct policy_conf *p = &c->policies[i];
        if (p->methods[0] && !scope_contains(p->methods, method, strlen(method)))
            continue;
        if (!policy_glob(p->path, path))
            continue;
        *rule = p;
        return p->public_ ? POLICY_PUBLIC : POLICY_TOKEN;
    }
    if (strcmp(c->verify_default, "public") == 0)
        return POLICY_PUBLIC;
    return strcmp(c->verify_default, "deny") == 0 ? POLICY_DENY : POLICY_TOKEN;
}

const char *policy_audience(const struct config *c, const struct policy_conf *rule)
{
    if (rule && rule->audience[0])
        return rule->audience;
    return c->verify_audience[0] ? c->verify_audience : c->audience;
}

ts_err policy_allows(const struct policy_conf *rule, const tessera_claims *claims,
                     char *why, size_t whylen)
{
    const char *p, *w;
    size_t n;
    if (!rule)
        return TS_OK;
    if (rule->roles[0]) {
        int ok = 0;
        size_t nr = tessera_claims_array_len(claims, "roles");
        for (size_t i = 0; i < nr && !ok; i++) {
            const char *r = tessera_claims_array_string(claims, "roles", i);
            ok = r && scope_contains(rule->roles, r, strlen(r));
        }
        if (!ok) {
            snprintf(why, whylen, "This resource needs one of the roles: %s.", rule->roles);
            return TS_EFORBIDDEN;
        }
    }
    p = rule->scopes;
    while (word_next(&p, 1, &w, &n)) {
        const char *granted = tessera_claims_string(claims, "scope");
        if (!granted || !scope_contains(granted, w, n)) {
            snprintf(why, whylen, "This resource needs the scope '%.*s'.", (int)n, w);
            return TS_EFORBIDDEN;
        }
    }
    return TS_OK;
}
