/* SPDX-License-Identifier: Apache-2.0 */
/* tessera db migrate */
#include <string.h>

#include "cli/cli.h"

int cmd_db(int argc, char **argv)
{
    static const char *const subs[] = { "migrate", NULL };
    struct cli_common co = { 0 };
    struct config cfg;
    int applied = 0, version = 0, r;
    struct option opts[] = {
        CLI_COMMON_OPTIONS(&co),
        OPT_END(),
    };
    const struct opt_command oc = {
        "db", "tessera db migrate [options]",
        "Applies the pending schema migrations (tessera serve also does this at "
        "start).\n",
        NULL, opts, 0, 0 };

    if ((r = options_subcommand(&oc, subs, argc - 1, argv + 1)) < 0 ||
        (r = options_parse(&oc, argv[1], argc - 2, argv + 2, NULL)) < 0)
        return options_exit(r);
    if (cli_load_config(&co, &cfg))
        return 2;
    char why[512];
    if (app_migrate(&cfg, &applied, &version, why, sizeof why))
        return cli_fail("%s", why);
    printf("applied %d migration(s); schema version %d\n", applied, version);
    return cli_finish(0);
}
