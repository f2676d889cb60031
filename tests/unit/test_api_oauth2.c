/* SPDX-License-Identifier: Apache-2.0 */
/* src/api/oauth2.c through the oauth2 route table, in process: client authentication,
 * the client_credentials and password grants (the latter deferred to the worker, run
 * inline here), and introspection. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/secret.h"
#include "handler_harness.h"

#define PASSWORD "correct horse battery"
#define ERROR_URI "https://datatracker.ietf.org/doc/html/rfc6749#section-5.2"

struct fx {
    struct harness *h;
    char bob[64];
    char svc_secret[SECRET_TOKEN_CHARS + 1];   /* client "svc": client_credentials */
    char app_secret[SECRET_TOKEN_CHARS + 1];   /* client "app": password grant */
    char svc_basic[512];                       /* "Authorization: Basic ..." of svc */
    char app_basic[512];
};

static void basic_header(char *out, size_t n, const char *id, const char *secret)
{
    char pair[256], b64[sodium_base64_ENCODED_LEN(256, sodium_base64_VARIANT_ORIGINAL)];
    snprintf(pair, sizeof pair, "%s:%s", id, secret);
    sodium_bin2base64(b64, sizeof b64, (const unsigned char *)pair, strlen(pair),
                      sodium_base64_VARIANT_ORIGINAL);
    snprintf(out, n, "Authorization: Basic %s", b64);
}

static int setup(void **state)
{
    static const char *const sets[] = { "role.svc.scopes=write:skills read:skills",
                                        "role.svc.default_scopes=write:skills", NULL };
    struct fx *f = calloc(1, sizeof *f);
    if (!f || !(f->h = harness_new(sets)) ||
        harness_user(f->h, "bob@example.com", "bob", "user", PASSWORD, f->bob) ||
        harness_client(f->h, "svc", "client_credentials", "svc", f->svc_secret) ||
        harness_client(f->h, "app", "password refresh_token", NULL, f->app_secret)) {
        if (f)
            harness_free(f->h);
        free(f);
        return -1;
    }
    basic_header(f->svc_basic, sizeof f->svc_basic, "svc", f->svc_secret);
    basic_header(f->app_basic, sizeof f->app_basic, "app", f->app_secret);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    harness_free(f->h);
    free(f);
    return 0;
}

static void post_form(struct fx *f, const char *path, const char *auth, const char *body,
                      struct hres *r)
{
    const char *const hdrs[] = { "Content-Type: application/x-www-form-urlencoded", auth,
                                 NULL };
    struct hreq rq = { "POST", path, hdrs, body, NULL };
    assert_int_equal(harness_run(f->h, &rq, r), 0);
}

static void assert_oauth_error(const struct hres *r, int status, const char *code)
{
    assert_int_equal(r->status, status);
    assert_string_equal(hres_str(r, "error"), code);
    assert_string_equal(hres_str(r, "error_uri"), ERROR_URI);
    assert_null(hres_str(r, "access_token"));
    assert_string_equal(hres_header(r, "Cache-Control"), "no-store");
}

