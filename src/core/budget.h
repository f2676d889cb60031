/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The failure budgets (docs/security.md, Rate limits): failed logins and wrong current
 * passwords per account, and those plus failed client authentications per client
 * address, on the GCRA buckets of core/ratelimit.c.
 *
 * An attempt takes its place in the budgets before its secret is checked
 * (budget_reserve) and gives it back when the secret was right (budget_release); a
 * failure keeps it. So however many attempts are in flight at once, no more are
 * checked than the budget allows, and while a budget is spent even the right secret
 * is refused without being checked.
 *
 * The keys are canonical: an account is its user id, whatever login named it (a login
 * that names no account is its text, ASCII-lowercased as the store's lookup keys are);
 * an IPv4 address is itself, an IPv6 address its ratelimit.ipv6_prefix network (an
 * IPv4-mapped IPv6 address is its IPv4 address).
 */
#ifndef CORE_BUDGET_H
#define CORE_BUDGET_H

#include "core/app.h"

struct budget {
    char acct[STORE_EMAIL_LEN + 16];  /* "user:ID" or "login:text"; "" for none */
    char ip[STORE_IP_LEN + 16];       /* "ip:ADDR" or "ip:NET/PREFIX"; "" for none */
};

/* Takes one event of the account's budget (user_id, else login; both NULL: none) and
 * of the address's (ip NULL or "": none). 0 when both had room, and b holds what was
 * taken; else the seconds to wait, nothing is taken and b is empty. */
long budget_reserve(struct app *a, const char *user_id, const char *login,
                    const char *ip, struct budget *b);

/* Gives back what budget_reserve took (the secret was right); b is emptied, so a second
 * call does nothing. */
void budget_release(struct app *a, struct budget *b);

/* The address's key, "ip:..." as above, into out (STORE_IP_LEN + 16 bytes); "" when ip
 * is NULL or empty. Exposed for the unit tests. */
void budget_ip_key(const char *ip, int ipv6_prefix, char *out, size_t outlen);

#endif
