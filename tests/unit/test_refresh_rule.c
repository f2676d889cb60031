/* SPDX-License-Identifier: Apache-2.0 */
/* src/store/refresh_rule.c: the rotation decision both backends apply, every outcome
 * and the edges of the grace window, the idle TTL and the session's end. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/refresh_rule.h"

#define NOW   10000
#define GRACE 10
#define IDLE  300

/* A current token issued 5 s ago in a session that ends in an hour. */
static struct refresh_found fresh(void)
{
    struct refresh_found f = { NOW + 3600, 0, NOW - 5, 0 };
    return f;
}

static enum refresh_decision decide(const struct refresh_found *f)
{
    return refresh_decide(f, NOW, GRACE, IDLE);
}

static void unknown_token_is_invalid(void **state)
{
    (void)state;
    assert_int_equal(refresh_decide(NULL, NOW, GRACE, IDLE), REFRESH_DECIDE_UNKNOWN);
    assert_int_equal(refresh_outcome_of(REFRESH_DECIDE_UNKNOWN), REFRESH_INVALID);
}

static void current_token_rotates(void **state)
{
    (void)state;
    struct refresh_found f = fresh();
    assert_int_equal(decide(&f), REFRESH_DECIDE_ROTATE);
    assert_int_equal(refresh_outcome_of(REFRESH_DECIDE_ROTATE), REFRESH_ROTATED);
    f.token_created_at = NOW;                          /* issued this very second */
    assert_int_equal(decide(&f), REFRESH_DECIDE_ROTATE);
}

static void grace_window_edges(void **state)
{
    (void)state;
    struct refresh_found f = fresh();
    f.token_retired_at = NOW;                          /* retired this second */
    assert_int_equal(decide(&f), REFRESH_DECIDE_GRACE);
    f.token_retired_at = NOW - GRACE + 1;              /* last second inside */
    assert_int_equal(decide(&f), REFRESH_DECIDE_GRACE);
    assert_int_equal(refresh_outcome_of(REFRESH_DECIDE_GRACE), REFRESH_GRACE);
    f.token_retired_at = NOW - GRACE;                  /* exactly grace ago: reuse */
    assert_int_equal(decide(&f), REFRESH_DECIDE_REUSED);
    assert_int_equal(refresh_outcome_of(REFRESH_DECIDE_REUSED), REFRESH_REUSED);
    f.token_retired_at = NOW - 100;
    assert_int_equal(decide(&f), REFRESH_DECIDE_REUSED);
    /* no grace at all: any reuse revokes */
    f.token_retired_at = NOW;
    assert_int_equal(refresh_decide(&f, NOW, 0, IDLE), REFRESH_DECIDE_REUSED);
}

static void idle_ttl_edges(void **state)
{
    (void)state;
    struct refresh_found f = fresh();
    f.token_created_at = NOW - IDLE + 1;               /* one second left */
    assert_int_equal(decide(&f), REFRESH_DECIDE_ROTATE);
    f.token_created_at = NOW - IDLE;                   /* exactly idle_ttl: too late */
    assert_int_equal(decide(&f), REFRESH_DECIDE_IDLE);
    assert_int_equal(refresh_outcome_of(REFRESH_DECIDE_IDLE), REFRESH_INVALID);
    /* idle_ttl <= 0: no idle limit */
    f.token_created_at = NOW - 1000000;
    assert_int_equal(refresh_decide(&f, NOW, GRACE, 0), REFRESH_DECIDE_ROTATE);
    assert_int_equal(refresh_decide(&f, NOW, GRACE, -1), REFRESH_DECIDE_ROTATE);
    /* an idle retired token is refused, not taken for a reuse */
    f.token_retired_at = NOW - 100;
    assert_int_equal(decide(&f), REFRESH_DECIDE_IDLE);
}

static void session_end_edges(void **state)
{
    (void)state;
    struct refresh_found f = fresh();
    f.session_expires_at = NOW + 1;                    /* one second left */
    assert_int_equal(decide(&f), REFRESH_DECIDE_ROTATE);
    f.session_expires_at = NOW;                        /* ends now: expired */
    assert_int_equal(decide(&f), REFRESH_DECIDE_EXPIRED);
    assert_int_equal(refresh_outcome_of(REFRESH_DECIDE_EXPIRED), REFRESH_INVALID);
    f.token_retired_at = NOW - 100;                    /* an old token of an ended family */
    assert_int_equal(decide(&f), REFRESH_DECIDE_EXPIRED);
}

static void revoked_session_wins_over_everything(void **state)
{
    (void)state;
    struct refresh_found f = fresh();
    f.session_revoked_at = NOW - 1;
    assert_int_equal(decide(&f), REFRESH_DECIDE_REVOKED);
    assert_int_equal(refresh_outcome_of(REFRESH_DECIDE_REVOKED), REFRESH_INVALID);
    f.token_retired_at = NOW;                          /* within grace: still refused */
    assert_int_equal(decide(&f), REFRESH_DECIDE_REVOKED);
    f.session_expires_at = NOW - 1;
    f.token_created_at = NOW - IDLE;
    assert_int_equal(decide(&f), REFRESH_DECIDE_REVOKED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unknown_token_is_invalid),
        cmocka_unit_test(current_token_rotates),
        cmocka_unit_test(grace_window_edges),
        cmocka_unit_test(idle_ttl_edges),
        cmocka_unit_test(session_end_edges),
        cmocka_unit_test(revoked_session_wins_over_everything),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
