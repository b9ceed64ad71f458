/* Unit tests of the tag learner's store (model/tag_learner.c) on an
 * in-memory SQLite database: moderators' tag corrections teach it, the
 * messages they corrected also teach the tags they left alone (once the
 * moderators moved on), a message gets suggestions only once a tag has had
 * enough corrections, never a tag set for it, and each correction keeps
 * what the learner said before it learned, which the agreement counts. The
 * same corrections give the same stored learner. */
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
    int64_t ws, ch, pension, faktura;
    int n;
};

static int64_t create(struct fix *f, const struct entity *e, json_t *in)
{
    struct error err = {0};
    json_t *out = entity_create(f->db, e, e == &entity_workspace ? 0 : f->ws, in, NULL, &err);
    json_decref(in);
    if (!out)
        fail_msg("create %s: %s", entity_name(e), err.msg);
    int64_t id = json_integer_value(json_object_get(out, "id"));
    json_decref(out);
    return id;
}

static struct fix *open_fix(void)
{
    struct fix *f = calloc(1, sizeof *f);
    struct error err = {0};
    log_set_level(LOG_WARN);
    f->db = db_open(":memory:", &err);
    assert_non_null(f->db);
    assert_true(db_migrate(f->db, &err) >= 1);
    f->ws = create(f, &entity_workspace, json_pack("{s:s, s:s}", "name", "P", "slug", "p"));
    f->ch = create(f, &entity_channel,
                   json_pack("{s:s, s:s, s:s}", "platform", "facebook", "handle", "pv", "name",
                             "Pensionsverket"));
    f->pension = create(f, &entity_tag, json_pack("{s:s}", "name", "utbetalning"));
    f->faktura = create(f, &entity_tag, json_pack("{s:s}", "name", "faktura"));
    return f;
}

static void close_fix(struct fix *f)
{
    db_close(f->db);
    free(f);
}

static int64_t message(struct fix *f, const char *body)
{
    struct error err = {0};
    char pid[32];
    snprintf(pid, sizeof pid, "c%d", ++f->n);
    struct message_in m = {.channel_id = f->ch,
                           .kind = "comment",
                           .platform_id = pid,
                           .author_name = "Karin",
                           .author_handle = "karin",
                           .body = body,
                           .lang = "sv",
                           .sentiment = "neu",
                           .created_at = time_now() - 3600};
    int64_t id = 0;
    assert_int_equal(message_upsert(f->db, f->ws, &m, &id, &err), UPSERT_INSERTED);
    return id;
}

static void correct(struct fix *f, int64_t id, const char *body, int64_t tag, bool added)
{
    struct error err = {0};
    assert_int_equal(db_begin(f->db, &err), 0);
    if (tag_correction_record(f->db, f->ws, id, tag, added, body, 0, "add_tag_ids", &err))
        fail_msg("correction: %s", err.msg);
    assert_int_equal(db_commit(f->db, &err), 0);
}

/* The suggested tag ids of a message, as "3,1", and its tag ids. */
static const char *suggested(struct fix *f, int64_t id, size_t *ntags)
{
    static char out[64];
    struct error err = {0};
    json_t *m = message_get(f->db, f->ws, id, &err);
    assert_non_null(m);
    if (tag_learner_annotate(f->db, f->ws, m, &err))
        fail_msg("annotate: %s", err.msg);
    size_t i, len = 0;
    json_t *g;
    out[0] = 0;
    json_array_foreach (json_object_get(m, "suggested_tags"), i, g)
        len += (size_t)snprintf(out + len, sizeof out - len, "%s%lld", i ? "," : "",
                                (long long)json_integer_value(json_object_get(g, "tag_id")));
    *ntags = json_array_size(json_object_get(m, "tag_ids"));
    json_decref(m);
    return out;
}

static const char *const about_pension[] = {
    "När kommer min pension utbetalning i maj", "Pensionen utbetalning är sen igen",
    "Ingen pension utbetalning på kontot", "Varför är utbetalningen av pensionen försenad",
    "Har ni skickat min pension utbetalning"};
static const char *const about_faktura[] = {
    "Fakturan har fel avgift", "Varför fick jag en faktura med påminnelse",
    "Avgiften på fakturan är för hög", "Fakturan kom två gånger med avgift",
    "Jag har betalat fakturan och avgiften"};

