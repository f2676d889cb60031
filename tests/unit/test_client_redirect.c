/* SPDX-License-Identifier: Apache-2.0 */
/* src/core/client_redirect.c: which redirect URIs may be registered, and the exact
 * match of a presented one against the registered list (RFC 8252 7.3 loopback
 * ports included, nothing else). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/client.h"

static int ok(const char *u)
{
    return client_redirect_uri_ok(u, strlen(u));
}

static void registration_rules(void **state)
{
    (void)state;
    assert_true(ok("https://app.example/cb"));
    assert_true(ok("https://app.example:8443/cb?x=1"));
    assert_true(ok("http://127.0.0.1/cb"));
    assert_true(ok("http://127.0.0.1:8080/cb"));
    assert_true(ok("http://[::1]:5000/"));
    assert_true(ok("http://localhost:3000/cb"));
    assert_false(ok("http://app.example/cb"));            /* http off loopback */
    assert_false(ok("http://127.0.0.1.evil.example/cb")); /* not the loopback host */
    assert_false(ok("http://localhost.evil.example/"));
    assert_false(ok("https://app.example/cb#frag"));      /* fragment */
    assert_false(ok("https://user@app.example/cb"));      /* user info */
    assert_false(ok("https:///cb"));                       /* no host */
    assert_false(ok("javascript:alert(1)"));
    assert_false(ok("/relative"));
    assert_false(ok("https://app.example/a b"));
    assert_false(ok("https://app.example/a,b"));
    assert_false(ok("https://app.example;script-src:*/cb"));  /* goes into a CSP */
    assert_false(ok("https://app.exa%6dple/cb"));
    assert_false(ok(""));
}

static void exact_match_only(void **state)
{
    (void)state;
    struct client_rec c = { 0 };
    snprintf(c.redirect_uris, sizeof c.redirect_uris, "%s",
             "https://app.example/cb http://127.0.0.1/native http://[::1]:9/x?y=1 "
             "http://localhost:3000/cb");
    assert_true(client_redirect_allowed(&c, "https://app.example/cb"));
    assert_false(client_redirect_allowed(&c, "https://app.example/cb/"));
    assert_false(client_redirect_allowed(&c, "https://app.example/cb?x=1"));
    assert_false(client_redirect_allowed(&c, "https://APP.example/cb"));
    assert_false(client_redirect_allowed(&c, "https://app.example/%63b"));
    assert_false(client_redirect_allowed(&c, "https://app.example/c"));
    assert_false(client_redirect_allowed(&c, "https://app.example:443/cb"));
    assert_false(client_redirect_allowed(&c, ""));
    /* loopback IPs: any port, the rest identical */
    assert_true(client_redirect_allowed(&c, "http://127.0.0.1:51004/native"));
    assert_true(client_redirect_allowed(&c, "http://127.0.0.1/native"));
    assert_false(client_redirect_allowed(&c, "http://127.0.0.1:51004/native/x"));
    assert_false(client_redirect_allowed(&c, "http://127.0.0.1:/native"));
    assert_false(client_redirect_allowed(&c, "http://127.0.0.1:999999/native"));
    assert_false(client_redirect_allowed(&c, "http://[::1]:51004/native"));
    assert_true(client_redirect_allowed(&c, "http://[::1]:7/x?y=1"));
    /* localhost is not an IP literal: its port is exact */
    assert_true(client_redirect_allowed(&c, "http://localhost:3000/cb"));
    assert_false(client_redirect_allowed(&c, "http://localhost:3001/cb"));
    /* post-logout URIs are exact, without the loopback rule */
    snprintf(c.post_logout_redirect_uris, sizeof c.post_logout_redirect_uris, "%s",
             "http://127.0.0.1/bye");
    assert_true(client_post_logout_allowed(&c, "http://127.0.0.1/bye"));
    assert_false(client_post_logout_allowed(&c, "http://127.0.0.1:80/bye"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(registration_rules),
        cmocka_unit_test(exact_match_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
