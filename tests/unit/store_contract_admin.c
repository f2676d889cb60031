/* SPDX-License-Identifier: Apache-2.0 */
/* The store contract suite (store_contract.h), its part for the admin API's queries:
 * user_search, session_page and audit_list give the same answers on every backend
 * (store.h documents them). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store_contract.h"

#define OPS(f) ((f)->st->ops)

static struct store_fx *fx_or_skip(void **state)
{
    if (!*state)
        skip();
    return *state;
}
#define FX(state) fx_or_skip(state)

static void add_user(struct store_fx *f, const char *id, const char *email, const char *roles,
                     int disabled)
{
    struct user_rec u = { 0 };
    snprintf(u.id, sizeof u.id, "%s", id);
    snprintf(u.email, sizeof u.email, "%s", email);
    u.roles_json = strdup(roles);
    u.attributes_json = strdup("{}");
    u.disabled = disabled;
    u.created_at = u.updated_at = 100;
    assert_int_equal(OPS(f)->user_insert(f->st, &u), TS_OK);
    user_rec_clear(&u);
}

/* What a list delivered, in order. */
struct seen {
    int n, stop_after;
    char id[300][STORE_ID_LEN + 1];
    int64_t num[300];
};

static int seen_add(struct seen *v, const char *id, int64_t num)
{
    if (v->n < 300) {
        snprintf(v->id[v->n], sizeof v->id[0], "%s", id);
        v->num[v->n] = num;
    }
    v->n++;
    return v->stop_after && v->n >= v->stop_after;
}

static int seen_user(void *ctx, const struct user_rec *u)
{
    return seen_add(ctx, u->id, u->disabled);
}

static int seen_session(void *ctx, const struct session_rec *s)
{
    return seen_add(ctx, s->id, s->created_at);
}

static int seen_event(void *ctx, const struct audit_event_rec *e)
{
    char tag[STORE_ID_LEN + 1];
    snprintf(tag, sizeof tag, "%.20s", e->event);
    return seen_add(ctx, tag, e->id);
}

static struct seen *search(struct store_fx *f, const char *prefix, const char *role,
                           int disabled, const char *after, int limit)
{
    static struct seen v;
    struct user_filter uf = { prefix, role, disabled };
    memset(&v, 0, sizeof v);
    assert_int_equal(OPS(f)->user_search(f->st, &uf, after, limit, seen_user, &v),
                     TS_OK);
    return &v;
}

static void user_search_filters(void **state)
{
    struct store_fx *f = FX(state);
    add_user(f, "u1", "Alice@Corp.example", "[\"user\",\"editor\"]", 0);
    add_user(f, "u2", "alfred@corp.example", "[\"user\"]", 1);
    add_user(f, "u3", "bob@corp.example", "[\"editor\"]", 0);
    add_user(f, "u4", "al@other.example", "[]", 0);
    add_user(f, "u5", "carl@corp.example", "[\"editors\"]", 0);

    struct seen *v = search(f, NULL, NULL, -1, "", 100);
    assert_int_equal(v->n, 5);
    assert_string_equal(v->id[0], "u1");
    assert_string_equal(v->id[4], "u5");
    v = search(f, "AL", NULL, -1, NULL, 100);          /* case-insensitive prefix */
    assert_int_equal(v->n, 3);
    assert_string_equal(v->id[0], "u1");
    assert_string_equal(v->id[1], "u2");
    assert_string_equal(v->id[2], "u4");
    assert_int_equal(search(f, "alice@corp.example", NULL, -1, "", 100)->n, 1);
    assert_int_equal(search(f, "alice@corp.example.", NULL, -1, "", 100)->n, 0);
    assert_int_equal(search(f, "", NULL, -1, "", 100)->n, 5);   /* "" : no filter */
    v = search(f, NULL, "editor", -1, "", 100);         /* whole elements only */
    assert_int_equal(v->n, 2);
    assert_string_equal(v->id[0], "u1");
    assert_string_equal(v->id[1], "u3");
    assert_int_equal(search(f, NULL, "edit", -1, "", 100)->n, 0);
    v = search(f, NULL, NULL, 1, "", 100);
    assert_int_equal(v->n, 1);
    assert_string_equal(v->id[0], "u2");
    assert_int_equal(search(f, NULL, NULL, 0, "", 100)->n, 4);
    v = search(f, "al", "user", 0, "", 100);
    assert_int_equal(v->n, 1);
    assert_string_equal(v->id[0], "u1");
    /* the cursor and the limit */
    v = search(f, "al", NULL, -1, "u1", 1);
    assert_int_equal(v->n, 1);
    assert_string_equal(v->id[0], "u2");
    assert_int_equal(search(f, NULL, NULL, -1, "u5", 10)->n, 0);
    assert_int_equal(search(f, NULL, NULL, -1, "", 0)->n, 0);
    /* a NULL filter is no filter; a callback may stop early */
    struct seen w = { 0 };
    w.stop_after = 2;
    assert_int_equal(OPS(f)->user_search(f->st, NULL, "", 10, seen_user, &w), TS_OK);
    assert_int_equal(w.n, 2);
}

