/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The end user's token file: where it lives, and reading and writing it so that no
 * other user can read it, swap it or catch it half written.
 *
 * One file per identity: token.json for the default one, token-NAME.json for
 * `--profile NAME`, side by side in one directory. Separate files keep each write a
 * single atomic rename that touches no other identity.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <stdio.h>

#include "base/cmdio.h"
#include "client/enduser.h"
#include "base/secret.h"

#define FILE_VERSION 1

int enduser_profile_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > ENDUSER_MAX_PROFILE || name[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (!(ch >= 'a' && ch <= 'z') && !(ch >= 'A' && ch <= 'Z') &&
            !(ch >= '0' && ch <= '9') && ch != '_' && ch != '-' && ch != '.')
            return 0;
    }
    return 1;
}

/* snprintf into a PATH_MAX buffer; -1 (printed) when it does not fit. */
static int path_fmt(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int path_fmt(char *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, PATH_MAX, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= PATH_MAX)
        return cli_fail("the token file's path is too long"), -1;
    return 0;
}

int enduser_store_locate(struct enduser_ctx *c)
{
    const char *file = getenv("TESSERA_TOKEN_FILE");
    const char *name = c->profile;

    if (file && *file) {
        /* TESSERA_TOKEN_FILE is the default identity's file; profiles sit beside it */
        const char *slash = strrchr(file, '/');
        if (slash == file)
            strcpy(c->dir, "/");
        else if (slash) {
            if (path_fmt(c->dir, "%.*s", (int)(slash - file), file))
                return -1;
        } else
            strcpy(c->dir, ".");
        c->own_dir = 0;
        if (!name)
            return path_fmt(c->path, "%s", file);
        return path_fmt(c->path, "%s/token-%s.json", c->dir, name);
    }

    /* XDG Base Directory: a relative XDG_CONFIG_HOME is to be ignored */
    const char *xdg = getenv("XDG_CONFIG_HOME");
    if (xdg && xdg[0] == '/') {
        if (path_fmt(c->dir, "%s/tessera", xdg))
            return -1;
    } else {
        const char *home = getenv("HOME");
        if (!home || home[0] != '/') {
            struct passwd *pw = getpwuid(getuid());
            home = pw ? pw->pw_dir : NULL;
        }
        if (!home || home[0] != '/')
            return cli_fail("no home directory to keep the token file in: set HOME, "
                            "XDG_CONFIG_HOME or TESSERA_TOKEN_FILE"), -1;
        if (path_fmt(c->dir, "%s/.config/tessera", home))
            return -1;
    }
    c->own_dir = 1;
    if (!name)
        return path_fmt(c->path, "%s/token.json", c->dir);
    return path_fmt(c->path, "%s/token-%s.json", c->dir, name);
}

/* A directory another user could write to (without the sticky bit) lets them replace
 * the token file: refuse it. `st` is the directory's. */
static int dir_safe(const char *dir, const struct stat *st)
{
    if (!S_ISDIR(st->st_mode))
        return cli_fail("%s is not a directory", dir), -1;
    if (st->st_uid != getuid() && st->st_uid != 0)
        return cli_fail("directory %s belongs to uid %lu, not to you (uid %lu); refusing "
                        "to keep tokens there", dir, (unsigned long)st->st_uid,
                        (unsigned long)getuid()), -1;
    if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_mode & S_ISVTX))
        return cli_fail("directory %s is writable by others (mode %04o); refusing to "
                        "keep tokens there", dir, (unsigned)(st->st_mode & 07777)), -1;
    return 0;
}

/* mkdir -p with mode 0700 for every directory it creates. */
static int mkdirs(const char *dir)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1; ; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char keep = *s;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST)
            return cli_fail("cannot create directory %s: %s", p, strerror(errno)), -1;
        *s = keep;
        if (!keep)
            return 0;
    }
}

/* Creates the directory when missing and checks it; our own default directory is
 * brought back to 0700. */
