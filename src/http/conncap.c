/* SPDX-License-Identifier: Apache-2.0 */
/* Connections per client address (conncap.h): a chained hash table whose nodes come
 * from a pool sized for the listener's connection limit, so counting never allocates
 * while serving. */
#include "http/conncap.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"

#define NBUCKETS 4096

struct key {
    unsigned char b[9];            /* b[0]: 4 or 6; then the IPv4 address or the /64 */
};

struct node {
    struct node *next;
    struct key k;
    unsigned count;
};

struct conncap {
    pthread_mutex_t mu;
    unsigned cap;
    struct netaddr_list exempt;
    struct node *bucket[NBUCKETS];
    struct node *pool, *free_list;
    atomic_ulong refused;
    _Atomic int64_t last_warn;     /* seconds, CLOCK_MONOTONIC */
};

/* 0 and the key, or -1 for an address that is not IP (not counted) or exempt. */
static int key_of(const struct conncap *cc, const struct sockaddr *sa, struct key *k)
{
    char text[INET6_ADDRSTRLEN];
    memset(k, 0, sizeof *k);
    if (!sa)
        return -1;
    if (sa->sa_family == AF_INET) {
        const struct in_addr *a = &((const struct sockaddr_in *)sa)->sin_addr;
        k->b[0] = 4;
        memcpy(k->b + 1, a, 4);
        inet_ntop(AF_INET, a, text, sizeof text);
    } else if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a)) {
            k->b[0] = 4;
            memcpy(k->b + 1, a->s6_addr + 12, 4);
            inet_ntop(AF_INET, a->s6_addr + 12, text, sizeof text);
        } else {
            k->b[0] = 6;
            memcpy(k->b + 1, a->s6_addr, 8);
            inet_ntop(AF_INET6, a, text, sizeof text);
        }
    } else {
        return -1;
    }
    return netaddr_match(&cc->exempt, text) ? -1 : 0;
}

static unsigned hash_of(const struct key *k)
{
    uint32_t h = 2166136261u;              /* FNV-1a */
    for (size_t i = 0; i < sizeof k->b; i++)
        h = (h ^ k->b[i]) * 16777619u;
    return h % NBUCKETS;
}

static struct node **find(struct conncap *cc, const struct key *k)
{
    struct node **p = &cc->bucket[hash_of(k)];
    while (*p && memcmp((*p)->k.b, k->b, sizeof k->b) != 0)
        p = &(*p)->next;
    return p;
}

struct conncap *conncap_new(unsigned cap, unsigned max_conns,
                            const struct netaddr_list *exempt)
{
    struct conncap *cc = calloc(1, sizeof *cc);
    if (!cc)
        return NULL;
    cc->cap = cap;
    if (exempt)
        cc->exempt = *exempt;
    if (cap) {
        if (!(cc->pool = calloc(max_conns ? max_conns : 1, sizeof *cc->pool))) {
            free(cc);
            return NULL;
        }
        for (unsigned i = 0; i < max_conns; i++) {
            cc->pool[i].next = cc->free_list;
            cc->free_list = &cc->pool[i];
        }
    }
    pthread_mutex_init(&cc->mu, NULL);
    return cc;
}

void conncap_free(struct conncap *cc)
{
    if (!cc)
        return;
    pthread_mutex_destroy(&cc->mu);
    free(cc->pool);
    free(cc);
}

static void warn_refused(struct conncap *cc, const struct key *k)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t last = atomic_load(&cc->last_warn);
    if (now.tv_sec - last < 10 ||
        !atomic_compare_exchange_strong(&cc->last_warn, &last, (int64_t)now.tv_sec))
        return;                            /* at most one line per 10 s */
    char text[INET6_ADDRSTRLEN] = "";
    if (k->b[0] == 4) {
        inet_ntop(AF_INET, k->b + 1, text, sizeof text);
    } else {
        unsigned char a[16] = { 0 };
        memcpy(a, k->b + 1, 8);
        inet_ntop(AF_INET6, a, text, sizeof text);
    }
    log_msg("warn", "http: refusing connections from %s%s: it holds %u, "
            "server.max_connections_per_ip (%lu refused so far)", text,
            k->b[0] == 6 ? "/64" : "", cc->cap, atomic_load(&cc->refused));
}

enum MHD_Result conncap_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
    struct conncap *cc = cls;
    struct key k;
    (void)len;
    if (!cc->cap || key_of(cc, addr, &k) != 0)
        return MHD_YES;
    pthread_mutex_lock(&cc->mu);
    struct node *n = *find(cc, &k);
    int full = n && n->count >= cc->cap;
    pthread_mutex_unlock(&cc->mu);
    if (!full)
        return MHD_YES;
    atomic_fetch_add(&cc->refused, 1);
    warn_refused(cc, &k);
    return MHD_NO;
}

static const struct sockaddr *peer_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return ci ? ci->client_addr : NULL;
}

void conncap_started(struct conncap *cc, struct MHD_Connection *c)
{
    struct key k;
    if (!cc->cap || key_of(cc, peer_of(c), &k) != 0)
        return;
    pthread_mutex_lock(&cc->mu);
    struct node **p = find(cc, &k);
    if (!*p && cc->free_list) {            /* never empty: one node per connection */
        struct node *n = cc->free_list;
        cc->free_list = n->next;
        n->k = k;
        n->count = 0;
        n->next = NULL;
        *p = n;
    }
    if (*p)
        (*p)->count++;
    pthread_mutex_unlock(&cc->mu);
}

void conncap_closed(struct conncap *cc, struct MHD_Connection *c)
{
    struct key k;
    if (!cc->cap || key_of(cc, peer_of(c), &k) != 0)
        return;
    pthread_mutex_lock(&cc->mu);
    struct node **p = find(cc, &k);
    struct node *n = *p;
    if (n && --n->count == 0) {
        *p = n->next;
        n->next = cc->free_list;
        cc->free_list = n;
    }
    pthread_mutex_unlock(&cc->mu);
}

unsigned long conncap_refused(const struct conncap *cc)
{
    return atomic_load(&cc->refused);
}
