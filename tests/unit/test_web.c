/* SPDX-License-Identifier: Apache-2.0 */
/* src/web/: rendering ({{name}} escaped, {{{name}}} raw, {{t:key}} the strings
 * table), the embedded files and their replacement from a directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "web/web.h"

static void escape_everything_html_cares_about(void **state)
{
    (void)state;
    char *e = web_escape("<a href=\"x\">'&'</a>");
    assert_non_null(e);
    assert_string_equal(e, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    free(e);
}

static void embedded_files_are_there(void **state)
{
    (void)state;
    static const char *const names[] = { "login.html", "error.html", "form_post.html",
                                          "style.css", "form_post.js" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char *body;
        size_t len;
        assert_int_equal(web_file(NULL, names[i], &body, &len), TS_OK);
        assert_true(len > 0 && strlen(body) == len);
        free(body);
    }
    char *body;
    size_t len;
    assert_int_equal(web_file(NULL, "../etc/passwd", &body, &len), TS_ENOTFOUND);
    assert_null(body);
}

static char dir[] = "/tmp/tessera-web-XXXXXX";

static void put(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void render_and_override(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(dir));
    put("t.html", "<p>{{v}}|{{{raw}}}|{{t:login_submit}}|{{missing}}|{{ open");
    const struct web_var v[] = { { "v", "<b>&" }, { "raw", "<i>ok</i>" } };
    char *out;
    size_t len;
    assert_int_equal(web_render(dir, "t.html", v, 2, &out, &len), TS_OK);
    assert_string_equal(out, "<p>&lt;b&gt;&amp;|<i>ok</i>|Sign in||{{ open");
    assert_int_equal(len, strlen(out));
    free(out);
    /* a value that looks like a placeholder is printed, not expanded */
    const struct web_var w[] = { { "v", "{{raw}}" }, { "raw", "" } };
    assert_int_equal(web_render(dir, "t.html", w, 2, &out, &len), TS_OK);
    assert_non_null(strstr(out, "<p>{{raw}}|"));
    free(out);
    /* a file of the directory replaces the embedded one; the others stay */
    put("style.css", "body{}");
    assert_int_equal(web_file(dir, "style.css", &out, &len), TS_OK);
    assert_string_equal(out, "body{}");
    free(out);
    assert_int_equal(web_file(dir, "login.html", &out, &len), TS_OK);
    assert_non_null(strstr(out, "name=\"password\""));
    free(out);
    char path[256];
    snprintf(path, sizeof path, "%s/t.html", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/style.css", dir);
    unlink(path);
    rmdir(dir);
}

static void strings_table(void **state)
{
    (void)state;
    assert_string_equal(web_text("login_failed"), "Invalid username or password.");
    assert_string_equal(web_text("no such key"), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(escape_everything_html_cares_about),
        cmocka_unit_test(embedded_files_are_there),
        cmocka_unit_test(render_and_override),
        cmocka_unit_test(strings_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
