/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libtessera: JOSE primitives and access-token verification for tessera.
 *
 * The tessera server signs and verifies its own tokens with this library, and a C
 * API links the same code to check tokens locally. Everything here is thread-safe
 * unless a comment says otherwise: keys and keysets are immutable once built and may
 * be shared between threads for signing and verification.
 *
 * Memory: every function that hands back memory says how to release it. Strings
 * returned as `char *` are released with free().
 */
#ifndef TESSERA_H
#define TESSERA_H

#include <stddef.h>
#include <stdint.h>

/* ---- version ----
 *
 * The version of tessera this header belongs to (the VERSION file of the tree; the
 * build fails when the two disagree, lib/version.c). TESSERA_VERSION_NUMBER is for
 * #if comparisons: MAJOR * 1000000 + MINOR * 1000 + PATCH, e.g. 1000 for 0.1.0, so
 * `#if TESSERA_VERSION_NUMBER >= 2000` means "0.2.0 or later". At run time,
 * tessera_version() and tessera_version_number() say what the library itself is,
 * which may be newer than the header a program was built with (docs/libtessera.md,
 * "ABI"). */
#define TESSERA_VERSION_MAJOR 0
#define TESSERA_VERSION_MINOR 1
#define TESSERA_VERSION_PATCH 0
#define TESSERA_VERSION_STRING "0.1.0"
#define TESSERA_VERSION_NUMBER                                                  \
    (TESSERA_VERSION_MAJOR * 1000000 + TESSERA_VERSION_MINOR * 1000 +           \
     TESSERA_VERSION_PATCH)

/* TESSERA_API marks the calls libtessera.so exports: the shared library is built with
 * -fvisibility=hidden, so nothing else of lib/ is visible to a program. */
#ifndef TESSERA_API
#if defined(__GNUC__) && __GNUC__ >= 4
#define TESSERA_API __attribute__((visibility("default")))
#else
#define TESSERA_API
#endif
#endif

/* TESSERA_WARN_UNUSED: a call whose result must be looked at (a status, memory to
 * release, or the answer to a check). With GCC even a (void) cast does not silence
 * the warning: test the result. */
#ifndef TESSERA_WARN_UNUSED
#if defined(__GNUC__) && __GNUC__ >= 4
#define TESSERA_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define TESSERA_WARN_UNUSED
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Result of every fallible call. TESSERA_OK is 0. */
typedef enum {
    TESSERA_OK = 0,
    TESSERA_ERR_INVALID_ARG,   /* a NULL or out-of-range argument from the caller */
    TESSERA_ERR_NOMEM,         /* allocation failed; nothing was changed */
    TESSERA_ERR_MALFORMED,     /* not a compact JWS / not valid base64url / bad JSON */
    TESSERA_ERR_TOO_LARGE,     /* token, header or claims past the size limits */
    TESSERA_ERR_ALG,           /* alg "none", unknown, or not the algorithm of the key */
    TESSERA_ERR_KID,           /* kid missing or not in the keyset */
    TESSERA_ERR_HEADER,        /* forbidden header (jku, x5u, jwk, x5c, crit) */
    TESSERA_ERR_SIGNATURE,     /* signature does not verify */
    TESSERA_ERR_EXPIRED,       /* exp is in the past (beyond leeway) */
    TESSERA_ERR_NOT_YET_VALID, /* nbf or iat in the future (beyond leeway) */
    TESSERA_ERR_ISSUER,        /* iss missing or not the expected issuer */
    TESSERA_ERR_AUDIENCE,      /* aud missing or without the expected audience */
    TESSERA_ERR_TYPE,          /* typ is not at+jwt / application/at+jwt */
    TESSERA_ERR_CLAIMS,        /* a required claim is missing or of the wrong type */
    TESSERA_ERR_KEY,           /* key material unusable (bad JWK, wrong curve, short RSA) */
    TESSERA_ERR_CRYPTO,        /* the crypto library failed for another reason */
    TESSERA_ERR_REVOKED,       /* the token's session was revoked (revocation feed) */
    TESSERA_ERR_FEED,          /* the revocation feed could not be read */
    TESSERA_ERR_OPTIONS_SIZE   /* an options struct's `size` this library does not
                                * know: not set (use TESSERA_VERIFIER_OPTIONS_INIT),
                                * or from a tessera.h newer than the library */
} tessera_status;

