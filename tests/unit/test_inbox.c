/* Unit tests for the inbox's teamwork on an in-memory SQLite database:
 * teams and their members, round-robin among those on duty, the message
 * list's filters (full-text search by stems in sv, fi and en, language,
 * author, priority, assignee), and routing rules: evaluation in order, the
 * refusal of a rule that would loop, and the dry run on 30 days. Expected
 * values are worked out by hand from the texts and rules written here. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "text/text.h"

struct fix {
    struct db *db;
    int64_t ws, fb, ig, user[3];
};

static int64_t id_of(json_t *o)
{
    assert_non_null(o);
    int64_t id = json_integer_value(json_object_get(o, "id"));
    json_decref(o);
    return id;
}

static int64_t create(struct fix *f, const struct entity *e, json_t *in)
{
    struct error err = {0};
    json_t *out = entity_create(f->db, e, e == &entity_workspace ? 0 : f->ws, in, NULL, &err);
    json_decref(in);
    if (!out)
        fail_msg("create %s: %s", entity_name(e), err.msg);
    return id_of(out);
}

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof *f);
    struct error err = {0};
    log_set_level(LOG_WARN);
    f->db = db_open(":memory:", &err);
    assert_non_null(f->db);
    assert_true(db_migrate(f->db, &err) >= 1);
    f->ws = create(f, &entity_workspace, json_pack("{s:s, s:s}", "name", "P", "slug", "p"));
    f->fb = create(f, &entity_channel,
                   json_pack("{s:s, s:s, s:s}", "platform", "facebook", "handle", "pv", "name",
                             "Pensionsverket"));
    f->ig = create(f, &entity_channel,
                   json_pack("{s:s, s:s, s:s}", "platform", "instagram", "handle", "pv.ig", "name",
                             "PV Instagram"));
    const char *emails[] = {"anna@pv.se", "bo@pv.se", "cecilia@pv.se"};
    for (int i = 0; i < 3; i++)
        assert_int_equal(user_create(f->db, emails[i], emails[i], "moderator", "a long password 1",
                                     &f->user[i], &err),
                         0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    db_close(f->db);
    free(f);
    return 0;
}

static int64_t message(struct fix *f, int64_t channel, const char *pid, const char *lang,
                       const char *author, const char *body, int64_t at)
{
    struct error err = {0};
    struct message_in m = {.channel_id = channel,
                           .kind = "comment",
                           .platform_id = pid,
                           .author_name = author,
                           .author_handle = author,
                           .body = body,
                           .lang = lang,
                           .sentiment = "neu",
                           .created_at = at};
    int64_t id = 0;
    assert_int_equal(message_upsert(f->db, f->ws, &m, &id, &err), UPSERT_INSERTED);
    return id;
}

/* The ids a list with query string k1=v1&k2=v2 returns, newest first, as
 * "3,1". */
static char *listed(struct fix *f, int64_t me, const char *k1, const char *v1, const char *k2,
                    const char *v2)
{
    static char out[256];
    struct error err = {0};
    json_t *q = json_object();
    json_object_set_new(q, k1, json_string(v1));
    if (k2)
        json_object_set_new(q, k2, json_string(v2));
    struct message_filter mf;
    if (message_filter_parse(&mf, q, me, &err))
        fail_msg("filter: %s", err.msg);
    struct page pg = {.limit = 50};
    json_t *l = message_list(f->db, f->ws, &mf, &pg, &err);
    if (!l)
        fail_msg("list: %s", err.msg);
    out[0] = '\0';
    size_t i;
    json_t *it;
    json_array_foreach (json_object_get(l, "items"), i, it)
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%lld", i ? "," : "",
                 (long long)json_integer_value(json_object_get(it, "id")));
    json_decref(l);
    json_decref(q);
    return out;
}

static void test_stems(void **state)
{
    char s[TEXT_STEM_MAX];
    /* Snowball: Swedish drops the definite and plural endings, Finnish
     * its cases, English its plural and -ing. */
    text_stem(LANG_SV, "pensionen", 9, s, sizeof s);
    assert_string_equal(s, "pension");
    text_stem(LANG_SV, "pensioner", 9, s, sizeof s);
    assert_string_equal(s, "pension");
    text_stem(LANG_FI, "eläkkeellä", strlen("eläkkeellä"), s, sizeof s);
    char fi2[TEXT_STEM_MAX];
    text_stem(LANG_FI, "eläkkeelle", strlen("eläkkeelle"), fi2, sizeof fi2);
    assert_string_equal(s, fi2);
    text_stem(LANG_EN, "payments", 8, s, sizeof s);
    assert_string_equal(s, "payment");
    text_stem(LANG_OTHER, "payments", 8, s, sizeof s);
    assert_string_equal(s, "payments");
    /* cut at a character when the buffer is short: "åååå" is 8 bytes */
    assert_int_equal(text_stem(LANG_OTHER, "åååå", 8, s, 6), 4);
    assert_string_equal(s, "åå");
}