/* Rounds of corrections: each a pension message given its tag, then a
 * faktura message given its own (which is when the pension message's
 * missing faktura tag is learned, and so on). */
static void teach(struct fix *f, int from, int rounds)
{
    for (int i = from; i < from + rounds; i++) {
        int64_t p = message(f, about_pension[i]), k = message(f, about_faktura[i]);
        correct(f, p, about_pension[i], f->pension, true);
        correct(f, k, about_faktura[i], f->faktura, true);
    }
}

static void test_corrections_teach_suggestions(void **state)
{
    (void)state;
    struct fix *f = open_fix();
    struct error err = {0};
    int64_t probe_p = message(f, "Min pension utbetalning har inte kommit");
    int64_t probe_k = message(f, "Fel avgift på fakturan");
    size_t ntags;
    assert_string_equal(suggested(f, probe_p, &ntags), "");
    /* Three rounds: three yes each, but only two no each, as the third
     * message's other tags wait for the moderators to move on. */
    teach(f, 0, TAG_LEARNER_MIN);
    assert_string_equal(suggested(f, probe_p, &ntags), "");
    assert_string_equal(suggested(f, probe_k, &ntags), "");
    /* One round more, and each tag speaks, on its own kind of text only. */
    teach(f, TAG_LEARNER_MIN, 1);
    char want[32];
    snprintf(want, sizeof want, "%lld", (long long)f->pension);
    assert_string_equal(suggested(f, probe_p, &ntags), want);
    snprintf(want, sizeof want, "%lld", (long long)f->faktura);
    assert_string_equal(suggested(f, probe_k, &ntags), want);
    int64_t other = message(f, "Tack för hjälpen");
    assert_string_equal(suggested(f, other, &ntags), "");
    /* Suggestions are never tags. */
    assert_int_equal(ntags, 0);

    /* Accepting the suggestion is a correction: no longer suggested, and
     * counted as agreed, judged on what the learner said before. */
    json_t *before = tag_learner_agreement(f->db, f->ws, 0, time_now() + 1, &err);
    assert_non_null(before);
    correct(f, probe_k, "Fel avgift på fakturan", f->faktura, true);
    assert_string_equal(suggested(f, probe_k, &ntags), "");
    assert_int_equal(ntags, 1);
    json_t *after = tag_learner_agreement(f->db, f->ws, 0, time_now() + 1, &err);
    assert_non_null(after);
#define N(o, k) json_integer_value(json_object_get(o, k))
    assert_int_equal(N(after, "corrections"), 2 * (TAG_LEARNER_MIN + 1) + 1);
    assert_int_equal(N(after, "judged"), N(before, "judged") + 1);
    assert_int_equal(N(after, "agreed"), N(before, "agreed") + 1);
    assert_int_equal(N(after, "accepted"), N(before, "accepted") + 1);
    int64_t judged = 0;
    assert_int_equal(db_scalar(f->db, &err, &judged,
                               "SELECT count(*) FROM message_tag_corrections WHERE p IS NOT NULL",
                               ""),
                     1);
    assert_int_equal(N(after, "judged"), judged);
    /* The first corrections of each tag found it not ready. */
    assert_true(judged < N(after, "corrections"));
    assert_true(json_real_value(json_object_get(after, "agreement")) ==
                (double)N(after, "agreed") / (double)judged);
    json_decref(before);
    json_decref(after);
    close_fix(f);
}

static void test_same_corrections_same_learner(void **state)
{
    (void)state;
    char *blob[2];
    for (int k = 0; k < 2; k++) {
        struct fix *f = open_fix();
        struct error err = {0};
        teach(f, 0, 5);
        struct db_stmt *st =
            db_query(f->db, &err, "SELECT model, corrections FROM tag_learners", "");
        assert_non_null(st);
        assert_true(db_has_row(st));
        assert_int_equal(db_col_int(st, 1), 10);
        blob[k] = strdup(db_col_text(st, 0));
        assert_true(strlen(blob[k]) > 0);
        db_finalize(st);
        close_fix(f);
    }
    assert_string_equal(blob[0], blob[1]);
    free(blob[0]);
    free(blob[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corrections_teach_suggestions),
        cmocka_unit_test(test_same_corrections_same_learner),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
