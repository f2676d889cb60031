/* SPDX-License-Identifier: Apache-2.0 */
/* src/base/options.c: the option-table parser every command reads its argv with, and
 * the --help it prints from the table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/options.h"

/* What the table below fills. */
struct got {
    const char *email, *method, *header;
    int force, state, trapped;
    long limit;
    const char *ops[3];
};

static int cb_header(const struct option *o, const char *arg)
{
    struct got *g = o->value;
    if (!strcmp(arg, "bad"))
        return -1;
    g->header = arg;
    return 0;
}

static int cb_trap(const struct option *o, const char *arg)
{
    (void)o;
    (void)arg;
    return -1;
}

static struct got g;

static const struct option table[] = {
    OPT_STRING(0, "email", &g.email, "E", "the email"),
    OPT_STRING('X', "request", &g.method, "METHOD", "the method"),
    OPT_CALLBACK('H', NULL, &g, "'N: V'", "a header", cb_header),
    OPT_FLAG(0, "force", &g.force, "replace"),
    OPT_SET_INT(0, "enabled", &g.state, 2, "only enabled\nones"),
    OPT_NUMBER(0, "limit", &g.limit, "N", 1, 100, "at most N"),
    OPT_STRING(0, "a-very-long-option-name", &g.email, "VALUE", "on its own line"),
    OPT_TRAP("password", cb_trap),
    OPT_END(),
};

/* options_parse on a NULL-terminated word list, stderr silenced (usage errors print
 * their line there). */
static int parse(unsigned flags, int max, ...)
{
    char *argv[16];
    int argc = 0, saved, r;
    va_list ap;
    struct opt_command c = { "test", "tessera test [options]", NULL, NULL, table, flags,
                             max };

    memset(&g, 0, sizeof g);
    va_start(ap, max);
    while (argc < 15 && (argv[argc] = va_arg(ap, char *)))
        argc++;
    va_end(ap);
    fflush(stderr);
    saved = dup(2);
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 2);
    close(null);
    r = options_parse(&c, NULL, argc, argv, g.ops);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    return r;
}

static void test_long_options(void **state)
{
    (void)state;
    assert_int_equal(parse(0, 2, "--email", "a@b", "x", "--force", "--limit=7", "y",
                           NULL), 2);
    assert_string_equal(g.email, "a@b");
    assert_int_equal(g.force, 1);
    assert_int_equal(g.limit, 7);
    assert_string_equal(g.ops[0], "x");
    assert_string_equal(g.ops[1], "y");
    assert_int_equal(parse(0, 0, "--email=", "--enabled", NULL), 0);
    assert_string_equal(g.email, "");                 /* an empty value is a value */
    assert_int_equal(g.state, 2);
    assert_int_equal(parse(0, 0, "--email", "-x", NULL), 0);
    assert_string_equal(g.email, "-x");               /* the next word ... */
    /* ... unless it is another option: the value was left out */
    assert_int_equal(parse(0, 0, "--email", "--force", NULL), OPTIONS_ERROR);
    assert_int_equal(parse(0, 0, "--email", "--limit=3", NULL), OPTIONS_ERROR);
    assert_int_equal(parse(0, 0, "-X", "--force", NULL), OPTIONS_ERROR);
}

static void test_short_options(void **state)
{
    (void)state;
    assert_int_equal(parse(0, 1, "-X", "POST", "-HAccept: x", "/u", NULL), 1);
    assert_string_equal(g.method, "POST");
    assert_string_equal(g.header, "Accept: x");
    assert_string_equal(g.ops[0], "/u");
    assert_int_equal(parse(0, 1, "-XPUT", "-", NULL), 1);
    assert_string_equal(g.method, "PUT");
    assert_string_equal(g.ops[0], "-");               /* "-" alone: an operand */
}

static void test_usage_errors(void **state)
{
    (void)state;
    assert_int_equal(parse(0, 0, "--nope", NULL), OPTIONS_ERROR);
    assert_int_equal(parse(0, 0, "-Q", NULL), OPTIONS_ERROR);
    assert_int_equal(parse(0, 0, "--email", NULL), OPTIONS_ERROR);
    assert_int_equal(parse(0, 0, "-X", NULL), OPTIONS_ERROR);
    assert_int_equal(parse(0, 0, "--force=yes", NULL), OPTIONS_ERROR);
    assert_int_equal(parse(0, 0, "--limit", "0", NULL), OPTIONS_ERROR);
    assert_int_equal(parse(0, 0, "--limit", "101", NULL), OPTIONS_ERROR);
    assert_int_equal(parse(0, 0, "--limit", "7x", NULL), OPTIONS_ERROR);
    assert_int_equal(parse(0, 0, "--limit", "", NULL), OPTIONS_ERROR);
    assert_int_equal(parse(0, 0, "-H", "bad", NULL), OPTIONS_ERROR);   /* its callback */
    assert_int_equal(parse(0, 1, "a", "b", NULL), OPTIONS_ERROR);
    assert_int_equal(parse(0, 0, "a", NULL), OPTIONS_ERROR);
    /* a trap is an option that always refuses, with or without a value, and never
     * takes the next word as its own */
    assert_int_equal(parse(0, 1, "--password", "secret", NULL), OPTIONS_ERROR);
    assert_int_equal(parse(0, 1, "--password=secret", NULL), OPTIONS_ERROR);
}

