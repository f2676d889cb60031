/* SPDX-License-Identifier: Apache-2.0 */
/* tessera sessions list|show|revoke */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/audit.h"
#include "core/session_admin.h"
#include "core/user.h"

static const char about[] =
    "commands:\n"
    "  list [--user USER] [--limit N]\n"
    "                       active sessions, newest first, one per line: id, user id,\n"
    "                       client id, created, last used, ip (USER: id, email or\n"
    "                       username; N: at most that many)\n"
    "  show SESSION         one session as JSON, active or not\n"
    "  revoke SESSION       end a session: its access and refresh tokens stop working\n"
    "  revoke --user USER   end every session of a user\n";

struct sessions_args {
    struct cli_common co;
    const char *user;
    const char *id;
    long limit;                /* 0: all */
};

/* The user a --user names, by id, email or username. */
static int find_user(struct app *a, const char *key, char id[STORE_ID_LEN + 1])
{
    struct user_rec u;
    ts_err e = user_find(a, key, &u);
    if (e == TS_ENOTFOUND)
        return cli_fail("no user '%s'", key);
    if (e)
        return cli_fail("cannot read the user: %s", ts_err_description(e));
    snprintf(id, STORE_ID_LEN + 1, "%s", u.id);
    user_rec_clear(&u);
    return 0;
}

struct page {
    struct session_rec last;
    int n;
};

static int list_one(void *ctx, const struct session_rec *s)
{
    struct page *p = ctx;
    char created[32], used[32];
    p->last = *s;
    p->n++;
    user_time(s->created_at, created);
    user_time(s->last_used_at, used);
    printf("%s\t%s\t%s\t%s\t%s\t%s\n", s->id, s->user_id,
           s->client_id[0] ? s->client_id : "-", created, used, s->ip[0] ? s->ip : "-");
    return 0;
}

static int list(struct app *a, const char *user_id, long limit)
{
    struct page p;
    memset(&p, 0, sizeof p);
    long left = limit ? limit : -1;
    ts_err e;
    do {
        int want = left < 0 || left > 500 ? 500 : (int)left;
        p.n = 0;
        if ((e = session_admin_page(a, user_id, p.last.created_at, p.last.id, want,
                                    list_one, &p)))
            return cli_fail("cannot list sessions: %s", ts_err_description(e));
        if (left > 0)
            left -= p.n;
        if (p.n < want)
            break;
    } while (left != 0);
    return 0;
}

static int show(struct app *a, const char *id)
{
    struct session_rec s;
    ts_err e = session_admin_get(a, id, &s);
    if (e == TS_ENOTFOUND)
        return cli_fail("no session '%s'", id);
    if (e)
        return cli_fail("cannot read the session: %s", ts_err_description(e));
    json_t *j = session_admin_json(&s, (int64_t)time(NULL));
    char *out = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    if (!out)
        return cli_fail("out of memory");
    puts(out);
    free(out);
    return 0;
}

static int run(struct app *a, const char *cmd, const struct sessions_args *sa)
{
    char uid[STORE_ID_LEN + 1] = "";
    ts_err e;

    if (sa->user && find_user(a, sa->user, uid))
        return 1;
    if (!strcmp(cmd, "list"))
        return list(a, uid, sa->limit);
    if (!strcmp(cmd, "show"))
        return show(a, sa->id);
    if (sa->user) {
        int n = 0;
        if ((e = session_admin_revoke_user(a, &actor_cli, uid, &n)))
            return cli_fail("revoke: %s", ts_err_description(e));
        printf("revoked %d session%s\n", n, n == 1 ? "" : "s");
        return 0;
    }
    e = session_admin_revoke(a, &actor_cli, sa->id, NULL);
    if (e == TS_ENOTFOUND)
        return cli_fail("no session '%s'", sa->id);
    if (e)
        return cli_fail("revoke: %s", ts_err_description(e));
    return 0;
}

int cmd_sessions(int argc, char **argv)
{
    static const char *const subs[] = { "list", "show", "revoke", NULL };
    struct sessions_args sa = { 0 };
    int r;
    struct option opts[] = {
        OPT_STRING(0, "user", &sa.user, "USER",
                   "list, revoke: the sessions of USER (id, email or username)"),
        OPT_NUMBER(0, "limit", &sa.limit, "N", 1, LONG_MAX, "list: at most N sessions"),
        CLI_COMMON_OPTIONS(&sa.co),
        OPT_END(),
    };
    /* session ids are base64url: one leading '-' is an id */
    const struct opt_command oc = { "sessions", "tessera sessions COMMAND [options]",
                                    about, NULL, opts, OPTIONS_DASH_OPERANDS, 1 };

    if ((r = options_subcommand(&oc, subs, argc - 1, argv + 1)) < 0)
        return options_exit(r);
    const char *cmd = subs[r];
    if ((r = options_parse(&oc, cmd, argc - 2, argv + 2, &sa.id)) < 0)
        return options_exit(r);
    if (!strcmp(cmd, "list") && sa.id)
        return cli_fail("sessions list: unexpected argument '%s' (use --user)", sa.id), 2;
    if (strcmp(cmd, "list") && sa.limit)
        return cli_fail("sessions %s: --limit belongs to 'sessions list'", cmd), 2;
    if (!strcmp(cmd, "show") && (!sa.id || sa.user))
        return cli_fail("sessions show: name one session id"), 2;
    if (!strcmp(cmd, "revoke") && !sa.id == !sa.user)
        return cli_fail("sessions revoke: name one session id, or --user USER"), 2;
    struct app *a = cli_open_app(&sa.co, APP_MIGRATE);
    if (!a)
        return 1;
    int rc = run(a, cmd, &sa);
    app_close(a);
    return cli_finish(rc);
}
