/* SPDX-License-Identifier: Apache-2.0 */
/* tessera serve: run the server until SIGTERM or SIGINT. */
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/audit.h"
#include "core/keyring.h"
#include "base/log.h"
#include "core/revoked.h"
#include "core/scope.h"
#include "base/secret.h"
#include "core/sync.h"
#include "core/user.h"
#include "http/server.h"
#include "http/tls.h"
#include "routes/routes.h"
#include "tessera.h"

static const char usage[] =
    "usage: tessera serve [options]\n"
    "\n"
#ifdef TESSERA_DEFAULT_CONFIG
    "Runs the tessera server as " TESSERA_DEFAULT_CONFIG " (or --config) says.\n"
    "It creates signing keys and, on an empty database, a user 'admin' whose\n"
    "password is TESSERA_BOOTSTRAP_PASSWORD or printed once.\n"
#else
    "Runs the tessera server. With no options it listens on 127.0.0.1:8080, keeps\n"
    "its data in ./tessera.db, creates signing keys and, on an empty database, a user\n"
    "'admin' whose password is TESSERA_BOOTSTRAP_PASSWORD or printed once.\n"
#endif
    "\n"
    "options:\n"
    "  --listen HOST:PORT   address to listen on (port 0: any free port)\n"
    "  --compat LIST        compat profiles: api-login, oauth2-form, auth-v1, token\n"
    CLI_COMMON_HELP
    "  --check-config       validate the configuration and exit\n"
    "  -h, --help           this help\n";

/* On an empty database, creates the first administrator. */
static int bootstrap_admin(struct app *a)
{
    int64_t n = 0;
    char pw[SECRET_TOKEN_CHARS + 1], why[256];
    const char *given = getenv("TESSERA_BOOTSTRAP_PASSWORD");

    if (user_count(a, &n))
        return cli_fail("cannot count users in the database");
    if (n > 0)
        return 0;
    if (given && *given) {
        snprintf(pw, sizeof pw, "%s", given);
        if (strlen(given) >= sizeof pw)
            return cli_fail("TESSERA_BOOTSTRAP_PASSWORD is longer than %zu characters",
                            sizeof pw - 1);
    } else if (secret_token(pw)) {
        return cli_fail("cannot generate a password");
    }
    struct user_new nu = { "admin@localhost", "admin", "Administrator", "admin", pw };
    ts_err e = user_create(a, &nu, NULL, why, sizeof why);
    if (e == TS_ECONFLICT) {
        /* Another instance starting on the same (PostgreSQL) database made it first. */
        secret_wipe(pw, sizeof pw);
        return 0;
    }
    if (e) {
        secret_wipe(pw, sizeof pw);
        return cli_fail("cannot create the admin user: %s", why);
    }
    if (!(given && *given)) {
        printf("tessera: created user admin with password %s (shown once; change it)\n",
               pw);
        fflush(stdout);
    }
    secret_wipe(pw, sizeof pw);
    return 0;
}

/* 1 when HOST:PORT (or [IPv6]:PORT) cannot be bound because something else holds it:
 * asked again after the server failed to listen, to say why in words a newcomer can
 * act on. 0 for anything else (the address is free, or bad in another way). */
static int address_in_use(const char *listen)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    if (!colon || (size_t)(colon - listen) >= sizeof host)
        return 0;
    const char *h = listen;
    size_t n = (size_t)(colon - listen);
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']')
        h++, n -= 2;
    memcpy(host, h, n);
    host[n] = '\0';
    struct addrinfo hints = { .ai_flags = AI_NUMERICSERV | AI_PASSIVE,
                              .ai_socktype = SOCK_STREAM }, *ai;
    if (getaddrinfo(n ? host : NULL, colon + 1, &hints, &ai) != 0)
        return 0;
    int in_use = 0, fd = socket(ai->ai_family, SOCK_STREAM, 0), one = 1;
    if (fd >= 0) {
        /* as libmicrohttpd binds: SO_REUSEADDR, so TIME_WAIT alone is not "in use" */
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        in_use = bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno == EADDRINUSE;
        close(fd);
    }
    freeaddrinfo(ai);
    return in_use;
}

/* The failure to listen on `listen` (the `server.listen` or `tls.plain_listen` key),
 * with the ways to choose another address. Returns 1. */
static int listen_failed(const char *listen, const char *key, const char *err)
{
    if (address_in_use(listen))
        return cli_fail("cannot listen on %s: the address is already in use (another "
                        "tessera?); choose another with %s", listen,
                        !strcmp(key, "server.listen")
                            ? "--listen HOST:PORT or TESSERA_SERVER_LISTEN (make run "
                              "LISTEN=HOST:PORT)"
                            : "--set tls.plain_listen=HOST:PORT");
    return cli_fail("%s; the address is %s", err, key);
}

