/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The end user's client: what `tessera login`, `token`, `whoami`, `logout` and
 * `request` share. Private to src/client/; the design is in docs/cli.md ("End user").
 *
 *   enduser_store.c    where the token file lives, and reading and writing it safely
 *   enduser_http.c     one HTTP exchange through libcurl, and JSON request bodies
 *   enduser_tty.c      a line from the terminal, with echo off for passwords
 *   enduser_session.c  the identity and its options, refreshing, calling an API with
 *                      the token, messages
 *
 * Every function that fails prints its one line through cli_fail() unless it says
 * otherwise. Secrets (passwords, tokens) never reach stderr, argv or a log.
 */
#ifndef CLIENT_ENDUSER_H
#define CLIENT_ENDUSER_H

#include <limits.h>
#include <stddef.h>

#include "base/options.h"

#define ENDUSER_DEFAULT_SERVER "http://127.0.0.1:8080"
#define ENDUSER_REFRESH_MARGIN 60          /* refresh when the token expires sooner */
#define ENDUSER_CONNECT_TIMEOUT 10         /* seconds */
#define ENDUSER_TIMEOUT 60                 /* seconds for a whole exchange */
#define ENDUSER_MAX_AUTH_RESPONSE (1L << 20)
#define ENDUSER_MAX_RESPONSE (64L << 20)   /* tessera request */
#define ENDUSER_MAX_FILE 65536             /* a token file larger than this is corrupt */
#define ENDUSER_MAX_PROFILE 64

/* Return values besides 0 (success) and -1 (failed; the line is printed). */
#define ENDUSER_EXPIRED (-2)   /* the refresh token was refused: log in again (nothing
                                  printed: enduser_fail_expired() says it) */

/* What the command line and the environment chose: the identity and the CA. */
struct enduser_ctx {
    const char *profile;       /* --profile or TESSERA_PROFILE; NULL: the default */
    const char *cacert;        /* --cacert or TESSERA_CACERT; NULL: the stored one */
    char dir[PATH_MAX];        /* the token file's directory */
    char path[PATH_MAX];       /* the token file */
    int own_dir;               /* dir is our default ($XDG_CONFIG_HOME/tessera): it is
                                  created, and kept, at mode 0700 */
};

/* One logged-in identity, as the token file keeps it. Strings are malloc'd and
 * released (tokens wiped first) by enduser_session_clear(). */
struct enduser_session {
    char *server;              /* "https://auth.example:8443", no trailing '/' */
    char *username;            /* as typed at login */
    char *user_id;             /* NULL when the server did not say */
    char *scope;               /* granted scope, space-separated ("" when none) */
    char *access_token;
    char *refresh_token;       /* NULL when the server gave none */
    char *cacert;              /* CA file given at login; NULL: the system's */
    long long expires_at;      /* Unix time the access token expires */
};

void enduser_session_clear(struct enduser_session *s);

/* --- the identity: options and environment (enduser_session.c) ------------------- */

/* The rows of --profile and --cacert, which every command of the client takes, for
 * its option table (base/options.h), into the struct enduser_ctx *c. */
#define ENDUSER_OPTIONS(c)                                                            \
    OPT_CALLBACK(0, "profile", (c), "NAME",                                           \
                 "use the identity NAME (default: TESSERA_PROFILE, or the\n"          \
                 "default one); see docs/cli.md", enduser_opt_profile),               \
    OPT_CALLBACK(0, "cacert", (c), "FILE",                                            \
                 "trust the CA certificates in FILE for HTTPS (default:\n"            \
                 "TESSERA_CACERT, or the one given at login, or the system's)",       \
                 enduser_opt_cacert)

/* Their callbacks: a profile name that cannot be one, or an empty file name, is a
 * wrong command line (-1, printed). */
int enduser_opt_profile(const struct option *o, const char *arg);
int enduser_opt_cacert(const struct option *o, const char *arg);

/* Fills the environment defaults and the token file's path; 0 or -1. */
int enduser_ctx_init(struct enduser_ctx *c);

/* The CA file for a session: --cacert / TESSERA_CACERT, else the stored one. */
const char *enduser_cacert(const struct enduser_ctx *c, const struct enduser_session *s);

/* "tessera login" with the options that name this identity (" --profile X"), for
 * messages. Static storage. */
const char *enduser_login_hint(const struct enduser_ctx *c);

/* Prints "session expired; run tessera login ..." and returns 1. */
int enduser_fail_expired(const struct enduser_ctx *c);

/* --- the token file (enduser_store.c) --------------------------------------------- */

/* Checks a profile name: 1 to 64 of [A-Za-z0-9_.-], not starting with '.'. */
int enduser_profile_valid(const char *name);

/* Resolves c->dir and c->path from TESSERA_TOKEN_FILE, XDG_CONFIG_HOME, HOME and
 * c->profile. 0 or -1. */
int enduser_store_locate(struct enduser_ctx *c);

/* Reads the token file into *s (cleared first). Refuses a file that is missing, not a
 * regular file, a symbolic link, owned by another user, open to group or others, in a
 * directory others may write, or that is not what tessera login writes. 0 or -1. */
int enduser_store_load(const struct enduser_ctx *c, struct enduser_session *s);

