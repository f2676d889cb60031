/* SPDX-License-Identifier: Apache-2.0 */
/* The raw JWS signing and verification rates of this machine, the yardsticks for
 * POST /oauth2/token, GET /v1/auth/verify with a new token a request, and libtessera.
 *
 *   build/bench/sign_rate [--verify] ALG SECONDS [THREADS]
 *
 * ALG is ES256 (P-256), EdDSA (Ed25519) or RS256 (RSA 2048, the server's key size).
 * Generates a key with OpenSSL 3 EVP (EVP_PKEY_Q_keygen, as the server does for new
 * keys), builds a representative JWS signing input (base64url header "." base64url
 * claims, about 400 bytes, the shape of a client_credentials access token), then
 * THREADS threads (default: one per online core) sign it in a loop until SECONDS are up.
 *
 * Signing is done the way lib/sig.c does it: one EVP_MD_CTX is prepared once with
 * EVP_DigestSignInit (algorithm fetched, key exported to the provider) and shared by
 * every thread; each signature duplicates that prepared context (EVP_MD_CTX_copy_ex)
 * and calls EVP_DigestSign on the copy. The only difference from the server: each
 * thread reuses one destination EVP_MD_CTX (copy_ex resets it first) where the server
 * allocates and frees one per signature, a malloc/free pair next to 20+ us of signing.
 * ES256 signatures are also converted from DER to JOSE's raw r||s (64 bytes), which the
 * server does for every ES256 token (lib/ecdsa.c); EdDSA and RS256 need no conversion.
 * Base64url-encoding the signature and building the claims are not included: they are
 * part of the endpoint's overhead, which the ratio measures.
 *
 * With --verify, the threads verify instead: the input is signed once, and the
 * signature (for ES256 in JOSE's r||s form, as a token carries it) is verified in a
 * loop with the public key alone (exported and re-imported as a SubjectPublicKeyInfo,
 * as a verifier built from a JWKS holds it), again the way lib/sig.c does it: one
 * EVP_MD_CTX prepared with EVP_DigestVerifyInit and shared, duplicated for each
 * verification, EVP_DigestVerify on the copy (same reused destination context as
 * above); for ES256 each r||s is range-checked and converted to DER first, as
 * lib/ecdsa.c does for every ES256 token. Base64url decoding, JSON and the claims
 * checks are not included: they are what libtessera and the endpoint add.
 *
 * Prints the total signatures (verifications) per second over all threads as one
 * number on stdout:
 *
 *   41234.5
 *
 * and a detail line on stderr (threads, operations, seconds, us per operation per
 * thread, the process's CPU seconds and operations per CPU second, input length): on a
 * shared machine the rate falls with the CPU time other processes take, the rate per
 * CPU second much less. Exit 1 if OpenSSL fails, 2 on bad arguments.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

struct worker {
    pthread_t tid;
    double deadline;
    unsigned long sigs;
    int failed;
};

static int is_es256;
static int verify_mode;               /* --verify */
static EVP_MD_CTX *prepared;          /* shared, only read (duplicated) by the workers */
static const unsigned char *input;
static size_t input_len;
static unsigned char jose_sig[512];   /* --verify: the signature as a JWS carries it */
static size_t jose_sig_len;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* User + system CPU time of the whole process (all threads), in seconds. */
static double cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec
           + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static size_t b64url(const unsigned char *in, size_t n, char *out)
{
    static const char a[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t i, o = 0;

    for (i = 0; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = a[v >> 18 & 63];
        out[o++] = a[v >> 12 & 63];
        out[o++] = a[v >> 6 & 63];
        out[o++] = a[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = a[v >> 18 & 63];
        out[o++] = a[v >> 12 & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = a[v >> 18 & 63];
        out[o++] = a[v >> 12 & 63];
        out[o++] = a[v >> 6 & 63];
    }
    out[o] = '\0';
    return o;
}

/* One DER INTEGER at *p into 32 big-endian bytes; the same checks as lib/ecdsa.c. */
static int read_integer(const unsigned char **p, const unsigned char *end,
                        unsigned char out[32])
{
    const unsigned char *q = *p;
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

/* ECDSA-Sig-Value (DER) -> r||s, as the server does for each ES256 signature. */
static int ecdsa_der_to_raw(const unsigned char *der, size_t len, unsigned char raw[64])
{
    const unsigned char *p = der, *end = der + len;

    if (len < 8 || der[0] != 0x30 || der[1] != len - 2)
        return -1;
    p += 2;
    if (read_integer(&p, end, raw) || read_integer(&p, end, raw + 32) || p != end)
        return -1;
    return 0;
}

/* The order n of the P-256 group; r and s must lie in [1, n-1] (lib/ecdsa.c). */
static const unsigned char p256_order[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
    0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

static int in_range(const unsigned char x[32])
{
    static const unsigned char zero[32];
    return memcmp(x, zero, 32) != 0 && memcmp(x, p256_order, 32) < 0;
}

static size_t der_integer(const unsigned char x[32], unsigned char *out)
{
    size_t i = 0, n;

    while (i < 31 && x[i] == 0)
        i++;
    n = 32 - i;
    out[0] = 0x02;
    if (x[i] & 0x80) {
        out[1] = (unsigned char)(n + 1);
        out[2] = 0x00;
        memcpy(out + 3, x + i, n);
        return n + 3;
    }
    out[1] = (unsigned char)n;
    memcpy(out + 2, x + i, n);
    return n + 2;
}

/* r||s -> ECDSA-Sig-Value (DER), as the server and libtessera do for each ES256
 * token they verify; 0 when r or s is out of range. */
static size_t ecdsa_raw_to_der(const unsigned char raw[64], unsigned char der[72])
{
    size_t n;

    if (!in_range(raw) || !in_range(raw + 32))
        return 0;
    n = der_integer(raw, der + 2);
    n += der_integer(raw + 32, der + 2 + n);
    der[0] = 0x30;
    der[1] = (unsigned char)n;
    return n + 2;
}

static void *run_verify(struct worker *w, EVP_MD_CTX *c)
{
    unsigned char der[72];
    const unsigned char *sig;
    size_t n;

    do {
        sig = jose_sig;
        n = jose_sig_len;
        if (is_es256) {
            if (!(n = ecdsa_raw_to_der(jose_sig, der))) {
                w->failed = 1;
                break;
            }
            sig = der;
        }
        if (!EVP_MD_CTX_copy_ex(c, prepared)
            || EVP_DigestVerify(c, sig, n, input, input_len) != 1) {
            w->failed = 1;
            break;
        }
        w->sigs++;
    } while (now() < w->deadline);
    EVP_MD_CTX_free(c);
    return NULL;
}

static void *run(void *arg)
{
    struct worker *w = arg;
    unsigned char sig[512], raw[64];
    size_t n;
    EVP_MD_CTX *c = EVP_MD_CTX_new();

    if (!c) {
        w->failed = 1;
        return NULL;
    }
    if (verify_mode)
        return run_verify(w, c);
    do {
        n = sizeof sig;
        if (!EVP_MD_CTX_copy_ex(c, prepared)
            || EVP_DigestSign(c, sig, &n, input, input_len) != 1
            || (is_es256 && ecdsa_der_to_raw(sig, n, raw) != 0)) {
            w->failed = 1;
            break;
        }
        w->sigs++;
    } while (now() < w->deadline);
    EVP_MD_CTX_free(c);
    return NULL;
}

/* --verify: signs the input once into jose_sig (r||s for ES256), then replaces the
 * prepared signing context with a verifying one over the public key alone. */
static int prepare_verify(const char *alg, const EVP_MD *md, EVP_PKEY *pkey)
{
    unsigned char sig[512], *der = NULL;
    const unsigned char *p;
    size_t n = sizeof sig;
    int len, ok = 0;
    EVP_PKEY *pub = NULL;

    if (EVP_DigestSign(prepared, sig, &n, input, input_len) != 1)
        goto out;
    if (is_es256) {
        if (ecdsa_der_to_raw(sig, n, jose_sig) != 0)
            goto out;
        jose_sig_len = 64;
    } else {
        memcpy(jose_sig, sig, n);
        jose_sig_len = n;
    }
    if ((len = i2d_PUBKEY(pkey, &der)) <= 0)
        goto out;
    p = der;
    if (!(pub = d2i_PUBKEY(NULL, &p, len)))
        goto out;
    EVP_MD_CTX_free(prepared);
    if (!(prepared = EVP_MD_CTX_new())
        || EVP_DigestVerifyInit(prepared, NULL, md, NULL, pub) != 1)
        goto out;
    ok = 1;
out:
    if (!ok) {
        fprintf(stderr, "sign_rate: preparing %s verification failed\n", alg);
        ERR_print_errors_fp(stderr);
    }
    OPENSSL_free(der);
    EVP_PKEY_free(pub);   /* the prepared context holds its own reference */
    return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--verify") == 0) {
        verify_mode = 1;
        argc--;
        argv++;
    }
    const char *alg = argc > 1 ? argv[1] : "";
    double seconds = argc > 2 ? atof(argv[2]) : 0;
    long threads = argc > 3 ? atol(argv[3]) : 0;
    const EVP_MD *md = NULL;
    EVP_PKEY *pkey;
    char header[128], claims[512], header64[256], claims64[768];
    static char signing_input[1100];
    const char *what = verify_mode ? "verifications" : "signatures";

    if (argc < 3 || argc > 4 || seconds <= 0) {
        fprintf(stderr,
                "usage: sign_rate [--verify] ES256|EdDSA|RS256 SECONDS [THREADS]\n");
        return 2;
    }
    if (threads <= 0)
        threads = sysconf(_SC_NPROCESSORS_ONLN);
    if (threads <= 0)
        threads = 1;

    if (strcmp(alg, "ES256") == 0) {
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        md = EVP_sha256();
        is_es256 = 1;
    } else if (strcmp(alg, "EdDSA") == 0) {
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");   /* no digest: md NULL */
    } else if (strcmp(alg, "RS256") == 0) {
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
        md = EVP_sha256();
    } else {
        fprintf(stderr, "sign_rate: unknown algorithm %s (ES256, EdDSA, RS256)\n", alg);
        return 2;
    }
    if (!pkey) {
        fprintf(stderr, "sign_rate: key generation failed for %s\n", alg);
        ERR_print_errors_fp(stderr);
        return 1;
    }

    /* A client_credentials access token's header and claims, as src/core/token.c
     * builds them (sub = client_id, no sid), with a 43-char kid and jti. */
    snprintf(header, sizeof header,
             "{\"alg\":\"%s\",\"typ\":\"at+jwt\","
             "\"kid\":\"q3Zt1bWbS9yYkG3vJx0pQm8cH2uLrA5dEoNfI7sTwVe\"}", alg);
    snprintf(claims, sizeof claims,
             "{\"iss\":\"http://127.0.0.1:8080\",\"sub\":\"Xk3rP9vQ2mT7wL5nB8cJ4h\","
             "\"aud\":\"tessera\",\"exp\":1767225600,\"iat\":1767224700,"
             "\"nbf\":1767224700,\"jti\":\"Yf0sK2pN7qR4tV9xZ1bD6gH3jL8mC5wE0aU2iO4eS7o\","
             "\"client_id\":\"Xk3rP9vQ2mT7wL5nB8cJ4h\",\"scope\":\"\",\"roles\":[]}");
    b64url((const unsigned char *)header, strlen(header), header64);
    b64url((const unsigned char *)claims, strlen(claims), claims64);
    input_len = (size_t)snprintf(signing_input, sizeof signing_input, "%s.%s",
                                 header64, claims64);
    input = (const unsigned char *)signing_input;

    if (!(prepared = EVP_MD_CTX_new())
        || EVP_DigestSignInit(prepared, NULL, md, NULL, pkey) != 1) {
        fprintf(stderr, "sign_rate: EVP_DigestSignInit failed for %s\n", alg);
        ERR_print_errors_fp(stderr);
        return 1;
    }
    if (verify_mode && prepare_verify(alg, md, pkey) != 0)
        return 1;

    struct worker *w = calloc((size_t)threads, sizeof *w);
    if (!w) {
        fprintf(stderr, "sign_rate: out of memory\n");
        return 1;
    }
    double start = now(), cpu0 = cpu_seconds();
    for (long i = 0; i < threads; i++) {
        w[i].deadline = start + seconds;
        if (pthread_create(&w[i].tid, NULL, run, &w[i]) != 0) {
            fprintf(stderr, "sign_rate: pthread_create failed\n");
            return 1;
        }
    }
    unsigned long total = 0;
    int failed = 0;
    for (long i = 0; i < threads; i++) {
        pthread_join(w[i].tid, NULL);
        total += w[i].sigs;
        failed |= w[i].failed;
    }
    double elapsed = now() - start, cpu = cpu_seconds() - cpu0;
    if (failed) {
        fprintf(stderr, "sign_rate: %s %s failed\n", alg,
                verify_mode ? "verification" : "signing");
        ERR_print_errors_fp(stderr);
        return 1;
    }
    double rate = total / elapsed;
    printf("%.1f\n", rate);
    fprintf(stderr, "sign_rate%s %s: %.1f %s/s threads=%ld %s=%lu "
            "seconds=%.2f us_per_op=%.1f cpu_s=%.2f per_cpu_s=%.1f input_bytes=%zu\n",
            verify_mode ? " --verify" : "", alg, rate, what, threads, what, total,
            elapsed, rate > 0 ? 1e6 * threads / rate : 0.0, cpu,
            cpu > 0 ? total / cpu : 0.0, input_len);
    free(w);
    EVP_MD_CTX_free(prepared);
    EVP_PKEY_free(pkey);
    return 0;
}
