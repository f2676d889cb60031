/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Metrics for GET /metrics (docs/metrics.md), in the Prometheus text exposition format
 * 0.0.4: requests by route and status, a latency histogram by route, logins, tokens
 * issued by grant, rate-limited requests, and gauges read when scraped (active
 * sessions, signing keys, process memory and CPU).
 *
 * Counting is on every request's path (GET /v1/auth/verify runs at >100k req/s), so
 * nothing there takes a lock: each thread adds, with a relaxed atomic add, into a shard
 * of counters it picked at its first count (threads share a shard only when there are
 * more threads than shards); a scrape sums the shards. Series are bounded: a request is
 * labelled with its route row's method and path pattern ("/v1/auth/sessions/{id}"),
 * never its URL; a path no route matches counts under route "unmatched".
 *
 * The route rows are registered before the first request (server_start): the first
 * request counted fixes the size of the request shards, so a table registered after
 * it is refused and its rows count as unmatched. Event counters (metrics_inc) are
 * static and may count at any time, before the first request too.
 */
#ifndef CORE_METRICS_H
#define CORE_METRICS_H

#include <stddef.h>

#include "base/err.h"

struct app;

/* Counters with no labels of their own besides the one in their name. */
enum metric_counter {
    METRIC_LOGIN_SUCCESS,            /* tessera_logins_total{result="success"} */
    METRIC_LOGIN_FAILURE,            /* tessera_logins_total{result="failure"} */
    METRIC_TOKEN_PASSWORD,           /* tessera_tokens_issued_total{grant=...}: */
    METRIC_TOKEN_REFRESH,            /*   password, refresh_token (OAuth 2.0), */
    METRIC_TOKEN_CLIENT_CREDENTIALS, /*   client_credentials, */
    METRIC_TOKEN_NATIVE_LOGIN,       /*   native_login and native_refresh (the */
    METRIC_TOKEN_NATIVE_REFRESH,     /*   JSON APIs: native and compat profiles), */
    METRIC_TOKEN_AUTHORIZATION_CODE, /*   authorization_code (docs/oidc.md) */
    METRIC_KEY_PUBLISHED,            /* tessera_key_rotations_total{step=...}: */
    METRIC_KEY_ACTIVATED,            /*   automatic key rotation by this process */
    METRIC_KEY_RETIRED,
    METRIC_COUNTER_COUNT
};

/* Registers a route (its method and path pattern, e.g. "/v1/auth/sessions/{id}"; both
 * must outlive the process's counting) so that requests it answers are counted under
 * them. Returns the route's number for metrics_request; the same method and pattern
 * get the same number. -1 when the registry is full or counting has already begun.
 * Call before the server takes requests; not thread-safe against itself. */
int metrics_route(const char *method, const char *pattern);

/* One answered request: its route's number from metrics_route (-1: no route matched,
 * or one not registered: counted under `method` as unmatched), its status and how
 * long it took. Lock-free. */
void metrics_request(int route, const char *method, int status, double seconds);

/* Adds one to a counter. Lock-free. */
void metrics_inc(enum metric_counter c);

/* The whole exposition document, malloc'd into *out (*len bytes, NUL-terminated).
 * Reads the store for the gauges that need it (active sessions, keys); a store that
 * does not answer leaves those out and sets tessera_store_up to 0. TS_ENOMEM only. */
ts_err metrics_render(struct app *a, char **out, size_t *len);

/* The Content-Type of the document. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