static int prepare_dir(const struct enduser_ctx *c)
{
    struct stat st;
    if (stat(c->dir, &st) != 0) {
        if (errno != ENOENT)
            return cli_fail("cannot use directory %s: %s", c->dir, strerror(errno)), -1;
        if (mkdirs(c->dir) || stat(c->dir, &st) != 0)
            return cli_fail("cannot create directory %s: %s", c->dir, strerror(errno)),
                   -1;
    }
    if (dir_safe(c->dir, &st))
        return -1;
    if (c->own_dir && st.st_uid == getuid() && (st.st_mode & 077) &&
        chmod(c->dir, 0700) != 0)
        return cli_fail("cannot set the mode of %s to 0700: %s", c->dir,
                        strerror(errno)), -1;
    return 0;
}

void enduser_session_clear(struct enduser_session *s)
{
    free(s->server);
    free(s->username);
    free(s->user_id);
    free(s->scope);
    enduser_free_secret(s->access_token);
    enduser_free_secret(s->refresh_token);
    free(s->cacert);
    memset(s, 0, sizeof *s);
}

/* A string member: 0 with a copy in *out (NULL when absent and optional), -1. */
static int take_string(json_t *o, const char *key, int required, char **out)
{
    json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return required ? -1 : 0;
    if (!json_is_string(v))
        return -1;
    *out = strdup(json_string_value(v));
    return *out ? 0 : -1;
}

static int parse_file(const char *text, size_t len, struct enduser_session *s,
                      const char **why)
{
    json_error_t jerr;
    json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr), *v;
    int rc = -1;

    *why = "not JSON";
    if (!o)
        return -1;
    *why = "not what tessera login writes";
    if (!json_is_object(o))
        goto out;
    v = json_object_get(o, "version");
    if (!json_is_integer(v) || json_integer_value(v) != FILE_VERSION) {
        *why = "unknown version";
        goto out;
    }
    v = json_object_get(o, "expires_at");
    if (!json_is_integer(v))
        goto out;
    s->expires_at = json_integer_value(v);
    if (take_string(o, "server", 1, &s->server) ||
        take_string(o, "username", 1, &s->username) ||
        take_string(o, "user_id", 0, &s->user_id) ||
        take_string(o, "scope", 1, &s->scope) ||
        take_string(o, "access_token", 1, &s->access_token) ||
        take_string(o, "refresh_token", 0, &s->refresh_token) ||
        take_string(o, "cacert", 0, &s->cacert))
        goto out;
    if (strncmp(s->server, "http://", 7) != 0 && strncmp(s->server, "https://", 8) != 0) {
        *why = "the server is not an http:// or https:// URL";
        goto out;
    }
    if (!*s->access_token) {
        *why = "no access token";
        goto out;
    }
    rc = 0;
out:
    json_decref(o);
    return rc;
}

