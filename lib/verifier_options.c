/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ABI of tessera_verifier_options: the sizes a caller may pass (the struct cut
 * after one of its groups of fields, include/tessera.h) and the copy of the caller's
 * bytes into a whole struct, the groups the caller does not know left at zero, their
 * defaults. A caller built against an older tessera.h thus works with this library;
 * one built against a newer header, or that never set `size`, is told so.
 *
 * Adding a group of fields: append them to the struct after the last group, end the
 * group on a pointer-sized boundary, and add its last field to group_ends below (the
 * assertions fail the build until then).
 */
#include <stddef.h>
#include <string.h>

#include "internal.h"

#define GROUP_END(field)                                                        \
    (offsetof(tessera_verifier_options, field) +                                \
     sizeof(((const tessera_verifier_options *)0)->field))

/* The sizes of the struct cut after each group, in order. */
static const size_t group_ends[] = {
    GROUP_END(fetch_timeout),          /* the keys and the claims expected */
    GROUP_END(revocation_retention),   /* the revocation feed */
    GROUP_END(ca_file),                /* jwks_max_age .. ca_file */
};

_Static_assert(GROUP_END(ca_file) == sizeof(tessera_verifier_options),
               "a field after ca_file: add its group to group_ends");
/* A struct cut after a group has no tail padding: its sizeof is the group's end, the
 * size a caller's compiler gives it. */
_Static_assert(GROUP_END(fetch_timeout) % _Alignof(tessera_verifier_options) == 0,
               "group 1 must end on the struct's alignment");
_Static_assert(GROUP_END(revocation_retention) % _Alignof(tessera_verifier_options) == 0,
               "group 2 must end on the struct's alignment");

tessera_status tessera__verifier_options_read(const tessera_verifier_options *in,
                                              tessera_verifier_options *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < sizeof group_ends / sizeof group_ends[0]; i++) {
        if (in->size == group_ends[i]) {
            memcpy(out, in, in->size);
            return TESSERA_OK;
        }
    }
    return TESSERA_ERR_OPTIONS_SIZE;
}
