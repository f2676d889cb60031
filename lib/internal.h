/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libtessera's private header: the key struct and the helpers the lib/ files share.
 * Nothing here is part of the public API; every cross-file symbol is `tessera__`.
 */
#ifndef TESSERA_INTERNAL_H
#define TESSERA_INTERNAL_H

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/evp.h>

#include "tessera.h"

/* JSON nesting accepted in headers, claims and JWKs (docs/security.md). */
#define TESSERA__MAX_JSON_DEPTH 16
/* Longest kid we keep; longer ones are not a key we made or would trust. */
#define TESSERA__MAX_KID_LEN 256
/* RSA modulus bounds: 2048 bits at least (RFC 7518 3.3), 8192 at most so that a
 * published key cannot make every verification arbitrarily slow. */
#define TESSERA__RSA_MIN_BITS 2048
#define TESSERA__RSA_MAX_BITS 8192
/* Longest signature of any algorithm: an RSA signature at the maximum modulus. */
#define TESSERA__MAX_SIG_LEN (TESSERA__RSA_MAX_BITS / 8)
/* Base64url public members a key keeps ready: EC x, y; OKP x; RSA n, e. */
#define TESSERA__MAX_PUB 2

/*
 * A parsed key, immutable once built, so that any number of threads may sign and
 * verify with it at once. The EVP_PKEY is parsed once, and the contexts every
 * signature needs are prepared once (sig.c, hmac.c): a call duplicates them.
 */
struct tessera_key {
    tessera_alg alg;
    int is_private;          /* 1 when the key can sign (always so for HS256) */
    EVP_PKEY *pkey;          /* ES256, EdDSA, RS256, PS256; NULL for HS256 */
    EVP_MD *md;              /* SHA-256, fetched once; NULL for EdDSA */
    EVP_MD_CTX *verify_ctx;  /* asymmetric keys: DigestVerifyInit done, to duplicate */
    EVP_MD_CTX *sign_ctx;    /* private asymmetric keys: DigestSignInit done */
    uint8_t *secret;         /* HS256 only; wiped when freed */
    size_t secret_len;
    EVP_MD_CTX *hmac_inner;  /* HS256 only: SHA-256 after (secret ^ ipad) */
    EVP_MD_CTX *hmac_outer;  /* HS256 only: SHA-256 after (secret ^ opad) */
    size_t sig_len;          /* exact length of this key's signatures */
    char *kid;
    const char *pub_name[TESSERA__MAX_PUB];  /* JWK member names, static strings */
    char *pub[TESSERA__MAX_PUB];             /* their base64url values */
    char thumbprint[44];     /* RFC 7638, computed once */
};

/* ---- HTTP GET (jwks_fetch.c) ---- */

/* How tessera__http_get() fetches. */
struct tessera__http_opts {
    const char *user, *password;   /* HTTP Basic when user is not NULL */
    long timeout_s;                /* the whole transfer */
    const char *ca_file;           /* PEM CAs to trust for https; NULL: the system's */
    int allow_insecure_redirects;  /* 1: an https URL may redirect to http */
};

/* GETs url (http/https) into a malloc'd NUL-terminated *out. From an https URL only
 * https redirects are followed unless o->allow_insecure_redirects. When max_age is
 * not NULL it receives the answer's Cache-Control max-age in seconds (no-cache and
 * no-store: 0; capped at a day), or -1 without one. TESSERA_ERR_KEY for any transport
 * failure or a status other than 200, TESSERA_ERR_NOMEM. */
tessera_status tessera__http_get(const char *url, const struct tessera__http_opts *o,
                                char **out, size_t *out_len, long *max_age);
/* RFC 3986 percent-encoding of s (unreserved characters kept), malloc'd; NULL on OOM. */
char *tessera__url_escape(const char *s);

/* ---- the verifier's options (verifier_options.c) ---- */

/* Copies the caller's options into *out, a whole struct: the in->size bytes the
 * caller has, zero (the defaults) for the groups after. TESSERA_ERR_OPTIONS_SIZE when
 * in->size is not the end of one of the struct's groups (include/tessera.h); *out is
 * then all zero. */
tessera_status tessera__verifier_options_read(const tessera_verifier_options *in,
                                              tessera_verifier_options *out);

/* ---- base64url (b64url.c) ---- */

/* 1 when `in` is strict base64url (the rules of tessera_b64url_decode), else 0. */
int tessera__b64url_valid(const char *in, size_t len);
/* Length of the decoding of a valid encoding of `len` characters. */
size_t tessera__b64url_decoded_len(size_t len);
/* Encodes into a new malloc'd NUL-terminated string; NULL on allocation failure. */
char *tessera__b64url_encode_alloc(const uint8_t *in, size_t n);

/* ---- strict JSON (json.c) ---- */

/* Parses `len` bytes as one JSON object: no duplicate members, nesting at most
 * TESSERA__MAX_JSON_DEPTH. TESSERA_ERR_TOO_LARGE when too deep, TESSERA_ERR_MALFORMED
 * when not JSON or not an object. *out is a new reference on success, else NULL. */
