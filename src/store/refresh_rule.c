/* SPDX-License-Identifier: Apache-2.0 */
/* The refresh-rotation decision both backends apply (store/refresh_rule.h). */
#include "store/refresh_rule.h"

enum refresh_decision refresh_decide(const struct refresh_found *f, int64_t now,
                                     int64_t grace, int64_t idle_ttl)
{
    if (!f)
        return REFRESH_DECIDE_UNKNOWN;
    if (f->session_revoked_at)
        return REFRESH_DECIDE_REVOKED;
    if (now >= f->session_expires_at)
        return REFRESH_DECIDE_EXPIRED;
    /* Config requires an idle TTL of at least 1 s; <= 0 is "no limit" for callers
     * that pass none. */
    if (idle_ttl > 0 && now - f->token_created_at >= idle_ttl)
        return REFRESH_DECIDE_IDLE;
    if (f->token_retired_at)
        return now - f->token_retired_at < grace ? REFRESH_DECIDE_GRACE
                                                 : REFRESH_DECIDE_REUSED;
    return REFRESH_DECIDE_ROTATE;
}

enum refresh_outcome refresh_outcome_of(enum refresh_decision d)
{
    switch (d) {
    case REFRESH_DECIDE_ROTATE:
        return REFRESH_ROTATED;
    case REFRESH_DECIDE_GRACE:
        return REFRESH_GRACE;
    case REFRESH_DECIDE_REUSED:
        return REFRESH_REUSED;
    case REFRESH_DECIDE_UNKNOWN:
    case REFRESH_DECIDE_REVOKED:
    case REFRESH_DECIDE_EXPIRED:
    case REFRESH_DECIDE_IDLE:
        break;
    }
    return REFRESH_INVALID;
}