/* The version of tessera this library was built as, e.g. "0.1.0" (the same string as
 * `tessera --version` and the server's start line). Static. */
TESSERA_API const char *tessera_version(void);
/* The same as a number, as TESSERA_VERSION_NUMBER counts: a program built against
 * this header may require tessera_version_number() >= TESSERA_VERSION_NUMBER. */
TESSERA_API long tessera_version_number(void);

/* A short English phrase for a status, e.g. "signature does not verify". Static. */
TESSERA_API const char *tessera_strerror(tessera_status st);

/* Signature algorithms (RFC 7518, RFC 8037). TESSERA_ALG_UNKNOWN is never accepted. */
typedef enum {
    TESSERA_ALG_UNKNOWN = 0,
    TESSERA_ALG_ES256,
    TESSERA_ALG_EDDSA,   /* Ed25519 only */
    TESSERA_ALG_RS256,
    TESSERA_ALG_PS256,
    TESSERA_ALG_HS256
} tessera_alg;

/* "ES256", "EdDSA", ... for a known alg, NULL otherwise. Static string. */
TESSERA_API const char *tessera_alg_name(tessera_alg alg);
/* Exact, case-sensitive match of a JOSE alg name; TESSERA_ALG_UNKNOWN for anything
 * else, "none" and "None" included. */
TESSERA_API tessera_alg tessera_alg_from_name(const char *name);

/* ---- base64url (RFC 4648 section 5, no padding) ---- */

/* Length of the encoding of n bytes, without the terminating NUL. */
TESSERA_API size_t tessera_b64url_encoded_len(size_t n);
/* Encodes n bytes into out, which must hold tessera_b64url_encoded_len(n) + 1 bytes;
 * NUL-terminates and returns the encoded length. */
TESSERA_API size_t tessera_b64url_encode(const uint8_t *in, size_t n, char *out);
/* Strict decode: no padding, no whitespace, only [A-Za-z0-9_-], length mod 4 != 1, and
 * unused trailing bits must be zero (one encoding per byte string). out must hold
 * (len * 3) / 4 bytes; *out_len receives the decoded length.
 * Returns TESSERA_OK or TESSERA_ERR_MALFORMED. */
TESSERA_API TESSERA_WARN_UNUSED
tessera_status tessera_b64url_decode(const char *in, size_t len, uint8_t *out,
                                     size_t *out_len);

/* ---- keys ---- */

typedef struct tessera_key tessera_key;

/* Generates a new private key: P-256 for ES256, Ed25519 for EdDSA, 2048-bit RSA for
 * RS256/PS256, 32 random bytes for HS256. Its kid is its RFC 7638 thumbprint.
 * Release with tessera_key_free(). */
TESSERA_API TESSERA_WARN_UNUSED
tessera_status tessera_key_generate(tessera_alg alg, tessera_key **out);

/* Parses one JWK (RFC 7517): kty EC (crv P-256), OKP (crv Ed25519), RSA (n >= 2048
 * bits) or oct. Private when it carries "d" (or "k" for oct). The alg comes from the
 * JWK's "alg" member when present (it must fit the key type), otherwise from the key
 * type (EC -> ES256, OKP -> EdDSA, RSA -> RS256, oct -> HS256). The kid comes from the
 * "kid" member, or is the thumbprint when absent. Release with tessera_key_free(). */
TESSERA_API TESSERA_WARN_UNUSED
tessera_status tessera_key_from_jwk(const char *json, size_t len, tessera_key **out);

/* A HS256 key over raw secret bytes (at least 32). kid is set from `kid` (copied),
 * or the thumbprint when NULL. Release with tessera_key_free(). */
TESSERA_API TESSERA_WARN_UNUSED
tessera_status tessera_key_from_secret(const uint8_t *secret, size_t len,
                                       const char *kid, tessera_key **out);

/* The key as a JWK JSON object with kty, crv/n/e/x/y/k as fits, "kid", "alg" and
 * "use":"sig". With include_private the private members are included (never do this
 * for anything that leaves the server). Returns a malloc'd NUL-terminated string or
 * NULL on allocation failure; the caller frees it. */
TESSERA_API TESSERA_WARN_UNUSED
char *tessera_key_to_jwk(const tessera_key *key, int include_private);

