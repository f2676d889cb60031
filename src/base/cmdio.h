/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every command of the binary prints and reads, the server's operator commands
 * and the end user's client alike: its one line of failure on stderr, its password
 * from stdin, and the check that its output reached stdout.
 */
#ifndef BASE_CMDIO_H
#define BASE_CMDIO_H

#include <stddef.h>

/* "tessera: <message>" on stderr, followed by " (<reason>)" when the log kept one
 * (log_take_error); returns 1 (the exit status for failures). */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reads a password from stdin (one line, newline stripped) into buf; -1 on error or
 * when the line does not fit. */
int cli_read_password(char *buf, size_t len);

/* Flushes stdout; reports a write error (disk full, closed pipe) as a failure: returns
 * `status`, or 1 after printing the error. */
int cli_finish(int status);

#endif
