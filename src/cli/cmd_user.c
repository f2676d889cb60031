/* SPDX-License-Identifier: Apache-2.0 */
/* tessera user add|import|list|show|set-password|set-roles|disable|enable|delete */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/audit.h"
#include "core/password.h"
#include "base/secret.h"
#include "core/user.h"

static const char about[] =
    "commands:\n"
    "  add --email E [--username U] [--name N] [--roles a,b] [--disabled]\n"
    "      --password-stdin create a user; prints its id\n"
    "  import FILE          create users from JSON lines with password hashes from\n"
    "                       another system (bcrypt, PBKDF2; FILE - : standard input),\n"
    "                       upgraded to Argon2id at their next login; see docs/cli.md\n"
    "  list [--email-prefix P] [--role R] [--disabled | --enabled]\n"
    "                       one line per user: id, email, username, roles, state\n"
    "  show USER            the user as JSON (USER: id, email or username)\n"
    "  set-password USER --password-stdin\n"
    "                       set a new password (read from stdin); revokes every\n"
    "                       session of the user\n"
    "  set-roles USER ROLES replace the roles (comma-separated; \"\" for none)\n"
    "  disable USER         block logins and revoke every session\n"
    "  enable USER          allow logins again\n"
    "  delete USER          delete the user and revoke every session\n";

struct user_args {
    struct cli_common co;
    const char *email, *username, *name, *roles, *email_prefix, *role;
    int password_stdin;
    int disabled;              /* list: -1 all, 1 --disabled, 0 --enabled */
    const char *pos[2];        /* positional arguments after the command */
    int npos;
};

static int read_password(struct app *a, int from_stdin, char *pw, size_t len)
{
    if (!from_stdin) {
        cli_fail("give the password on standard input with --password-stdin");
        return -1;
    }
    if (cli_read_password(pw, len) || !*pw) {
        cli_fail("no password on standard input (or longer than %d characters)",
                 PASSWORD_MAX_LEN);
        return -1;
    }
    if (strlen(pw) < (size_t)a->cfg.min_length) {
        cli_fail("the password must be at least %d characters long", a->cfg.min_length);
        return -1;
    }
    return 0;
}

static int find(struct app *a, const char *key, struct user_rec *u)
{
    ts_err e = key ? user_find(a, key, u) : TS_EINVAL;
    if (!key)
        return cli_fail("name the user (id, email or username)");
    if (e == TS_ENOTFOUND)
        return cli_fail("no user '%s'", key);
    if (e)
        return cli_fail("cannot read the user: %s", ts_err_description(e));
    return 0;
}

struct page {
    char last[STORE_ID_LEN + 1];
    int n;
};

static int list_one(void *ctx, const struct user_rec *u)
{
    struct page *p = ctx;
    snprintf(p->last, sizeof p->last, "%s", u->id);
    p->n++;
    printf("%s\t%s\t%s\t%s\t%s\n", u->id, u->email, u->username[0] ? u->username : "-",
           u->roles_json ? u->roles_json : "[]", u->disabled ? "disabled" : "active");
    return 0;
}

static int print_user(const struct user_rec *u)
{
    json_t *j = user_admin_json(u);
    if (!j)
        return cli_fail("out of memory");
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (!s)
        return cli_fail("out of memory");
    puts(s);
    free(s);
    return 0;
}

/* --- import ----------------------------------------------------------------------- */

#define IMPORT_LINE_MAX 65536

/* A member that must be a string when present: 0 with *out (NULL when absent or
 * null), -1 otherwise. */
static int member_string(json_t *o, const char *key, const char **out)
{
    json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return -1;
    *out = json_string_value(v);
    return 0;
}

/* "roles": an array of names or a comma-separated string, as the comma string
 * user_import takes, in *out (malloc'd; "" when absent). TS_EINVAL or TS_ENOMEM with a
 * reason in why. */
