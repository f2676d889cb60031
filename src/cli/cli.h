/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every subcommand shares: the options that locate the configuration and the
 * database (--config, --database, --listen, --set), and opening the app from them.
 */
#ifndef CLI_CLI_H
#define CLI_CLI_H

#include <stdio.h>

#include "base/cmdio.h"
#include "core/app.h"

#define CLI_MAX_SETS 64

struct cli_common {
    const char *config_file;
    const char *database;
    const char *listen;
    const char *sets[CLI_MAX_SETS];
    int nsets;
};

/* The configuration file read when --config is not given: none, unless the build
 * names one (make TESSERA_DEFAULT_CONFIG=/etc/tessera/tessera.conf, as the Debian
 * package does), so that the operator commands of an installed server find its
 * database. A default file that is missing is an error, never a silent ./tessera.db. */
#ifdef TESSERA_DEFAULT_CONFIG
#define CLI_COMMON_HELP \
    "  --config FILE        configuration file (INI; default\n" \
    "                       " TESSERA_DEFAULT_CONFIG ")\n" \
    "  --database URL       database (default: database.url of the configuration)\n" \
    "  --set SECTION.KEY=V  override one configuration key\n"
#else
#define CLI_COMMON_HELP \
    "  --config FILE        configuration file (INI)\n" \
    "  --database URL       database (default ./tessera.db)\n" \
    "  --set SECTION.KEY=V  override one configuration key\n"
#endif

/* If argv[*i] is a common option, consumes it (and its value) and returns 1; returns
 * -1 after printing an error when its value is missing; 0 otherwise. */
int cli_common_opt(struct cli_common *c, int argc, char **argv, int *i);

/* Defaults, then the file (--config, or TESSERA_DEFAULT_CONFIG when the build names
 * one), env, --set, then --database/--listen. 0 or -1 (printed). */
int cli_load_config(const struct cli_common *c, struct config *out);

/* Loads the config and opens the app with `flags`; prints the error and returns NULL
 * on failure. */
struct app *cli_open_app(const struct cli_common *c, unsigned flags);

/* The operator's commands and the server (cmd_*.c; the end user's are in
 * client/client.h). argv[0] is the command's name. */
int cmd_serve(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_client(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_sessions(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_devcerts(int argc, char **argv);

#endif
