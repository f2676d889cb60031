/* SPDX-License-Identifier: Apache-2.0 */
/* The version of tessera this library was built as: the VERSION file, passed in by
 * the Makefile as -DTESSERA_VERSION (the server's --version and start line read it
 * here too, so there is one version). */
#include "tessera.h"

#ifndef TESSERA_VERSION
#error "build with -DTESSERA_VERSION=\"x.y.z\" (the Makefile reads the VERSION file)"
#endif

const char *tessera_version(void)
{
    return TESSERA_VERSION;
}
