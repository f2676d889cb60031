/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every operator command shares: the options that locate the configuration and
 * the database (--config, --database, --set; serve's --listen), and opening the app
 * from them.
 */
#ifndef CLI_CLI_H
#define CLI_CLI_H

#include <stdio.h>

#include "base/cmdio.h"
#include "base/options.h"
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
#define CLI_CONFIG_HELP   "configuration file (INI; default\n" TESSERA_DEFAULT_CONFIG ")"
#define CLI_DATABASE_HELP "database (default: database.url of the configuration)"
#else
#define CLI_CONFIG_HELP   "configuration file (INI)"
#define CLI_DATABASE_HELP "database (default ./tessera.db)"
#endif

/* The rows of the options every operator command takes, for its option table
 * (base/options.h): --config, --database and --set, into *co. */
#define CLI_COMMON_OPTIONS(co)                                                      \
    OPT_STRING(0, "config", &(co)->config_file, "FILE", CLI_CONFIG_HELP),           \
    OPT_STRING(0, "database", &(co)->database, "URL", CLI_DATABASE_HELP),           \
    OPT_CALLBACK(0, "set", (co), "SECTION.KEY=V", "override one configuration key", \
                 cli_opt_set)

/* --set's callback: adds the value to the struct cli_common in o->value. */
int cli_opt_set(const struct option *o, const char *arg);

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