tessera_status tessera__json_object(const char *s, size_t len, json_t **out);
/* One string member of a JSON object written by tessera__json_members(). */
struct tessera__member {
    const char *name;        /* written as is: a static JWK member name */
    const char *value;
    int escape;              /* 1: value may need JSON escaping (a kid); 0: base64url */
};
/* Writes {"name":"value",...} in the order given into out (no NUL) when out is not
 * NULL; returns the length either way, so callers size a buffer with a first pass. */
size_t tessera__json_members(const struct tessera__member *m, size_t n, char *out);
/* Length of `s` written as a JSON string body (without the quotes). */
size_t tessera__json_escaped_len(const char *s);
/* Writes `s` as a JSON string body into out (tessera__json_escaped_len bytes, no NUL);
 * returns the number of bytes written. */
size_t tessera__json_escape(const char *s, char *out);

/* ---- keys (key.c, jwk.c) ---- */

/* Builds the derived parts of a key whose alg, pkey or secret and is_private are set:
 * the digest, HMAC states, public members, signature length, thumbprint and, when
 * `kid` is NULL, kid = thumbprint. On error the caller still owns and frees `k`. */
tessera_status tessera__key_finish(tessera_key *k, const char *kid);
/* A zeroed key for `alg`; NULL on allocation failure. */
tessera_key *tessera__key_alloc(tessera_alg alg);

/* Base64url of a big number, left-padded with zeros to `pad` bytes when pad is not 0;
 * `secret` wipes the intermediate bytes. NULL on failure. */
char *tessera__bn_b64(const BIGNUM *bn, int pad, int secret);
/* The same for a big-number parameter of pkey (an OSSL_PKEY_PARAM_* name). */
char *tessera__pkey_param_b64(const EVP_PKEY *pkey, const char *name, int pad,
                              int secret);
/* Wipes and frees a string that held key material; NULL is fine. */
void tessera__free_secret_str(char *s);

/* tessera_keyset_from_jwks(), but with allow_oct 0 keys of kty "oct" are skipped
 * like keys of an unsupported type (the verifier's JWKS: public keys only). */
tessera_status tessera__keyset_from_jwks(const char *json, size_t len, int allow_oct,
                                         tessera_keyset **out);
/* Parses one JWK object. *skip is set to 1 (and TESSERA_ERR_KEY returned) when the key
 * is of a type, curve, use or alg this library does not support: a JWKS skips those. */
tessera_status tessera__key_from_json(json_t *jwk, tessera_key **out, int *skip);
/* The JWK text of `k` (public members, plus private ones when include_private) into a
 * new malloc'd string; NULL on allocation failure. */
char *tessera__key_jwk(const tessera_key *k, int include_private);
/* The same, written into out (when not NULL); returns its length either way. Public
 * members only: no allocation, so JWKS output can be sized and written in two passes. */
size_t tessera__key_public_jwk(const tessera_key *k, char *out);

/* ---- signatures (sig.c, ecdsa.c, hmac.c) ---- */

/* Prepares k->verify_ctx (and k->sign_ctx for a private key) of an asymmetric key. */
tessera_status tessera__sig_prepare(tessera_key *k);

/* Signs `data` with `k`; sig must hold k->sig_len bytes. */
tessera_status tessera__sign(const tessera_key *k, const uint8_t *data, size_t len,
                             uint8_t *sig);
/* TESSERA_OK when sig (exactly k->sig_len bytes) is a valid signature of data. */
tessera_status tessera__verify_sig(const tessera_key *k, const uint8_t *data,
                                   size_t len, const uint8_t *sig, size_t sig_len);
/* HMAC-SHA256 over data with the prepared states of an HS256 key. */
tessera_status tessera__hmac(const tessera_key *k, const uint8_t *data, size_t len,
                             uint8_t mac[32]);
/* Prepares k->hmac_inner and k->hmac_outer from k->secret. */
tessera_status tessera__hmac_prepare(tessera_key *k);

/* ES256 raw r||s (64 bytes) to DER, for verification; 0 when r or s is 0 or not below
 * the group order n, or s is above (n-1)/2 (a high-s signature: refused, so that a
 * token has one encoding). der must hold 72 bytes; returns the DER length. */
size_t tessera__ecdsa_raw_to_der(const uint8_t raw[64], uint8_t der[72]);
/* DER ECDSA-Sig-Value to raw r||s, for signing: s is made low (n - s when above
 * (n-1)/2, the same signature). 0 on success, -1 when not a P-256 signature (r or s
 * out of [1, n-1] included). */
int tessera__ecdsa_der_to_raw(const uint8_t *der, size_t len, uint8_t raw[64]);

/* Verifies the compact JWS as tessera_jws_verify() does; on success hands back the
 * decoded payload (when out_payload is not NULL) and the parsed header (when
 * out_header is not NULL, a new reference). On error nothing is handed back. */
tessera_status tessera__jws_verify(const tessera_keyset *ks, const char *token,
                                   size_t len, char **out_payload,
                                   size_t *out_payload_len, json_t **out_header);

#endif /* TESSERA_INTERNAL_H */
