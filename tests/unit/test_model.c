/* Unit tests for db/ and model/ on an in-memory SQLite database: statement
 * API, conflicts, transactions, validation messages, idempotent platform
 * upserts, paging cursors, users, sessions and tokens. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/asset.h"
#include "model/model.h"

static struct db *fresh(void)
{
    struct error err = {0};
    struct db *db = db_open(":memory:", &err);
    assert_non_null(db);
    log_set_level(LOG_WARN);
    assert_true(db_migrate(db, &err) >= 1);
    return db;
}

static int64_t make_workspace(struct db *db, const char *slug)
{
    struct error err = {0};
    json_t *in = json_pack("{s:s, s:s}", "name", slug, "slug", slug);
    json_t *ws = entity_create(db, &entity_workspace, 0, in, NULL, &err);
    json_decref(in);
    assert_non_null(ws);
    int64_t id = json_integer_value(json_object_get(ws, "id"));
    json_decref(ws);
    return id;
}

static int64_t make_channel(struct db *db, int64_t ws, const char *platform, const char *handle)
{
    struct error err = {0};
    json_t *in =
        json_pack("{s:s, s:s, s:s}", "platform", platform, "handle", handle, "name", handle);
    json_t *c = entity_create(db, &entity_channel, ws, in, NULL, &err);
    json_decref(in);
    assert_non_null(c);
    int64_t id = json_integer_value(json_object_get(c, "id"));
    json_decref(c);
    return id;
}

static void test_statements_and_transactions(void **state)
{
    struct db *db = fresh();
    struct error err = {0};
    assert_int_equal(db_migrate(db, &err), 0); /* already current */
    /* the version is the last migration's number (numbers may be taken
     * out of order by work merged at different times) */
    int64_t last = 0;
    for (const struct asset *m = db_migrations; m->name; m++)
        last = atoi(m->name);
    assert_int_equal(db_schema_version(db, &err), last);
    int64_t ws = make_workspace(db, "a");
    /* a rolled-back insert is gone */
    assert_int_equal(db_begin(db, &err), 0);
    make_channel(db, ws, "x", "gone");
    db_rollback(db);
    int64_t n = -1;
    assert_int_equal(db_scalar(db, &err, &n, "SELECT COUNT(*) FROM channels", ""), 1);
    assert_int_equal(n, 0);
    /* NULL binding through 'I' and 't' */
    assert_int_equal(
        db_run(db, &err,
               "INSERT INTO channels (workspace_id, platform, handle, name, "
               "platform_id, created_at, updated_at) VALUES (?, 'x', 'h', 'n', ?, ?, ?)",
               "itii", ws, (const char *)NULL, (int64_t)1, (int64_t)1),
        1);
    struct db_stmt *st =
        db_query(db, &err, "SELECT platform_id, ? FROM channels", "I", (const int64_t *)NULL);
    assert_non_null(st);
    assert_true(db_has_row(st));
    assert_true(db_col_null(st, 0));
    assert_true(db_col_null(st, 1));
    assert_string_equal(db_col_text(st, 0), "");
    db_finalize(st);
    /* unique clash is a conflict, a bad foreign key is invalid */
    assert_int_equal(db_run(db, &err,
                            "INSERT INTO channels (workspace_id, platform, handle, name, "
                            "created_at, updated_at) VALUES (?, 'x', 'h', 'n', 1, 1)",
                            "i", ws),
                     -1);
    assert_int_equal(err.kind, ERR_CONFLICT);
    assert_int_equal(db_run(db, &err,
                            "INSERT INTO channels (workspace_id, platform, handle, name, "
                            "created_at, updated_at) VALUES (999, 'x', 'h2', 'n', 1, 1)",
                            ""),
                     -1);
    assert_int_equal(err.kind, ERR_INVALID);
    db_close(db);
}

static void expect_invalid(struct db *db, const struct entity *e, int64_t ws, const char *json,
                           const char *field, const char *fragment)
{
    struct error err = {0};
    json_error_t je;
    json_t *in = json_loads(json, 0, &je);
    assert_non_null(in);
    json_t *out = entity_create(db, e, ws, in, NULL, &err);
    json_decref(in);
    if (out)
        fail_msg("accepted %s", json);
    assert_int_equal(err.kind, ERR_INVALID);
    assert_string_equal(err.field, field);
    if (!strstr(err.msg, fragment))
        fail_msg("message '%s' lacks '%s'", err.msg, fragment);
}