static void test_search_and_filters(void **state)
{
    struct fix *f = *state;
    struct error err = {0};
    int64_t a = message(f, f->fb, "a", "sv", "Karin", "När kommer pensionen i år?", 1000);
    int64_t b = message(f, f->fb, "b", "en", "john_d", "My pension payments stopped", 2000);
    int64_t c = message(f, f->ig, "c", "fi", "Matti", "Milloin eläke maksetaan?", 3000);
    int64_t d = message(f, f->ig, "d", "sv", "Karin", "Tack för hjälpen med pensionerna!", 4000);
    char want[64];
    /* One stem, whichever form: "pensionerna" finds "pensionen" (sv),
     * "pension" the English one too. */
    snprintf(want, sizeof want, "%lld,%lld", (long long)d, (long long)a);
    assert_string_equal(listed(f, 0, "q", "pensionerna", NULL, NULL), want);
    snprintf(want, sizeof want, "%lld,%lld,%lld", (long long)d, (long long)b, (long long)a);
    assert_string_equal(listed(f, 0, "q", "Pension", NULL, NULL), want);
    snprintf(want, sizeof want, "%lld", (long long)b);
    assert_string_equal(listed(f, 0, "q", "payment", NULL, NULL), want);
    /* every word must be there */
    assert_string_equal(listed(f, 0, "q", "pension stopped", NULL, NULL), want);
    assert_string_equal(listed(f, 0, "q", "pension started", NULL, NULL), "");
    snprintf(want, sizeof want, "%lld", (long long)c);
    assert_string_equal(listed(f, 0, "q", "maksetaan", NULL, NULL), want);
    assert_string_equal(listed(f, 0, "lang", "fi", NULL, NULL), want);
    snprintf(want, sizeof want, "%lld,%lld", (long long)d, (long long)a);
    assert_string_equal(listed(f, 0, "author", "Karin", NULL, NULL), want);
    /* an edit is searched as it reads now */
    assert_int_equal(message_edit_platform(f->db, f->fb, "b", "My benefit stopped", &err),
                     UPSERT_UPDATED);
    assert_string_equal(listed(f, 0, "q", "payments", NULL, NULL), "");
    /* assignee, team and priority, set by a moderator */
    int64_t team = create(f, &entity_team, json_pack("{s:s}", "name", "Kundservice"));
    json_t *patch = json_pack("{s:I, s:I, s:s}", "team_id", (json_int_t)team, "assigned_user_id",
                              (json_int_t)f->user[1], "priority", "urgent");
    json_t *out = message_update(f->db, f->ws, c, patch, NULL, &err);
    assert_non_null(out);
    json_decref(out);
    json_decref(patch);
    snprintf(want, sizeof want, "%lld", (long long)c);
    assert_string_equal(listed(f, f->user[1], "assigned_user", "me", NULL, NULL), want);
    assert_string_equal(listed(f, f->user[0], "assigned_user", "me", NULL, NULL), "");
    char tid[24];
    snprintf(tid, sizeof tid, "%lld", (long long)team);
    assert_string_equal(listed(f, 0, "team", tid, "priority", "urgent"), want);
    assert_string_equal(listed(f, 0, "team", tid, "priority", "low"), "");
    /* a team in another workspace cannot be given */
    patch = json_pack("{s:I}", "team_id", (json_int_t)9999);
    assert_null(message_update(f->db, f->ws, c, patch, NULL, &err));
    assert_string_equal(err.field, "team_id");
    json_decref(patch);
}

static void test_terms_refresh_indexes_old_messages(void **state)
{
    struct fix *f = *state;
    struct error err = {0};
    int64_t a = message(f, f->fb, "a", "sv", "Karin", "Blanketten för bostadstillägg", 1000);
    /* as a message stored before search existed */
    assert_int_equal(db_run(f->db, &err, "DELETE FROM message_terms", ""), 3);
    assert_int_equal(db_run(f->db, &err, "UPDATE messages SET terms_indexed = 0", ""), 1);
    assert_string_equal(listed(f, 0, "q", "blanketten", NULL, NULL), "");
    assert_int_equal(message_terms_refresh(f->db, 1000, &err), 1);
    assert_int_equal(message_terms_refresh(f->db, 1000, &err), 0);
    char want[24];
    snprintf(want, sizeof want, "%lld", (long long)a);
    assert_string_equal(listed(f, 0, "q", "blankett", NULL, NULL), want);
}

