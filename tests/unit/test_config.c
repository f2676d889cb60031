/* SPDX-License-Identifier: Apache-2.0 */
/* src/core/config.c: defaults, the INI file, TESSERA_* env, --set, roles, finish. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"

extern char **environ;

/* Unsets every TESSERA_* variable, the caller's included, so each test starts from a
 * known environment. */
static void clear_tessera_env(void)
{
    for (int again = 1; again;) {
        again = 0;
        for (char **e = environ; *e; e++) {
            const char *eq = strchr(*e, '=');
            if (strncmp(*e, "TESSERA_", 8) == 0 && eq) {
                char name[256];
                snprintf(name, sizeof name, "%.*s", (int)(eq - *e), *e);
                unsetenv(name);
                again = 1;
                break;
            }
        }
    }
}

struct fx {
    struct config c;
    char err[512];
    char path[64];      /* the temporary INI file, "" when none */
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    clear_tessera_env();
    config_defaults(&f->c);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    if (f->path[0])
        unlink(f->path);
    clear_tessera_env();
    free(f);
    return 0;
}

/* Writes text to a new temporary file; its path goes in f->path. */
static const char *write_ini(struct fx *f, const char *text)
{
    if (f->path[0])
        unlink(f->path);
    snprintf(f->path, sizeof f->path, "/tmp/tessera-test-config-XXXXXX");
    int fd = mkstemp(f->path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
    return f->path;
}

/* Loads text as a config file into f->c; returns config_load_file's result. */
static int load(struct fx *f, const char *text)
{
    f->err[0] = '\0';
    return config_load_file(&f->c, write_ini(f, text), f->err, sizeof f->err);
}

/* Like assert_true(strstr(...)), but prints both strings when it fails. */
#define assert_contains(hay, needle) contains_or_fail((hay), (needle), __FILE__, __LINE__)
static void contains_or_fail(const char *hay, const char *needle, const char *file,
                             int line)
{
    if (strstr(hay, needle))
        return;
    print_error("\"%s\" does not contain \"%s\"\n", hay, needle);
    _fail(file, line);
}

/* ---- defaults ------------------------------------------------------------------ */

static void defaults_match_the_documented_values(void **state)
{
    struct config *c = &((struct fx *)*state)->c;

    assert_string_equal(c->listen, "127.0.0.1:8080");
    assert_int_equal(c->access_ttl, 900);
    assert_int_equal(c->refresh_ttl, 30L * 86400);
    assert_int_equal(c->refresh_idle_ttl, 7L * 86400);
    assert_int_equal(c->refresh_grace, 10);
    assert_int_equal(c->refresh_rotation, 1);
    assert_int_equal(c->argon2_memory_kib, 19456);
    assert_int_equal(c->argon2_iterations, 2);
    assert_string_equal(c->algorithm, "ES256");
    assert_int_equal(c->min_length, 8);
    assert_string_equal(c->issuer, "");       /* derived only by config_finish */
}

static void defaults_have_admin_and_user_roles(void **state)
{
    struct config *c = &((struct fx *)*state)->c;
    const struct role_conf *admin = config_role(c, "admin");
    const struct role_conf *user = config_role(c, "user");

    assert_non_null(admin);
    assert_non_null(user);
    assert_string_equal(admin->scopes, "admin profile");
    assert_string_equal(user->scopes, "profile");
    assert_string_equal(user->default_scopes, "profile");
    assert_null(config_role(c, "reader"));
    assert_null(config_role(c, "Admin"));
}

static void defaults_pass_config_finish(void **state)
{
    struct fx *f = *state;
    assert_int_equal(config_finish(&f->c, f->err, sizeof f->err), 0);
}

/* ---- the INI file --------------------------------------------------------------- */

static void file_sets_values_and_leaves_the_rest(void **state)
{
    struct fx *f = *state;
    int rc = load(f,
                  "# tessera.ini\n"
                  "; another comment\n"
                  "[server]\n"
                  "listen = 0.0.0.0:9000\n"
                  "\n"
                  "[tokens]\n"
                  "access_ttl=60 ; one minute\n"
                  "refresh_rotation = false\n"
                  "algorithm = EdDSA\n"
                  "[passwords]\n"
                  "argon2_memory_kib = 8192\n"
                  "[database]\n"
                  "url = postgresql://tessera@db/tessera?sslmode=require\n");
    assert_int_equal(rc, 0);
    assert_string_equal(f->c.listen, "0.0.0.0:9000");
    assert_int_equal(f->c.access_ttl, 60);
    assert_int_equal(f->c.refresh_rotation, 0);
    assert_string_equal(f->c.algorithm, "EdDSA");
    assert_int_equal(f->c.argon2_memory_kib, 8192);
    assert_string_equal(f->c.database_url,
                        "postgresql://tessera@db/tessera?sslmode=require");
    /* keys the file does not name keep their defaults */
    assert_int_equal(f->c.refresh_grace, 10);
    assert_int_equal(f->c.argon2_iterations, 2);
    assert_int_equal(f->c.refresh_ttl, 30L * 86400);
}

static void file_empty_is_fine(void **state)
{
    struct fx *f = *state;
    assert_int_equal(load(f, ""), 0);
    assert_int_equal(f->c.access_ttl, 900);
}

static void file_missing_is_an_error_naming_the_path(void **state)
{
    struct fx *f = *state;
    const char *path = "/nonexistent/tessera-test/tessera.ini";
    assert_int_equal(config_load_file(&f->c, path, f->err, sizeof f->err), -1);
    assert_contains(f->err, path);
}

static void file_unknown_key_is_an_error_naming_it(void **state)
{
    struct fx *f = *state;
    assert_int_equal(load(f, "[tokens]\naccess_ttl = 60\nacces_ttl = 60\n"), -1);
    assert_contains(f->err, "tokens.acces_ttl");
    assert_contains(f->err, "line 3");
    assert_contains(f->err, f->path);
}

static void file_unknown_section_is_an_error_naming_the_key(void **state)
{
    struct fx *f = *state;
    assert_int_equal(load(f, "[token]\naccess_ttl = 60\n"), -1);
    assert_contains(f->err, "token.access_ttl");
}

static void file_key_before_any_section_is_an_error(void **state)
{
    struct fx *f = *state;
    assert_int_equal(load(f, "access_ttl = 60\n"), -1);
    assert_contains(f->err, "access_ttl");
    assert_int_equal(f->c.access_ttl, 900);
}

static void file_syntax_error_names_the_line(void **state)
{
    struct fx *f = *state;
    assert_int_equal(load(f, "[tokens]\naccess_ttl = 60\nthis line has no value\n"), -1);
    assert_contains(f->err, "line 3");
}

static void file_bad_integer_is_an_error(void **state)
{
    struct fx *f = *state;
    static const char *const bad[] = { "15m", "", "1e3", "0x10", "sixty", "60 60",
                                       "99999999999999999999999" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "[tokens]\naccess_ttl = %s\n", bad[i]);
        config_defaults(&f->c);
        assert_int_equal(load(f, text), -1);
        assert_contains(f->err, "tokens.access_ttl");
        assert_contains(f->err, "integer");
        assert_int_equal(f->c.access_ttl, 900);   /* the old value stays */
    }
}