static void client_credentials_issues_a_token(void **state)
{
    struct fx *f = *state;
    struct hres r;
    post_form(f, "/oauth2/token", f->svc_basic, "grant_type=client_credentials", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(hres_str(&r, "token_type"), "Bearer");
    assert_string_equal(hres_str(&r, "scope"), "write:skills");
    assert_int_equal(json_integer_value(json_object_get(r.json, "expires_in")), 900);
    assert_non_null(hres_str(&r, "access_token"));
    assert_null(hres_str(&r, "refresh_token"));     /* a client's token is not renewed */
    assert_string_equal(hres_header(&r, "Cache-Control"), "no-store");
    assert_string_equal(hres_header(&r, "Pragma"), "no-cache");
    hres_clear(&r);

    post_form(f, "/oauth2/token", f->svc_basic, "grant_type=client_credentials&"
              "scope=read:skills", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(hres_str(&r, "scope"), "read:skills");
    hres_clear(&r);

    post_form(f, "/oauth2/token", f->svc_basic, "grant_type=client_credentials&"
              "scope=admin", &r);
    assert_oauth_error(&r, 400, "invalid_scope");
    hres_clear(&r);

    /* the form's client_id and client_secret instead of Basic */
    char body[256];
    snprintf(body, sizeof body, "grant_type=client_credentials&client_id=svc&"
             "client_secret=%s", f->svc_secret);
    post_form(f, "/oauth2/token", NULL, body, &r);
    assert_int_equal(r.status, 200);
    hres_clear(&r);
}

static void a_wrong_secret_is_invalid_client(void **state)
{
    struct fx *f = *state;
    char auth[512];
    struct hres r;
    basic_header(auth, sizeof auth, "svc", "not-the-secret");
    post_form(f, "/oauth2/token", auth, "grant_type=client_credentials", &r);
    assert_oauth_error(&r, 401, "invalid_client");
    assert_string_equal(hres_header(&r, "WWW-Authenticate"),
                        "Basic realm=\"tessera\", charset=\"UTF-8\"");
    hres_clear(&r);

    /* no client at all */
    post_form(f, "/oauth2/token", NULL, "grant_type=client_credentials", &r);
    assert_oauth_error(&r, 401, "invalid_client");
    hres_clear(&r);
}

static void grant_type_rules(void **state)
{
    struct fx *f = *state;
    struct hres r;
    post_form(f, "/oauth2/token", f->svc_basic, "grant_type=password&username=bob&"
              "password=x", &r);
    assert_oauth_error(&r, 400, "unauthorized_client");
    hres_clear(&r);

    post_form(f, "/oauth2/token", f->svc_basic, "grant_type=magic", &r);
    assert_oauth_error(&r, 400, "unsupported_grant_type");
    hres_clear(&r);

    post_form(f, "/oauth2/token", f->svc_basic, "grant_type=a&grant_type=b", &r);
    assert_oauth_error(&r, 400, "invalid_request");    /* a repeated name */
    hres_clear(&r);
}

/* The password grant hashes: the handler defers itself to the worker pool, and the
 * harness runs it again as the worker would. */
static void password_grant_runs_again_on_the_worker(void **state)
{
    struct fx *f = *state;
    struct hres r;
    post_form(f, "/oauth2/token", f->app_basic, "grant_type=password&username=bob&"
              "password=correct+horse+battery", &r);
    assert_int_equal(r.status, 200);
    assert_non_null(hres_str(&r, "access_token"));
    assert_non_null(hres_str(&r, "refresh_token"));
    hres_clear(&r);

    post_form(f, "/oauth2/token", f->app_basic, "grant_type=password&username=bob&"
              "password=wrong", &r);
    assert_oauth_error(&r, 400, "invalid_grant");
    hres_clear(&r);
}

static void introspection_reports_on_a_token(void **state)
{
    struct fx *f = *state;
    char token[4096], body[4200];
    struct hres r;
    post_form(f, "/oauth2/token", f->svc_basic, "grant_type=client_credentials", &r);
    assert_int_equal(r.status, 200);
    snprintf(token, sizeof token, "%s", hres_str(&r, "access_token"));
    hres_clear(&r);

    snprintf(body, sizeof body, "token=%s&token_type_hint=access_token", token);
    post_form(f, "/oauth2/introspect", f->app_basic, body, &r);
    assert_int_equal(r.status, 200);
    assert_true(json_is_true(json_object_get(r.json, "active")));
    assert_string_equal(hres_str(&r, "token_type"), "access_token");
    assert_string_equal(hres_str(&r, "sub"), "svc");
    assert_string_equal(hres_str(&r, "client_id"), "svc");
    assert_string_equal(hres_str(&r, "scope"), "write:skills");
    assert_string_equal(hres_str(&r, "iss"), "http://tessera.test");
    assert_null(json_object_get(r.json, "sid"));
    hres_clear(&r);

    /* a token nobody issued is inactive, and says nothing more */
    post_form(f, "/oauth2/introspect", f->app_basic, "token=made-up", &r);
    assert_int_equal(r.status, 200);
    assert_true(json_is_false(json_object_get(r.json, "active")));
    assert_int_equal(json_object_size(r.json), 1);
    hres_clear(&r);

    post_form(f, "/oauth2/introspect", f->app_basic, "", &r);
    assert_oauth_error(&r, 400, "invalid_request");
    hres_clear(&r);

    snprintf(body, sizeof body, "token=%s", token);
    post_form(f, "/oauth2/introspect", NULL, body, &r);
    assert_oauth_error(&r, 401, "invalid_client");
    hres_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(client_credentials_issues_a_token),
        cmocka_unit_test(a_wrong_secret_is_invalid_client),
        cmocka_unit_test(grant_type_rules),
        cmocka_unit_test(password_grant_runs_again_on_the_worker),
        cmocka_unit_test(introspection_reports_on_a_token),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