static ts_err import_roles(json_t *v, char **out, char *why, size_t whylen)
{
    static const char bad[] = "\"roles\" must be an array of role names or a "
                              "comma-separated string";
    size_t i, n = 1;
    json_t *r;

    *out = NULL;
    if (!v || json_is_null(v))
        *out = strdup("");
    else if (json_is_string(v))
        *out = strdup(json_string_value(v));
    else if (!json_is_array(v)) {
        snprintf(why, whylen, "%s", bad);
        return TS_EINVAL;
    } else {
        json_array_foreach(v, i, r) {
            const char *name = json_string_value(r);
            if (!name || !*name || strpbrk(name, ", \t\r\n")) {
                snprintf(why, whylen, "%s", bad);
                return TS_EINVAL;
            }
            n += strlen(name) + 1;
        }
        if ((*out = malloc(n))) {
            (*out)[0] = '\0';
            json_array_foreach(v, i, r) {
                if (i)
                    strcat(*out, ",");
                strcat(*out, json_string_value(r));
            }
        }
    }
    if (!*out) {
        snprintf(why, whylen, "out of memory");
        return TS_ENOMEM;
    }
    return TS_OK;
}

/* Names a key in an error only when it cannot be a hash or other data. */
static int printable_key(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > 32)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(k[i] >= 'a' && k[i] <= 'z') && !(k[i] >= 'A' && k[i] <= 'Z') && k[i] != '_')
            return 0;
    return 1;
}

/* One JSON line: 0 imported, 1 failed (reported on stderr with its number). */
static int import_line(struct app *a, const char *line, size_t len, long lineno)
{
    static const char *const keys[] = { "email", "username", "name", "roles",
                                        "password_hash", "hash" };
    struct user_rec u = { 0 };
    struct user_new n = { 0 };
    json_error_t jerr;
    const char *key, *hash = NULL, *alt = NULL, *format = NULL;
    char why[256] = "";
    char *roles = NULL;
    json_t *o, *v;
    ts_err e;

    /* jansson's own message may quote the text near the error: a hash, perhaps */
    o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!o) {
        if (json_error_code(&jerr) == json_error_duplicate_key)
            snprintf(why, sizeof why, "a key appears twice");
        else
            snprintf(why, sizeof why, "not valid JSON (near byte %d)", jerr.position);
        goto out;
    }
    if (!json_is_object(o)) {
        snprintf(why, sizeof why, "each line must be one JSON object");
        goto out;
    }
    json_object_foreach(o, key, v) {
        int known = 0;
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            known |= !strcmp(key, keys[i]);
        if (!known) {
            if (printable_key(key))
                snprintf(why, sizeof why, "unknown key \"%s\" (known: email, username, "
                         "name, roles, password_hash)", key);
            else
                snprintf(why, sizeof why, "an unknown key (known: email, username, name, "
                         "roles, password_hash)");
            goto out;
        }
    }
    if (member_string(o, "email", &n.email) || !n.email) {
        snprintf(why, sizeof why, "\"email\" (a string) is required");
        goto out;
    }
    if (member_string(o, "username", &n.username) || member_string(o, "name", &n.name)) {
        snprintf(why, sizeof why, "\"username\" and \"name\" must be strings");
        goto out;
    }
    if (import_roles(json_object_get(o, "roles"), &roles, why, sizeof why))
        goto out;
    n.roles = roles;
    if (member_string(o, "password_hash", &hash) || member_string(o, "hash", &alt) ||
        (hash && alt) || !(hash ? hash : alt)) {
        snprintf(why, sizeof why, "one \"password_hash\" (or \"hash\"), a string, is "
                 "required");
        goto out;
    }
    e = user_import(a, &actor_cli, &n, hash ? hash : alt, &format, &u, why, sizeof why);
    if (e && e != TS_EINVAL && e != TS_ECONFLICT)
        snprintf(why, sizeof why, "%s", ts_err_description(e));
    if (!e)
        why[0] = '\0';
out:
    free(roles);
    json_decref(o);
    user_rec_clear(&u);
    if (!why[0])
        return 0;
    cli_fail("import: line %ld: %s", lineno, why);
    return 1;
}