static void file_out_of_range_is_an_error(void **state)
{
    struct fx *f = *state;
    static const struct { const char *text, *key; } bad[] = {
        { "[tokens]\naccess_ttl = 0\n", "tokens.access_ttl" },
        { "[tokens]\naccess_ttl = -5\n", "tokens.access_ttl" },
        { "[tokens]\naccess_ttl = 31536001\n", "tokens.access_ttl" },
        { "[tokens]\nrefresh_grace = -1\n", "tokens.refresh_grace" },
        { "[passwords]\nargon2_memory_kib = 7\n", "passwords.argon2_memory_kib" },
        { "[passwords]\nargon2_iterations = 0\n", "passwords.argon2_iterations" },
        { "[passwords]\nhash_queue = 0\n", "passwords.hash_queue" },
        { "[server]\nthreads = 257\n", "server.threads" },
        { "[server]\nmax_body = 255\n", "server.max_body" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        config_defaults(&f->c);
        assert_int_equal(load(f, bad[i].text), -1);
        assert_contains(f->err, bad[i].key);
    }
}

static void file_range_edges_are_accepted(void **state)
{
    struct fx *f = *state;
    assert_int_equal(load(f, "[tokens]\naccess_ttl = 1\nrefresh_grace = 0\n"
                             "[passwords]\nargon2_memory_kib = 8\n"), 0);
    assert_int_equal(f->c.access_ttl, 1);
    assert_int_equal(f->c.refresh_grace, 0);
    assert_int_equal(f->c.argon2_memory_kib, 8);
    assert_int_equal(load(f, "[tokens]\naccess_ttl = 31536000\n"), 0);
    assert_int_equal(f->c.access_ttl, 31536000);
}

static void file_bad_bool_is_an_error(void **state)
{
    struct fx *f = *state;
    assert_int_equal(load(f, "[tokens]\nrefresh_rotation = maybe\n"), -1);
    assert_contains(f->err, "tokens.refresh_rotation");
    assert_int_equal(f->c.refresh_rotation, 1);
    assert_int_equal(load(f, "[tokens]\nrefresh_rotation = 2\n"), -1);
    assert_int_equal(load(f, "[registration]\nenabled = \n"), -1);
    assert_contains(f->err, "registration.enabled");
}

static void file_bool_spellings(void **state)
{
    struct fx *f = *state;
    static const struct { const char *v; int want; } ok[] = {
        { "false", 0 }, { "true", 1 }, { "no", 0 }, { "yes", 1 }, { "off", 0 },
        { "on", 1 }, { "0", 0 }, { "1", 1 }, { "FALSE", 0 }, { "True", 1 },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "[tokens]\nrefresh_rotation = %s\n", ok[i].v);
        f->c.refresh_rotation = !ok[i].want;
        assert_int_equal(load(f, text), 0);
        assert_int_equal(f->c.refresh_rotation, ok[i].want);
    }
}