/* SQLite gets CHECK (x IN (...)) as an OR chain: the same constraint. */
static void test_sqlite_check_lists(void **state)
{
    (void)state;
    char *s =
        db_sqlite_checks("a TEXT CHECK (kind IN ('x', 'it''s',\n   'z')), b INT CHECK (b > 0),"
                         " c TEXT CHECK (c IN (1, 2)), d TEXT CHECK (d IN ('q'))");
    assert_string_equal(s,
                        "a TEXT CHECK (kind = 'x' OR kind = 'it''s' OR kind = 'z'), "
                        "b INT CHECK (b > 0), c TEXT CHECK (c IN (1, 2)), d TEXT CHECK (d = 'q')");
    free(s);
    /* new tables come out of the migrations that way */
    struct db *db = fresh();
    struct error err = {0};
    int64_t n = -1;
    assert_int_equal(
        db_scalar(db, &err, &n,
                  "SELECT COUNT(*) FROM sqlite_schema WHERE sql LIKE '%CHECK (% IN (%'", ""),
        1);
    assert_int_equal(n, 0);
    /* a table made before is rewritten in place, its rows and its rule kept */
    assert_int_equal(db_exec(db, "CREATE TABLE old (v TEXT CHECK (v IN ('a', 'b')))", &err), 0);
    assert_int_equal(db_exec(db, "INSERT INTO old VALUES ('a'), ('b'), (NULL)", &err), 0);
    assert_int_equal(db_migrate(db, &err), 0);
    char *sql = NULL;
    struct db_stmt *st = db_query(db, &err, "SELECT sql FROM sqlite_schema WHERE name = 'old'", "");
    assert_non_null(st);
    assert_true(db_has_row(st));
    sql = xstrdup(db_col_text(st, 0));
    db_finalize(st);
    assert_string_equal(sql, "CREATE TABLE old (v TEXT CHECK (v = 'a' OR v = 'b'))");
    free(sql);
    assert_int_equal(db_scalar(db, &err, &n, "SELECT COUNT(*) FROM old", ""), 1);
    assert_int_equal(n, 3);
    assert_true(db_run(db, &err, "INSERT INTO old VALUES (?)", "t", "c") < 0);
    assert_non_null(strstr(err.msg, "CHECK"));
    db_close(db);
}

static void test_wait_histogram(void **state)
{
    (void)state;
    /* exact to the second below 256 s, then each bin's middle within 1/256
     * of every wait in it; bins rise with the wait */
    int64_t prev = -1;
    for (int64_t w = 0; w < 40000000; w += w < 1000 ? 1 : w / 97 + 1) {
        int64_t b = wait_bin(w);
        assert_true(b >= prev);
        prev = b;
        double v = wait_bin_value(b);
        if (w < 256)
            assert_true(v == (double)w);
        else
            assert_true(v >= (double)w * (1 - 1.0 / 256) && v <= (double)w * (1 + 1.0 / 256));
    }
    assert_int_equal(wait_bin(-5), 0); /* an answer before the question: no wait */
    struct imap h = {0};
    double m = -1;
    assert_false(wait_hist_median(&h, &m));
    /* 10, 20, 20, 30: median 20; with 100 added twice: (20 + 30) / 2 */
    assert_int_equal(wait_hist_parse(&h, "10:1 20:2 30:1"), 0);
    assert_true(wait_hist_median(&h, &m) && m == 20);
    assert_int_equal(wait_hist_parse(&h, "100:2"), 0);
    assert_true(wait_hist_median(&h, &m) && m == 25);
    static const char *const bads[] = {"1:2 x", "1", ":3", "-1:2", "1:2,3:4", NULL};
    for (size_t i = 0; bads[i]; i++)
        assert_int_equal(wait_hist_parse(&h, bads[i]), -1);
    imap_free(&h);
}

static void test_validation_messages(void **state)
{
    struct db *db = fresh();
    int64_t ws = make_workspace(db, "v");
    expect_invalid(db, &entity_channel, ws, "{\"platform\":\"x\",\"handle\":\"h\"}", "name",
                   "field 'name' is required for a channel");
    expect_invalid(db, &entity_channel, ws,
                   "{\"platform\":\"orkut\",\"handle\":\"h\",\"name\":\"n\"}", "platform",
                   "must be one of 'facebook', 'instagram'");
    expect_invalid(db, &entity_channel, ws,
                   "{\"platform\":\"x\",\"handle\":\"h\",\"name\":\"n\",\"is_peer\":1}", "is_peer",
                   "expected true or false, got an integer");
    expect_invalid(db, &entity_channel, ws,
                   "{\"platform\":\"x\",\"handle\":\"h\",\"name\":\"n\",\"created_at\":\"x\"}",
                   "created_at", "unknown field 'created_at'");
    expect_invalid(db, &entity_campaign, ws, "{\"name\":\"c\",\"target_tag_id\":77}",
                   "target_tag_id", "no tag 77 in this workspace");
    expect_invalid(db, &entity_campaign, ws, "{\"name\":\"c\",\"starts_at\":\"2026-02-30\"}",
                   "starts_at", "ISO 8601");
    expect_invalid(db, &entity_workspace, 0, "{\"name\":\"w\",\"slug\":\"Ä\"}", "slug",
                   "is not a slug");
    /* Issue 22: a file in the zone database that is no zone (leapseconds is
     * text) passed and then stopped `kanal serve` from starting. */
    expect_invalid(db, &entity_workspace, 0,
                   "{\"name\":\"w\",\"slug\":\"w\",\"timezone\":\"leapseconds\"}", "timezone",
                   "field 'timezone'");
    expect_invalid(db, &entity_workspace, 0,
                   "{\"name\":\"w\",\"slug\":\"w\",\"timezone\":\"Europe\"}", "timezone",
                   "field 'timezone'");
    expect_invalid(db, &entity_tag, ws, "{\"name\":\"\"}", "name", "may not be empty");
    /* the model compiles a tag's rule itself: nothing has to be registered first */
    expect_invalid(db, &entity_tag, ws, "{\"name\":\"t\",\"rule\":\"pension AND (\"}", "rule",
                   "field 'rule': column ");
    char big[300];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char json[400];
    snprintf(json, sizeof json, "{\"name\":\"%s\"}", big);
    expect_invalid(db, &entity_tag, ws, json, "name", "299 bytes long; the limit is 100");
    int64_t n = 0;
    struct error err = {0};
    db_scalar(db, &err, &n, "SELECT COUNT(*) FROM channels", "");
    assert_int_equal(n, 0);
    db_close(db);
}