static int import_users(struct app *a, const char *path)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
    long lineno = 0, ok = 0, failed = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;

    if (!f)
        return cli_fail("user import: cannot open %s: %s", path, strerror(errno));
    while ((got = getline(&line, &cap, f)) >= 0) {
        size_t len = (size_t)got, start = 0;
        lineno++;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (lineno == 1 && len >= 3 && !memcmp(line, "\xef\xbb\xbf", 3))
            start = 3;                                  /* a UTF-8 byte order mark */
        size_t k = start;
        while (k < len && (line[k] == ' ' || line[k] == '\t'))
            k++;
        if (k == len)
            continue;                                   /* blank lines do not count */
        if (len - start > IMPORT_LINE_MAX) {
            cli_fail("import: line %ld: longer than %d bytes", lineno, IMPORT_LINE_MAX);
            failed++;
            continue;
        }
        if (import_line(a, line + start, len - start, lineno))
            failed++;
        else
            ok++;
    }
    int read_error = ferror(f);
    if (line)
        secret_wipe(line, cap);
    free(line);
    if (f != stdin)
        fclose(f);
    if (read_error) {
        cli_fail("user import: cannot read %s after line %ld", path, lineno);
        failed++;
    }
    printf("imported %ld users, %ld failed\n", ok, failed);
    return failed ? 1 : 0;
}

static int run(struct app *a, const char *cmd, struct user_args *ua)
{
    struct user_rec u = { 0 };
    char pw[PASSWORD_MAX_LEN + 2], why[256];
    int rc = 0;
    ts_err e;

    if (!strcmp(cmd, "add")) {
        if (read_password(a, ua->password_stdin, pw, sizeof pw))
            return 1;
        struct user_new n = { ua->email, ua->username, ua->name, ua->roles, pw };
        e = user_add(a, &actor_cli, &n, NULL, ua->disabled == 1, &u, why, sizeof why);
        secret_wipe(pw, sizeof pw);
        if (e)
            return cli_fail("user add: %s", e == TS_EINVAL || e == TS_ECONFLICT
                                                ? why : ts_err_description(e));
        printf("%s\n", u.id);
    } else if (!strcmp(cmd, "import")) {
        rc = import_users(a, ua->pos[0]);
    } else if (!strcmp(cmd, "list")) {
        struct page p = { "", 0 };
        struct user_filter f = { ua->email_prefix, ua->role, ua->disabled };
        do {
            char after[STORE_ID_LEN + 1];
            snprintf(after, sizeof after, "%s", p.last);
            p.n = 0;
            if ((e = user_list(a, &f, after, 500, list_one, &p)))
                return cli_fail("cannot list users: %s", ts_err_description(e));
        } while (p.n == 500);
    } else if (!strcmp(cmd, "show")) {
        if (find(a, ua->pos[0], &u))
            return 1;
        rc = print_user(&u);
    } else if (!strcmp(cmd, "set-password")) {
        if (find(a, ua->pos[0], &u))
            return 1;
        struct user_patch pa = { .password = pw, .disabled = -1 };
        if (read_password(a, ua->password_stdin, pw, sizeof pw))
            rc = 1;
        else if ((e = user_update(a, &actor_cli, &u, &pa, why, sizeof why)))
            rc = cli_fail("set-password: %s", e == TS_EINVAL ? why : ts_err_description(e));
        secret_wipe(pw, sizeof pw);
    } else if (!strcmp(cmd, "set-roles")) {
        if (find(a, ua->pos[0], &u))
            return 1;
        struct user_patch pa = { .roles = ua->pos[1] ? ua->pos[1] : ua->roles,
                                 .disabled = -1 };
        if ((e = user_update(a, &actor_cli, &u, &pa, why, sizeof why)))
            rc = cli_fail("set-roles: %s", e == TS_EINVAL ? why : ts_err_description(e));
    } else if (!strcmp(cmd, "disable") || !strcmp(cmd, "enable")) {
        struct user_patch pa = { .disabled = !strcmp(cmd, "disable") };
        if (find(a, ua->pos[0], &u))
            return 1;
        if ((e = user_update(a, &actor_cli, &u, &pa, why, sizeof why)))
            rc = cli_fail("%s: %s", cmd, ts_err_description(e));
    } else if (!strcmp(cmd, "delete")) {
        if (find(a, ua->pos[0], &u))
            return 1;
        if ((e = user_delete(a, &actor_cli, &u)))
            rc = cli_fail("delete: %s", ts_err_description(e));
    } else {
        rc = cli_fail("user: unknown command '%s' (see tessera user --help)", cmd);
    }
    user_rec_clear(&u);
    return rc;
}