static void test_round_robin_among_those_on_duty(void **state)
{
    struct fix *f = *state;
    struct error err = {0};
    int64_t team = create(f, &entity_team, json_pack("{s:s}", "name", "Press"));
    int64_t got = 0;
    assert_int_equal(team_next_member(f->db, team, &got, &err), 0); /* nobody yet */
    for (int i = 0; i < 3; i++)
        assert_int_equal(team_member_set(f->db, f->ws, team, f->user[i], true, NULL, &err), 0);
    /* b is away */
    assert_int_equal(team_member_set(f->db, f->ws, team, f->user[1], false, NULL, &err), 0);
    int64_t seq[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(team_next_member(f->db, team, &seq[i], &err), 1);
    assert_int_equal(seq[0], f->user[0]);
    assert_int_equal(seq[1], f->user[2]);
    assert_int_equal(seq[2], f->user[0]);
    assert_int_equal(seq[3], f->user[2]);
    json_t *members = team_member_list(f->db, f->ws, team, &err);
    assert_int_equal(json_array_size(json_object_get(members, "items")), 3);
    json_decref(members);
    assert_int_equal(team_member_remove(f->db, f->ws, team, f->user[0], NULL, &err), 0);
    assert_int_equal(team_next_member(f->db, team, &got, &err), 1);
    assert_int_equal(got, f->user[2]);
    assert_int_equal(team_member_remove(f->db, f->ws, team, f->user[0], NULL, &err), -1);
    assert_int_equal(err.kind, ERR_NOT_FOUND);
    assert_int_equal(team_member_set(f->db, f->ws, team, 999, true, NULL, &err), -1);
    assert_string_equal(err.field, "user_id");
}

static int64_t rule(struct fix *f, const char *json)
{
    struct error err = {0};
    json_t *in = json_loads(json, 0, NULL);
    assert_non_null(in);
    json_t *out = routing_rule_create(f->db, f->ws, in, NULL, &err);
    json_decref(in);
    if (!out)
        fail_msg("rule %s: %s", json, err.msg);
    return id_of(out);
}

static void refused_rule(struct fix *f, const char *json, const char *field, const char *says)
{
    struct error err = {0};
    json_t *in = json_loads(json, 0, NULL);
    assert_non_null(in);
    json_t *out = routing_rule_create(f->db, f->ws, in, NULL, &err);
    json_decref(in);
    assert_null(out);
    assert_string_equal(err.field, field);
    if (!strstr(err.msg, says))
        fail_msg("'%s' does not say '%s'", err.msg, says);
}

/* Routes stored message id as the importer does. */
static int routed(struct fix *f, int64_t id, struct route_result *res)
{
    struct error err = {0};
    struct db_stmt *st = db_query(f->db, &err,
                                  "SELECT channel_id, kind, lang, sentiment, author_name, "
                                  "author_handle, body FROM messages WHERE id = ?",
                                  "i", id);
    assert_non_null(st);
    assert_true(db_has_row(st));
    char body[512], lang[8], author[64];
    snprintf(body, sizeof body, "%s", db_col_text(st, 6));
    snprintf(lang, sizeof lang, "%s", db_col_text(st, 2));
    snprintf(author, sizeof author, "%s", db_col_text(st, 5));
    struct route_message m = {.channel_id = db_col_int(st, 0),
                              .kind = "comment",
                              .lang = lang,
                              .sentiment = "neg",
                              .author_name = author,
                              .author_handle = author,
                              .body = body};
    db_finalize(st);
    struct router *r = router_open(f->db, f->ws, &err);
    assert_non_null(r);
    int rc = router_route(r, f->db, id, &m, res, &err);
    router_close(r);
    assert_true(rc >= 0);
    return rc;
}

static void test_rules_in_order(void **state)
{
    struct fix *f = *state;
    struct error err = {0};
    int64_t press = create(f, &entity_team, json_pack("{s:s}", "name", "Press"));
    int64_t service = create(f, &entity_team, json_pack("{s:s}", "name", "Kundservice"));
    int64_t urgent = create(f, &entity_tag, json_pack("{s:s}", "name", "brådskande"));
    assert_int_equal(team_member_set(f->db, f->ws, service, f->user[0], true, NULL, &err), 0);
    assert_int_equal(team_member_set(f->db, f->ws, service, f->user[2], true, NULL, &err), 0);
    char json[512];
    /* 1: everything about pensions on Facebook to customer service */
    snprintf(json, sizeof json,
             "{\"name\": \"pension\", \"conditions\": {\"platforms\": [\"facebook\"], "
             "\"query\": \"pension*\"}, \"actions\": {\"team_id\": %lld}}",
             (long long)service);
    rule(f, json);
    /* 2: journalists to the press team, urgent, and stop */
    snprintf(json, sizeof json,
             "{\"name\": \"journalists\", \"stop\": true, \"conditions\": {\"query\": "
             "\"journalist OR reporter\"}, \"actions\": {\"team_id\": %lld, \"priority\": "
             "\"urgent\", \"add_tag_ids\": [%lld]}}",
             (long long)press, (long long)urgent);
    rule(f, json);
    /* 3: never reached after 2; for the rest, negative Swedish gets high */
    rule(f, "{\"name\": \"angry\", \"conditions\": {\"sentiments\": [\"neg\"], \"langs\": "
            "[\"sv\"]}, \"actions\": {\"priority\": \"high\"}}");
    int64_t a = message(f, f->fb, "a", "sv", "Karin", "Var är min pension?", 1000);
    int64_t b = message(f, f->fb, "b", "sv", "Sven", "Jag är journalist: om pensionerna", 2000);
    int64_t c = message(f, f->ig, "c", "sv", "Lisa", "Varför så krångligt?", 3000);
    int64_t d = message(f, f->fb, "d", "sv", "Per", "Pensionsåldern, då?", 4000);
    int64_t e = message(f, f->ig, "e", "en", "Tom", "Pension question", 5000);
    struct route_result res;
    assert_int_equal(routed(f, a, &res), 1);
    assert_int_equal(res.team_id, service);
    assert_int_equal(res.user_id, f->user[0]); /* round-robin: first member */
    assert_string_equal(res.priority, "high");
    assert_int_equal(routed(f, b, &res), 1);
    assert_int_equal(res.team_id, press);        /* the later rule's team */
    assert_int_equal(res.user_id, 0);            /* nobody in the press team */
    assert_string_equal(res.priority, "urgent"); /* rule 3 not tried */
    assert_int_equal(res.tags_added, 1);
    assert_int_equal(routed(f, c, &res), 1); /* rule 3 only */
    assert_int_equal(res.team_id, 0);
    assert_string_equal(res.priority, "high");
    assert_int_equal(routed(f, d, &res), 1);
    assert_int_equal(res.user_id, f->user[2]); /* the next member */
    assert_int_equal(routed(f, e, &res), 0);   /* Instagram, English: nothing */
    json_t *m = message_get(f->db, f->ws, b, &err);
    assert_int_equal(json_integer_value(json_object_get(m, "team_id")), press);
    assert_string_equal(json_string_value(json_object_get(m, "priority")), "urgent");
    assert_string_equal(json_string_value(json_object_get(m, "status")), "open");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(m, "tag_ids"), 0)), urgent);
    json_decref(m);
    m = message_get(f->db, f->ws, a, &err);
    assert_string_equal(json_string_value(json_object_get(m, "status")), "assigned");
    assert_int_equal(json_integer_value(json_object_get(m, "assigned_user_id")), f->user[0]);
    json_decref(m);
    /* a disabled rule is not tried */
    json_t *list = routing_rule_list(f->db, f->ws, &err);
    int64_t third = json_integer_value(
        json_object_get(json_array_get(json_object_get(list, "items"), 2), "id"));
    json_decref(list);
    json_t *patch = json_pack("{s:b}", "enabled", 0);
    json_t *out = routing_rule_update(f->db, f->ws, third, patch, NULL, &err);
    assert_non_null(out);
    assert_false(json_is_true(json_object_get(out, "enabled")));
    json_decref(out);
    json_decref(patch);
    assert_int_equal(routed(f, c, &res), 0);
}