static void test_platform_post_upsert_is_idempotent(void **state)
{
    struct db *db = fresh();
    struct error err = {0};
    int64_t ws = make_workspace(db, "p"), ch = make_channel(db, ws, "facebook", "page");
    struct platform_post p = {.channel_id = ch,
                              .platform_id = "123_456",
                              .body = "Hej",
                              .format = "photo",
                              .published_at = 1700000000};
    int64_t v1 = 0, v2 = 0;
    assert_int_equal(post_upsert_platform(db, ws, &p, &v1, NULL, NULL, &err), UPSERT_INSERTED);
    assert_int_equal(post_upsert_platform(db, ws, &p, &v2, NULL, NULL, &err), UPSERT_UNCHANGED);
    assert_int_equal(v1, v2);
    p.body = "Hej igen";
    assert_int_equal(post_upsert_platform(db, ws, &p, &v2, NULL, NULL, &err), UPSERT_UPDATED);
    assert_int_equal(v1, v2);
    int64_t n = 0;
    db_scalar(db, &err, &n, "SELECT COUNT(*) FROM posts", "");
    assert_int_equal(n, 1);
    /* the same platform id on another channel is another post */
    int64_t ch2 = make_channel(db, ws, "instagram", "gram");
    p.channel_id = ch2;
    assert_int_equal(post_upsert_platform(db, ws, &p, &v2, NULL, NULL, &err), UPSERT_INSERTED);
    assert_int_not_equal(v1, v2);
    /* a channel of another workspace is refused */
    int64_t other = make_workspace(db, "o");
    assert_int_equal(post_upsert_platform(db, other, &p, &v2, NULL, NULL, &err), -1);
    assert_int_equal(err.kind, ERR_INVALID);
    /* the same check alone, as an import makes it once for its channel */
    assert_int_equal(channel_in_workspace(db, ws, ch2, &err), 0);
    assert_int_equal(channel_in_workspace(db, other, ch2, &err), -1);
    assert_int_equal(err.kind, ERR_INVALID);
    assert_string_equal(err.field, "channel_id");
    p.format = "hologram";
    assert_int_equal(post_upsert_platform(db, ws, &p, &v2, NULL, NULL, &err), -1);
    assert_string_equal(err.field, "format");

    /* metric snapshots: same reading unchanged, new reading a new row */
    int64_t m[PM_COUNT] = {100, 150, 5, 1, 0, -1, 3, -1};
    assert_int_equal(post_metrics_add(db, v1, 1700003600, m, &err), UPSERT_INSERTED);
    assert_int_equal(post_metrics_add(db, v1, 1700003600, m, &err), UPSERT_UNCHANGED);
    m[PM_REACH] = 120;
    assert_int_equal(post_metrics_add(db, v1, 1700003600, m, &err), UPSERT_UPDATED);
    assert_int_equal(post_metrics_add(db, v1, 1700090000, m, &err), UPSERT_INSERTED);
    db_scalar(db, &err, &n, "SELECT COUNT(*) FROM post_metrics WHERE saves IS NULL", "");
    assert_int_equal(n, 2);
    assert_int_equal(channel_metrics_add(db, ch, 1700000000, 5000, -1, -1, &err), UPSERT_INSERTED);
    assert_int_equal(channel_metrics_add(db, ch, 1700000000, 5000, -1, -1, &err), UPSERT_UNCHANGED);
    /* Another file's figures of the same time fill in beside the stored
     * ones; a figure it does not report erases nothing. */
    assert_int_equal(channel_metrics_add(db, ch, 1700000000, -1, -1, 900, &err), UPSERT_UPDATED);
    assert_int_equal(channel_metrics_add(db, ch, 1700000000, -1, -1, 900, &err), UPSERT_UNCHANGED);
    assert_int_equal(channel_metrics_add(db, ch, 1700000000, 5000, -1, -1, &err), UPSERT_UNCHANGED);
    db_scalar(db, &err, &n,
              "SELECT COUNT(*) FROM channel_metrics WHERE followers = 5000 AND impressions = 900 "
              "AND reach IS NULL",
              "");
    assert_int_equal(n, 1);
    assert_int_equal(channel_metrics_add(db, ch, 1700000000, 5100, -1, -1, &err), UPSERT_UPDATED);
    db_scalar(db, &err, &n,
              "SELECT COUNT(*) FROM channel_metrics WHERE followers = 5100 AND impressions = 900",
              "");
    assert_int_equal(n, 1);
    db_close(db);
}

/* A new post read with its numbers is written in one go: it must leave what
 * a post followed by post_metrics_add leaves, and a known post must leave
 * the snapshot to post_metrics_add. */
