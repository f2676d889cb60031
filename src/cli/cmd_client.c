/* SPDX-License-Identifier: Apache-2.0 */
/* tessera client add|list|show|rotate-secret|disable|enable|delete */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/audit.h"
#include "core/client.h"
#include "base/secret.h"

static const char usage[] =
    "usage: tessera client COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  add NAME [--id ID] [--grants G,G] [--scopes S,S] [--roles R,R]\n"
    "           [--auth-method M[,M]] [--public] [--access-ttl SECONDS]\n"
    "           [--refresh-ttl SECONDS] [--idle-ttl SECONDS]\n"
    "           [--rotation on|off|default] [--disabled]\n"
    "           [--tls-subject-dn DN] [--tls-thumbprint X5T] [--audiences A,A]\n"
    "                       register a client; prints it as JSON with its secret,\n"
    "                       the only time the secret is shown\n"
    "  list                 one line per client: id, name, grants, auth methods, state\n"
    "  show ID              the client as JSON (never the secret)\n"
    "  rotate-secret ID     a new secret, printed once; the old one stops working\n"
    "  disable ID           refuse the client's authentication\n"
    "  enable ID            allow it again\n"
    "  delete ID            remove the client and revoke every session it obtained\n"
    "\n"
    "grants: client_credentials (default), password, refresh_token\n"
    "auth methods: a client with a secret accepts client_secret_basic and\n"
    "              client_secret_post (default); --auth-method client_secret_basic (or\n"
    "              client_secret_post) pins it to one. none (--public), tls_client_auth\n"
    "              (with --tls-subject-dn), self_signed_tls_client_auth (with\n"
    "              --tls-thumbprint; tessera dev-certs prints both)\n"
    "\n"
    "options:\n"
    CLI_COMMON_HELP
    "  -h, --help           this help\n";

struct client_args {
    struct cli_common co;
    struct client_new n;
    const char *pos[1];
    int npos;
};

static int parse_ttl(const char *opt, const char *v, long *out)
{
    char *end;
    errno = 0;
    long t = strtol(v, &end, 10);
    if (errno || end == v || *end || t < 0) {
        cli_fail("%s wants a number of seconds, not '%s'", opt, v);
        return -1;
    }
    *out = t;
    return 0;
}

static int parse(int argc, char **argv, struct client_args *c)
{
    c->n.refresh_rotation = -1;
    for (int i = 2; i < argc; i++) {
        int r = cli_common_opt(&c->co, argc, argv, &i);
        if (r < 0)
            return -1;
        if (r)
            continue;
        const char *opt = argv[i];
        if (!strcmp(opt, "--public")) {
            c->n.is_public = 1;
            continue;
        }
        if (!strcmp(opt, "--disabled")) {
            c->n.disabled = 1;
            continue;
        }
        if (!strcmp(opt, "--") && i + 1 < argc && c->npos < 1) {
            c->pos[c->npos++] = argv[++i];
            continue;
        }
        if (strncmp(opt, "--", 2) != 0) {
            /* Generated ids are base64url and may start with one '-': only "--" words
             * are options here. */
            if (c->npos == 1) {
                cli_fail("client %s: too many arguments", argv[1]);
                return -1;
            }
            c->pos[c->npos++] = opt;
            continue;
        }
        if (i + 1 >= argc) {
            cli_fail("%s needs a value", opt);
            return -1;
        }
        const char *v = argv[++i];
        if (!strcmp(opt, "--id"))
            c->n.id = v;
        else if (!strcmp(opt, "--grants"))
            c->n.grants = v;
        else if (!strcmp(opt, "--scopes"))
            c->n.scopes = v;
        else if (!strcmp(opt, "--roles"))
            c->n.roles = v;
        else if (!strcmp(opt, "--audiences"))
            c->n.audiences = v;
        else if (!strcmp(opt, "--auth-method"))
            c->n.auth_method = v;
        else if (!strcmp(opt, "--tls-subject-dn"))
            c->n.tls_subject_dn = v;
        else if (!strcmp(opt, "--tls-thumbprint"))
            c->n.tls_thumbprint = v;
        else if (!strcmp(opt, "--access-ttl")) {
            if (parse_ttl(opt, v, &c->n.access_ttl))
                return -1;
        } else if (!strcmp(opt, "--refresh-ttl")) {
            if (parse_ttl(opt, v, &c->n.refresh_ttl))
                return -1;
        } else if (!strcmp(opt, "--idle-ttl")) {
            if (parse_ttl(opt, v, &c->n.refresh_idle_ttl))
                return -1;
        } else if (!strcmp(opt, "--rotation")) {
            if (!strcmp(v, "on"))
                c->n.refresh_rotation = 1;
            else if (!strcmp(v, "off"))
                c->n.refresh_rotation = 0;
            else if (!strcmp(v, "default"))
                c->n.refresh_rotation = -1;
            else {
                cli_fail("--rotation is on, off or default, not '%s'", v);
                return -1;
            }
        } else {
            cli_fail("client %s: unknown option '%s' (see tessera client --help)",
                     argv[1], opt);
            return -1;
        }
    }
    return 0;
}

