/* SPDX-License-Identifier: Apache-2.0 */
/* tessera client add|update|list|show|rotate-secret|disable|enable|delete */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/audit.h"
#include "core/client.h"
#include "base/secret.h"

static const char about[] =
    "commands:\n"
    "  add NAME [--id ID] [--grants G,G] [--scopes S,S] [--roles R,R]\n"
    "           [--auth-method M[,M]] [--public] [--access-ttl SECONDS]\n"
    "           [--refresh-ttl SECONDS] [--idle-ttl SECONDS]\n"
    "           [--rotation on|off|default] [--disabled]\n"
    "           [--tls-subject-dn DN] [--tls-thumbprint X5T] [--audiences A,A]\n"
    "           [--redirect-uris U,U] [--post-logout-redirect-uris U,U]\n"
    "           [--first-party yes|no] [--backchannel-logout-uri U]\n"
    "           [--id-token-alg RS256|ES256|EdDSA]\n"
    "                       register a client; prints it as JSON with its secret,\n"
    "                       the only time the secret is shown\n"
    "  update ID [--grants G,G] [--scopes S,S] [--audiences A,A] [--redirect-uris U,U]\n"
    "           [--post-logout-redirect-uris U,U] [--first-party yes|no]\n"
    "           [--backchannel-logout-uri U] [--id-token-alg ALG]\n"
    "                       change those fields (\"\" empties a list or the URI);\n"
    "                       prints the client as JSON\n"
    "  list                 one line per client: id, name, grants, auth methods, state\n"
    "  show ID              the client as JSON (never the secret)\n"
    "  rotate-secret ID     a new secret, printed once; the old one stops working\n"
    "  disable ID           refuse the client's authentication\n"
    "  enable ID            allow it again\n"
    "  delete ID            remove the client and revoke every session it obtained\n"
    "\n"
    "grants: client_credentials (default), password, refresh_token,\n"
    "        authorization_code (needs --redirect-uris: absolute https URIs, or http\n"
    "        on 127.0.0.1, [::1] or localhost; no fragment; matched exactly, a\n"
    "        loopback IP on any port)\n"
    "auth methods: a client with a secret accepts client_secret_basic and\n"
    "              client_secret_post (default); --auth-method client_secret_basic (or\n"
    "              client_secret_post) pins it to one. none (--public), tls_client_auth\n"
    "              (with --tls-subject-dn), self_signed_tls_client_auth (with\n"
    "              --tls-thumbprint; tessera dev-certs prints both)\n";

struct client_args {
    struct cli_common co;
    struct client_new n;
    int first_party;            /* -1: not given */
    const char *pos[1];
    int npos;
};

/* --rotation on|off|default into the int in o->value (1, 0, -1). */
static int opt_rotation(const struct option *o, const char *v)
{
    int *r = o->value;
    if (!strcmp(v, "on"))
        *r = 1;
    else if (!strcmp(v, "off"))
        *r = 0;
    else if (!strcmp(v, "default"))
        *r = -1;
    else
        return cli_fail("client add: --rotation is on, off or default, not '%s'", v), -1;
    return 0;
}