static void test_platform_post_with_its_first_snapshot(void **state)
{
    struct db *db = fresh();
    struct error err = {0};
    int64_t ws = make_workspace(db, "s"), ch = make_channel(db, ws, "facebook", "page");
    int64_t m[PM_COUNT] = {100, 150, 5, 1, 0, -1, 3, -1};
    struct platform_post a = {.channel_id = ch,
                              .platform_id = "a",
                              .body = "Hej",
                              .published_at = 1700000000,
                              .metrics = m,
                              .taken_at = 1700003600};
    struct platform_post b = a;
    b.platform_id = "b";
    b.metrics = NULL;
    int64_t va = 0, vb = 0, pa = 0, vpa = 0;
    bool with = false;
    assert_int_equal(post_upsert_platform(db, ws, &a, &va, &pa, &with, &err), UPSERT_INSERTED);
    assert_true(with);
    assert_int_equal(
        db_scalar(db, &err, &vpa, "SELECT post_id FROM post_variants WHERE id = ?", "i", va), 1);
    assert_int_equal(vpa, pa);
    assert_int_equal(post_upsert_platform(db, ws, &b, &vb, NULL, &with, &err), UPSERT_INSERTED);
    assert_false(with);
    assert_int_equal(post_metrics_add(db, vb, 1700003600, m, &err), UPSERT_INSERTED);
    /* the same rows, column by column, for both ways */
    const char *cols = "m_at, m_reach, m_impressions, m_reactions, m_comments, m_shares, "
                       "m_saves, m_clicks, m_video_views";
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM (SELECT %s FROM post_variants WHERE id = ? "
             "INTERSECT SELECT %s FROM post_variants WHERE id = ?)",
             cols, cols);
    int64_t n = 0;
    assert_int_equal(db_scalar(db, &err, &n, sql, "ii", va, vb), 1);
    assert_int_equal(n, 1);
    assert_int_equal(db_scalar(db, &err, &n,
                               "SELECT COUNT(*) FROM (SELECT taken_at, reach, impressions, "
                               "reactions, comments, shares, saves, clicks, video_views FROM "
                               "post_metrics WHERE variant_id = ? INTERSECT SELECT taken_at, "
                               "reach, impressions, reactions, comments, shares, saves, clicks, "
                               "video_views FROM post_metrics WHERE variant_id = ?)",
                               "ii", va, vb),
                     1);
    assert_int_equal(n, 1);
    db_scalar(db, &err, &n,
              "SELECT m_saves IS NULL AND m_reach = 100 FROM post_variants WHERE id = ?", "i", va);
    assert_int_equal(n, 1);
    /* known: the snapshot is not written by the upsert */
    a.taken_at = 1700090000;
    assert_int_equal(post_upsert_platform(db, ws, &a, &va, NULL, &with, &err), UPSERT_UNCHANGED);
    assert_false(with);
    db_scalar(db, &err, &n, "SELECT COUNT(*) FROM post_metrics WHERE variant_id = ?", "i", va);
    assert_int_equal(n, 1);
    db_close(db);
}

static void test_message_upsert_keeps_the_desks_decisions(void **state)
{
    struct db *db = fresh();
    struct error err = {0};
    int64_t ws = make_workspace(db, "m"), ch = make_channel(db, ws, "facebook", "page");
    struct message_in m = {.channel_id = ch,
                           .kind = "comment",
                           .platform_id = "c1",
                           .body = "Varför?",
                           .created_at = 1700000000};
    int64_t id = 0, id2 = 0;
    assert_int_equal(message_upsert(db, ws, &m, &id, &err), UPSERT_INSERTED);
    json_t *team_in = json_pack("{s:s}", "name", "Press");
    json_t *team = entity_create(db, &entity_team, ws, team_in, NULL, &err);
    assert_non_null(team);
    json_int_t team_id = json_integer_value(json_object_get(team, "id"));
    json_decref(team);
    json_decref(team_in);
    json_t *patch =
        json_pack("{s:s, s:I, s:s}", "status", "closed", "team_id", team_id, "priority", "high");
    json_t *out = message_update(db, ws, id, patch, NULL, &err);
    assert_non_null(out);
    json_decref(out);
    json_decref(patch);
    assert_int_equal(message_upsert(db, ws, &m, &id2, &err), UPSERT_UNCHANGED);
    m.body = "Varför? (redigerad)";
    assert_int_equal(message_upsert(db, ws, &m, &id2, &err), UPSERT_UPDATED);
    assert_int_equal(id, id2);
    out = message_get(db, ws, id, &err);
    assert_string_equal(json_string_value(json_object_get(out, "status")), "closed");
    assert_int_equal(json_integer_value(json_object_get(out, "team_id")), team_id);
    assert_string_equal(json_string_value(json_object_get(out, "priority")), "high");
    assert_string_equal(json_string_value(json_object_get(out, "body")), "Varför? (redigerad)");
    json_decref(out);
    m.kind = "shout";
    assert_int_equal(message_upsert(db, ws, &m, &id2, &err), -1);
    assert_string_equal(err.field, "kind");
    db_close(db);
}

static int64_t scalar(struct db *db, const char *sql, int64_t id)
{
    struct error err = {0};
    int64_t v = -1;
    assert_int_equal(db_scalar(db, &err, &v, sql, "i", id), 1);
    return v;
}

/* An answer stored before the message it answers (an account's timeline
 * imported before its mentions) waits for it; when it comes, the two are
 * joined and the question has its first response, in the reports too. */