static void user_search_pages_past_a_chunk(void **state)
{
    struct store_fx *f = FX(state);
    char id[16], email[64];
    for (int i = 0; i < 150; i++) {
        snprintf(id, sizeof id, "id%03d", i);
        snprintf(email, sizeof email, "%s%03d@example.com", i % 2 ? "odd" : "even", i);
        add_user(f, id, email, "[]", 0);
    }
    struct seen *v = search(f, "odd", NULL, -1, "", 70);
    assert_int_equal(v->n, 70);
    assert_string_equal(v->id[0], "id001");
    assert_string_equal(v->id[69], "id139");
    v = search(f, "odd", NULL, -1, "id139", 70);
    assert_int_equal(v->n, 5);
    assert_string_equal(v->id[4], "id149");
    assert_int_equal(search(f, NULL, NULL, -1, "", 1000)->n, 150);
}

static void add_session(struct store_fx *f, const char *id, const char *user, int64_t created,
                        int64_t expires)
{
    struct session_rec s = { 0 };
    snprintf(s.id, sizeof s.id, "%s", id);
    snprintf(s.user_id, sizeof s.user_id, "%s", user);
    s.created_at = s.last_used_at = created;
    s.expires_at = expires;
    assert_int_equal(OPS(f)->session_create(f->st, &s, NULL), TS_OK);
}

static struct seen *sessions(struct store_fx *f, const char *user, int64_t after_created,
                             const char *after_id, int limit)
{
    static struct seen v;
    memset(&v, 0, sizeof v);
    assert_int_equal(OPS(f)->session_page(f->st, user, 500, after_created, after_id,
                                          limit, seen_session, &v), TS_OK);
    return &v;
}

static void session_page_cursor(void **state)
{
    struct store_fx *f = FX(state);
    add_session(f, "a", "u1", 100, 1000);
    add_session(f, "b", "u1", 200, 1000);
    add_session(f, "c", "u1", 200, 1000);          /* same second as b */
    add_session(f, "d", "u1", 300, 1000);
    add_session(f, "e", "u2", 250, 1000);
    add_session(f, "x", "u1", 400, 450);           /* expired at now = 500 */
    add_session(f, "y", "u1", 400, 1000);
    assert_int_equal(OPS(f)->session_revoke(f->st, "y", 410), TS_OK);

    struct seen *v = sessions(f, "u1", 0, NULL, 10);  /* newest first, ties by id */
    assert_int_equal(v->n, 4);
    assert_string_equal(v->id[0], "d");
    assert_string_equal(v->id[1], "c");
    assert_string_equal(v->id[2], "b");
    assert_string_equal(v->id[3], "a");
    v = sessions(f, "u1", 200, "c", 10);              /* strictly after (200, c) */
    assert_int_equal(v->n, 2);
    assert_string_equal(v->id[0], "b");
    assert_string_equal(v->id[1], "a");
    v = sessions(f, "u1", 300, "d", 1);
    assert_int_equal(v->n, 1);
    assert_string_equal(v->id[0], "c");
    v = sessions(f, NULL, 0, "", 10);                 /* every user */
    assert_int_equal(v->n, 5);
    assert_string_equal(v->id[1], "e");
    v = sessions(f, "", 250, "e", 10);
    assert_int_equal(v->n, 3);
    assert_string_equal(v->id[0], "c");
    assert_int_equal(sessions(f, "nobody", 0, NULL, 10)->n, 0);
    assert_int_equal(sessions(f, "u1", 0, NULL, 0)->n, 0);
}

static void add_events(struct store_fx *f)
{
    /* ids 1..6 */
    struct audit_rec a[] = {
        { 100, "login.success", "u1", NULL, "10.0.0.1", "{\"session_id\":\"s1\"}" },
        { 150, "login.failure", "u2", NULL, NULL, NULL },
        { 200, "admin.user.create", "u3", NULL, NULL, "{\"via\":\"cli\"}" },
        { 200, "admin.client.create", NULL, "c1", NULL, NULL },
        { 300, "login.success", "u1", "c1", NULL, NULL },
        { 400, "admin.key.rotate", NULL, NULL, NULL, "{\"kid\":\"k\"}" },
    };
    assert_int_equal(OPS(f)->audit_insert(f->st, a, 6), TS_OK);
}

