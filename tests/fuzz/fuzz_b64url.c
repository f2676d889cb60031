/* SPDX-License-Identifier: Apache-2.0 */
/*
 * base64url (lib/b64url.c). Two views of every input:
 *   - as text to decode: a successful decode re-encodes to exactly the input (strict
 *     decoding: one encoding per byte string), the decoded length is the documented
 *     bound, and decode agrees with the validity check verify uses;
 *   - as bytes to encode: encode -> decode is the identity.
 * Buffers are sized exactly as the API documents, on the heap, so ASan sees any
 * write past them.
 */
#include <string.h>

#include "fuzz.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    size_t cap = size * 3 / 4, n = (size_t)-1;

    /* Decode: out holds (len * 3) / 4 bytes, the documented requirement. */
    uint8_t *out = malloc(cap ? cap : 1);
    FUZZ_CHECK(out);
    tessera_status st = tessera_b64url_decode(text, size, out, &n);
    FUZZ_CHECK(st == TESSERA_OK || st == TESSERA_ERR_MALFORMED);
    FUZZ_CHECK(tessera__b64url_valid(text, size) == (st == TESSERA_OK));
    if (st == TESSERA_OK) {
        FUZZ_CHECK(n <= cap);
        FUZZ_CHECK(n == tessera__b64url_decoded_len(size));
        FUZZ_CHECK(tessera_b64url_encoded_len(n) == size);
        char *again = malloc(size + 1);
        FUZZ_CHECK(again);
        FUZZ_CHECK(tessera_b64url_encode(out, n, again) == size);
        FUZZ_CHECK(memcmp(again, text, size) == 0);   /* canonical: one encoding */
        FUZZ_CHECK(again[size] == '\0');
        free(again);
    }
    free(out);

    /* Encode -> decode round trip over the raw bytes. */
    size_t elen = tessera_b64url_encoded_len(size);
    char *enc = malloc(elen + 1);
    FUZZ_CHECK(enc);
    FUZZ_CHECK(tessera_b64url_encode(data, size, enc) == elen);
    FUZZ_CHECK(enc[elen] == '\0');
    FUZZ_CHECK(strlen(enc) == elen);
    char *alloc = tessera__b64url_encode_alloc(data, size);
    FUZZ_CHECK(alloc && strcmp(alloc, enc) == 0);
    free(alloc);
    size_t dcap = elen * 3 / 4;
    uint8_t *dec = malloc(dcap ? dcap : 1);
    FUZZ_CHECK(dec);
    FUZZ_CHECK(tessera_b64url_decode(enc, elen, dec, &n) == TESSERA_OK);
    FUZZ_CHECK(n == size);
    FUZZ_CHECK(size == 0 || memcmp(dec, data, size) == 0);
    free(dec);
    free(enc);
    return 0;
}