/* RFC 7638 JWK SHA-256 thumbprint in base64url (43 chars + NUL) of the public key. */
TESSERA_API TESSERA_WARN_UNUSED
tessera_status tessera_key_thumbprint(const tessera_key *key, char out[44]);

TESSERA_API const char *tessera_key_kid(const tessera_key *key);   /* owned by the key */
TESSERA_API tessera_alg tessera_key_alg(const tessera_key *key);
TESSERA_API int tessera_key_is_private(const tessera_key *key);    /* 1 or 0 */
TESSERA_API void tessera_key_free(tessera_key *key);               /* NULL is fine */

/* ---- key sets (JWKS) ---- */

typedef struct tessera_keyset tessera_keyset;

/* An empty set. Release with tessera_keyset_free(), which frees its keys. */
TESSERA_API TESSERA_WARN_UNUSED
tessera_status tessera_keyset_new(tessera_keyset **out);
/* Adds `key`; the set takes ownership even on error (the key is freed then).
 * TESSERA_ERR_KID when a key with the same kid is already in the set.
 * Not thread-safe against concurrent readers: build a set, then share it. */
TESSERA_API TESSERA_WARN_UNUSED
tessera_status tessera_keyset_add(tessera_keyset *ks, tessera_key *key);
/* Parses a JWKS document {"keys": [...]}. Keys of an unsupported kty or crv are
 * skipped (as RFC 7517 section 5 allows); a supported key that is malformed fails the
 * whole set. Release with tessera_keyset_free(). */
TESSERA_API TESSERA_WARN_UNUSED
tessera_status tessera_keyset_from_jwks(const char *json, size_t len,
                                        tessera_keyset **out);
/* The public JWKS document of the set, {"keys":[...]}, malloc'd; NULL on OOM. */
TESSERA_API TESSERA_WARN_UNUSED
char *tessera_keyset_to_jwks(const tessera_keyset *ks);
/* The key with this kid, or NULL. The pointer lives as long as the set. */
TESSERA_API const tessera_key *tessera_keyset_find(const tessera_keyset *ks,
                                                   const char *kid);
TESSERA_API size_t tessera_keyset_count(const tessera_keyset *ks);
TESSERA_API const tessera_key *tessera_keyset_get(const tessera_keyset *ks, size_t i);
TESSERA_API void tessera_keyset_free(tessera_keyset *ks);          /* NULL is fine */

/* ---- JWS compact serialisation (RFC 7515) ---- */

/* Signs with `key` (private, or an oct key). `header_json` is used byte for byte as
 * the protected header (so RFC test vectors can be reproduced); it must name the
 * key's alg. ES256 signatures are low s (see tessera_jws_verify()). *out receives a malloc'd NUL-terminated compact JWS; free() it. */
TESSERA_API TESSERA_WARN_UNUSED
tessera_status tessera_jws_sign_raw(const tessera_key *key,
                                    const char *header_json, size_t header_len,
                                    const uint8_t *payload, size_t payload_len,
                                    char **out);

/* Signs a JWT: header {"alg":<key alg>,"typ":<typ>,"kid":<key kid>} (typ omitted when
 * NULL) over the claims JSON text. *out as for tessera_jws_sign_raw(). */
TESSERA_API TESSERA_WARN_UNUSED
tessera_status tessera_jwt_sign(const tessera_key *key, const char *typ,
                                const char *claims_json, size_t claims_len,
                                char **out);

/* Checks the signature of a compact JWS against the keys of `ks`, strictly:
 * exactly three segments of strict base64url, a JSON-object header without
 * duplicate members, a known "alg" equal to the alg of the key that "kid" names
 * (a key is found only by kid, except that a set of exactly one key accepts a header
 * without kid), no "jku", "x5u", "jwk", "x5c" or "crit" header, and a valid
 * signature (for ES256: 64 bytes r||s, r in [1, n-1] and s in [1, (n-1)/2], "low s":
 * (r, n-s) is refused, so a token has one encoding). Tokens longer than
 * TESSERA_MAX_TOKEN_LEN are TESSERA_ERR_TOO_LARGE. On success, when out_payload is
 * not NULL, *out_payload receives the decoded payload (malloc'd, NUL-terminated,
 * *out_payload_len without the NUL); free() it. On error nothing is allocated. */
