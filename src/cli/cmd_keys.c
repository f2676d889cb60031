/* SPDX-License-Identifier: Apache-2.0 */
/* tessera keys list|rotate|retire */
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/audit.h"
#include "core/key_admin.h"
#include "core/user.h"

static const char about[] =
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
    "A running server picks up changes within its sync interval (about a second).\n";

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
    static const char *const subs[] = { "list", "rotate", "retire", NULL };
    struct cli_common co = { 0 };
    const char *alg = NULL, *kid = NULL;
    int now = 0, r;
    struct option opts[] = {
        OPT_STRING(0, "alg", &alg, "ALG", "rotate: the new key's algorithm"),
        OPT_FLAG(0, "now", &now, "rotate: the new key signs at once"),
        CLI_COMMON_OPTIONS(&co),
        OPT_END(),
    };
    /* kids are base64url: one leading '-' is a kid (OPTIONS_DASH_OPERANDS) */
    struct opt_command oc = { "keys", "tessera keys COMMAND [options]", about, NULL,
                              opts, OPTIONS_DASH_OPERANDS, 0 };

    if ((r = options_subcommand(&oc, subs, argc - 1, argv + 1)) < 0)
        return options_exit(r);
    const char *cmd = subs[r];
    oc.max_operands = !strcmp(cmd, "retire");
    if ((r = options_parse(&oc, cmd, argc - 2, argv + 2, &kid)) < 0)
        return options_exit(r);
    if (strcmp(cmd, "rotate") && (alg || now))
        return cli_fail("keys %s: --alg and --now belong to 'keys rotate'", cmd), 2;
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
