/* SPDX-License-Identifier: Apache-2.0 */
/* Random ids and tokens, token hashes, constant-time compare and wipe. */
#include "base/secret.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <string.h>

#include "tessera.h"

ts_err secret_random(void *buf, size_t n)
{
    return RAND_bytes(buf, (int)n) == 1 ? TS_OK : TS_EINTERNAL;
}

ts_err secret_id(char out[SECRET_ID_CHARS + 1])
{
    /* Never a leading '-' (first 6 bits all ones): an id is typed on command lines,
     * where it would look like an option. Drawn again (1 in 64), so every other id is
     * as likely as before. */
    unsigned char b[16];
    do {
        if (secret_random(b, sizeof b))
            return TS_EINTERNAL;
    } while ((b[0] >> 2) == 62);
    tessera_b64url_encode(b, sizeof b, out);
    return TS_OK;
}

ts_err secret_token(char out[SECRET_TOKEN_CHARS + 1])
{
    unsigned char b[32];
    if (secret_random(b, sizeof b))
        return TS_EINTERNAL;
    tessera_b64url_encode(b, sizeof b, out);
    secret_wipe(b, sizeof b);
    return TS_OK;
}

ts_err secret_successor(const unsigned char key[32], const char *token,
                        char out[SECRET_TOKEN_CHARS + 1])
{
    unsigned char mac[32];
    unsigned int len = sizeof mac;
    if (!HMAC(EVP_sha256(), key, 32, (const unsigned char *)token, strlen(token), mac,
              &len) || len != sizeof mac)
        return TS_EINTERNAL;
    tessera_b64url_encode(mac, sizeof mac, out);
    secret_wipe(mac, sizeof mac);
    return TS_OK;
}

void secret_hash(const char *s, size_t len, char out[SECRET_TOKEN_CHARS + 1])
{
    unsigned char md[32];
    SHA256((const unsigned char *)s, len, md);
    tessera_b64url_encode(md, sizeof md, out);
}

int secret_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

void secret_wipe(void *p, size_t n)
{
    OPENSSL_cleanse(p, n);
}
