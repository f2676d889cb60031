/* SPDX-License-Identifier: Apache-2.0 */
/* tessera login: a password login whose tokens go to the token file. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <stdio.h>

#include "base/cmdio.h"
#include "base/secret.h"
#include "client/client.h"
#include "client/enduser.h"

#define MAX_SERVER_URL 1024
#define MAX_USERNAME 320

static const char about[] =
    "Logs in to a tessera server and keeps the tokens in the token file\n"
    "($XDG_CONFIG_HOME/tessera/token.json, mode 0600) for tessera token, whoami,\n"
    "request and logout. The password is asked on the terminal, without echo.\n";

struct login_args {
    struct enduser_ctx ctx;
    const char *server, *username, *scope;
    int password_stdin;
};

/* --password, --password=...: not an option, so that no password shows in ps. */
static int opt_password(const struct option *o, const char *arg)
{
    return cli_fail("login: passwords are not taken from the command line, where ps "
                    "shows them; use --password-stdin or the prompt"), -1;
}

/* The server's base URL without trailing '/' into out; -1 (printed) when unusable. */
static int server_url(const char *in, char *out, size_t len)
{
    size_t n = strlen(in);
    if (strncmp(in, "http://", 7) != 0 && strncmp(in, "https://", 8) != 0)
        return cli_fail("the server URL must start with http:// or https://"), -1;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)in[i] <= ' ' || in[i] == 0x7f)
            return cli_fail("the server URL has spaces or control characters"), -1;
    while (n > 8 && in[n - 1] == '/')
        n--;
    if (n >= len || n >= MAX_SERVER_URL)
        return cli_fail("the server URL is too long"), -1;
    memcpy(out, in, n);
    out[n] = '\0';
    return 0;
}

static int get_password(const struct login_args *a, const char *username,
                        const char *server, char *pw, size_t len)
{
    char prompt[MAX_USERNAME + MAX_SERVER_URL + 32], who[MAX_USERNAME + 1], err[256];
    if (a->password_stdin) {
        if (cli_read_password(pw, len) || !*pw)
            return cli_fail("no password on standard input (or longer than %d "
                            "characters)", SECRET_PASSWORD_MAX), -1;
        return 0;
    }
    enduser_sanitize(username, strlen(username), who, sizeof who);
    snprintf(prompt, sizeof prompt, "Password for %s at %s: ", who, server);
    if (enduser_tty_read(prompt, 0, pw, len, err, sizeof err))
        return cli_fail("cannot ask for the password: %s; use --password-stdin", err), -1;
    if (!*pw)
        return cli_fail("no password given"), -1;
    return 0;
}

/* The answer of a successful login into *s; -1 (printed) when it is not one. */
static int take_login(const struct enduser_http_resp *r, struct enduser_session *s)
{
    json_t *o, *id;
    if (enduser_session_take_tokens(s, r))
        return cli_fail("login: %s sent an answer that is not a token response",
                        s->server), -1;
    o = json_loadb(r->body, r->len, 0, NULL);
    id = json_object_get(json_object_get(o, "user"), "id");
    if (json_is_string(id))
        s->user_id = strdup(json_string_value(id));
    json_decref(o);
    if (!s->scope && !(s->scope = strdup("")))
        return cli_fail("out of memory"), -1;
    return 0;
}