/* --first-party yes|no into the int in o->value (1, 0). */
static int opt_first_party(const struct option *o, const char *v)
{
    int *r = o->value;
    if (!strcmp(v, "yes"))
        *r = 1;
    else if (!strcmp(v, "no"))
        *r = 0;
    else
        return cli_fail("client: --first-party is yes or no, not '%s'", v), -1;
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
        ca->n.first_party = ca->first_party > 0;
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
    } else if (!strcmp(cmd, "update")) {
        struct client_patch pa = CLIENT_PATCH_INIT;
        pa.grants = ca->n.grants;
        pa.scopes = ca->n.scopes;
        pa.audiences = ca->n.audiences;
        pa.redirect_uris = ca->n.redirect_uris;
        pa.post_logout_redirect_uris = ca->n.post_logout_redirect_uris;
        pa.first_party = ca->first_party;
        pa.backchannel_logout_uri = ca->n.backchannel_logout_uri;
        pa.id_token_alg = ca->n.id_token_alg;
        if ((e = client_update(a, &actor_cli, &c, &pa, why, sizeof why)))
            rc = cli_fail("update: %s", e == TS_EINVAL ? why : ts_err_description(e));
        else
            rc = print_json(client_to_json(&c), NULL);
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
    static const char *const cmds[] = { "add", "update", "list", "show", "rotate-secret",
                                        "disable", "enable", "delete", NULL };
    struct client_args ca = { .n.refresh_rotation = -1, .first_party = -1 };
    int r;
    struct option opts[] = {
        OPT_STRING(0, "id", &ca.n.id, "ID", "add: the client id (default: generated)"),
        OPT_STRING(0, "grants", &ca.n.grants, "G,G",
                   "add, update: the grant types it may use"),
        OPT_STRING(0, "scopes", &ca.n.scopes, "S,S",
                   "add, update: the most any of its tokens may carry"),
        OPT_STRING(0, "roles", &ca.n.roles, "R,R",
                   "add: the roles of its own tokens (client_credentials)"),
        OPT_STRING(0, "audiences", &ca.n.audiences, "A,A",
                   "add, update: the audiences (RFC 8707 resources) it may\nask for"),
        OPT_STRING(0, "redirect-uris", &ca.n.redirect_uris, "U,U",
                   "add, update: where /oauth2/authorize may send the\nbrowser back"),
        OPT_STRING(0, "post-logout-redirect-uris", &ca.n.post_logout_redirect_uris,
                   "U,U", "add, update: where a logout may send the browser"),
        OPT_CALLBACK(0, "first-party", &ca.first_party, "yes|no",
                     "add, update: a first-party client is never asked for\nconsent",
                     opt_first_party),
        OPT_STRING(0, "backchannel-logout-uri", &ca.n.backchannel_logout_uri, "U",
                   "add, update: where logout tokens are posted"),
        OPT_STRING(0, "id-token-alg", &ca.n.id_token_alg, "ALG",
                   "add, update: RS256 (default), ES256 or EdDSA"),
        OPT_STRING(0, "auth-method", &ca.n.auth_method, "M[,M]",
                   "add: how it authenticates (auth methods above)"),
        OPT_FLAG(0, "public", &ca.n.is_public, "add: a public client (no secret)"),
        OPT_NUMBER(0, "access-ttl", &ca.n.access_ttl, "SECONDS", 0, LONG_MAX,
                   "add: its access tokens' lifetime (0: the server's)"),
        OPT_NUMBER(0, "refresh-ttl", &ca.n.refresh_ttl, "SECONDS", 0, LONG_MAX,
                   "add: its refresh tokens' lifetime (0: the server's)"),
        OPT_NUMBER(0, "idle-ttl", &ca.n.refresh_idle_ttl, "SECONDS", 0, LONG_MAX,
                   "add: how long a refresh token may go unused\n(0: the server's)"),
        OPT_CALLBACK(0, "rotation", &ca.n.refresh_rotation, "on|off|default",
                     "add: refresh token rotation (default: the server's)", opt_rotation),
        OPT_FLAG(0, "disabled", &ca.n.disabled, "add: create it disabled"),
        OPT_STRING(0, "tls-subject-dn", &ca.n.tls_subject_dn, "DN",
                   "add: the subject of its certificate (tls_client_auth)"),
        OPT_STRING(0, "tls-thumbprint", &ca.n.tls_thumbprint, "X5T",
                   "add: its certificate's x5t#S256\n(self_signed_tls_client_auth)"),
        CLI_COMMON_OPTIONS(&ca.co),
        OPT_END(),
    };
    /* generated ids are base64url and may start with one '-' */
    struct opt_command oc = { "client", "tessera client COMMAND [options]", about, NULL,
                              opts, OPTIONS_DASH_OPERANDS, 1 };

    if ((r = options_subcommand(&oc, cmds, argc - 1, argv + 1)) < 0)
        return options_exit(r);
    oc.max_operands = strcmp(argv[1], "list") != 0;     /* NAME or ID; list none */
    if ((r = options_parse(&oc, argv[1], argc - 2, argv + 2, ca.pos)) < 0)
        return options_exit(r);
    ca.npos = r;
    int add = !strcmp(argv[1], "add"), update = !strcmp(argv[1], "update");
    if (!add &&
        (ca.n.id || ca.n.roles || ca.n.auth_method ||
         ca.n.is_public || ca.n.disabled || ca.n.access_ttl || ca.n.refresh_ttl ||
         ca.n.tls_subject_dn || ca.n.tls_thumbprint ||
         ca.n.refresh_idle_ttl || ca.n.refresh_rotation != -1))
        return cli_fail("client %s: the client options belong to 'client add'", argv[1]),
               2;
    if (!add && !update &&
        (ca.n.grants || ca.n.scopes || ca.n.audiences || ca.n.redirect_uris ||
         ca.n.post_logout_redirect_uris || ca.first_party >= 0 ||
         ca.n.backchannel_logout_uri || ca.n.id_token_alg))
        return cli_fail("client %s: the client options belong to 'client add' and "
                        "'client update'", argv[1]), 2;
    if (update && !(ca.n.grants || ca.n.scopes || ca.n.audiences || ca.n.redirect_uris ||
                    ca.n.post_logout_redirect_uris || ca.first_party >= 0 ||
                    ca.n.backchannel_logout_uri || ca.n.id_token_alg))
        return cli_fail("client update: give at least one field to change"), 2;
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
