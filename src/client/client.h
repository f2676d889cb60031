/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The end user's client: `tessera login`, `token`, `whoami`, `request` and `logout`
 * (cmd_*.c here; what they share is in enduser.h). It speaks to a server over HTTP
 * only, so it includes base/ and nothing of the server: no store, no core.
 */
#ifndef CLIENT_CLIENT_H
#define CLIENT_CLIENT_H

/* The commands; argv[0] is the command's name. */
int cmd_login(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_whoami(int argc, char **argv);
int cmd_logout(int argc, char **argv);
int cmd_request(int argc, char **argv);

#endif
