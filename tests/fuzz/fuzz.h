/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the libFuzzer targets in tests/fuzz/: the entry points libFuzzer calls
 * (declared here so that -Wmissing-prototypes holds) and an invariant check that
 * aborts, so a broken property is a crash libFuzzer saves like any other.
 */
#ifndef TESSERA_FUZZ_H
#define TESSERA_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                              \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                  \
        }                                                                             \
    } while (0)

#endif