int cmd_user(int argc, char **argv)
{
    static const char *const cmds[] = { "add", "import", "list", "show", "set-password",
                                        "set-roles", "disable", "enable", "delete", NULL };
    struct user_args ua = { .disabled = -1 };
    int r;
    struct option opts[] = {
        OPT_STRING(0, "email", &ua.email, "E", "add: the user's email"),
        OPT_STRING(0, "username", &ua.username, "U", "add: the user's username"),
        OPT_STRING(0, "name", &ua.name, "N", "add: the user's display name"),
        OPT_STRING(0, "roles", &ua.roles, "a,b",
                   "add, set-roles: the roles (comma-separated)"),
        OPT_FLAG(0, "password-stdin", &ua.password_stdin,
                 "add, set-password: read the password from standard input"),
        OPT_SET_INT(0, "disabled", &ua.disabled, 1,
                    "add: create it disabled; list: only disabled users"),
        OPT_SET_INT(0, "enabled", &ua.disabled, 0, "list: only enabled users"),
        OPT_STRING(0, "email-prefix", &ua.email_prefix, "P",
                   "list: only users whose email starts with P"),
        OPT_STRING(0, "role", &ua.role, "R", "list: only users with role R"),
        CLI_COMMON_OPTIONS(&ua.co),
        OPT_END(),
    };
    /* ids are base64url and may start with one '-': only "--" words are options */
    struct opt_command oc = { "user", "tessera user COMMAND [options]", about, NULL,
                              opts, OPTIONS_DASH_OPERANDS, 0 };
    /* the operands each command takes: add and list none, set-roles USER ROLES */
    static const int operands[] = { 0, 1, 0, 1, 1, 2, 1, 1, 1 };

    if ((r = options_subcommand(&oc, cmds, argc - 1, argv + 1)) < 0)
        return options_exit(r);
    oc.max_operands = operands[r];
    if ((r = options_parse(&oc, argv[1], argc - 2, argv + 2, ua.pos)) < 0)
        return options_exit(r);
    ua.npos = r;
    if (strcmp(argv[1], "list") != 0 &&
        (ua.email_prefix || ua.role || (ua.disabled >= 0 && strcmp(argv[1], "add") != 0)))
        return cli_fail("user %s: --email-prefix, --role, --disabled and --enabled "
                        "belong to 'user list' (and --disabled to 'user add')",
                        argv[1]), 2;
    /* What each command needs, checked before the database is opened: a missing one
     * is a wrong command line (exit 2, docs/cli.md). */
    const char *cmd = argv[1];
    int one_user = strcmp(cmd, "add") && strcmp(cmd, "import") && strcmp(cmd, "list");
    if (!strcmp(cmd, "add") && !ua.email)
        return cli_fail("user add: --email is required"), 2;
    if (!strcmp(cmd, "import") && (!ua.pos[0] || ua.pos[1]))
        return cli_fail("user import: give one FILE of JSON lines (- for standard "
                        "input)"), 2;
    if (one_user && !ua.pos[0])
        return cli_fail("user %s: name the user (id, email or username)", cmd), 2;
    if (!strcmp(cmd, "set-roles") && !ua.pos[1] && !ua.roles)
        return cli_fail("set-roles: give the roles, e.g. tessera user set-roles alice "
                        "admin,user"), 2;
    if ((!strcmp(cmd, "add") || !strcmp(cmd, "set-password")) && !ua.password_stdin)
        return cli_fail("user %s: give the password on standard input with "
                        "--password-stdin", cmd), 2;
    struct app *a = cli_open_app(&ua.co, APP_MIGRATE);
    if (!a)
        return 1;
    int rc = run(a, argv[1], &ua);
    app_close(a);
    return cli_finish(rc);
}
