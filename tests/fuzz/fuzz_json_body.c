/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server's JSON body reader (src/http/request.c: http_body_json, http_json_str)
 * on a request built the way the HTTP layer builds it: a NUL-terminated copy of the
 * body, NULL when there is none. Properties:
 *   - error: *out is NULL and a sentence for the client is set;
 *   - success: an object, nested no deeper than HTTP_MAX_JSON_DEPTH, that
 *     http_json() (src/http/response.c) writes as JSON that parses back equal;
 *   - http_json_str: a string it hands back has no NUL and is at most `max` bytes.
 */
#include <string.h>

#include "fuzz.h"
#include "http/http.h"

static int depth(json_t *v)
{
    int d = 0;
    if (json_is_object(v)) {
        const char *k;
        json_t *m;
        json_object_foreach(v, k, m) {
            int dm = depth(m);
            if (dm > d)
                d = dm;
        }
        return d + 1;
    }
    if (json_is_array(v)) {
        size_t i;
        json_t *m;
        json_array_foreach(v, i, m) {
            int dm = depth(m);
            if (dm > d)
                d = dm;
        }
        return d + 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const fields[] = { "username", "password", "client_id",
                                          "scope", "refresh_token", "" };
    struct request req;
    struct response res;
    json_t *v = (json_t *)&v;
    char *body = NULL;

    memset(&req, 0, sizeof req);
    memset(&res, 0, sizeof res);
    if (size) {
        body = malloc(size + 1);
        FUZZ_CHECK(body);
        memcpy(body, data, size);
        body[size] = '\0';
    }
    req.method = "POST";
    req.path = "/v1/auth/login";
    req.body = body;
    req.body_len = size;

    ts_err e = http_body_json(&req, &res, &v);
    if (e != TS_OK) {
        FUZZ_CHECK(e == TS_EINVAL);
        FUZZ_CHECK(v == NULL);
        FUZZ_CHECK(res.error_description[0] != '\0');
        free(body);
        return 0;
    }
    FUZZ_CHECK(json_is_object(v));
    FUZZ_CHECK(depth(v) <= HTTP_MAX_JSON_DEPTH);

    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        for (int required = 0; required < 2; required++) {
            const char *s = (const char *)&s;
            size_t max = (size_t)(size & 63);
            memset(res.error_description, 0, sizeof res.error_description);
            e = http_json_str(v, fields[i], max, required, &res, &s);
            if (e == TS_OK) {
                if (s) {
                    size_t n = strlen(s);
                    FUZZ_CHECK(n <= max);
                    FUZZ_CHECK(n == json_string_length(json_object_get(v, fields[i])));
                    FUZZ_CHECK(!required || n > 0);
                } else {
                    FUZZ_CHECK(!required);
                }
            } else {
                FUZZ_CHECK(e == TS_EINVAL && s == NULL);
                FUZZ_CHECK(res.error_description[0] != '\0');
            }
        }
    }

    /* Written back as a response body, it parses to an equal value. */
    json_incref(v);
    FUZZ_CHECK(http_json(&res, 200, v) == TS_OK);
    FUZZ_CHECK(res.body && strlen(res.body) == res.body_len);
    json_error_t je;
    json_t *back = json_loadb(res.body, res.body_len, JSON_REJECT_DUPLICATES, &je);
    if (!back) {
        fprintf(stderr, "re-parse failed: %s\n", je.text);
        FUZZ_CHECK(back);
    }
    FUZZ_CHECK(json_equal(v, back));
    json_decref(back);
    json_decref(v);
    free(res.body);
    free(body);
    return 0;
}
