/* SPDX-License-Identifier: Apache-2.0 */
/* The raw Argon2id rate of this machine, the yardstick for POST /v1/auth/login.
 *
 *   build/bench/argon2_rate [SECONDS [THREADS [OPSLIMIT [MEMLIMIT_KIB]]]]
 *
 * Defaults: 3 s, one thread per online core, opslimit 2, 19456 KiB: the server's
 * [passwords] defaults (OWASP). Each thread hashes a password with
 * crypto_pwhash_str_alg(ALG_ARGON2ID13) in a loop until the time is up, the work a
 * login does per request. Prints one line on stdout for bench/run.sh:
 *
 *   argon2id rate=181.3 hashes/s threads=2 hashes=544 seconds=3.00 ms_per_hash=11.0 ...
 *
 * Exit 1 if libsodium fails (out of memory, bad parameters).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct worker {
    pthread_t tid;
    double deadline;
    unsigned long long ops;
    size_t mem;
    unsigned long hashes;
    int failed;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *run(void *arg)
{
    struct worker *w = arg;
    static const char pw[] = "correct horse battery staple";
    char out[crypto_pwhash_STRBYTES];
    do {
        if (crypto_pwhash_str_alg(out, pw, sizeof pw - 1, w->ops, w->mem,
                                  crypto_pwhash_ALG_ARGON2ID13) != 0) {
            w->failed = 1;
            break;
        }
        w->hashes++;
    } while (now() < w->deadline);
    return NULL;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 3.0;
    long threads = argc > 2 ? atol(argv[2]) : 0;
    unsigned long long ops = argc > 3 ? strtoull(argv[3], NULL, 10) : 2;
    size_t mem_kib = argc > 4 ? strtoull(argv[4], NULL, 10) : 19456;

    if (threads <= 0)
        threads = sysconf(_SC_NPROCESSORS_ONLN);
    if (threads <= 0)
        threads = 1;
    if (seconds <= 0) {
        fprintf(stderr, "argon2_rate: SECONDS must be > 0\n");
        return 2;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "argon2_rate: sodium_init failed\n");
        return 1;
    }

    struct worker *w = calloc(threads, sizeof *w);
    if (!w) {
        fprintf(stderr, "argon2_rate: out of memory\n");
        return 1;
    }
    double start = now();
    for (long i = 0; i < threads; i++) {
        w[i].deadline = start + seconds;
        w[i].ops = ops;
        w[i].mem = mem_kib * 1024;
        if (pthread_create(&w[i].tid, NULL, run, &w[i]) != 0) {
            fprintf(stderr, "argon2_rate: pthread_create failed\n");
            return 1;
        }
    }
    unsigned long total = 0;
    int failed = 0;
    for (long i = 0; i < threads; i++) {
        pthread_join(w[i].tid, NULL);
        total += w[i].hashes;
        failed |= w[i].failed;
    }
    double elapsed = now() - start;   /* includes each thread's last, overrunning hash */
    if (failed) {
        fprintf(stderr, "argon2_rate: crypto_pwhash_str_alg failed (out of memory?)\n");
        return 1;
    }
    double rate = total / elapsed;
    printf("argon2id rate=%.1f hashes/s threads=%ld hashes=%lu seconds=%.2f "
           "ms_per_hash=%.1f opslimit=%llu memlimit_kib=%zu\n",
           rate, threads, total, elapsed, 1000.0 * threads / rate, ops, mem_kib);
    free(w);
    return 0;
}