static int login(struct login_args *a)
{
    struct enduser_session s = { 0 };
    struct enduser_http_req rq = { .method = "POST", .content_type = "application/json",
                                   .max_response = ENDUSER_MAX_AUTH_RESPONSE };
    struct enduser_http_resp r = { 0 };
    char server[MAX_SERVER_URL + 1], url[MAX_SERVER_URL + 32], user[MAX_USERNAME + 2];
    char pw[SECRET_PASSWORD_MAX + 2], err[512];
    char *body = NULL;
    const char *env;
    int rc = 1;

    pw[0] = '\0';
    if (!a->server && (env = getenv("TESSERA_URL")) && *env)
        a->server = env;
    if (server_url(a->server ? a->server : ENDUSER_DEFAULT_SERVER, server, sizeof server))
        return 2;
    if (a->ctx.cacert && !(s.cacert = realpath(a->ctx.cacert, NULL)))
        return cli_fail("cannot use the CA file %s", a->ctx.cacert);

    if (a->username) {
        if (strlen(a->username) > MAX_USERNAME || !*a->username) {
            cli_fail("--username must be 1 to %d characters", MAX_USERNAME);
            rc = 2;                                 /* a wrong command line */
            goto out;
        }
        snprintf(user, sizeof user, "%s", a->username);
    } else if (a->password_stdin) {
        cli_fail("give --username with --password-stdin");
        rc = 2;
        goto out;
    } else if (enduser_tty_read("Username: ", 1, user, sizeof user, err, sizeof err)) {
        cli_fail("cannot ask for the username: %s; use --username", err);
        goto out;
    } else if (!*user || strlen(user) > MAX_USERNAME) {
        cli_fail("the username must be 1 to %d characters", MAX_USERNAME);
        goto out;
    }
    if (get_password(a, user, server, pw, sizeof pw))
        goto out;

    const char *kv[] = { "username", user, "password", pw, "scope", a->scope };
    body = enduser_json_strings(kv, 6);
    secret_wipe(pw, sizeof pw);
    if (!body) {
        cli_fail("out of memory");
        goto out;
    }
    snprintf(url, sizeof url, "%s/v1/auth/login", server);
    rq.url = url;
    rq.body = body;
    rq.body_len = strlen(body);
    rq.cacert = s.cacert;
    if (enduser_http(&rq, &r, err, sizeof err)) {
        cli_fail("%s", err);
        goto out;
    }
    if (r.status == 401) {
        cli_fail("wrong username or password");
        goto out;
    }
    if (r.status != 200) {
        enduser_fail_response("login", &r);
        goto out;
    }
    if (!(s.server = strdup(server)) || !(s.username = strdup(user))) {
        cli_fail("out of memory");
        goto out;
    }
    if (take_login(&r, &s) || enduser_store_save(&a->ctx, &s))
        goto out;
    printf("logged in to %s as %s", server, user);
    if (a->ctx.profile)
        printf(" (profile %s)", a->ctx.profile);
    printf("; scope: %s\n", *s.scope ? s.scope : "(none)");
    rc = cli_finish(0);
out:
    secret_wipe(pw, sizeof pw);
    enduser_free_secret(body);
    enduser_http_resp_clear(&r);
    enduser_session_clear(&s);
    return rc;
}

int cmd_login(int argc, char **argv)
{
    struct login_args a = { 0 };
    int rc;
    struct option opts[] = {
        OPT_STRING(0, "server", &a.server, "URL",
                   "the server (default: TESSERA_URL, or " ENDUSER_DEFAULT_SERVER ")"),
        OPT_STRING(0, "username", &a.username, "U",
                   "username or email (asked on the terminal when missing)"),
        OPT_STRING(0, "scope", &a.scope, "S",
                   "scopes to ask for, space- or comma-separated (default: the\n"
                   "default scopes of your roles)"),
        OPT_FLAG(0, "password-stdin", &a.password_stdin,
                 "read the password from standard input (one line)"),
        OPT_TRAP("password", opt_password),
        ENDUSER_OPTIONS(&a.ctx),
        OPT_END(),
    };
    const struct opt_command oc = {
        "login",
        "tessera login [--server URL] [--username U] [--scope S] [--password-stdin]\n"
        "                     [--profile NAME] [--cacert FILE]",
        about, "environment: TESSERA_URL, TESSERA_TOKEN_FILE, TESSERA_PROFILE, "
        "TESSERA_CACERT\n", opts, 0, 0 };

    if ((rc = options_parse(&oc, NULL, argc - 1, argv + 1, NULL)) < 0)
        return options_exit(rc);
    if (enduser_ctx_init(&a.ctx))
        return 1;
    rc = login(&a);
    enduser_http_done();
    return rc;
}