/* An indented line is an inih "continuation" of the key above it: the user meant
 * audience = api, but the issuer silently became "audience = api". A config loader
 * should either read the indented key as a key or fail; it must not accept it. */
static void file_indented_key_does_not_overwrite_the_key_above(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "[server]\n"
                     "issuer = https://auth.example.com\n"
                     "    audience = api\n");
    assert_string_not_equal(f->c.issuer, "audience = api");
    if (rc == 0) {
        assert_string_equal(f->c.issuer, "https://auth.example.com");
        assert_string_equal(f->c.audience, "api");
    }
}

/* A line longer than inih's 200-byte buffer: role scope lists (up to 511 bytes in
 * struct role_conf) and PostgreSQL URLs (1023) must load from a file too. */
static void file_long_lines_load(void **state)
{
    struct fx *f = *state;
    char scopes[400] = "", text[1024];
    for (int i = 0; i < 25; i++) {
        char one[32];
        snprintf(one, sizeof one, "%sread:thing%02d", i ? " " : "", i);
        strcat(scopes, one);
    }
    assert_true(strlen(scopes) > 250);
    snprintf(text, sizeof text, "[role.reader]\nscopes = %s\ndefault_scopes = read:thing00\n",
             scopes);
    if (load(f, text) != 0)
        fail_msg("%s", f->err);
    assert_non_null(config_role(&f->c, "reader"));
    assert_string_equal(config_role(&f->c, "reader")->scopes, scopes);
}

/* ---- TESSERA_* environment ------------------------------------------------------ */

static void env_overrides_a_key(void **state)
{
    struct fx *f = *state;
    setenv("TESSERA_TOKENS_ACCESS_TTL", "120", 1);
    assert_int_equal(config_load_env(&f->c, f->err, sizeof f->err), 0);
    assert_int_equal(f->c.access_ttl, 120);
    assert_int_equal(f->c.refresh_grace, 10);
}

