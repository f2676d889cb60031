/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lib/version.c and the version macros of include/tessera.h: the header's string,
 * numbers and TESSERA_VERSION_NUMBER agree with each other, the number works in #if,
 * and the library built from the VERSION file answers the header's version (so the
 * two cannot drift: a VERSION bump without tessera.h fails here, or already in
 * lib/version.c's build).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "tessera.h"

#if !defined(TESSERA_VERSION_NUMBER) || TESSERA_VERSION_NUMBER < 1000
#error "TESSERA_VERSION_NUMBER must be usable in #if, and 0.1.0 or later"
#endif

static void test_header_macros_agree(void **state)
{
    char s[64];

    snprintf(s, sizeof s, "%d.%d.%d", TESSERA_VERSION_MAJOR, TESSERA_VERSION_MINOR,
             TESSERA_VERSION_PATCH);
    assert_string_equal(TESSERA_VERSION_STRING, s);
    assert_int_equal(TESSERA_VERSION_NUMBER, TESSERA_VERSION_MAJOR * 1000000
                                             + TESSERA_VERSION_MINOR * 1000
                                             + TESSERA_VERSION_PATCH);
    /* MINOR and PATCH fit their three digits, so the numbers order as versions. */
    assert_true(TESSERA_VERSION_MINOR >= 0 && TESSERA_VERSION_MINOR < 1000);
    assert_true(TESSERA_VERSION_PATCH >= 0 && TESSERA_VERSION_PATCH < 1000);
}

/* tessera_version() is the VERSION file the library was built from. */
static void test_library_is_the_header_version(void **state)
{
    assert_string_equal(tessera_version(), TESSERA_VERSION_STRING);
    assert_int_equal(tessera_version_number(), TESSERA_VERSION_NUMBER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_macros_agree),
        cmocka_unit_test(test_library_is_the_header_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
