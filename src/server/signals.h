/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server's signals: SIGTERM and SIGINT stop it, SIGHUP reloads the signing keys.
 * They are blocked in every thread and taken by the main thread's sigwait(), so no
 * handler ever runs in the middle of a request.
 */
#ifndef SERVER_SIGNALS_H
#define SERVER_SIGNALS_H

struct app;

/* Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (every thread started after
 * this inherits the mask) and ignores SIGPIPE. Call before the first thread starts. */
void signals_block(void);

/* Waits for SIGTERM or SIGINT and returns it; a SIGHUP in between reloads a's key
 * ring (logged) and waits on. */
int signals_wait(struct app *a);

#endif
