/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command line of every command, as a table (git's parse-options is the model).
 *
 * A command describes its options in an array of struct option ending with OPT_END(),
 * usually built on its stack so that each row points at the variable it fills:
 *
 *     const char *email = NULL;
 *     int stdin_pw = 0;
 *     struct option opts[] = {
 *         OPT_STRING(0, "email", &email, "E", "the user's email"),
 *         OPT_FLAG(0, "password-stdin", &stdin_pw, "read the password from stdin"),
 *         OPT_END(),
 *     };
 *     struct opt_command cmd = { "user", "tessera user COMMAND [options]", NULL,
 *                                NULL, opts, 0, 2 };
 *
 * and options_parse() reads the words after the command's name. What every command
 * then does the same way:
 *   - `-h` or `--help` anywhere among the options prints the help on stdout: the
 *     usage line, `about`, then "options:" with one entry per row (its help text
 *     starts at column 24, as mk/gen-man.py reads it) and `-h, --help`, then `after`;
 *     the command exits 0 without doing anything else;
 *   - a usage error prints one line on stderr naming the option or the word, and the
 *     command exits 2: an unknown option, an option without its value, a value that is
 *     not a number, a flag given a value, an argument too many;
 *   - `--name=value` is the same as `--name value`.
 */
#ifndef BASE_OPTIONS_H
#define BASE_OPTIONS_H

#include <limits.h>

enum option_kind {
    OPTION_END = 0,
    OPTION_FLAG,       /* int *value is set to `num` (1 unless OPT_SET_INT says) */
    OPTION_STRING,     /* const char **value is set to the word (the last one given) */
    OPTION_NUMBER,     /* long *value: a decimal number from `num` to `max` */
    OPTION_CALLBACK    /* cb(option, value): 0, or -1 after printing a usage error */
};

/* One option. A row with OPT_HIDDEN in `flags` is parsed but not shown in the help
 * (a trap such as login's --password, which only says what to use instead). */
struct option {
    char short_name;                   /* 'X' for -X; 0 for none */
    const char *long_name;             /* "request" for --request; NULL for none */
    enum option_kind kind;
    void *value;
    const char *argh;                  /* the value's name in the help; NULL: a flag */
    const char *help;                  /* its description; '\n' between lines */
    long num, max;                     /* FLAG: the value set; NUMBER: the range */
    int (*cb)(const struct option *o, const char *arg);   /* CALLBACK only */
    unsigned flags;
};

#define OPT_HIDDEN 1u

#define OPT_END() { 0, NULL, OPTION_END, NULL, NULL, NULL, 0, 0, NULL, 0 }
#define OPT_FLAG(s, l, v, h) { (s), (l), OPTION_FLAG, (v), NULL, (h), 1, 0, NULL, 0 }
#define OPT_SET_INT(s, l, v, n, h) \
    { (s), (l), OPTION_FLAG, (v), NULL, (h), (n), 0, NULL, 0 }
#define OPT_STRING(s, l, v, a, h) \
    { (s), (l), OPTION_STRING, (v), (a), (h), 0, 0, NULL, 0 }
#define OPT_NUMBER(s, l, v, a, min, max, h) \
    { (s), (l), OPTION_NUMBER, (v), (a), (h), (min), (max), NULL, 0 }
#define OPT_CALLBACK(s, l, v, a, h, f) \
    { (s), (l), OPTION_CALLBACK, (v), (a), (h), 0, 0, (f), 0 }
/* With a NULL `a` the callback takes no value of its own: it is called with the
 * "=value" part of the word, or NULL, and the next word is left alone. */
/* An option that is not one: only its callback's message, and not in the help. */
#define OPT_TRAP(l, f) \
    { 0, (l), OPTION_CALLBACK, NULL, NULL, NULL, 0, 0, (f), OPT_HIDDEN }

/* opt_command.flags */
/* Operands may start with '-' (base64url ids and key ids): only words that start with
 * "--" and are not shaped like an id (22 or 43 base64url characters) and do not name an
 * option of the table, and the table's short options, are options. "--" makes the next word an
 * operand whatever it looks like, and options go on after it. Without this flag "--"
 * ends the options and a word that starts with '-' is an option. */
#define OPTIONS_DASH_OPERANDS 1u

/* A command: its help and its table. */
struct opt_command {
    const char *name;                  /* "user", "login": in messages */
    const char *usage;                 /* after "usage: "; '\n' between lines */
    const char *about;                 /* the help's text before "options:", or NULL */
    const char *after;                 /* the help's text after the options, or NULL */
    const struct option *options;      /* ends with OPT_END() */
    unsigned flags;                    /* OPTIONS_DASH_OPERANDS */
    int max_operands;                  /* how many words that are not options it takes */
};

/* options_parse() and options_subcommand() return these instead of a count when the
 * command must stop; options_exit() turns them into its exit status. */
#define OPTIONS_HELP  (-1)             /* the help was printed: exit 0 */
#define OPTIONS_ERROR (-2)             /* a usage error was printed: exit 2 */

/* Reads argv[0..argc), the words after the command's name (and after its sub-command,
 * named `sub` in messages, or NULL), against cmd's table. Returns the number of
 * operands, stored in order in operands[] (room for cmd->max_operands), or
 * OPTIONS_HELP / OPTIONS_ERROR. */
int options_parse(const struct opt_command *cmd, const char *sub, int argc, char **argv,
                  const char **operands);

/* For a command made of sub-commands (`user add`, `keys list`): argv[0] is the word
 * after the command's name, subs[] the sub-commands (NULL-terminated). Returns the
 * index of argv[0] in subs, or OPTIONS_HELP (-h or --help anywhere; nothing at all
 * prints the help on stderr and is OPTIONS_ERROR) or OPTIONS_ERROR (an unknown
 * sub-command). */
int options_subcommand(const struct opt_command *cmd, const char *const subs[], int argc,
                       char **argv);

/* The exit status for OPTIONS_HELP (0, or 1 when stdout cannot be written) and
 * OPTIONS_ERROR (2). */
int options_exit(int r);

/* The help of cmd, as --help prints it, to stdout or stderr. */
void options_help(const struct opt_command *cmd, int to_stderr);

#endif