/* Writes *s atomically: a new mode 0600 file beside the old one, fsync, rename, fsync
 * of the directory (created at 0700 when missing). 0 or -1. */
int enduser_store_save(const struct enduser_ctx *c, const struct enduser_session *s);

/* Removes the token file (missing is fine). 0 or -1. */
int enduser_store_remove(const struct enduser_ctx *c);

/* An exclusive lock on the token file's directory, held while a refresh reads, asks
 * and writes, so that two commands do not both spend one refresh token. Returns the fd
 * to pass to enduser_store_unlock(), or -1 (printed). */
int enduser_store_lock(const struct enduser_ctx *c);
void enduser_store_unlock(int fd);

/* --- HTTP (enduser_http.c) --------------------------------------------------------- */

struct enduser_http_req {
    const char *method;                /* "GET", "POST", ... */
    const char *url;                   /* absolute http:// or https:// */
    const char *bearer;                /* access token; NULL: no Authorization */
    const char *const *headers;        /* extra "Name: value" lines */
    size_t nheaders;
    const char *body;                  /* NULL: no body */
    size_t body_len;
    const char *content_type;          /* added when there is a body; NULL: none */
    const char *cacert;                /* NULL: the system's CAs */
    long max_response;                 /* bytes; larger answers fail */
};

struct enduser_http_resp {
    long status;
    char *body;                        /* NUL-terminated (also for binary bodies) */
    size_t len;
    long retry_after;                  /* seconds; -1 when the header is absent */
};

/*
 * Sends one request (connect timeout ENDUSER_CONNECT_TIMEOUT, whole exchange
 * ENDUSER_TIMEOUT, no redirects followed, http and https only). Returns 0 when an
 * answer came, whatever its status, and *out must then be released with
 * enduser_http_resp_clear(); -1 otherwise, with one sentence in err such as
 * "cannot reach http://127.0.0.1:8080: connection refused" (never a token).
 */
int enduser_http(const struct enduser_http_req *rq, struct enduser_http_resp *out,
                 char *err, size_t errlen);

/* Wipes and frees the body. */
void enduser_http_resp_clear(struct enduser_http_resp *r);

/* curl_global_cleanup() when enduser_http() initialised libcurl. */
void enduser_http_done(void);

/* A JSON object of string members {"k0": "v0", ...} from n name/value pairs (values
 * NULL are skipped), escaped by hand so that the password it may hold lives in one
 * buffer: release it with enduser_free_secret(). NULL when out of memory. */
char *enduser_json_strings(const char *const *kv, size_t n);

/* Wipes a NUL-terminated string and frees it; NULL is fine. */
void enduser_free_secret(char *s);

/* --- the terminal (enduser_tty.c) -------------------------------------------------- */

/*
 * Writes `prompt` to the controlling terminal (/dev/tty) and reads one line from it
 * into buf (newline stripped). With echo 0 the typed characters are not shown; the
 * terminal's previous settings come back on every path, also when SIGINT, SIGTERM,
 * SIGHUP or SIGQUIT ends the process (the signal is then re-raised) and around a
 * SIGTSTP stop. 0, or -1 with the reason in err.
 */
int enduser_tty_read(const char *prompt, int echo, char *buf, size_t len, char *err,
                     size_t errlen);

/* --- a session at work (enduser_session.c) ----------------------------------------- */

/* Takes access_token, expires_in and, when present, refresh_token and scope from a
 * login or refresh answer into *s (expires_at from this machine's clock). 0, or -1
 * when the answer is not a token response (nothing printed). */
int enduser_session_take_tokens(struct enduser_session *s,
                                const struct enduser_http_resp *r);

/*
 * Makes sure s->access_token is good for ENDUSER_REFRESH_MARGIN more seconds (always
 * refreshes when `force`): under the directory lock it reads the file again (another
 * command may have refreshed already), asks POST /v1/auth/refresh and saves the new
 * tokens, the rotated refresh token included. 0, -1 (printed), or ENDUSER_EXPIRED.
 */
int enduser_session_fresh(const struct enduser_ctx *c, struct enduser_session *s,
                          int force);

/*
 * Sends rq (its bearer is set here) with a fresh access token; when the answer is 401
 * refreshes once and sends again. 0 with *out (any status; release it), -1 (printed)
 * or ENDUSER_EXPIRED.
 */
int enduser_session_call(const struct enduser_ctx *c, struct enduser_session *s,
                         struct enduser_http_req *rq, struct enduser_http_resp *out);

/* Text appended to the line that says the server could not be reached, from now on
 * (logout: "; still logged in ..."). NULL: none. */
void enduser_session_net_hint(const char *hint);

/*
 * Prints one line for an error answer of the server: `what` ("login", "refresh", ...)
 * then the status, `error` and `error_description` of the body (control characters
 * replaced); 429 and 503 say how long to wait. Returns 1.
 */
int enduser_fail_response(const char *what, const struct enduser_http_resp *r);

/* Copies printable text of at most max bytes into out, '?' for control characters:
 * what a server said may be shown on a terminal. */
void enduser_sanitize(const char *in, size_t inlen, char *out, size_t max);

#endif
