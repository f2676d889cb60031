/* SPDX-License-Identifier: Apache-2.0 */
/* The version of tessera this library was built as: the VERSION file, passed in by
 * the Makefile as -DTESSERA_BUILD_VERSION and its three numbers (the server's
 * --version and start line read it here too, so there is one version). The build
 * stops here when VERSION and the TESSERA_VERSION_* macros of tessera.h disagree;
 * tests/unit/test_version.c checks the strings. */
#include "tessera.h"

#if !defined(TESSERA_BUILD_VERSION) || !defined(TESSERA_BUILD_MAJOR) \
    || !defined(TESSERA_BUILD_MINOR) || !defined(TESSERA_BUILD_PATCH)
#error "build with -DTESSERA_BUILD_VERSION=\"x.y.z\" and its numbers (the Makefile reads the VERSION file)"
#endif

#if TESSERA_BUILD_MAJOR != TESSERA_VERSION_MAJOR \
    || TESSERA_BUILD_MINOR != TESSERA_VERSION_MINOR \
    || TESSERA_BUILD_PATCH != TESSERA_VERSION_PATCH
#error "the VERSION file and TESSERA_VERSION_* of include/tessera.h disagree: update tessera.h"
#endif

const char *tessera_version(void)
{
    return TESSERA_BUILD_VERSION;
}

long tessera_version_number(void)
{
    return TESSERA_VERSION_NUMBER;
}