static void test_rules_refused(void **state)
{
    struct fix *f = *state;
    int64_t t1 = create(f, &entity_tag, json_pack("{s:s}", "name", "spam"));
    int64_t t2 = create(f, &entity_tag, json_pack("{s:s}", "name", "reklam"));
    char json[512];
    refused_rule(f,
                 "{\"name\": \"x\", \"conditions\": {\"query\": \"(pension\"}, "
                 "\"actions\": {\"priority\": \"low\"}}",
                 "query", "conditions.query: column");
    refused_rule(f,
                 "{\"name\": \"x\", \"conditions\": {\"platforms\": [\"myspace\"]}, "
                 "\"actions\": {\"priority\": \"low\"}}",
                 "platforms", "conditions.platforms[0]: unknown value 'myspace'");
    refused_rule(f, "{\"name\": \"x\", \"conditions\": {}, \"actions\": {}}", "actions",
                 "must do something");
    refused_rule(f, "{\"name\": \"x\", \"conditions\": {\"colour\": 1}, \"actions\": {}}",
                 "conditions", "unknown member 'colour'");
    refused_rule(f, "{\"name\": \"x\", \"actions\": {\"team_id\": 77}}", "team_id", "no teams 77");
    refused_rule(f, "{\"name\": \"x\", \"actions\": {\"priority\": \"now\"}}", "priority",
                 "low, normal, high or urgent");
    /* a rule that adds the tag it needs triggers itself */
    snprintf(json, sizeof json,
             "{\"name\": \"self\", \"conditions\": {\"tag_ids\": [%lld]}, \"actions\": "
             "{\"add_tag_ids\": [%lld]}}",
             (long long)t1, (long long)t1);
    refused_rule(f, json, "actions", "rule 'self' would loop: 'self' adds tag");
    /* two rules that trigger each other: the second is refused, naming both */
    snprintf(json, sizeof json,
             "{\"name\": \"a\", \"conditions\": {\"tag_ids\": [%lld]}, \"actions\": "
             "{\"add_tag_ids\": [%lld]}}",
             (long long)t1, (long long)t2);
    rule(f, json);
    snprintf(json, sizeof json,
             "{\"name\": \"b\", \"conditions\": {\"tag_ids\": [%lld]}, \"actions\": "
             "{\"add_tag_ids\": [%lld]}}",
             (long long)t2, (long long)t1);
    char says[160];
    snprintf(says, sizeof says,
             "'b' adds tag %lld, which 'a' needs; 'a' adds tag %lld, which 'b' "
             "needs",
             (long long)t1, (long long)t2);
    refused_rule(f, json, "actions", says);
    /* the same name twice */
    refused_rule(f, "{\"name\": \"a\", \"actions\": {\"priority\": \"low\"}}", "name",
                 "already exists");
}

