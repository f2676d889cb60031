/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logs: JSON lines on stderr, one write(2) each so lines from several threads never
 * interleave. Nothing logged may hold a password, secret or token: callers pass only
 * ids, names, paths without query strings and outcomes.
 */
#ifndef BASE_LOG_H
#define BASE_LOG_H

#include <jansson.h>

/* Writes {"ts":..., "level":level, "event":event, ...fields}. Steals `fields` (an
 * object or NULL). */
void log_event(const char *level, const char *event, json_t *fields);
/* The request line: {"ts", "level":"info", "event":"request", "method", "path",
 * "status", "duration_ms", "request_id", "ip", "aborted"?}, written without building a
 * JSON tree (it is on every request's path). */
struct log_request {
    const char *method, *path, *request_id, *ip;
    int status;
    double duration_ms;
    int aborted;
};
void log_request(const struct log_request *r);

/* A plain message: {"ts", "level", "event":"message", "msg"}. */
void log_msg(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Operator commands: with quiet on, nothing is written; the last "error" message is
 * kept instead, so the command can give it in its one line on stderr. */
void log_quiet(int on);
/* The last error message logged while quiet ("" when none); clears it. Static
 * storage of the calling thread. */
const char *log_take_error(void);

#endif