static void env_absent_changes_nothing(void **state)
{
    struct fx *f = *state;
    assert_int_equal(config_load_env(&f->c, f->err, sizeof f->err), 0);
    assert_int_equal(f->c.access_ttl, 900);
    assert_int_equal(f->c.refresh_grace, 10);
    assert_int_equal(f->c.refresh_rotation, 1);
    assert_string_equal(f->c.listen, "127.0.0.1:8080");
}

static void env_strings_and_bools(void **state)
{
    struct fx *f = *state;
    setenv("TESSERA_SERVER_LISTEN", "0.0.0.0:9999", 1);
    setenv("TESSERA_TOKENS_REFRESH_ROTATION", "off", 1);
    assert_int_equal(config_load_env(&f->c, f->err, sizeof f->err), 0);
    assert_string_equal(f->c.listen, "0.0.0.0:9999");
    assert_int_equal(f->c.refresh_rotation, 0);
}

static void env_bad_value_is_an_error_naming_the_variable(void **state)
{
    struct fx *f = *state;
    setenv("TESSERA_TOKENS_ACCESS_TTL", "15 minutes", 1);
    assert_int_equal(config_load_env(&f->c, f->err, sizeof f->err), -1);
    assert_contains(f->err, "TESSERA_TOKENS_ACCESS_TTL");
    assert_int_equal(f->c.access_ttl, 900);
    setenv("TESSERA_TOKENS_ACCESS_TTL", "0", 1);
    assert_int_equal(config_load_env(&f->c, f->err, sizeof f->err), -1);
    assert_contains(f->err, "TESSERA_TOKENS_ACCESS_TTL");
}

/* ---- --set and precedence -------------------------------------------------------- */

static void set_assigns_a_key(void **state)
{
    struct fx *f = *state;
    assert_int_equal(config_set(&f->c, "tokens.access_ttl=300", f->err, sizeof f->err), 0);
    assert_int_equal(f->c.access_ttl, 300);
    /* the value may hold dots, colons and '=' */
    assert_int_equal(config_set(&f->c, "server.listen=10.0.0.1:8443", f->err,
                                sizeof f->err), 0);
    assert_string_equal(f->c.listen, "10.0.0.1:8443");
    assert_int_equal(config_set(&f->c, "database.url=postgresql://h/db?sslmode=require",
                                f->err, sizeof f->err), 0);
    assert_string_equal(f->c.database_url, "postgresql://h/db?sslmode=require");
}

static void set_malformed_assignments_are_errors(void **state)
{
    struct fx *f = *state;
    static const char *const bad[] = { "tokens.access_ttl", "access_ttl=5", "=5",
                                       ".access_ttl=5", "tokens.=5", "" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        f->err[0] = '\0';
        assert_int_equal(config_set(&f->c, bad[i], f->err, sizeof f->err), -1);
        assert_true(f->err[0] != '\0');
    }
    assert_int_equal(f->c.access_ttl, 900);
}

static void set_unknown_key_is_an_error_naming_it(void **state)
{
    struct fx *f = *state;
    assert_int_equal(config_set(&f->c, "tokens.acess_ttl=5", f->err, sizeof f->err), -1);
    assert_contains(f->err, "tokens.acess_ttl");
    assert_int_equal(config_set(&f->c, "servers.listen=x:1", f->err, sizeof f->err), -1);
    assert_contains(f->err, "servers.listen");
}

static void set_too_long_string_is_an_error(void **state)
{
    struct fx *f = *state;
    char a[300];
    int n = snprintf(a, sizeof a, "server.listen=");
    memset(a + n, 'x', sizeof a - (size_t)n - 1);
    a[sizeof a - 1] = '\0';
    assert_int_equal(config_set(&f->c, a, f->err, sizeof f->err), -1);
    assert_contains(f->err, "server.listen");
    assert_string_equal(f->c.listen, "127.0.0.1:8080");
}