#define TESSERA_MAX_TOKEN_LEN 8192
TESSERA_API TESSERA_WARN_UNUSED
tessera_status tessera_jws_verify(const tessera_keyset *ks,
                                  const char *token, size_t len,
                                  char **out_payload, size_t *out_payload_len);

/* ---- access-token verification (RFC 9068 profile) ---- */

/* What a verifier expects of a token. Zero-initialise, then set what you need. */
typedef struct {
    const char *issuer;    /* required "iss" value; NULL: not checked */
    const char *audience;  /* must appear in "aud" (string or array); NULL: not checked */
    int check_typ;         /* 1: header typ must be at+jwt or application/at+jwt
                            * (case-insensitive) */
    long leeway;           /* seconds of clock skew allowed for exp/nbf/iat */
    int64_t now;           /* current time in seconds; 0: time(NULL) */
} tessera_expect;

/* The verified claims of a token. Read-only; release with tessera_claims_free(). */
typedef struct tessera_claims tessera_claims;

/* Verifies the signature as tessera_jws_verify() does, then the claims: payload a JSON
 * object, "exp" (required, a number) not past now - leeway, "nbf" and "iat" (when
 * present) not after now + leeway, "iss"/"aud"/"typ" as `expect` asks.
 * On TESSERA_OK *claims is set; on error it is NULL. */
TESSERA_API TESSERA_WARN_UNUSED
tessera_status tessera_verify(const tessera_keyset *ks, const char *token, size_t len,
                              const tessera_expect *expect, tessera_claims **claims);

/* A string claim, or NULL when absent or not a string. Lives as long as `c`. */
TESSERA_API const char *tessera_claims_string(const tessera_claims *c, const char *name);
/* A string member of an object claim, e.g. ("cnf", "x5t#S256") for an RFC 8705
 * certificate-bound token; NULL when either is absent or of another type. */
TESSERA_API const char *tessera_claims_member_string(const tessera_claims *c,
                                                     const char *object,
                                                     const char *name);
/* An integer claim into *out; 0 on success, -1 when absent or not an integer. */
TESSERA_API TESSERA_WARN_UNUSED
int tessera_claims_int(const tessera_claims *c, const char *name, int64_t *out);
/* Length of an array-of-strings claim (0 when absent or not an array), and its i-th
 * string (NULL when out of range or not a string). */
TESSERA_API size_t tessera_claims_array_len(const tessera_claims *c, const char *name);
TESSERA_API const char *tessera_claims_array_string(const tessera_claims *c,
                                                    const char *name, size_t i);
/* 1 when the "aud" claim (a string, or an array of strings) names `audience` exactly
 * (byte for byte, RFC 7519 4.1.3), else 0. */
TESSERA_API TESSERA_WARN_UNUSED
int tessera_claims_has_audience(const tessera_claims *c, const char *audience);
/* 1 when the space-separated "scope" claim holds `scope` exactly, else 0. */
TESSERA_API TESSERA_WARN_UNUSED
int tessera_claims_has_scope(const tessera_claims *c, const char *scope);
/* The whole claims object as compact JSON, malloc'd; free() it. NULL on OOM. */
TESSERA_API TESSERA_WARN_UNUSED
char *tessera_claims_json(const tessera_claims *c);
/* Another handle on the same verified claims (they are never changed, so the handles
 * may live in different threads); free each with tessera_claims_free(). NULL on OOM. */
TESSERA_API TESSERA_WARN_UNUSED
tessera_claims *tessera_claims_dup(const tessera_claims *c);
TESSERA_API void tessera_claims_free(tessera_claims *c);          /* NULL is fine */

/* ---- verifier: keys from a JWKS URL or document, cached (docs/libtessera.md) ---- */