static void test_rule_tried_on_30_days(void **state)
{
    struct fix *f = *state;
    struct error err = {0};
    int64_t now = 100 * 86400;
    message(f, f->fb, "old", "sv", "Karin", "pension", now - 31 * 86400);
    int64_t a = message(f, f->fb, "a", "sv", "Karin", "pensionen?", now - 2 * 86400);
    int64_t b = message(f, f->ig, "b", "sv", "Karin", "pensioner", now - 86400);
    message(f, f->ig, "c", "sv", "Karin", "hej", now - 3600);
    json_t *in = json_loads("{\"name\": \"try\", \"conditions\": {\"query\": \"pension*\"}, "
                            "\"actions\": {\"priority\": \"high\"}}",
                            0, NULL);
    json_t *out = routing_rule_test(f->db, f->ws, in, now, &err);
    assert_non_null(out);
    assert_int_equal(json_integer_value(json_object_get(out, "matched")), 2);
    assert_int_equal(json_integer_value(json_object_get(out, "examined")), 3);
    json_t *ids = json_object_get(out, "message_ids");
    assert_int_equal(json_integer_value(json_array_get(ids, 0)), b);
    assert_int_equal(json_integer_value(json_array_get(ids, 1)), a);
    json_decref(out);
    json_decref(in);
    /* nothing was saved */
    json_t *list = routing_rule_list(f->db, f->ws, &err);
    assert_int_equal(json_array_size(json_object_get(list, "items")), 0);
    json_decref(list);
    /* with a tag condition: only the tagged one */
    int64_t tag = create(f, &entity_tag, json_pack("{s:s}", "name", "fråga"));
    assert_int_equal(message_tag(f->db, a, tag, &err), 0);
    char json[256];
    snprintf(json, sizeof json,
             "{\"name\": \"try\", \"conditions\": {\"query\": \"pension*\", \"tag_ids\": [%lld]}, "
             "\"actions\": {\"priority\": \"high\"}}",
             (long long)tag);
    in = json_loads(json, 0, NULL);
    out = routing_rule_test(f->db, f->ws, in, now, &err);
    assert_non_null(out);
    assert_int_equal(json_integer_value(json_object_get(out, "matched")), 1);
    json_decref(out);
    json_decref(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stems),
        cmocka_unit_test_setup_teardown(test_search_and_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_terms_refresh_indexes_old_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_robin_among_those_on_duty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rule_tried_on_30_days, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