static void precedence_set_over_env_over_file(void **state)
{
    struct fx *f = *state;
    assert_int_equal(load(f, "[tokens]\naccess_ttl = 60\nrefresh_grace = 5\n"
                             "[passwords]\nargon2_memory_kib = 8192\n"), 0);
    setenv("TESSERA_TOKENS_ACCESS_TTL", "120", 1);
    setenv("TESSERA_TOKENS_REFRESH_GRACE", "7", 1);
    assert_int_equal(config_load_env(&f->c, f->err, sizeof f->err), 0);
    assert_int_equal(config_set(&f->c, "tokens.access_ttl=240", f->err, sizeof f->err), 0);

    assert_int_equal(f->c.access_ttl, 240);           /* --set beats env and file */
    assert_int_equal(f->c.refresh_grace, 7);          /* env beats file */
    assert_int_equal(f->c.argon2_memory_kib, 8192);   /* file beats default */
    assert_int_equal(f->c.argon2_iterations, 2);      /* default */
}

static void set_database_and_listen_flags(void **state)
{
    struct fx *f = *state;
    assert_int_equal(config_set_database(&f->c, "/var/lib/tessera/t.db", f->err,
                                         sizeof f->err), 0);
    assert_string_equal(f->c.database_url, "/var/lib/tessera/t.db");
    assert_int_equal(config_set_listen(&f->c, "[::1]:8443", f->err, sizeof f->err), 0);
    assert_string_equal(f->c.listen, "[::1]:8443");
    assert_int_equal(config_set_database(&f->c, "", f->err, sizeof f->err), 0);
    assert_int_equal(config_finish(&f->c, f->err, sizeof f->err), -1);
    assert_contains(f->err, "database.url");
}

/* ---- roles ---------------------------------------------------------------------- */

static void role_section_from_file(void **state)
{
    struct fx *f = *state;
    assert_int_equal(load(f, "[role.reader]\n"
                             "scopes = read:skills read:profile\n"
                             "default_scopes = read:skills\n"), 0);
    const struct role_conf *r = config_role(&f->c, "reader");
    assert_non_null(r);
    assert_string_equal(r->name, "reader");
    assert_string_equal(r->scopes, "read:skills read:profile");
    assert_string_equal(r->default_scopes, "read:skills");
    /* the built-in roles are still there */
    assert_non_null(config_role(&f->c, "admin"));
    assert_non_null(config_role(&f->c, "user"));
}

static void role_without_default_scopes_has_none(void **state)
{
    struct fx *f = *state;
    assert_int_equal(load(f, "[role.writer]\nscopes = write:skills\n"), 0);
    assert_non_null(config_role(&f->c, "writer"));
    assert_string_equal(config_role(&f->c, "writer")->default_scopes, "");
}

static void role_from_set(void **state)
{
    struct fx *f = *state;
    assert_int_equal(config_set(&f->c, "role.writer.scopes=write:skills read:skills",
                                f->err, sizeof f->err), 0);
    assert_int_equal(config_set(&f->c, "role.writer.default_scopes=write:skills",
                                f->err, sizeof f->err), 0);
    const struct role_conf *r = config_role(&f->c, "writer");
    assert_non_null(r);
    assert_string_equal(r->scopes, "write:skills read:skills");
    assert_string_equal(r->default_scopes, "write:skills");
}

static void role_section_overrides_a_builtin_role(void **state)
{
    struct fx *f = *state;
    int before = f->c.nroles;
    assert_int_equal(load(f, "[role.user]\nscopes = profile email\n"), 0);
    assert_int_equal(f->c.nroles, before);
    assert_string_equal(config_role(&f->c, "user")->scopes, "profile email");
}

static void role_unknown_key_is_an_error_naming_it(void **state)
{
    struct fx *f = *state;
    assert_int_equal(load(f, "[role.reader]\nscope = read:skills\n"), -1);
    assert_contains(f->err, "'scope'");
    assert_contains(f->err, "role.reader");
}

