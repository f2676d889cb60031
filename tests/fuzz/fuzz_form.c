/* SPDX-License-Identifier: Apache-2.0 */
/*
 * application/x-www-form-urlencoded bodies (src/http/form.c). Properties of
 * http_form_parse, checked against an independent split of the input on '&' and '=':
 *   - success: one pair per non-empty '&' segment, in order, at most
 *     HTTP_FORM_MAX_PARAMS; every name unique; each name and value the
 *     http_form_decode of its raw bytes, with no NUL inside (strlen is the decoded
 *     length); all of them inside the one buffer the form owns;
 *   - failure: TS_EINVAL with a reason, and the form left empty.
 * Plus http_form_decode alone on the whole input, and http_param over the form.
 */
#include <string.h>

#include "fuzz.h"
#include "http/http.h"

static void check_form(const char *body, size_t len, const struct form *f)
{
    char *tmp = malloc(len + 1);
    size_t i = 0, dn;
    int k = 0;

    FUZZ_CHECK(tmp);
    FUZZ_CHECK(f->n >= 0 && f->n <= HTTP_FORM_MAX_PARAMS);
    FUZZ_CHECK(f->n == 0 || f->buf);
    while (i <= len) {
        size_t end = i;
        while (end < len && body[end] != '&')
            end++;
        if (end > i) {
            FUZZ_CHECK(k < f->n);
            const char *eq = memchr(body + i, '=', end - i);
            size_t nlen = eq ? (size_t)(eq - (body + i)) : end - i;
            const char *name = f->p[k].name, *value = f->p[k].value;
            FUZZ_CHECK(name && value);

            FUZZ_CHECK(http_form_decode(body + i, nlen, tmp, &dn) == 0);
            FUZZ_CHECK(strlen(name) == dn && memcmp(name, tmp, dn) == 0);
            size_t vs = eq ? nlen + 1 : end - i;
            FUZZ_CHECK(http_form_decode(body + i + vs, end - i - vs, tmp, &dn) == 0);
            FUZZ_CHECK(strlen(value) == dn && memcmp(value, tmp, dn) == 0);
            /* Names are unique, but for RFC 8707's repeatable resource / audience. */
            if (strcmp(name, "resource") != 0 && strcmp(name, "audience") != 0)
                for (int j = 0; j < k; j++)
                    FUZZ_CHECK(strcmp(f->p[j].name, name) != 0);
            k++;
        }
        i = end + 1;
    }
    FUZZ_CHECK(k == f->n);
    free(tmp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    char why[256];
    struct form f;

    /* The decoder alone. */
    char *out = malloc(size + 1);
    size_t n = (size_t)-1;
    FUZZ_CHECK(out);
    if (http_form_decode(body, size, out, &n) == 0) {
        FUZZ_CHECK(n <= size);
        FUZZ_CHECK(out[n] == '\0' && memchr(out, '\0', n) == NULL);
    }
    free(out);

    why[0] = '\0';
    memset(&f, 0xa5, sizeof f);
    ts_err e = http_form_parse(size ? body : NULL, size, &f, why, sizeof why);
    if (e != TS_OK) {
        FUZZ_CHECK(e == TS_EINVAL);
        FUZZ_CHECK(why[0] != '\0');
        FUZZ_CHECK(f.n == 0 && f.buf == NULL);
        return 0;
    }
    check_form(body, size, &f);

    /* http_param finds each name, and tells absent from empty. */
    struct request req;
    struct response res;
    memset(&req, 0, sizeof req);
    memset(&res, 0, sizeof res);
    req.form = &f;
    for (int k = 0; k < f.n; k++) {
        const char *v = (const char *)&v;
        int first = 0;          /* a repeatable name (resource) answers its first value */
        while (strcmp(f.p[first].name, f.p[k].name) != 0)
            first++;
        const char *want = f.p[first].value;
        e = http_param(&req, f.p[k].name, 4096, 0, &res, &v);
        FUZZ_CHECK(e == TS_OK);
        FUZZ_CHECK(want[0] ? v == want : v == NULL);
        e = http_param(&req, f.p[k].name, 4096, 1, &res, &v);
        FUZZ_CHECK(want[0] ? e == TS_OK : e == TS_EINVAL);
    }
    http_form_free(&f);
    FUZZ_CHECK(f.n == 0 && f.buf == NULL);
    return 0;
}
