/* SPDX-License-Identifier: Apache-2.0 */
/* JSON-lines logging to stderr. */
#include "base/log.h"

#include "base/jsonw.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int quiet;
static _Thread_local char last_error[512];
static _Thread_local char taken[512];

void log_quiet(int on)
{
    quiet = on;
}

const char *log_take_error(void)
{
    memcpy(taken, last_error, sizeof taken);
    last_error[0] = '\0';
    return taken;
}

static void timestamp(char out[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

void log_event(const char *level, const char *event, json_t *fields)
{
    char ts[32];
    if (quiet) {
        json_decref(fields);
        return;
    }
    json_t *line = json_object();
    if (!line) {
        json_decref(fields);
        return;
    }
    timestamp(ts);
    json_object_set_new(line, "ts", json_string(ts));
    json_object_set_new(line, "level", json_string(level));
    json_object_set_new(line, "event", json_string(event));
    if (fields)
        json_object_update(line, fields);
    json_decref(fields);

    char *s = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(line);
    if (!s)
        return;
    size_t n = strlen(s);
    s[n] = '\n';                /* json_dumps leaves the NUL; we write n + 1 bytes */
    ssize_t w = write(STDERR_FILENO, s, n + 1);
    (void)w;
    free(s);
}

void log_request(const struct log_request *r)
{
    char ts[32], ms[32];
    struct jw w;
    size_t n;
    if (quiet)
        return;
    timestamp(ts);
    snprintf(ms, sizeof ms, "%.3f", r->duration_ms);
    jw_init(&w);
    jw_open(&w);
    jw_str(&w, "ts", ts);
    jw_str(&w, "level", "info");
    jw_str(&w, "event", "request");
    jw_str(&w, "method", r->method ? r->method : "");
    jw_str(&w, "path", r->path ? r->path : "");
    jw_int(&w, "status", r->status);
    jw_raw(&w, "duration_ms", ms);
    jw_str(&w, "request_id", r->request_id ? r->request_id : "");
    jw_str(&w, "ip", r->ip ? r->ip : "");
    if (r->aborted)
        jw_bool(&w, "aborted", 1);
    jw_close(&w);
    char *s = jw_finish(&w, &n);
    if (!s)
        return;
    /* jw_finish leaves room for the NUL: the newline takes its place. */
    s[n] = '\n';
    ssize_t wr = write(STDERR_FILENO, s, n + 1);
    (void)wr;
    free(s);
}

void log_msg(const char *level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (quiet) {
        if (strcmp(level, "error") == 0)
            memcpy(last_error, msg, sizeof last_error);
        return;
    }
    log_event(level, "message", json_pack("{s:s}", "msg", msg));
}
