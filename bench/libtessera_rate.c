/* SPDX-License-Identifier: Apache-2.0 */
/* libtessera's verification rate on all cores, beside `sign_rate --verify` (the raw
 * EVP signature verification of the same algorithm) in bench/run.sh.
 *
 *   build/bench/libtessera_rate ALG SECONDS [THREADS [TOKENS]]
 *
 * ALG is ES256, EdDSA or RS256. Generates a key with tessera_key_generate(), builds a
 * tessera_verifier from the JWKS document of its public half (jwks_json; issuer,
 * audience and typ checks on, leeway 0, as an API would configure it), then signs
 * TOKENS (default 4096) distinct access tokens with tessera_jwt_sign(): the claims of
 * a tessera client_credentials token (iss, sub, aud, exp an hour ahead, iat, nbf, a
 * random jti, client_id, scope, roles) under a typ "at+jwt" header. Then THREADS
 * threads (default: one per online core) call tessera_verifier_verify() on one shared
 * verifier until SECONDS are up, each cycling through all the tokens from its own
 * offset, and free the claims each time. libtessera keeps no verified-token cache, and
 * the tokens differ anyway: every call is a full verification (split into segments,
 * base64url, header JSON, kid lookup, signature, claims JSON and checks).
 *
 * Prints the total verifications per second over all threads as one number on stdout:
 *
 *   21234.5
 *
 * and a detail line on stderr (as sign_rate's: us per verification per thread, the
 * CPU seconds of the run and verifications per CPU second). Exit 1 if a verification
 * fails or libtessera fails to set up, 2 on bad arguments.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "tessera.h"

#define ISSUER "http://127.0.0.1:8080"
#define AUDIENCE "tessera"

struct worker {
    pthread_t tid;
    double deadline;
    size_t start;              /* first token of this thread */
    unsigned long verified;
    tessera_status failed;     /* TESSERA_OK unless a verification failed */
};

static tessera_verifier *verifier;   /* shared by every thread */
static char **tokens;
static size_t *token_lens;
static size_t ntokens;

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

static void *run(void *arg)
{
    struct worker *w = arg;
    size_t i = w->start;
    tessera_claims *c;
    tessera_status st;

    do {
        st = tessera_verifier_verify(verifier, tokens[i], token_lens[i], &c);
        if (st != TESSERA_OK) {
            w->failed = st;
            break;
        }
        tessera_claims_free(c);
        w->verified++;
        if (++i == ntokens)
            i = 0;
    } while (now() < w->deadline);
    return NULL;
}

