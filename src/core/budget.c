/* SPDX-License-Identifier: Apache-2.0 */
/* Failure budgets: canonical keys, and reserve-then-release on the rate-limit buckets. */
#include "core/budget.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "core/ratelimit.h"

void budget_ip_key(const char *ip, int ipv6_prefix, char *out, size_t outlen)
{
    unsigned char a6[16];
    char text[INET6_ADDRSTRLEN];

    out[0] = '\0';
    if (!ip || !*ip)
        return;
    if (inet_pton(AF_INET6, ip, a6) != 1) {
        snprintf(out, outlen, "ip:%s", ip);          /* IPv4 (or kept as given) */
        return;
    }
    if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)a6)) {
        if (inet_ntop(AF_INET, a6 + 12, text, sizeof text))
            snprintf(out, outlen, "ip:%s", text);
        return;
    }
    if (ipv6_prefix < 0)
        ipv6_prefix = 0;
    if (ipv6_prefix > 128)
        ipv6_prefix = 128;
    for (int i = 0; i < 16; i++) {
        int keep = ipv6_prefix - i * 8;              /* bits of byte i kept */
        if (keep <= 0)
            a6[i] = 0;
        else if (keep < 8)
            a6[i] &= (unsigned char)(0xff << (8 - keep));
    }
    if (inet_ntop(AF_INET6, a6, text, sizeof text))
        snprintf(out, outlen, "ip:%s/%d", text, ipv6_prefix);
}

static void account_key(const char *user_id, const char *login, char *out, size_t outlen)
{
    out[0] = '\0';
    if (user_id && *user_id) {
        snprintf(out, outlen, "user:%s", user_id);
    } else if (login) {
        size_t n = (size_t)snprintf(out, outlen, "login:%s", login);
        for (size_t i = 6; i < n && i < outlen; i++)
            if (out[i] >= 'A' && out[i] <= 'Z')
                out[i] = (char)(out[i] - 'A' + 'a');
    }
}

static void limits(const struct app *a, struct rl_limit *acct, struct rl_limit *ip)
{
    *acct = (struct rl_limit){ a->cfg.rl_account_failures, a->cfg.rl_account_window };
    *ip = (struct rl_limit){ a->cfg.rl_ip_failures, a->cfg.rl_ip_window };
}

long budget_reserve(struct app *a, const char *user_id, const char *login,
                    const char *ip, struct budget *b)
{
    struct rl_limit la, li;
    long wait;

    limits(a, &la, &li);
    account_key(user_id, login, b->acct, sizeof b->acct);
    budget_ip_key(ip, a->cfg.rl_ipv6_prefix, b->ip, sizeof b->ip);
    if (b->acct[0] && (wait = ratelimit_take(a->limits, &la, b->acct))) {
        b->acct[0] = b->ip[0] = '\0';
        return wait;
    }
    if (b->ip[0] && (wait = ratelimit_take(a->limits, &li, b->ip))) {
        if (b->acct[0])
            ratelimit_give_back(a->limits, &la, b->acct);
        b->acct[0] = b->ip[0] = '\0';
        return wait;
    }
    return 0;
}

void budget_release(struct app *a, struct budget *b)
{
    struct rl_limit la, li;
    limits(a, &la, &li);
    if (b->acct[0])
        ratelimit_give_back(a->limits, &la, b->acct);
    if (b->ip[0])
        ratelimit_give_back(a->limits, &li, b->ip);
    b->acct[0] = b->ip[0] = '\0';
}