static struct seen *events(struct store_fx *f, const struct audit_filter *af, int64_t before,
                           int limit)
{
    static struct seen v;
    memset(&v, 0, sizeof v);
    assert_int_equal(OPS(f)->audit_list(f->st, af, before, limit, seen_event, &v), TS_OK);
    return &v;
}

static int first_detail(void *ctx, const struct audit_event_rec *e)
{
    struct audit_event_rec *out = ctx;
    *out = *e;
    out->detail_json = e->detail_json ? strdup(e->detail_json) : NULL;
    return 1;
}

static void audit_list_filters(void **state)
{
    struct store_fx *f = FX(state);
    add_events(f);
    struct audit_filter none = { 0 };
    struct seen *v = events(f, &none, 0, 100);       /* newest first */
    assert_int_equal(v->n, 6);
    assert_int_equal(v->num[0], 6);
    assert_int_equal(v->num[5], 1);
    v = events(f, NULL, 4, 2);                       /* id < 4, two of them */
    assert_int_equal(v->n, 2);
    assert_int_equal(v->num[0], 3);
    assert_int_equal(v->num[1], 2);
    struct audit_filter t = { .since = 150, .until = 300 };   /* [150, 300) */
    v = events(f, &t, 0, 100);
    assert_int_equal(v->n, 3);
    assert_int_equal(v->num[0], 4);
    assert_int_equal(v->num[2], 2);
    struct audit_filter u = { .user_id = "u1" };
    v = events(f, &u, 0, 100);
    assert_int_equal(v->n, 2);
    assert_int_equal(v->num[0], 5);
    struct audit_filter e = { .event = "login.success", .since = 200 };
    v = events(f, &e, 0, 100);
    assert_int_equal(v->n, 1);
    assert_int_equal(v->num[0], 5);
    struct audit_filter p = { .event_prefix = "admin." };
    v = events(f, &p, 0, 100);
    assert_int_equal(v->n, 3);
    assert_int_equal(v->num[0], 6);
    struct audit_filter exact = { .event = "login" };
    assert_int_equal(events(f, &exact, 0, 100)->n, 0);

    /* the columns, NULLs read as "" and no detail as NULL */
    struct audit_event_rec r;
    struct audit_filter one = { .user_id = "u1", .since = 100, .until = 101 };
    assert_int_equal(OPS(f)->audit_list(f->st, &one, 0, 10, first_detail, &r), TS_OK);
    assert_int_equal(r.id, 1);
    assert_int_equal(r.at, 100);
    assert_string_equal(r.event, "login.success");
    assert_string_equal(r.client_id, "");
    assert_string_equal(r.ip, "10.0.0.1");
    assert_string_equal(r.detail_json, "{\"session_id\":\"s1\"}");
    audit_event_rec_clear(&r);
    struct audit_filter two = { .user_id = "u2" };
    assert_int_equal(OPS(f)->audit_list(f->st, &two, 0, 10, first_detail, &r), TS_OK);
    assert_null(r.detail_json);
    assert_string_equal(r.ip, "");
    audit_event_rec_clear(&r);
}

static void audit_list_pages_past_a_chunk(void **state)
{
    struct store_fx *f = FX(state);
    struct audit_rec a[200];
    for (int i = 0; i < 200; i++)
        a[i] = (struct audit_rec){ 1000 + i, i % 3 ? "login.success" : "logout", "u1",
                                   NULL, NULL, NULL };
    assert_int_equal(OPS(f)->audit_insert(f->st, a, 200), TS_OK);
    struct audit_filter out = { .event = "logout" };      /* ids 1, 4, ... 199 */
    struct seen *v = events(f, &out, 0, 100);
    assert_int_equal(v->n, 67);
    assert_int_equal(v->num[0], 199);
    assert_int_equal(v->num[66], 1);
    v = events(f, NULL, 0, 150);
    assert_int_equal(v->n, 150);
    assert_int_equal(v->num[149], 51);
    v = events(f, NULL, 51, 150);
    assert_int_equal(v->n, 50);
    assert_int_equal(v->num[49], 1);
}

const struct CMUnitTest store_contract_admin_tests[] = {
    cmocka_unit_test(user_search_filters),
    cmocka_unit_test(user_search_pages_past_a_chunk),
    cmocka_unit_test(session_page_cursor),
    cmocka_unit_test(audit_list_filters),
    cmocka_unit_test(audit_list_pages_past_a_chunk),
};
const size_t store_contract_admin_count =
    sizeof store_contract_admin_tests / sizeof store_contract_admin_tests[0];