static void test_message_reply_before_its_parent(void **state)
{
    struct db *db = fresh();
    struct error err = {0};
    int64_t ws = make_workspace(db, "r"), ch = make_channel(db, ws, "x", "verket");
    struct message_in ans = {.channel_id = ch,
                             .kind = "reply",
                             .platform_id = "a1",
                             .body = "@anna Den 25:e.",
                             .is_own = true,
                             .created_at = 1700000600,
                             .reply_to = "q1"};
    struct message_in later = ans;
    later.platform_id = "a2";
    later.created_at = 1700003600;
    struct message_in other = {.channel_id = ch,
                               .kind = "comment",
                               .platform_id = "o1",
                               .body = "Samma fråga",
                               .created_at = 1700001000,
                               .reply_to = "q1"};
    int64_t aid = 0, lid = 0, oid = 0, qid = 0;
    assert_int_equal(message_upsert(db, ws, &later, &lid, &err), UPSERT_INSERTED);
    assert_int_equal(message_upsert(db, ws, &ans, &aid, &err), UPSERT_INSERTED);
    assert_int_equal(message_upsert(db, ws, &other, &oid, &err), UPSERT_INSERTED);
    assert_int_equal(message_upsert(db, ws, &ans, &aid, &err), UPSERT_UNCHANGED);
    assert_int_equal(scalar(db, "SELECT COUNT(parent_id) FROM messages WHERE id = ?", aid), 0);
    struct message_in q = {.channel_id = ch,
                           .kind = "mention",
                           .platform_id = "q1",
                           .body = "@verket När betalas pensionen ut?",
                           .created_at = 1700000000};
    assert_int_equal(message_upsert(db, ws, &q, &qid, &err), UPSERT_INSERTED);
    for (int i = 0; i < 3; i++) {
        int64_t id = i == 0 ? aid : i == 1 ? lid : oid;
        assert_int_equal(scalar(db, "SELECT parent_id FROM messages WHERE id = ?", id), qid);
        assert_int_equal(scalar(db, "SELECT COUNT(reply_to) FROM messages WHERE id = ?", id), 0);
    }
    /* The earliest own answer is the first response, ten minutes after. */
    assert_int_equal(scalar(db, "SELECT first_response_at FROM messages WHERE id = ?", qid),
                     1700000600);
    assert_int_equal(scalar(db, "SELECT SUM(answered) FROM message_days WHERE channel_id = ?", ch),
                     1);
    /* Importing them all again changes nothing. */
    assert_int_equal(message_upsert(db, ws, &q, &qid, &err), UPSERT_UNCHANGED);
    ans.parent_id = qid;
    assert_int_equal(message_upsert(db, ws, &ans, &aid, &err), UPSERT_UNCHANGED);
    /* Answers stored without their question's id (as kanal did before it
     * kept reply_to): a re-import that names the question's id keeps it, so
     * the question joins it when it comes; one that finds the question
     * already there joins them at once. */
    struct message_in q2 = q;
    q2.platform_id = "q2";
    q2.created_at = 1700010000;
    struct message_in a3 = ans;
    a3.platform_id = "a3";
    a3.parent_id = 0;
    a3.reply_to = NULL;
    a3.created_at = 1700010060;
    int64_t q2id = 0, a3id = 0;
    assert_int_equal(message_upsert(db, ws, &a3, &a3id, &err), UPSERT_INSERTED);
    a3.reply_to = "q2";
    assert_int_equal(message_upsert(db, ws, &a3, &a3id, &err), UPSERT_UPDATED);
    assert_int_equal(message_upsert(db, ws, &a3, &a3id, &err), UPSERT_UNCHANGED);
    assert_int_equal(message_upsert(db, ws, &q2, &q2id, &err), UPSERT_INSERTED);
    assert_int_equal(scalar(db, "SELECT parent_id FROM messages WHERE id = ?", a3id), q2id);
    assert_int_equal(scalar(db, "SELECT first_response_at FROM messages WHERE id = ?", q2id),
                     1700010060);
    struct message_in q3 = q;
    q3.platform_id = "q3";
    q3.created_at = 1700020000;
    struct message_in a4 = a3;
    a4.platform_id = "a4";
    a4.reply_to = NULL;
    a4.created_at = 1700020090;
    int64_t q3id = 0, a4id = 0;
    assert_int_equal(message_upsert(db, ws, &a4, &a4id, &err), UPSERT_INSERTED);
    assert_int_equal(message_upsert(db, ws, &q3, &q3id, &err), UPSERT_INSERTED);
    assert_int_equal(scalar(db, "SELECT COUNT(first_response_at) FROM messages WHERE id = ?", q3id),
                     0);
    a4.parent_id = q3id;
    assert_int_equal(message_upsert(db, ws, &a4, &a4id, &err), UPSERT_UPDATED);
    assert_int_equal(scalar(db, "SELECT first_response_at FROM messages WHERE id = ?", q3id),
                     1700020090);
    db_close(db);
}

