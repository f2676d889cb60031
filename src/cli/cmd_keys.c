/* tessera keys list|rotate|retire */
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/audit.h"
#include "core/keyring.h"

static const char usage[] =
    "usage: tessera keys COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  list                 the keys: kid, alg, created, signing/published/retired\n"
    "  rotate [--alg ALG]   create a new signing key (ES256, EdDSA, RS256, PS256;\n"
    "                       default tokens.algorithm); older keys stay published\n"
    "  retire KID           stop publishing a key; tokens it signed stop verifying\n"
    "\n"
    "A running server picks up changes at its next start or on SIGHUP.\n"
    "\n"
    "options:\n"
    CLI_COMMON_HELP
    "  -h, --help           this help\n";

struct newest {
    char kid[65];
    int64_t at;
};

/* The signing key is the newest activated one that is not retired (core/keyring.c). */
static int find_signer(void *ctx, const struct signing_key_rec *k)
{
    struct newest *n = ctx;
    if (k->activated_at && !k->retired_at && k->activated_at >= n->at) {
        n->at = k->activated_at;
        snprintf(n->kid, sizeof n->kid, "%s", k->kid);
    }
    return 0;
}

static int list_one(void *ctx, const struct signing_key_rec *k)
{
    const struct newest *n = ctx;
    char created[32];
    struct tm tm;
    time_t t = (time_t)k->created_at;
    gmtime_r(&t, &tm);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    printf("%s\t%s\t%s\t%s\n", k->kid, k->alg, created,
           k->retired_at ? "retired" : !strcmp(k->kid, n->kid) ? "signing" : "published");
    return 0;
}

int cmd_keys(int argc, char **argv)
{
    struct cli_common co = { 0 };
    const char *alg = NULL, *kid = NULL;

    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
        return fputs(usage, argc < 2 ? stderr : stdout), cli_finish(argc < 2 ? 2 : 0);
    const char *cmd = argv[1];
    if (strcmp(cmd, "list") && strcmp(cmd, "rotate") && strcmp(cmd, "retire"))
        return cli_fail("keys: unknown command '%s' (see tessera keys --help)", cmd), 2;
    for (int i = 2; i < argc; i++) {
        int r = cli_common_opt(&co, argc, argv, &i);
        if (r < 0)
            return 2;
        if (r)
            continue;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return fputs(usage, stdout), cli_finish(0);
        if (!strcmp(argv[i], "--alg") && i + 1 < argc)
            alg = argv[++i];
        else if (!strcmp(argv[i], "--") && i + 1 < argc && !kid)
            kid = argv[++i];
        else if (strncmp(argv[i], "--", 2) != 0 && !kid)
            kid = argv[i];      /* kids are base64url: one leading '-' is a kid */
        else
            return cli_fail("keys %s: unexpected argument '%s'", cmd, argv[i]), 2;
    }
    if (!strcmp(cmd, "retire") && !kid)
        return cli_fail("keys retire: name the key id (see tessera keys list)"), 2;

    struct app *a = cli_open_app(&co, APP_MIGRATE);
    if (!a)
        return 1;
    int rc = 0;
    ts_err e;
    if (!strcmp(cmd, "list")) {
        struct newest n = { "", 0 };
        if ((e = a->st->ops->key_list(a->st, 0, find_signer, &n)) ||
            (e = a->st->ops->key_list(a->st, 1, list_one, &n)))
            rc = cli_fail("cannot list keys: %s", ts_err_description(e));
    } else if (!strcmp(cmd, "rotate")) {
        char newkid[65];
        if (!alg)
            alg = a->cfg.algorithm;
        e = keyring_rotate(a->st, alg, (int64_t)time(NULL), newkid);
        if (e == TS_EINVAL)
            rc = cli_fail("keys rotate: unknown algorithm '%s' (ES256, EdDSA, RS256, PS256)",
                          alg);
        else if (e)
            rc = cli_fail("keys rotate: %s", ts_err_description(e));
        else {
            audit(a, "admin.key.rotate", NULL, NULL, NULL, json_pack("{s:s}", "kid", newkid));
            printf("%s\n", newkid);
        }
    } else {
        e = keyring_retire(a->st, kid, (int64_t)time(NULL));
        if (e == TS_ENOTFOUND)
            rc = cli_fail("keys retire: no key '%s'", kid);
        else if (e)
            rc = cli_fail("keys retire: %s", ts_err_description(e));
        else
            audit(a, "admin.key.retire", NULL, NULL, NULL, json_pack("{s:s}", "kid", kid));
    }
    app_close(a);
    return cli_finish(rc);
}