/*
 * A verifier holds the keys of a JWKS and the expectations of tessera_expect, and
 * checks access tokens with them from any number of threads at once.
 *
 * Keys: with jwks_url the JWKS is fetched by tessera_verifier_new() (GET over http or
 * https, at most 1 MiB, at most 3 redirects and none from https to http, answer 200
 * only) and cached. When a token names a kid the cached keys do not hold
 * (TESSERA_ERR_KID), the JWKS is fetched again, at most once per refetch_interval
 * seconds (counted from the previous fetch, successful or not), and the token is
 * checked once more against the new keys; that is how a key rotation of the server is
 * picked up. One thread fetches while the others go on verifying with the keys they
 * have. A failed or empty fetch keeps the cached keys.
 *
 * Schedule: a thread of the verifier's own also fetches the JWKS when the cached copy
 * is jwks_max_age seconds old, or sooner when the answer's Cache-Control max-age says
 * so (never sooner than refetch_interval; no-cache and no-store count as max-age 0),
 * and retries a failed fetch after refetch_interval. Each successful fetch replaces
 * the whole key set, so a key the server retired (left out of its JWKS) stops
 * verifying within that age of the retirement, once the JWKS can be fetched.
 *
 * Keys are never fetched from a token's jku or x5u header: such a token is rejected
 * (TESSERA_ERR_HEADER). Symmetric keys (kty "oct", HS256) in the JWKS are skipped
 * unless allow_oct_keys is set: a published JWKS holds public keys only, and an oct key
 * in it would let whoever can write (or read) the document sign tokens. With
 * jwks_json the keys are fixed (the same rule for oct keys) and nothing is fetched.
 */
typedef struct tessera_verifier tessera_verifier;

/*
 * The verifier's options. Start from TESSERA_VERIFIER_OPTIONS_INIT, which sets `size`
 * and zeroes the rest, then set what you need:
 *
 *     tessera_verifier_options opt = TESSERA_VERIFIER_OPTIONS_INIT;
 *     opt.jwks_url = "https://auth.example.com/.well-known/jwks.json";
 *
 * (or, with designated initialisers, `.size = sizeof(tessera_verifier_options)`).
 * Strings are copied by tessera_verifier_new(); they need not outlive the call.
 *
 * The struct is made of groups of fields (below: the keys and claims, the revocation
 * feed, the later additions), it grows by appending a group, and nothing in it ever
 * moves. `size` says where the caller's struct ends: the library accepts it ending
 * after any group, reads only those `size` bytes and takes the defaults (a field's
 * zero) for the groups after. So a program built against an older tessera.h goes on
 * working with a newer library. Any other size fails with TESSERA_ERR_OPTIONS_SIZE:
 * smaller than the first group (0 when `size` was not set), between two groups, or
 * larger than this library's struct (a tessera.h newer than the library). A group
 * ends on a pointer-sized boundary, and the zero of a field added later means the
 * behaviour from before it existed.
 */
typedef struct tessera_verifier_options {
    size_t size;              /* sizeof(tessera_verifier_options), as the INIT sets */
    /* The keys and the claims expected: the first group, which every caller has. */
    const char *jwks_url;     /* http:// or https:// URL of the JWKS; or NULL */
    const char *jwks_json;    /* a JWKS document {"keys":[...]}; used when jwks_url is
                               * NULL. Exactly one of the two must be set. */
    size_t jwks_json_len;     /* its length; 0: strlen(jwks_json) */
    const char *issuer;       /* required "iss"; NULL: not checked */
    const char *audience;     /* must appear in "aud"; NULL: not checked */
    long leeway;              /* seconds of clock skew for exp/nbf/iat; >= 0 */
    int check_typ;            /* 1: header typ must be at+jwt (RFC 9068) */
    long refetch_interval;    /* least seconds between two fetches of jwks_url;
                               * 0: 60; otherwise at least 1 */
    long fetch_timeout;       /* seconds a whole fetch may take; 0: 10 */

    /* Group 2, the revocation feed (optional): tessera's GET /v1/auth/revocations,
     * read with a confidential client's id and secret (HTTP Basic). When set, the
     * verifier polls it once in tessera_verifier_new() (failing with TESSERA_ERR_FEED
     * when it cannot be read) and then every revocations_interval seconds from a
     * thread of its own; a token whose "sid" the feed listed is TESSERA_ERR_REVOKED.
     * A failed poll keeps what is known and goes on from the same cursor next time.
     * The server holds back the last two seconds of revocations, so a logout reaches
     * the verifier within revocations_interval + 2 seconds. */
    const char *revocations_url; /* e.g. https://auth.example.com/v1/auth/revocations */
    const char *client_id;       /* required with revocations_url */
    const char *client_secret;   /* required with revocations_url; wiped at free */
    long revocations_interval;   /* seconds between polls; 0: 5 */
    long revocation_retention;   /* seconds a revoked session is kept after its
                                  * revocation; at least the server's longest access
                                  * token lifetime; 0: 86400 */

    /* Group 3, added later; zero keeps the safe behaviour. */
    long jwks_max_age;           /* most seconds a fetched JWKS is used before the
                                  * verifier's thread fetches it again: the longest a
                                  * retired key keeps verifying (see "Schedule" above);
                                  * the server's Cache-Control max-age may shorten it,
                                  * down to refetch_interval; 0: 300 */
    int allow_oct_keys;          /* 1: accept kty "oct" (HS256) keys from the JWKS */
    int allow_insecure_redirects;/* 1: follow a redirect from https to http (for the
                                  * JWKS and the feed); 0: only https from https */
    const char *ca_file;         /* PEM file of the CAs to trust for https (e.g. the
                                  * CA of `tessera dev-certs`); NULL: the system's */

    /* New fields go here, as a group of their own (lib/verifier_options.c). */
} tessera_verifier_options;