static void test_post_paging_by_time(void **state)
{
    struct db *db = fresh();
    struct error err = {0};
    int64_t ws = make_workspace(db, "t"), ch = make_channel(db, ws, "x", "acct");
    /* 30 posts, several sharing a timestamp, inserted out of time order */
    for (int i = 0; i < 30; i++) {
        char pid[16];
        snprintf(pid, sizeof pid, "%d", i);
        struct platform_post p = {.channel_id = ch,
                                  .platform_id = pid,
                                  .body = pid,
                                  .published_at = 1700000000 + (int64_t)((i * 7) % 10) * 3600};
        assert_true(post_upsert_platform(db, ws, &p, NULL, NULL, NULL, &err) >= 0);
    }
    struct post_filter f = {0};
    struct page pg = {.limit = 7};
    char cursor[64] = "";
    int seen = 0;
    int64_t last_at = INT64_MAX, last_id = INT64_MAX;
    bool ids[30] = {false};
    for (;;) {
        pg.cursor = cursor[0] ? cursor : NULL;
        json_t *page = post_list(db, ws, &f, &pg, &err);
        assert_non_null(page);
        size_t i;
        json_t *p;
        json_array_foreach (json_object_get(page, "items"), i, p) {
            int64_t at = 0;
            time_parse_iso(json_string_value(json_object_get(p, "at")), &at);
            int64_t id = json_integer_value(json_object_get(p, "id"));
            assert_true(at < last_at || (at == last_at && id < last_id)); /* strictly descending */
            last_at = at, last_id = id;
            int body = atoi(json_string_value(json_object_get(p, "body")));
            assert_false(ids[body]);
            ids[body] = true;
            seen++;
        }
        json_t *next = json_object_get(page, "next_cursor");
        if (json_is_null(next)) {
            json_decref(page);
            break;
        }
        snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
        json_decref(page);
    }
    assert_int_equal(seen, 30);
    pg.cursor = "12x";
    assert_null(post_list(db, ws, &f, &pg, &err));
    assert_string_equal(err.field, "cursor");
    db_close(db);
}

/* The error kind of who's update of post id with patch `json` (ERR_NONE
 * when it went through). */
static enum error_kind patch_post(struct db *db, int64_t ws, int64_t id, const char *json,
                                  const struct actor *who)
{
    struct error err = {0};
    json_t *in = json_loads(json, 0, NULL);
    assert_non_null(in);
    json_t *out = post_update(db, ws, id, in, who, &err);
    bool done = out != NULL;
    json_decref(out);
    json_decref(in);
    assert_int_equal(done, err.kind == ERR_NONE);
    return err.kind;
}

/* Issue 22: an author could edit or unpublish an approved or published post;
 * only the status asked for was checked. */
static void test_author_changes_only_own_drafts(void **state)
{
    struct db *db = fresh();
    struct error err = {0};
    int64_t ws = make_workspace(db, "a"), me = 0, other = 0;
    assert_int_equal(user_create(db, "a@example.org", "A", "author", "a long password", &me, &err),
                     0);
    assert_int_equal(
        user_create(db, "b@example.org", "B", "author", "a long password", &other, &err), 0);
    struct actor author = {.user_id = me, .role = ROLE_AUTHOR};
    struct actor stranger = {.user_id = other, .role = ROLE_AUTHOR};
    struct actor desk = {0}; /* kanal itself, as the CLI acts */
    json_t *in = json_pack("{s:s}", "body", "mine");
    json_t *p = post_create(db, ws, in, &author, &err);
    json_decref(in);
    assert_non_null(p);
    int64_t id = json_integer_value(json_object_get(p, "id"));
    json_decref(p);

    assert_int_equal(patch_post(db, ws, id, "{\"title\":\"t\"}", &author), ERR_NONE);
    assert_int_equal(patch_post(db, ws, id, "{\"title\":\"t\"}", &stranger), ERR_DENIED);
    assert_int_equal(patch_post(db, ws, id, "{\"status\":\"published\"}", &author), ERR_DENIED);
    assert_int_equal(patch_post(db, ws, id, "{\"status\":\"published\"}", &desk), ERR_NONE);
    /* published: neither edited nor taken back by its author */
    assert_int_equal(patch_post(db, ws, id, "{\"title\":\"u\"}", &author), ERR_DENIED);
    assert_int_equal(patch_post(db, ws, id, "{\"status\":\"draft\"}", &author), ERR_DENIED);
    p = post_get(db, ws, id, &err);
    assert_string_equal(json_string_value(json_object_get(p, "status")), "published");
    assert_string_equal(json_string_value(json_object_get(p, "title")), "t");
    json_decref(p);
    assert_int_equal(post_delete(db, ws, id, &author, &err), -1);
    assert_int_equal(err.kind, ERR_DENIED);
    assert_int_equal(post_delete(db, ws, id, &desk, &err), 0);
    db_close(db);
}

