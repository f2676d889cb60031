/* The raw JWS signing rate of this machine, the yardstick for POST /oauth2/token.
 *
 *   build/bench/sign_rate ALG SECONDS [THREADS]
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
 * Prints the total signatures per second over all threads as one number on stdout:
 *
 *   41234.5
 *
 * and a detail line on stderr (threads, signatures, seconds, us per signature per
 * thread, input length). Exit 1 if OpenSSL fails, 2 on bad arguments.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <openssl/err.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct worker {
    pthread_t tid;
    double deadline;
    unsigned long sigs;
    int failed;
};

static int is_es256;
static EVP_MD_CTX *prepared;          /* shared, only read (duplicated) by the workers */
static const unsigned char *input;
static size_t input_len;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
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

int main(int argc, char **argv)
{
    const char *alg = argc > 1 ? argv[1] : "";
    double seconds = argc > 2 ? atof(argv[2]) : 0;
    long threads = argc > 3 ? atol(argv[3]) : 0;
    const EVP_MD *md = NULL;
    EVP_PKEY *pkey;
    char header[128], claims[512], header64[256], claims64[768];
    static char signing_input[1100];

    if (argc < 3 || argc > 4 || seconds <= 0) {
        fprintf(stderr, "usage: sign_rate ES256|EdDSA|RS256 SECONDS [THREADS]\n");
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

    struct worker *w = calloc((size_t)threads, sizeof *w);
    if (!w) {
        fprintf(stderr, "sign_rate: out of memory\n");
        return 1;
    }
    double start = now();
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
    double elapsed = now() - start;
    if (failed) {
        fprintf(stderr, "sign_rate: %s signing failed\n", alg);
        ERR_print_errors_fp(stderr);
        return 1;
    }
    double rate = total / elapsed;
    printf("%.1f\n", rate);
    fprintf(stderr, "sign_rate %s: %.1f signatures/s threads=%ld signatures=%lu "
            "seconds=%.2f us_per_sig=%.1f input_bytes=%zu\n",
            alg, rate, threads, total, elapsed, rate > 0 ? 1e6 * threads / rate : 0.0,
            input_len);
    free(w);
    EVP_MD_CTX_free(prepared);
    EVP_PKEY_free(pkey);
    return 0;
}