static void test_double_dash(void **state)
{
    (void)state;
    /* by default "--" ends the options */
    assert_int_equal(parse(0, 2, "--", "--force", "-X", NULL), 2);
    assert_int_equal(g.force, 0);
    assert_string_equal(g.ops[0], "--force");
    assert_string_equal(g.ops[1], "-X");
    /* OPTIONS_DASH_OPERANDS: "-Id" is an id, "--" takes the next word only */
    assert_int_equal(parse(OPTIONS_DASH_OPERANDS, 2, "-Ab1", "--", "--Cd2", "--force",
                           NULL), 2);
    assert_string_equal(g.ops[0], "-Ab1");
    assert_string_equal(g.ops[1], "--Cd2");
    assert_int_equal(g.force, 1);
    assert_int_equal(parse(OPTIONS_DASH_OPERANDS, 1, "--Ab1", NULL), OPTIONS_ERROR);
    /* an id (22 base64url chars) or a key id (43) that starts with "--" is an operand
     * when it names no option; without the flag it is an unknown option */
    assert_int_equal(parse(OPTIONS_DASH_OPERANDS, 1, "--xNPkBzhOKs405ANpNClw", NULL), 1);
    assert_string_equal(g.ops[0], "--xNPkBzhOKs405ANpNClw");
    assert_int_equal(parse(OPTIONS_DASH_OPERANDS, 1,
                           "--_3sVhM2Wn5gqVvYf0cT1kX9a8b7c6d5e4f3g2h1i0", NULL), 1);
    assert_int_equal(parse(OPTIONS_DASH_OPERANDS, 1, "--xNPkBzhOKs405ANpNCl=", NULL),
                     OPTIONS_ERROR);
    assert_int_equal(parse(0, 1, "--xNPkBzhOKs405ANpNClw", NULL), OPTIONS_ERROR);
    assert_int_equal(parse(0, 1, "-Ab1", NULL), OPTIONS_ERROR);
}

static void test_help_anywhere(void **state)
{
    (void)state;
    int saved = dup(1), null = open("/dev/null", O_WRONLY);
    fflush(stdout);
    dup2(null, 1);
    close(null);
    int r1 = parse(0, 0, "--nope", "--help", NULL);         /* before the error */
    int r2 = parse(0, 1, "--email", "x", "-h", NULL);
    int r3 = parse(0, 1, "--", "-h", NULL);                 /* an operand */
    int r4 = parse(OPTIONS_DASH_OPERANDS, 1, "--", "--help", NULL);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    assert_int_equal(r1, OPTIONS_HELP);
    assert_int_equal(r2, OPTIONS_HELP);
    assert_int_equal(r3, 1);
    assert_int_equal(r4, 1);
    assert_int_equal(options_exit(OPTIONS_ERROR), 2);
}

static void test_help_text(void **state)
{
    (void)state;
    struct opt_command c = { "test", "tessera test [options]", "About.\n", "After.\n",
                             table, 0, 0 };
    FILE *f = tmpfile();
    char text[2048];
    assert_non_null(f);
    fflush(stdout);
    int saved = dup(1);
    dup2(fileno(f), 1);
    options_help(&c, 0);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    rewind(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    /* descriptions from column 24; a term too long for it has its own line; a
     * hidden row (the trap) is not shown; -h, --help always is */
    assert_string_equal(text,
        "usage: tessera test [options]\n"
        "\n"
        "About.\n"
        "\n"
        "options:\n"
        "  --email E            the email\n"
        "  -X, --request METHOD the method\n"
        "  -H 'N: V'            a header\n"
        "  --force              replace\n"
        "  --enabled            only enabled\n"
        "                       ones\n"
        "  --limit N            at most N\n"
        "  --a-very-long-option-name VALUE\n"
        "                       on its own line\n"
        "  -h, --help           this help\n"
        "\n"
        "After.\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_options),
        cmocka_unit_test(test_short_options),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_double_dash),
        cmocka_unit_test(test_help_anywhere),
        cmocka_unit_test(test_help_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