static void test_users_sessions_tokens(void **state)
{
    struct db *db = fresh();
    struct error err = {0};
    int64_t id = 0;
    assert_int_equal(
        user_create(db, "Kim@Example.ORG", "Kim", "moderator", "a long password", &id, &err), 0);
    assert_int_equal(
        user_create(db, "kim@example.org", "Kim", "admin", "a long password", NULL, &err), -1);
    assert_int_equal(err.kind, ERR_CONFLICT);
    assert_int_equal(user_create(db, "x@example.org", "X", "admin", "short", NULL, &err), -1);
    assert_string_equal(err.field, "password");
    struct user u;
    assert_int_equal(user_authenticate(db, "KIM@example.org", "a long password", &u, &err), 0);
    assert_int_equal(u.id, id);
    assert_int_equal(u.role, ROLE_MODERATOR);
    assert_int_equal(user_authenticate(db, "kim@example.org", "a long passwore", &u, &err), -1);
    assert_int_equal(err.kind, ERR_AUTH);

    char token[TOKEN_HEX + 1], csrf[TOKEN_HEX + 1], csrf2[TOKEN_HEX + 1];
    assert_int_equal(session_create(db, id, token, csrf, &err), 0);
    assert_int_equal(session_resolve(db, token, &u, csrf2, &err), 0);
    assert_string_equal(csrf, csrf2);
    assert_string_equal(u.email, "kim@example.org");
    char wrong[TOKEN_HEX + 1];
    memcpy(wrong, token, sizeof wrong);
    wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
    assert_int_equal(session_resolve(db, wrong, &u, csrf2, &err), -1);
    assert_int_equal(session_resolve(db, "short", &u, csrf2, &err), -1);
    assert_int_equal(session_delete(db, token, &err), 0);
    assert_int_equal(session_resolve(db, token, &u, csrf2, &err), -1);
    /* an expired session is refused */
    assert_int_equal(session_create(db, id, token, csrf, &err), 0);
    db_run(db, &err, "UPDATE sessions SET expires_at = 1", "");
    assert_int_equal(session_resolve(db, token, &u, csrf2, &err), -1);

    char api[API_TOKEN_LEN + 1];
    int64_t tid = 0;
    assert_int_equal(api_token_create(db, id, "script", 0, api, &tid, &err), 0);
    assert_int_equal(api_token_resolve(db, api, &u, &err), 0);
    assert_int_equal(api_token_revoke(db, id + 1, tid, &err), -1); /* not theirs */
    assert_int_equal(api_token_revoke(db, id, tid, &err), 0);
    assert_int_equal(api_token_resolve(db, api, &u, &err), -1);
    /* nothing secret is stored in the clear */
    int64_t n = 0;
    db_scalar(db, &err, &n, "SELECT COUNT(*) FROM api_tokens WHERE token_hash = ?", "t", api);
    assert_int_equal(n, 0);
    db_scalar(db, &err, &n, "SELECT COUNT(*) FROM audit_log WHERE entity = 'api_token'", "");
    assert_int_equal(n, 2); /* created, revoked */
    db_close(db);
}

/* The deny-list is the embedded data/passwords/common.txt: its entries are
 * refused in any case, the length rule comes first, and a passphrase that
 * merely contains a listed word passes. */
static void test_common_passwords_are_refused(void **state)
{
    struct error err = {0};
    const char *refused[] = {"password123", "PASSWORD123", "qwertyuiop",
                             "1234567890",  "salasana123", "aaaaaaaaaaaa"};
    for (size_t i = 0; i < ARRAY_LEN(refused); i++) {
        assert_int_equal(password_check(refused[i], &err), -1);
        assert_string_equal(err.field, "password");
        assert_non_null(strstr(err.msg, "common"));
    }
    assert_int_equal(password_check("password", &err), -1);
    assert_non_null(strstr(err.msg, "10 to 1024"));
    assert_int_equal(password_check("password123 on a boat", &err), 0);
    assert_int_equal(password_check("kanal-demo-password", &err), 0); /* demo must still fill */
    /* the list's own comment lines are not passwords */
    assert_int_equal(password_check("# Common passwords kanal refuses (model/user.c), one a line, "
                                    "compared without",
                                    &err),
                     0);
}

/* Each list's filters are one table: what it reads, what it refuses and why,
 * named by the parameter. */
static json_t *qs(const char *k1, const char *v1, const char *k2, const char *v2)
{
    json_t *q = json_object();
    if (k1)
        json_object_set_new(q, k1, json_string(v1));
    if (k2)
        json_object_set_new(q, k2, json_string(v2));
    return q;
}

static void refused(int rc, const struct error *err, const char *field, const char *says)
{
    assert_int_equal(rc, -1);
    assert_int_equal(err->kind, ERR_INVALID);
    assert_string_equal(err->field, field);
    assert_non_null(strstr(err->msg, says));
}

