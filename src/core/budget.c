/* Failure budgets: canonical keys, and reserve-then-release on the rate-limit buckets. */
#include "core/budget.h"

#include <stdio.h>
#include <string.h>

#include "core/ratelimit.h"

static void account_key(const char *login, char *out, size_t outlen)
{
    out[0] = '\0';
    if (login) {
        size_t n = (size_t)snprintf(out, outlen, "acct:%s", login);
        for (size_t i = 5; i < n && i < outlen; i++)
            if (out[i] >= 'A' && out[i] <= 'Z')
                out[i] = (char)(out[i] - 'A' + 'a');
    }
}

static void ip_key(const char *ip, char *out, size_t outlen)
{
    out[0] = '\0';
    if (ip && *ip)
        snprintf(out, outlen, "ip:%s", ip);
}

static void limits(const struct app *a, struct rl_limit *acct, struct rl_limit *ip)
{
    *acct = (struct rl_limit){ a->cfg.rl_account_failures, a->cfg.rl_account_window };
    *ip = (struct rl_limit){ a->cfg.rl_ip_failures, a->cfg.rl_ip_window };
}

long budget_reserve(struct app *a, const char *login, const char *ip, struct budget *b)
{
    struct rl_limit la, li;
    long wait;

    limits(a, &la, &li);
    account_key(login, b->acct, sizeof b->acct);
    ip_key(ip, b->ip, sizeof b->ip);
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