/* Prints `j` (stolen) as indented JSON; with a secret, adds it as client_secret. */
static int print_json(json_t *j, const char *secret)
{
    if (j && secret && *secret &&
        json_object_set_new(j, "client_secret", json_string(secret)) != 0) {
        json_decref(j);
        j = NULL;
    }
    char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    if (!s)
        return cli_fail("out of memory");
    puts(s);
    secret_wipe(s, strlen(s));
    free(s);
    return 0;
}

static int find(struct app *a, const char *id, struct client_rec *c)
{
    if (!id)
        return cli_fail("name the client by its id");
    ts_err e = client_get(a, id, c);
    if (e == TS_ENOTFOUND)
        return cli_fail("no client '%s'", id);
    if (e)
        return cli_fail("cannot read the client: %s", ts_err_description(e));
    return 0;
}

struct page {
    char last[STORE_CLIENT_ID_LEN + 1];
    int n;
};

static int list_one(void *ctx, const struct client_rec *c)
{
    struct page *p = ctx;
    snprintf(p->last, sizeof p->last, "%s", c->id);
    p->n++;
    printf("%s\t%s\t%s\t%s\t%s\n", c->id, c->name, c->grants, client_auth_methods(c),
           c->disabled ? "disabled" : "active");
    return 0;
}

static int run(struct app *a, const char *cmd, struct client_args *ca)
{
    struct client_rec c = { 0 };
    char secret[SECRET_TOKEN_CHARS + 1] = "", why[256];
    int rc = 0;
    ts_err e;

    if (!strcmp(cmd, "add")) {
        ca->n.name = ca->pos[0];
        if ((e = client_create(a, &actor_cli, &ca->n, &c, secret, why, sizeof why)))
            return cli_fail("client add: %s", e == TS_EINVAL || e == TS_ECONFLICT
                                                  ? why : ts_err_description(e));
        rc = print_json(client_to_json(&c), secret);
    } else if (!strcmp(cmd, "list")) {
        struct page p = { "", 0 };
        do {
            char after[STORE_CLIENT_ID_LEN + 1];
            snprintf(after, sizeof after, "%s", p.last);
            p.n = 0;
            if ((e = client_list(a, after, 500, list_one, &p)))
                return cli_fail("cannot list clients: %s", ts_err_description(e));
        } while (p.n == 500);
    } else if (find(a, ca->pos[0], &c)) {
        return 1;
    } else if (!strcmp(cmd, "show")) {
        rc = print_json(client_to_json(&c), NULL);
    } else if (!strcmp(cmd, "rotate-secret")) {
        if (c.is_public || !c.secret_hash[0])
            rc = cli_fail("rotate-secret: '%s' has no secret (%s)", c.id, c.auth_method);
        else if ((e = client_rotate_secret(a, &actor_cli, &c, secret)))
            rc = cli_fail("rotate-secret: %s", ts_err_description(e));
        else
            rc = print_json(json_pack("{s:s}", "client_id", c.id), secret);
    } else if (!strcmp(cmd, "disable") || !strcmp(cmd, "enable")) {
        struct client_patch pa = CLIENT_PATCH_INIT;
        pa.disabled = !strcmp(cmd, "disable");
        if ((e = client_update(a, &actor_cli, &c, &pa, why, sizeof why)))
            rc = cli_fail("%s: %s", cmd, e == TS_EINVAL ? why : ts_err_description(e));
    } else if (!strcmp(cmd, "delete")) {
        if ((e = client_delete(a, &actor_cli, &c)))
            rc = cli_fail("delete: %s", ts_err_description(e));
    }
    secret_wipe(secret, sizeof secret);
    client_rec_clear(&c);
    return rc;
}

int cmd_client(int argc, char **argv)
{
    struct client_args ca = { 0 };
    static const char *cmds[] = { "add", "list", "show", "rotate-secret", "disable",
                                  "enable", "delete" };
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
        return fputs(usage, argc < 2 ? stderr : stdout), cli_finish(argc < 2 ? 2 : 0);
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return fputs(usage, stdout), cli_finish(0);
    int known = 0;
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        known |= !strcmp(argv[1], cmds[i]);
    if (!known)
        return cli_fail("client: unknown command '%s' (see tessera client --help)",
                        argv[1]), 2;
    if (parse(argc, argv, &ca))
        return 2;
    if (strcmp(argv[1], "add") != 0 &&
        (ca.n.id || ca.n.grants || ca.n.scopes || ca.n.roles || ca.n.auth_method ||
         ca.n.is_public || ca.n.disabled || ca.n.access_ttl || ca.n.refresh_ttl ||
         ca.n.tls_subject_dn || ca.n.tls_thumbprint || ca.n.audiences ||
         ca.n.refresh_idle_ttl || ca.n.refresh_rotation != -1))
        return cli_fail("client %s: the client options belong to 'client add'", argv[1]),
               2;
    /* A missing name or id is a wrong command line (exit 2), found before the
     * database is opened. */
    if (!ca.pos[0] && !strcmp(argv[1], "add"))
        return cli_fail("client add: give the client a name, e.g. tessera client add "
                        "billing-service"), 2;
    if (!ca.pos[0] && strcmp(argv[1], "list") != 0)
        return cli_fail("client %s: name the client by its id", argv[1]), 2;
    struct app *a = cli_open_app(&ca.co, APP_MIGRATE);
    if (!a)
        return 1;
    int rc = run(a, argv[1], &ca);
    app_close(a);
    return cli_finish(rc);
}
