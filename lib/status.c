/* SPDX-License-Identifier: Apache-2.0 */
/* Status phrases and JOSE algorithm names. */
#include <string.h>

#include "tessera.h"

static const char *const messages[] = {
    [TESSERA_OK] = "ok",
    [TESSERA_ERR_INVALID_ARG] = "invalid argument",
    [TESSERA_ERR_NOMEM] = "out of memory",
    [TESSERA_ERR_MALFORMED] = "malformed token or JSON",
    [TESSERA_ERR_TOO_LARGE] = "token, header or claims too large",
    [TESSERA_ERR_ALG] = "algorithm not allowed for the key",
    [TESSERA_ERR_KID] = "unknown or missing key id",
    [TESSERA_ERR_HEADER] = "forbidden header parameter",
    [TESSERA_ERR_SIGNATURE] = "signature does not verify",
    [TESSERA_ERR_EXPIRED] = "token has expired",
    [TESSERA_ERR_NOT_YET_VALID] = "token is not yet valid",
    [TESSERA_ERR_ISSUER] = "wrong issuer",
    [TESSERA_ERR_AUDIENCE] = "wrong audience",
    [TESSERA_ERR_TYPE] = "wrong token type",
    [TESSERA_ERR_CLAIMS] = "missing or mistyped claim",
    [TESSERA_ERR_KEY] = "unusable key",
    [TESSERA_ERR_CRYPTO] = "crypto library failure",
    [TESSERA_ERR_REVOKED] = "token has been revoked",
    [TESSERA_ERR_FEED] = "revocation feed unavailable",
    /* one phrase over two lines: parenthesised for clang's -Wstring-concatenation */
    [TESSERA_ERR_OPTIONS_SIZE] = ("options size unknown to this library (not set with "
                                  "TESSERA_VERIFIER_OPTIONS_INIT, or a newer tessera.h)"),
};

const char *tessera_strerror(tessera_status st)
{
    if ((unsigned)st >= sizeof messages / sizeof messages[0] || !messages[st])
        return "unknown status";
    return messages[st];
}

static const char *const alg_names[] = {
    [TESSERA_ALG_ES256] = "ES256",
    [TESSERA_ALG_EDDSA] = "EdDSA",
    [TESSERA_ALG_RS256] = "RS256",
    [TESSERA_ALG_PS256] = "PS256",
    [TESSERA_ALG_HS256] = "HS256",
};

const char *tessera_alg_name(tessera_alg alg)
{
    if ((unsigned)alg >= sizeof alg_names / sizeof alg_names[0])
        return NULL;
    return alg_names[alg];   /* NULL for TESSERA_ALG_UNKNOWN */
}

tessera_alg tessera_alg_from_name(const char *name)
{
    if (!name)
        return TESSERA_ALG_UNKNOWN;
    for (size_t i = 1; i < sizeof alg_names / sizeof alg_names[0]; i++)
        if (strcmp(name, alg_names[i]) == 0)
            return (tessera_alg)i;
    return TESSERA_ALG_UNKNOWN;
}
