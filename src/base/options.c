/* SPDX-License-Identifier: Apache-2.0 */
/* The option-table parser and the help it prints (options.h). */
#include "base/options.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cmdio.h"
#include "base/secret.h"

/* The column an option's description starts at (mk/gen-man.py's DESC_COL). */
#define HELP_COL 23

static int is_help(const char *w)
{
    return !strcmp(w, "-h") || !strcmp(w, "--help");
}

/* 1 when -h or --help is among the options of argv (not an operand after "--"). */
static int wants_help(const struct opt_command *cmd, int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--")) {
            if (!(cmd->flags & OPTIONS_DASH_OPERANDS))
                return 0;
            i++;                                 /* the next word is an operand */
            continue;
        }
        if (is_help(argv[i]))
            return 1;
    }
    return 0;
}

static const struct option *find_long(const struct option *t, const char *name, size_t n)
{
    for (; t->kind != OPTION_END; t++)
        if (t->long_name && strlen(t->long_name) == n && !strncmp(t->long_name, name, n))
            return t;
    return NULL;
}

static const struct option *find_short(const struct option *t, char c)
{
    for (; t->kind != OPTION_END; t++)
        if (t->short_name && t->short_name == c)
            return t;
    return NULL;
}

/* How the option is spelled in messages: "--name", or "-X" for a short-only one. */
static const char *spelled(const struct option *o, char *buf, size_t len)
{
    if (o->long_name)
        snprintf(buf, len, "--%s", o->long_name);
    else
        snprintf(buf, len, "-%c", o->short_name);
    return buf;
}

/* Stores `arg` as o says. 0, or OPTIONS_ERROR after printing why. */
static int take(const char *who, const struct option *o, const char *arg)
{
    char sp[80];
    long v;
    char *end;

    switch (o->kind) {
    case OPTION_FLAG:
        *(int *)o->value = (int)o->num;
        return 0;
    case OPTION_STRING:
        *(const char **)o->value = arg;
        return 0;
    case OPTION_NUMBER:
        errno = 0;
        v = strtol(arg, &end, 10);
        if (errno || end == arg || *end || v < o->num || v > o->max) {
            if (o->max == LONG_MAX)
                cli_fail("%s: %s wants a whole number of at least %ld, not '%s'", who,
                         spelled(o, sp, sizeof sp), o->num, arg);
            else
                cli_fail("%s: %s wants a whole number from %ld to %ld, not '%s'", who,
                         spelled(o, sp, sizeof sp), o->num, o->max, arg);
            return OPTIONS_ERROR;
        }
        *(long *)o->value = v;
        return 0;
    case OPTION_CALLBACK:
        return o->cb(o, arg) ? OPTIONS_ERROR : 0;
    case OPTION_END:
        break;
    }
    return OPTIONS_ERROR;
}

/* The option `w` names when it is one of the table's long options ("--name" or
 * "--name=..."), else NULL. */
static const struct option *long_option(const struct option *t, const char *w)
{
    if (w[0] != '-' || w[1] != '-')
        return NULL;
    return find_long(t, w + 2, strcspn(w + 2, "="));
}

/* A word that can only be an id: base64url of the length of a record id (22 chars,
 * base/secret.h) or of a key id (43: an RFC 7638 thumbprint). Ids made before they were
 * kept from starting with '-' (secret_id) may start with "--". */
static int id_shaped(const char *w)
{
    size_t n = strlen(w);
    if (n != SECRET_ID_CHARS && n != 43)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)w[i]) && w[i] != '-' && w[i] != '_')
            return 0;
    return 1;
}

/* The next word as the value of an option, or NULL when there is none: the end of
 * argv, or another of the command's options (`--id --database URL` lacks the id; the
 * URL, which may hold a password, is not an argument to repeat). */
static const char *next_value(const struct opt_command *cmd, int argc, char **argv,
                              int *i)
{
    if (*i + 1 >= argc || long_option(cmd->options, argv[*i + 1]))
        return NULL;
    return argv[++*i];
}

/* A word as messages show it: a URL's user information (a database URL's password)
 * left out. */
static void shown(const char *w, char *out, size_t len)
{
    const char *scheme = strstr(w, "://"), *at;
    if (scheme && (at = strchr(scheme + 3, '@')) &&
        at < scheme + 3 + strcspn(scheme + 3, "/"))
        snprintf(out, len, "%.*s...%s", (int)(scheme + 3 - w), w, at);
    else
        snprintf(out, len, "%s", w);
}

/* Whether the option reads a value from the command line. */
static int takes_value(const struct option *o)
{
    return o->kind == OPTION_STRING || o->kind == OPTION_NUMBER ||
           (o->kind == OPTION_CALLBACK && o->argh);
}

