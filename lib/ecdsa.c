/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ES256 signature encodings: JOSE carries r||s as two 32-byte big-endian integers
 * (RFC 7518 section 3.4), OpenSSL wants an ASN.1 ECDSA-Sig-Value. Converting by hand
 * keeps verification free of allocations and lets us refuse r or s outside [1, n-1]
 * before OpenSSL sees them.
 *
 * Low s: (r, s) and (r, n - s) are both valid signatures of the same message, so any
 * signature gives a second token text for free (malleability). We sign with s in the
 * lower half, [1, (n-1)/2] (replacing s with n - s when OpenSSL picks the upper
 * half, which is the same signature), and verification refuses s in the upper half,
 * so a token has exactly one encoding. Only tessera signs the tokens libtessera
 * verifies, so no foreign high-s signer is turned away.
 */
#include <string.h>

#include "internal.h"

/* The order n of the P-256 group (FIPS 186-4, D.1.2.3). */
static const uint8_t p256_order[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
    0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

/* (n - 1) / 2: the largest s accepted (low s). */
static const uint8_t p256_half_order[32] = {
    0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xde, 0x73, 0x7d, 0x56, 0xd3, 0x8b, 0xcf, 0x42,
    0x79, 0xdc, 0xe5, 0x61, 0x7e, 0x31, 0x92, 0xa8,
};

/* 1 when the 32-byte big-endian x is in [1, n-1]. Public values: no constant time. */
static int in_range(const uint8_t x[32])
{
    static const uint8_t zero[32];
    return memcmp(x, zero, 32) != 0 && memcmp(x, p256_order, 32) < 0;
}

/* One DER INTEGER of the positive 32-byte x: minimal, with a 0x00 when the top bit
 * of the first byte is set. */
static size_t der_integer(const uint8_t x[32], uint8_t *out)
{
    size_t i = 0, n;

    while (i < 31 && x[i] == 0)
        i++;
    n = 32 - i;
    out[0] = 0x02;
    if (x[i] & 0x80) {
        out[1] = (uint8_t)(n + 1);
        out[2] = 0x00;
        memcpy(out + 3, x + i, n);
        return n + 3;
    }
    out[1] = (uint8_t)n;
    memcpy(out + 2, x + i, n);
    return n + 2;
}

size_t tessera__ecdsa_raw_to_der(const uint8_t raw[64], uint8_t der[72])
{
    size_t n;

    if (!in_range(raw) || !in_range(raw + 32)
        || memcmp(raw + 32, p256_half_order, 32) > 0)
        return 0;
    n = der_integer(raw, der + 2);
    n += der_integer(raw + 32, der + 2 + n);
    der[0] = 0x30;
    der[1] = (uint8_t)n;   /* at most 70: short form */
    return n + 2;
}

/* Reads one DER INTEGER at *p (before end) into 32 big-endian bytes. */
static int read_integer(const uint8_t **p, const uint8_t *end, uint8_t out[32])
{
    const uint8_t *q = *p;
    size_t n;

    if (end - q < 2 || q[0] != 0x02)
        return -1;
    n = q[1];
    q += 2;
    if (n == 0 || n > 33 || (size_t)(end - q) < n)
        return -1;
    if (n == 33) {
        if (q[0] != 0)
            return -1;
        q++;
        n--;
    }
    memset(out, 0, 32 - n);
    memcpy(out + 32 - n, q, n);
    *p = q + n;
    return 0;
}

int tessera__ecdsa_der_to_raw(const uint8_t *der, size_t len, uint8_t raw[64])
{
    const uint8_t *p = der, *end = der + len;

    if (len < 8 || der[0] != 0x30 || der[1] != len - 2)
        return -1;
    p += 2;
    if (read_integer(&p, end, raw) || read_integer(&p, end, raw + 32) || p != end
        || !in_range(raw) || !in_range(raw + 32))
        return -1;
    if (memcmp(raw + 32, p256_half_order, 32) > 0) {
        /* s = n - s, byte by byte with a borrow (s < n, so no underflow). */
        int borrow = 0;
        for (int i = 31; i >= 0; i--) {
            int d = p256_order[i] - raw[32 + i] - borrow;
            borrow = d < 0;
            raw[32 + i] = (uint8_t)(d + (borrow ? 256 : 0));
        }
    }
    return 0;
}