static void role_invalid_names_are_errors(void **state)
{
    struct fx *f = *state;
    static const char *const bad[] = {
        "[role.]\nscopes = a\n",
        "[role.bad name]\nscopes = a\n",
        "[role.a.b]\nscopes = a\n",
        "[role.r!]\nscopes = a\n",
        "[role.caf\xc3\xa9]\nscopes = a\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        config_defaults(&f->c);
        f->err[0] = '\0';
        if (load(f, bad[i]) != -1)
            fail_msg("accepted: %s", bad[i]);
        assert_contains(f->err, "role");
        assert_int_equal(f->c.nroles, 2);
    }
    assert_int_equal(config_set(&f->c, "role.bad name.scopes=a", f->err, sizeof f->err),
                     -1);
    assert_int_equal(f->c.nroles, 2);
    /* role names have room for 63 characters */
    char a[128];
    snprintf(a, sizeof a, "role.%064d.scopes=a", 0);
    assert_int_equal(config_set(&f->c, a, f->err, sizeof f->err), -1);
    assert_int_equal(f->c.nroles, 2);
}

/* inih cuts section names at 49 bytes: [role.<50 characters>] silently defined a role
 * named by the first 44, and [role.<64 characters>] was accepted the same way. A role
 * named in the file must be found by its full name, or the file rejected. */
static void file_long_role_names_are_kept_or_rejected(void **state)
{
    struct fx *f = *state;
    char name[80], text[160];

    snprintf(name, sizeof name, "reader-%043d", 0);            /* 50 characters */
    snprintf(text, sizeof text, "[role.%s]\nscopes = a\n", name);
    assert_int_equal(load(f, text), 0);
    assert_int_equal(f->c.nroles, 3);
    assert_non_null(config_role(&f->c, name));

    config_defaults(&f->c);
    snprintf(name, sizeof name, "reader-%057d", 0);            /* 64 characters */
    snprintf(text, sizeof text, "[role.%s]\nscopes = a\n", name);
    assert_int_equal(load(f, text), -1);
    assert_int_equal(f->c.nroles, 2);
}

static void role_valid_name_characters(void **state)
{
    struct fx *f = *state;
    assert_int_equal(load(f, "[role.Read-Only_2:x]\nscopes = a\n"), 0);
    assert_non_null(config_role(&f->c, "Read-Only_2:x"));
}

static void role_count_is_bounded(void **state)
{
    struct fx *f = *state;
    int i;
    for (i = f->c.nroles; i < CONFIG_MAX_ROLES; i++) {
        char a[64];
        snprintf(a, sizeof a, "role.r%d.scopes=s%d", i, i);
        assert_int_equal(config_set(&f->c, a, f->err, sizeof f->err), 0);
    }
    assert_int_equal(f->c.nroles, CONFIG_MAX_ROLES);
    assert_int_equal(config_set(&f->c, "role.onetoomany.scopes=x", f->err, sizeof f->err),
                     -1);
    assert_contains(f->err, "too many roles");
    /* an existing role can still be changed */
    assert_int_equal(config_set(&f->c, "role.r5.scopes=y", f->err, sizeof f->err), 0);
    assert_string_equal(config_role(&f->c, "r5")->scopes, "y");
}

/* ---- config_finish -------------------------------------------------------------- */

static void finish_derives_issuer_from_listen(void **state)
{
    struct fx *f = *state;
    assert_int_equal(config_finish(&f->c, f->err, sizeof f->err), 0);
    assert_string_equal(f->c.issuer, "http://127.0.0.1:8080");
    assert_int_equal(f->c.issuer_from_listen, 1);

    config_defaults(&f->c);
    assert_int_equal(config_set_listen(&f->c, "0.0.0.0:9000", f->err, sizeof f->err), 0);
    assert_int_equal(config_finish(&f->c, f->err, sizeof f->err), 0);
    assert_string_equal(f->c.issuer, "http://0.0.0.0:9000");
}

