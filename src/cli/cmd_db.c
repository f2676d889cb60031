/* SPDX-License-Identifier: Apache-2.0 */
/* tessera db migrate */
#include <string.h>

#include "cli/cli.h"

int cmd_db(int argc, char **argv)
{
    static const char *const subs[] = { "migrate", NULL };
    struct cli_common co = { 0 };
    struct config cfg;
    struct store *st;
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
    char shown[256];
    if (store_open(cfg.database_url, &st))
        return cli_fail("cannot open database %s",
                        store_url_display(cfg.database_url, shown, sizeof shown));
    ts_err e = st->ops->migrate(st, &applied);
    if (!e)
        e = st->ops->schema_version(st, &version);
    st->ops->close(st);
    if (e)
        return cli_fail("migration failed: %s", ts_err_description(e));
    printf("applied %d migration(s); schema version %d\n", applied, version);
    return cli_finish(0);
}