/* Designated in C, so that -Wextra (missing-field-initializers) stays quiet; g++
 * warns about any partial initialiser, so C++ (11 or later) gets a value-initialised
 * copy. */
#ifdef __cplusplus
#define TESSERA_VERIFIER_OPTIONS_INIT                                           \
    ([] { tessera_verifier_options o_ = {}; o_.size = sizeof o_; return o_; }())
#else
#define TESSERA_VERIFIER_OPTIONS_INIT { .size = sizeof(tessera_verifier_options) }
#endif

/* Builds a verifier; with jwks_url, fetches the JWKS first and starts the thread
 * that refetches it on schedule (it inherits the caller's signal mask). Fails with
 * TESSERA_ERR_OPTIONS_SIZE for an opt->size it does not know (see above),
 * TESSERA_ERR_INVALID_ARG for bad options (neither or both key sources, a URL not
 * http(s), negative leeway, interval or age), TESSERA_ERR_KEY when the JWKS cannot be
 * fetched (connection, timeout, status other than 200, larger than 1 MiB) or holds no
 * usable key, and the status of tessera_keyset_from_jwks() when it does not parse.
 * Release with tessera_verifier_free(). */
TESSERA_API TESSERA_WARN_UNUSED
tessera_status tessera_verifier_new(const tessera_verifier_options *opt,
                                    tessera_verifier **out);

/* Verifies a token as tessera_verify() does, with the verifier's keys and options
 * (the time is time(NULL)); refetches the JWKS on an unknown kid as described above.
 * On TESSERA_OK *claims is set (release with tessera_claims_free()); on error it is
 * NULL. Thread-safe: any number of threads may call it on one verifier. */
TESSERA_API TESSERA_WARN_UNUSED
tessera_status tessera_verifier_verify(tessera_verifier *v, const char *token,
                                       size_t len, tessera_claims **claims);

/* Fetches jwks_url now, whatever the interval (it restarts the interval and the
 * schedule), and on success replaces the cached keys. TESSERA_ERR_INVALID_ARG without
 * a URL; errors as for tessera_verifier_new(), the cached keys then kept. When another thread is
 * fetching at that moment, returns TESSERA_OK at once without a second fetch.
 * Thread-safe. */
TESSERA_API TESSERA_WARN_UNUSED
tessera_status tessera_verifier_refresh(tessera_verifier *v);

/* Number of fetches of jwks_url attempted so far (the first included). Thread-safe. */
TESSERA_API unsigned long tessera_verifier_fetch_count(const tessera_verifier *v);

/* Polls the revocation feed now (waiting for a poll in progress first).
 * TESSERA_ERR_INVALID_ARG without revocations_url; TESSERA_ERR_FEED when it cannot be
 * read (what is known is kept). Thread-safe. */
TESSERA_API TESSERA_WARN_UNUSED
tessera_status tessera_verifier_poll_revocations(tessera_verifier *v);

/* Polls of the revocation feed attempted so far (the first included), and how many
 * revoked sessions the verifier holds now. Thread-safe. */
TESSERA_API unsigned long tessera_verifier_poll_count(const tessera_verifier *v);
TESSERA_API long tessera_verifier_revoked_count(const tessera_verifier *v);

/* Releases the verifier. No other thread may be using it. NULL is fine. */
TESSERA_API void tessera_verifier_free(tessera_verifier *v);

#ifdef __cplusplus
}
#endif
#endif /* TESSERA_H */
