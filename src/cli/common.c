/* SPDX-License-Identifier: Apache-2.0 */
/* Options and setup shared by every operator command. */
#include "cli/cli.h"

#include <string.h>

int cli_opt_set(const struct option *o, const char *arg)
{
    struct cli_common *c = o->value;
    if (c->nsets == CLI_MAX_SETS)
        return cli_fail("too many --set options (at most %d)", CLI_MAX_SETS), -1;
    c->sets[c->nsets++] = arg;
    return 0;
}

int cli_load_config(const struct cli_common *c, struct config *out)
{
    char err[512];
    const char *file = c->config_file;
#ifdef TESSERA_DEFAULT_CONFIG
    if (!file)
        file = TESSERA_DEFAULT_CONFIG;
#endif
    config_defaults(out);
    if (file && config_load_file(out, file, err, sizeof err))
        return cli_fail("%s", err), -1;
    if (config_load_env(out, err, sizeof err))
        return cli_fail("%s", err), -1;
    for (int i = 0; i < c->nsets; i++)
        if (config_set(out, c->sets[i], err, sizeof err))
            return cli_fail("--set: %s", err), -1;
    if (c->database && config_set_database(out, c->database, err, sizeof err))
        return cli_fail("--database: %s", err), -1;
    if (c->listen && config_set_listen(out, c->listen, err, sizeof err))
        return cli_fail("--listen: %s", err), -1;
    if (config_finish(out, err, sizeof err))
        return cli_fail("%s", err), -1;
    return 0;
}

struct app *cli_open_app(const struct cli_common *c, unsigned flags)
{
    struct config cfg;
    struct app *a;
    char err[512];
    if (cli_load_config(c, &cfg))
        return NULL;
    if (app_open(&cfg, flags, &a, err, sizeof err)) {
        cli_fail("%s", err);
        return NULL;
    }
    return a;
}