static void test_list_filters_read_and_refuse(void **state)
{
    struct error err = {0};
    struct post_filter pf;
    json_t *q = qs("channel", "12", "status", "draft");
    assert_int_equal(post_filter_parse(&pf, q, &err), 0);
    assert_int_equal(pf.channel_id, 12);
    assert_string_equal(pf.status, "draft");
    assert_null(pf.format);
    json_decref(q);
    q = qs("since", "2026-01-02", "limit", "5");
    assert_int_equal(post_filter_parse(&pf, q, &err), 0);
    assert_true(pf.since > 0 && pf.until == 0);
    json_decref(q);
    q = qs("channel", "0", NULL, NULL);
    refused(post_filter_parse(&pf, q, &err), &err, "channel", "must be an id");
    json_decref(q);
    q = qs("format", "hologram", NULL, NULL);
    refused(post_filter_parse(&pf, q, &err), &err, "format", "unknown value 'hologram'");
    /* The error names the values the filter takes, so a client need not
     * read the source. */
    assert_non_null(strstr(err.msg, "(photo, video, link, status, reel, story, live or carousel)"));
    json_decref(q);
    q = qs("until", "yesterday", NULL, NULL);
    refused(post_filter_parse(&pf, q, &err), &err, "until", "ISO 8601");
    json_decref(q);
    q = qs("by", "day", NULL, NULL); /* only the links' stats group */
    refused(post_filter_parse(&pf, q, &err), &err, "by", "unknown parameter");
    json_decref(q);
    q = json_object();
    json_object_set_new(q, "tag", json_integer(3));
    refused(post_filter_parse(&pf, q, &err), &err, "tag", "must be a string");
    json_decref(q);

    struct message_filter mf;
    q = qs("own", "false", "team", "7");
    assert_int_equal(message_filter_parse(&mf, q, 0, &err), 0);
    assert_string_equal(mf.own, "false");
    assert_int_equal(mf.team_id, 7);
    json_decref(q);
    q = qs("own", "yes", NULL, NULL);
    refused(message_filter_parse(&mf, q, 0, &err), &err, "own",
            "unknown value 'yes' (true or false)");
    json_decref(q);
    q = qs("sentiment", "positive", NULL, NULL);
    refused(message_filter_parse(&mf, q, 0, &err), &err, "sentiment",
            "has an unknown value 'positive' (pos, neu or neg)");
    json_decref(q);
    q = qs("team", "Kundservice", NULL, NULL); /* teams are rows now, named by id */
    refused(message_filter_parse(&mf, q, 0, &err), &err, "team", "must be an id");
    json_decref(q);
    q = qs("assigned_user", "me", "lang", "sv");
    assert_int_equal(message_filter_parse(&mf, q, 42, &err), 0);
    assert_int_equal(mf.assigned_user_id, 42);
    assert_string_equal(mf.lang, "sv");
    refused(message_filter_parse(&mf, q, 0, &err), &err, "assigned_user", "needs a signed-in user");
    json_decref(q);
    q = qs("assigned_user", "someone", NULL, NULL);
    refused(message_filter_parse(&mf, q, 1, &err), &err, "assigned_user", "a user's id or 'me'");
    json_decref(q);
    q = qs("q", "!!! ???", NULL, NULL);
    refused(message_filter_parse(&mf, q, 1, &err), &err, "q", "one or more words");
    json_decref(q);
    q = qs("q", "ett två tre fyra fem sex sju åtta nio", NULL, NULL);
    refused(message_filter_parse(&mf, q, 1, &err), &err, "q", "has 9 words; search with at most 8");
    json_decref(q);
    q = qs("priority", "asap", NULL, NULL);
    refused(message_filter_parse(&mf, q, 1, &err), &err, "priority", "unknown value 'asap'");
    json_decref(q);

    struct audit_filter af;
    q = qs("action", "create", "user", "4");
    assert_int_equal(audit_filter_parse(&af, q, &err), 0);
    assert_string_equal(af.action, "create");
    assert_int_equal(af.user_id, 4);
    json_decref(q);
    q = qs("entity", "", NULL, NULL);
    refused(audit_filter_parse(&af, q, &err), &err, "entity", "1 to 40 characters");
    json_decref(q);

    struct link_filter lf;
    q = qs("by", "advocate", "advocate", "anna");
    assert_int_equal(link_filter_parse(&lf, q, &err), 0);
    assert_string_equal(lf.advocate, "anna");
    json_decref(q);
}

/* json_int_col, json_text_col and json_time_col: a NULL column is JSON
 * null, any other its value (an integer 0 and an empty text too). */
static void test_json_columns(void **state)
{
    (void)state;
    struct db *db = fresh();
    struct error err = {0};
    struct db_stmt *st =
        db_query(db, &err, "SELECT 7, NULL, 'x', NULL, 0, '', 1772355600, NULL", "");
    assert_non_null(st);
    assert_true(db_has_row(st));
    json_t *row = json_pack("[o, o, o, o, o, o, o, o]", json_int_col(st, 0), json_int_col(st, 1),
                            json_text_col(st, 2), json_text_col(st, 3), json_int_col(st, 4),
                            json_text_col(st, 5), json_time_col(st, 6), json_time_col(st, 7));
    db_finalize(st);
    char *s = json_dumps(row, JSON_COMPACT);
    assert_string_equal(s, "[7,null,\"x\",null,0,\"\",\"2026-03-01T09:00:00Z\",null]");
    free(s);
    json_decref(row);
    db_close(db);
}

/* A token is 64 lower-case hex characters, new each time; the store keeps
 * its SHA-256, in lower-case hex too. */
static void test_tokens_and_their_hashes(void **state)
{
    (void)state;
    char a[TOKEN_HEX + 1], b[TOKEN_HEX + 1], hash[65];
    token_new(a);
    token_new(b);
    assert_int_equal(strlen(a), TOKEN_HEX);
    assert_int_equal(strspn(a, "0123456789abcdef"), TOKEN_HEX);
    assert_string_not_equal(a, b);
    token_hash("abc", hash);
    assert_string_equal(hash, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_statements_and_transactions),
        cmocka_unit_test(test_sqlite_check_lists),
        cmocka_unit_test(test_wait_histogram),
        cmocka_unit_test(test_validation_messages),
        cmocka_unit_test(test_platform_post_upsert_is_idempotent),
        cmocka_unit_test(test_platform_post_with_its_first_snapshot),
        cmocka_unit_test(test_message_upsert_keeps_the_desks_decisions),
        cmocka_unit_test(test_message_reply_before_its_parent),
        cmocka_unit_test(test_post_paging_by_time),
        cmocka_unit_test(test_list_filters_read_and_refuse),
        cmocka_unit_test(test_author_changes_only_own_drafts),
        cmocka_unit_test(test_users_sessions_tokens),
        cmocka_unit_test(test_common_passwords_are_refused),
        cmocka_unit_test(test_json_columns),
        cmocka_unit_test(test_tokens_and_their_hashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