int options_parse(const struct opt_command *cmd, const char *sub, int argc, char **argv,
                  const char **operands)
{
    int dash = (cmd->flags & OPTIONS_DASH_OPERANDS) != 0, n = 0, r;
    int options_end = 0;
    char who[96], sp[80];

    snprintf(who, sizeof who, "%s%s%s", cmd->name, sub ? " " : "", sub ? sub : "");
    if (wants_help(cmd, argc, argv)) {
        options_help(cmd, 0);
        return OPTIONS_HELP;
    }
    for (int i = 0; i < argc; i++) {
        const char *w = argv[i], *operand = w;
        const struct option *o;

        if (options_end || w[0] != '-' || w[1] == '\0')
            goto operand;
        if (!strcmp(w, "--")) {
            if (!dash) {
                options_end = 1;
                continue;
            }
            if (i + 1 == argc)
                continue;
            operand = argv[++i];
            goto operand;
        }
        if (w[1] == '-') {
            /* --name, --name=value, --name value */
            const char *eq = strchr(w + 2, '=');
            size_t len = eq ? (size_t)(eq - (w + 2)) : strlen(w + 2);
            if (!(o = find_long(cmd->options, w + 2, len)) && dash && id_shaped(w))
                goto operand;                    /* an id that starts with "--" */
            if (!o)
                return cli_fail("%s: unknown option '%.*s' (see tessera %s --help)", who,
                                (int)len + 2, w, cmd->name), OPTIONS_ERROR;
            if (!takes_value(o)) {
                if (eq && o->kind == OPTION_FLAG)
                    return cli_fail("%s: %s takes no value", who,
                                    spelled(o, sp, sizeof sp)), OPTIONS_ERROR;
                if ((r = take(who, o, eq ? eq + 1 : NULL)))
                    return r;
                continue;
            }
            const char *arg = eq ? eq + 1 : next_value(cmd, argc, argv, &i);
            if (!arg)
                return cli_fail("%s: %s needs a value", who, spelled(o, sp, sizeof sp)),
                       OPTIONS_ERROR;
            if ((r = take(who, o, arg)))
                return r;
            continue;
        }
        /* -X, -X value, -Xvalue */
        o = find_short(cmd->options, w[1]);
        if (dash && (!o || w[2]))
            goto operand;                        /* an id that starts with '-' */
        if (!o) {
            size_t len = strcspn(w, "=");
            return cli_fail("%s: unknown option '%.*s' (see tessera %s --help)", who,
                            (int)len, w, cmd->name), OPTIONS_ERROR;
        }
        if (!takes_value(o)) {
            if (w[2])
                return cli_fail("%s: unknown option '%.*s' (see tessera %s --help)", who,
                                (int)strcspn(w, "="), w, cmd->name), OPTIONS_ERROR;
            if ((r = take(who, o, NULL)))
                return r;
            continue;
        }
        const char *arg = w[2] ? w + 2 : next_value(cmd, argc, argv, &i);
        if (!arg)
            return cli_fail("%s: -%c needs a value", who, o->short_name), OPTIONS_ERROR;
        if ((r = take(who, o, arg)))
            return r;
        continue;
operand:
        if (n == cmd->max_operands) {
            char word[128];
            shown(operand, word, sizeof word);
            return cli_fail("%s: unexpected argument '%s' (see tessera %s --help)", who,
                            word, cmd->name), OPTIONS_ERROR;
        }
        operands[n++] = operand;
    }
    return n;
}

int options_subcommand(const struct opt_command *cmd, const char *const subs[], int argc,
                       char **argv)
{
    if (argc < 1) {
        options_help(cmd, 1);
        return OPTIONS_ERROR;
    }
    if (wants_help(cmd, argc, argv)) {
        options_help(cmd, 0);
        return OPTIONS_HELP;
    }
    for (int k = 0; subs[k]; k++)
        if (!strcmp(argv[0], subs[k]))
            return k;
    cli_fail("%s: unknown command '%s' (see tessera %s --help)", cmd->name, argv[0],
             cmd->name);
    return OPTIONS_ERROR;
}

int options_exit(int r)
{
    return r == OPTIONS_HELP ? cli_finish(0) : 2;
}

/* "  -X, --name ARG" and the description from column HELP_COL, its lines below. */
static void print_option(FILE *f, const struct option *o)
{
    char term[128];
    int col;

    if (o->short_name && o->long_name)
        col = snprintf(term, sizeof term, "-%c, --%s", o->short_name, o->long_name);
    else if (o->long_name)
        col = snprintf(term, sizeof term, "--%s", o->long_name);
    else
        col = snprintf(term, sizeof term, "-%c", o->short_name);
    if (o->argh && col >= 0 && (size_t)col < sizeof term)
        snprintf(term + col, sizeof term - (size_t)col, " %s", o->argh);
    col = fprintf(f, "  %s", term);
    if (col >= HELP_COL) {
        fputc('\n', f);
        col = 0;
    }
    for (const char *h = o->help ? o->help : ""; *h;) {
        size_t len = strcspn(h, "\n");
        fprintf(f, "%*s%.*s\n", HELP_COL - col, "", (int)len, h);
        col = 0;
        h += len;
        if (*h)
            h++;
    }
    if (col)
        fputc('\n', f);
}

void options_help(const struct opt_command *cmd, int to_stderr)
{
    FILE *f = to_stderr ? stderr : stdout;

    fprintf(f, "usage: %s\n", cmd->usage);
    if (cmd->about)
        fprintf(f, "\n%s", cmd->about);
    fputs("\noptions:\n", f);
    for (const struct option *o = cmd->options; o->kind != OPTION_END; o++)
        if (!(o->flags & OPT_HIDDEN))
            print_option(f, o);
    fputs("  -h, --help           this help\n", f);
    if (cmd->after)
        fprintf(f, "\n%s", cmd->after);
}
