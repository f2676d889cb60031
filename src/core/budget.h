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
 * The keys: an account is the login as typed, ASCII-lowercased; an address is the
 * client IP.
 */
#ifndef CORE_BUDGET_H
#define CORE_BUDGET_H

#include "core/app.h"

struct budget {
    char acct[STORE_EMAIL_LEN + 16];  /* "acct:login"; "" for none */
    char ip[STORE_IP_LEN + 16];       /* "ip:ADDR"; "" for none */
};

/* Takes one event of the account's budget (login NULL: none) and of the address's
 * (ip NULL or "": none). 0 when both had room, and b holds what was taken; else the
 * seconds to wait, nothing is taken and b is empty. */
long budget_reserve(struct app *a, const char *login, const char *ip, struct budget *b);

/* Gives back what budget_reserve took (the secret was right); b is emptied, so a second
 * call does nothing. */
void budget_release(struct app *a, struct budget *b);

#endif