int enduser_store_load(const struct enduser_ctx *c, struct enduser_session *s)
{
    char *buf = NULL;
    const char *why;
    struct stat st, dst;
    size_t len = 0;
    int fd, rc = -1;

    enduser_session_clear(s);
    fd = open(c->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT)
            return cli_fail("not logged in (no %s); run %s", c->path,
                            enduser_login_hint(c)), -1;
        if (errno == ELOOP)
            return cli_fail("token file %s is a symbolic link; refusing to use it",
                            c->path), -1;
        return cli_fail("cannot open token file %s: %s", c->path, strerror(errno)), -1;
    }
    if (fstat(fd, &st) != 0) {
        cli_fail("cannot read token file %s: %s", c->path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        cli_fail("token file %s is not a regular file; refusing to use it", c->path);
        goto out;
    }
    if (st.st_uid != getuid()) {
        cli_fail("token file %s belongs to uid %lu, not to you (uid %lu); refusing to "
                 "use it", c->path, (unsigned long)st.st_uid, (unsigned long)getuid());
        goto out;
    }
    if (st.st_mode & 077) {
        cli_fail("token file %s is open to other users (mode %04o); refusing to use it "
                 "(its tokens may have been read): run %s to replace it", c->path,
                 (unsigned)(st.st_mode & 07777), enduser_login_hint(c));
        goto out;
    }
    if (stat(c->dir, &dst) != 0) {
        cli_fail("cannot use directory %s: %s", c->dir, strerror(errno));
        goto out;
    }
    if (dir_safe(c->dir, &dst))
        goto out;
    if (st.st_size > ENDUSER_MAX_FILE) {
        cli_fail("token file %s is corrupt (too large); run %s", c->path,
                 enduser_login_hint(c));
        goto out;
    }
    if (!(buf = malloc(ENDUSER_MAX_FILE + 1))) {
        cli_fail("out of memory");
        goto out;
    }
    for (;;) {
        ssize_t n = read(fd, buf + len, ENDUSER_MAX_FILE + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            cli_fail("cannot read token file %s: %s", c->path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > ENDUSER_MAX_FILE) {
            cli_fail("token file %s is corrupt (too large); run %s", c->path,
                     enduser_login_hint(c));
            goto out;
        }
    }
    if (parse_file(buf, len, s, &why)) {
        enduser_session_clear(s);
        cli_fail("token file %s is corrupt (%s); run %s", c->path, why,
                 enduser_login_hint(c));
        goto out;
    }
    rc = 0;
out:
    if (buf) {
        secret_wipe(buf, ENDUSER_MAX_FILE + 1);
        free(buf);
    }
    close(fd);
    return rc;
}

static json_t *session_json(const struct enduser_session *s)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    /* jansson copies each string; a NULL from json_string() makes set_new fail */
    if (json_object_set_new(o, "version", json_integer(FILE_VERSION)) ||
        json_object_set_new(o, "server", json_string(s->server)) ||
        json_object_set_new(o, "username", json_string(s->username)) ||
        (s->user_id && json_object_set_new(o, "user_id", json_string(s->user_id))) ||
        json_object_set_new(o, "scope", json_string(s->scope ? s->scope : "")) ||
        json_object_set_new(o, "token_type", json_string("Bearer")) ||
        json_object_set_new(o, "access_token", json_string(s->access_token)) ||
        json_object_set_new(o, "expires_at", json_integer(s->expires_at)) ||
        json_object_set_new(o, "refresh_token", s->refresh_token ?
                            json_string(s->refresh_token) : json_null()) ||
        (s->cacert && json_object_set_new(o, "cacert", json_string(s->cacert)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int enduser_store_save(const struct enduser_ctx *c, const struct enduser_session *s)
{
    char tmp[PATH_MAX];
    json_t *o;
    char *text;
    int fd, dfd, rc = -1;

    if (prepare_dir(c) || path_fmt(tmp, "%s/.tessera-token.XXXXXX", c->dir))
        return -1;
    if (!(o = session_json(s)))
        return cli_fail("out of memory"), -1;
    text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!text)
        return cli_fail("out of memory"), -1;

    fd = mkostemp(tmp, O_CLOEXEC);         /* mode 0600, O_EXCL */
    if (fd < 0) {
        cli_fail("cannot create a file in %s: %s", c->dir, strerror(errno));
        goto out;
    }
    if (fchmod(fd, 0600) != 0 || write_all(fd, text, strlen(text)) ||
        write_all(fd, "\n", 1) || fsync(fd) != 0) {
        cli_fail("cannot write %s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        goto out;
    }
    if (close(fd) != 0 || rename(tmp, c->path) != 0) {
        cli_fail("cannot write %s: %s", c->path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    /* the rename itself survives a crash once the directory is synced */
    dfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    rc = 0;
out:
    enduser_free_secret(text);
    return rc;
}

int enduser_store_remove(const struct enduser_ctx *c)
{
    if (unlink(c->path) != 0 && errno != ENOENT)
        return cli_fail("cannot remove %s: %s", c->path, strerror(errno)), -1;
    int dfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

int enduser_store_lock(const struct enduser_ctx *c)
{
    int fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return cli_fail("cannot open directory %s: %s", c->dir, strerror(errno)), -1;
    while (flock(fd, LOCK_EX) != 0) {
        if (errno == EINTR)
            continue;
        cli_fail("cannot lock directory %s: %s", c->dir, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

void enduser_store_unlock(int fd)
{
    if (fd >= 0)
        close(fd);          /* releases the flock */
}