static void finish_keeps_a_configured_issuer(void **state)
{
    struct fx *f = *state;
    assert_int_equal(config_set(&f->c, "server.issuer=https://auth.example.com", f->err,
                                sizeof f->err), 0);
    assert_int_equal(config_finish(&f->c, f->err, sizeof f->err), 0);
    assert_string_equal(f->c.issuer, "https://auth.example.com");
    assert_int_equal(f->c.issuer_from_listen, 0);
}

static void finish_rejects_a_bad_algorithm(void **state)
{
    struct fx *f = *state;
    static const char *const bad[] = { "HS256", "none", "es256", "ES256 ", "" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        config_defaults(&f->c);
        snprintf(f->c.algorithm, sizeof f->c.algorithm, "%s", bad[i]);
        f->err[0] = '\0';
        assert_int_equal(config_finish(&f->c, f->err, sizeof f->err), -1);
        assert_contains(f->err, "tokens.algorithm");
    }
}

static void finish_accepts_each_supported_algorithm(void **state)
{
    struct fx *f = *state;
    static const char *const ok[] = { "ES256", "EdDSA", "RS256", "PS256" };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char a[64];
        config_defaults(&f->c);
        snprintf(a, sizeof a, "tokens.algorithm=%s", ok[i]);
        assert_int_equal(config_set(&f->c, a, f->err, sizeof f->err), 0);
        assert_int_equal(config_finish(&f->c, f->err, sizeof f->err), 0);
    }
}

static void finish_rejects_listen_without_port(void **state)
{
    struct fx *f = *state;
    assert_int_equal(config_set_listen(&f->c, "localhost", f->err, sizeof f->err), 0);
    assert_int_equal(config_finish(&f->c, f->err, sizeof f->err), -1);
    assert_contains(f->err, "server.listen");
}

static void finish_caps_idle_ttl_at_refresh_ttl(void **state)
{
    struct fx *f = *state;
    assert_int_equal(config_set(&f->c, "tokens.refresh_ttl=3600", f->err, sizeof f->err),
                     0);
    assert_int_equal(config_finish(&f->c, f->err, sizeof f->err), 0);
    assert_int_equal(f->c.refresh_idle_ttl, 3600);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(defaults_match_the_documented_values),
        T(defaults_have_admin_and_user_roles),
        T(defaults_pass_config_finish),
        T(file_sets_values_and_leaves_the_rest),
        T(file_empty_is_fine),
        T(file_missing_is_an_error_naming_the_path),
        T(file_unknown_key_is_an_error_naming_it),
        T(file_unknown_section_is_an_error_naming_the_key),
        T(file_key_before_any_section_is_an_error),
        T(file_syntax_error_names_the_line),
        T(file_bad_integer_is_an_error),
        T(file_out_of_range_is_an_error),
        T(file_range_edges_are_accepted),
        T(file_bad_bool_is_an_error),
        T(file_bool_spellings),
        T(file_indented_key_does_not_overwrite_the_key_above),
        T(file_long_lines_load),
        T(env_overrides_a_key),
        T(env_absent_changes_nothing),
        T(env_strings_and_bools),
        T(env_bad_value_is_an_error_naming_the_variable),
        T(set_assigns_a_key),
        T(set_malformed_assignments_are_errors),
        T(set_unknown_key_is_an_error_naming_it),
        T(set_too_long_string_is_an_error),
        T(precedence_set_over_env_over_file),
        T(set_database_and_listen_flags),
        T(role_section_from_file),
        T(role_without_default_scopes_has_none),
        T(role_from_set),
        T(role_section_overrides_a_builtin_role),
        T(role_unknown_key_is_an_error_naming_it),
        T(role_invalid_names_are_errors),
        T(role_valid_name_characters),
        T(file_long_role_names_are_kept_or_rejected),
        T(role_count_is_bounded),
        T(finish_derives_issuer_from_listen),
        T(finish_keeps_a_configured_issuer),
        T(finish_rejects_a_bad_algorithm),
        T(finish_accepts_each_supported_algorithm),
        T(finish_rejects_listen_without_port),
        T(finish_caps_idle_ttl_at_refresh_ttl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