int cmd_serve(int argc, char **argv)
{
    struct cli_common co = { 0 };
    struct config cfg;
    int check = 0;

    for (int i = 1; i < argc; i++) {
        int r = cli_common_opt(&co, argc, argv, &i);
        if (r < 0)
            return 2;
        if (r)
            continue;
        if (!strcmp(argv[i], "--check-config")) {
            check = 1;
        } else if (!strcmp(argv[i], "--compat")) {
            static char set[CONFIG_STR + 16];
            if (i + 1 >= argc)
                return cli_fail("--compat needs a list of profiles"), 2;
            snprintf(set, sizeof set, "server.compat=%s", argv[++i]);
            if (co.nsets == CLI_MAX_SETS)
                return cli_fail("too many --set options"), 2;
            co.sets[co.nsets++] = set;
        }
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return fputs(usage, stdout), cli_finish(0);
        else
            return cli_fail("serve: unknown option '%s' (see tessera serve --help)",
                            argv[i]), 2;
    }
    if (cli_load_config(&co, &cfg))
        return 2;
    /* The compat profiles, checked before anything starts. */
    struct router router = { 0 };
    router_mount(&router, native_routes);
    router_mount(&router, oauth2_routes);
    router_mount(&router, wellknown_routes);
    router_mount(&router, admin_routes);
    const char *p = cfg.compat, *w;
    size_t n;
    while (word_next(&p, 1, &w, &n)) {
        const struct route *t = compat_routes(w, n);
        if (!t)
            return cli_fail("server.compat: unknown profile '%.*s' (api-login, "
                            "oauth2-form, auth-v1, token)", (int)n, w), 2;
        if (router_mount(&router, t))
            return cli_fail("server.compat: too many profiles"), 2;
    }
    if (check) {
        printf("configuration ok\n");
        return cli_finish(0);
    }

    /* Signals go to the main thread's sigwait(); every thread started after this
     * inherits the mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct app *a;
    char err[512];
    if (app_open(&cfg, APP_MIGRATE | APP_KEYS, &a, err, sizeof err))
        return cli_fail("%s", err);
    if (audit_start(a) != TS_OK) {
        app_close(a);
        return cli_fail("cannot start the audit writer (out of memory?)");
    }
    /* The revocation set is loaded before the first request, so a token revoked while
     * the server was down is refused from the start. */
    struct sync *sync = NULL;
    if (revoked_open(a, &a->revoked) != TS_OK || sync_start(a, &sync) != TS_OK) {
        app_close(a);
        return cli_fail("cannot load the revoked sessions from the database");
    }

    struct tls_ctx *tls = NULL;
    if (tls_open(&a->cfg, &tls, err, sizeof err)) {
        sync_stop(sync);
        app_close(a);
        return cli_fail("%s", err);
    }
    int use_tls = a->cfg.tls_cert_file[0] != '\0';
    struct listener main_l = { a->cfg.listen, tls, use_tls };
    struct listener plain_l = { a->cfg.tls_plain_listen, tls, 0 };
    struct server *srv, *plain = NULL;
    if (server_start(a, &router, &main_l, &srv, err, sizeof err)) {
        tls_close(tls);
        sync_stop(sync);
        app_close(a);
        return listen_failed(cfg.listen, "server.listen", err);
    }
    if (a->cfg.tls_plain_listen[0] &&
        server_start(a, &router, &plain_l, &plain, err, sizeof err)) {
        server_stop(srv, 0);
        tls_close(tls);
        sync_stop(sync);
        app_close(a);
        return listen_failed(cfg.tls_plain_listen, "tls.plain_listen", err);
    }
    /* The first administrator only once the addresses are ours: a start that cannot
     * listen must not create it and print its password for nothing. */
    if (bootstrap_admin(a)) {
        server_stop(plain, 0);
        server_stop(srv, 0);
        tls_close(tls);
        sync_stop(sync);
        app_close(a);
        return 1;
    }
    log_quiet(0);
    const char *scheme = use_tls ? "https" : "http";
    char host[128];
    snprintf(host, sizeof host, "%s", a->cfg.listen);
    char *colon = strrchr(host, ':');
    if (colon)
        *colon = '\0';
    if (a->cfg.issuer_from_listen)
        snprintf(a->cfg.issuer, sizeof a->cfg.issuer, "%s://%s:%u", scheme, host,
                 server_port(srv));
    log_msg("info", "tessera %s listening on %s://%s:%u (issuer %s)", tessera_version(),
            scheme, host, server_port(srv), a->cfg.issuer);
    /* The issuer is said at once: unless server.issuer is set it follows the listen
     * address, so a new port means tokens with another "iss". The listening line
     * stays last and alone, for the scripts that wait for it. */
    fprintf(stderr, "tessera: version %s; tokens carry issuer %s%s\n", tessera_version(),
            a->cfg.issuer, a->cfg.issuer_from_listen
                               ? " (the listen address: it changes with it; set "
                                 "server.issuer to keep one)" : "");
    fprintf(stderr, "tessera: listening on %s://%s:%u\n", scheme, host, server_port(srv));
    if (plain) {
        char phost[128];
        snprintf(phost, sizeof phost, "%s", a->cfg.tls_plain_listen);
        if ((colon = strrchr(phost, ':')))
            *colon = '\0';
        fprintf(stderr, "tessera: also listening on http://%s:%u\n", phost,
                server_port(plain));
    }

    int sig = 0;
    for (;;) {
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            ts_err e = keyring_reload(a->keys);
            log_msg(e ? "error" : "info", "SIGHUP: signing keys %s",
                    e ? "could not be reloaded" : "reloaded");
            continue;
        }
        break;
    }
    log_msg("info", "signal %d: finishing in-flight requests", sig);
    server_stop(plain, 30);
    server_stop(srv, 30);
    tls_close(tls);
    sync_stop(sync);
    app_close(a);
    log_msg("info", "stopped");
    return 0;
}
