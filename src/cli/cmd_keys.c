/* SPDX-License-Identifier: Apache-2.0 */
/* tessera keys list|rotate|retire */
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/audit.h"
#include "core/key_admin.h"
#include "core/user.h"

static const char usage[] =
    "usage: tessera keys COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  list                 the keys: kid, alg, created, state (signing, published,\n"
    "                       waiting or retired), signs from (- for a key that never\n"
    "                       signed)\n"
    "  rotate [--alg ALG] [--now]\n"
    "                       create a new signing key (ES256, EdDSA, RS256, PS256;\n"
    "                       default tokens.algorithm); older keys stay published. It\n"
    "                       is in the JWKS at once and signs after\n"
    "                       tokens.key_publish_delay, once verifiers have fetched it;\n"
    "                       --now makes it sign at once (a compromised key)\n"
    "  retire KID           stop publishing a key; tokens it signed stop verifying\n"
    "                       (not the last key that can sign: rotate first)\n"
    "\n"
    "A running server picks up changes within its sync interval (about a second).\n"
    "\n"
    "options:\n"
    CLI_COMMON_HELP
    "  -h, --help           this help\n";

static int list_one(void *ctx, const struct key_info *k)
{
    char created[32], signs[32] = "-";
    (void)ctx;
    user_time(k->rec->created_at, created);
    if (k->signs_from)
        user_time(k->signs_from, signs);
    printf("%s\t%s\t%s\t%s\t%s\n", k->rec->kid, k->rec->alg, created, k->state, signs);
    return 0;
}

int cmd_keys(int argc, char **argv)
{
    struct cli_common co = { 0 };
    const char *alg = NULL, *kid = NULL;
    int now = 0;

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
        else if (!strcmp(argv[i], "--now") && !strcmp(cmd, "rotate"))
            now = 1;
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
    char why[256];
    ts_err e;
    if (!strcmp(cmd, "list")) {
        if ((e = key_admin_list(a, 1, list_one, NULL)))
            rc = cli_fail("cannot list keys: %s", ts_err_description(e));
    } else if (!strcmp(cmd, "rotate")) {
        char newkid[65], when[32];
        int64_t signs_from = 0;
        e = key_admin_rotate(a, &actor_cli, alg, now, newkid, &signs_from);
        if (e == TS_EINVAL)
            rc = cli_fail("keys rotate: unknown algorithm '%s' (ES256, EdDSA, RS256, PS256)",
                          alg ? alg : a->cfg.algorithm);
        else if (e)
            rc = cli_fail("keys rotate: %s", ts_err_description(e));
        else {
            printf("%s\n", newkid);
            user_time(signs_from, when);
            if (!now && a->cfg.key_publish_delay > 0)
                fprintf(stderr, "tessera: key %s is in the JWKS now and signs from %s "
                        "(tokens.key_publish_delay = %ld s; a running server activates "
                        "it; --now signs at once)\n", newkid, when,
                        a->cfg.key_publish_delay);
        }
    } else if ((e = key_admin_retire(a, &actor_cli, kid, why, sizeof why))) {
        rc = cli_fail("keys retire: %s", e == TS_ENOTFOUND || e == TS_ECONFLICT
                                             ? why : ts_err_description(e));
    }
    app_close(a);
    return cli_finish(rc);
}