/* TOKENS distinct access tokens signed with key; 0 or -1. */
static int sign_tokens(const tessera_key *key)
{
    char claims[512], jti[44], sub[23];
    unsigned char rnd[32];
    long t = (long)time(NULL);
    tessera_status st;
    int n;

    if (RAND_bytes(rnd, 16) != 1)
        return -1;
    tessera_b64url_encode(rnd, 16, sub);   /* 22 chars, a client_id's shape */
    for (size_t i = 0; i < ntokens; i++) {
        if (RAND_bytes(rnd, sizeof rnd) != 1)
            return -1;
        tessera_b64url_encode(rnd, sizeof rnd, jti);
        n = snprintf(claims, sizeof claims,
                     "{\"iss\":\"" ISSUER "\",\"sub\":\"%s\",\"aud\":\"" AUDIENCE "\","
                     "\"exp\":%ld,\"iat\":%ld,\"nbf\":%ld,\"jti\":\"%s\","
                     "\"client_id\":\"%s\",\"scope\":\"\",\"roles\":[]}",
                     sub, t + 3600, t - 1, t - 1, jti, sub);
        if (n < 0 || (size_t)n >= sizeof claims)
            return -1;
        st = tessera_jwt_sign(key, "at+jwt", claims, (size_t)n, &tokens[i]);
        if (st != TESSERA_OK) {
            fprintf(stderr, "libtessera_rate: tessera_jwt_sign: %s\n",
                    tessera_strerror(st));
            return -1;
        }
        token_lens[i] = strlen(tokens[i]);
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *alg_name = argc > 1 ? argv[1] : "";
    double seconds = argc > 2 ? atof(argv[2]) : 0;
    long threads = argc > 3 ? atol(argv[3]) : 0;
    long n = argc > 4 ? atol(argv[4]) : 4096;
    tessera_alg alg = tessera_alg_from_name(alg_name);
    tessera_verifier_options opt = TESSERA_VERIFIER_OPTIONS_INIT;
    tessera_key *key = NULL;
    char *jwk, *jwks;
    tessera_status st;
    int rc = 1;

    if (argc < 3 || argc > 5 || seconds <= 0 || n <= 0) {
        fprintf(stderr,
                "usage: libtessera_rate ES256|EdDSA|RS256 SECONDS [THREADS [TOKENS]]\n");
        return 2;
    }
    if (alg != TESSERA_ALG_ES256 && alg != TESSERA_ALG_EDDSA && alg != TESSERA_ALG_RS256) {
        fprintf(stderr, "libtessera_rate: unknown algorithm %s (ES256, EdDSA, RS256)\n",
                alg_name);
        return 2;
    }
    if (threads <= 0)
        threads = sysconf(_SC_NPROCESSORS_ONLN);
    if (threads <= 0)
        threads = 1;
    ntokens = (size_t)n;

    if ((st = tessera_key_generate(alg, &key)) != TESSERA_OK) {
        fprintf(stderr, "libtessera_rate: tessera_key_generate: %s\n",
                tessera_strerror(st));
        return 1;
    }
    /* The verifier sees the public JWK only, as an API fetching /.well-known/jwks.json
     * would. */
    if (!(jwk = tessera_key_to_jwk(key, 0))) {
        fprintf(stderr, "libtessera_rate: out of memory\n");
        goto out;
    }
    jwks = malloc(strlen(jwk) + 16);
    if (!jwks) {
        free(jwk);
        fprintf(stderr, "libtessera_rate: out of memory\n");
        goto out;
    }
    sprintf(jwks, "{\"keys\":[%s]}", jwk);
    free(jwk);
    opt.jwks_json = jwks;
    opt.issuer = ISSUER;
    opt.audience = AUDIENCE;
    opt.check_typ = 1;
    st = tessera_verifier_new(&opt, &verifier);
    free(jwks);
    if (st != TESSERA_OK) {
        fprintf(stderr, "libtessera_rate: tessera_verifier_new: %s\n",
                tessera_strerror(st));
        goto out;
    }

    tokens = calloc(ntokens, sizeof *tokens);
    token_lens = calloc(ntokens, sizeof *token_lens);
    if (!tokens || !token_lens) {
        fprintf(stderr, "libtessera_rate: out of memory\n");
        goto out;
    }
    double t0 = now();
    if (sign_tokens(key) != 0) {
        fprintf(stderr, "libtessera_rate: signing %zu tokens failed\n", ntokens);
        goto out;
    }
    double sign_s = now() - t0;

    struct worker *w = calloc((size_t)threads, sizeof *w);
    if (!w) {
        fprintf(stderr, "libtessera_rate: out of memory\n");
        goto out;
    }
    double start = now(), cpu0 = cpu_seconds();
    long started = 0;
    for (long i = 0; i < threads; i++) {
        w[i].deadline = start + seconds;
        w[i].start = (size_t)i * ntokens / (size_t)threads;
        if (pthread_create(&w[i].tid, NULL, run, &w[i]) != 0) {
            fprintf(stderr, "libtessera_rate: pthread_create failed\n");
            break;
        }
        started++;
    }
    unsigned long total = 0;
    tessera_status failed = TESSERA_OK;
    for (long i = 0; i < started; i++) {
        pthread_join(w[i].tid, NULL);
        total += w[i].verified;
        if (w[i].failed != TESSERA_OK)
            failed = w[i].failed;
    }
    double elapsed = now() - start, cpu = cpu_seconds() - cpu0;
    free(w);
    if (started != threads)
        goto out;
    if (failed != TESSERA_OK) {
        fprintf(stderr, "libtessera_rate: %s verification failed: %s\n", alg_name,
                tessera_strerror(failed));
        goto out;
    }
    double rate = total / elapsed;
    printf("%.1f\n", rate);
    fprintf(stderr, "libtessera_rate %s: %.1f verifications/s threads=%ld "
            "verifications=%lu seconds=%.2f us_per_op=%.1f cpu_s=%.2f per_cpu_s=%.1f "
            "tokens=%zu token_bytes=%zu (signed in %.2f s)\n",
            alg_name, rate, threads, total, elapsed,
            rate > 0 ? 1e6 * threads / rate : 0.0, cpu, cpu > 0 ? total / cpu : 0.0,
            ntokens, token_lens[0], sign_s);
    rc = 0;
out:
    for (size_t i = 0; tokens && i < ntokens; i++)
        free(tokens[i]);
    free(tokens);
    free(token_lens);
    tessera_verifier_free(verifier);
    tessera_key_free(key);
    return rc;
}
