/* Unit tests for the LinkedIn REST API parser (ingest/linkedin_api.c):
 * posts, comments and replies, share statistics and the follower count
 * from tests/fixtures/ingest/linkedin-api/, each bad element rejected with
 * where it is and why, a document that is not one refused, the answers
 * told apart from other formats, and an import into a store. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest.h"

#define DIR "tests/fixtures/ingest/linkedin-api/"

struct got {
    struct ingest_record r[16];
    char text[16][3][200]; /* ids and reasons, copied: strings live during emit only */
    int n;
};

static int collect(void *ctx, const struct ingest_record *in)
{
    struct got *g = ctx;
    assert_true(g->n < 16);
    g->r[g->n] = *in;
    const char *a = in->kind == REC_MESSAGE ? in->msg_id : in->post_id;
    snprintf(g->text[g->n][0], 200, "%s", a ? a : "");
    snprintf(g->text[g->n][1], 200, "%s", in->reason ? in->reason : in->body ? in->body : "");
    snprintf(g->text[g->n][2], 200, "%s",
             in->parent_msg_id ? in->parent_msg_id
             : in->link_url    ? in->link_url
                               : "");
    g->n++;
    return 0;
}

static char *slurp(const char *name, size_t *len)
{
    struct error err = {0};
    char path[256];
    snprintf(path, sizeof path, DIR "%s", name);
    struct buf b = {0};
    assert_int_equal(buf_read_file(&b, path, 1 << 20, &err), 0);
    *len = b.len;
    char *data = b.data;
    return data;
}

static void parse_file(const char *name, struct got *g)
{
    size_t len;
    char *data = slurp(name, &len);
    assert_int_equal(ingest_detect(data, len, name), INGEST_LINKEDIN_API);
    struct ingest_opts o = {.taken_at = 1709300000};
    struct error err = {0};
    memset(g, 0, sizeof *g);
    assert_int_equal(ingest_parse(INGEST_LINKEDIN_API, data, len, &o, collect, g, &err), 0);
    free(data);
}

static void test_posts(void **state)
{
    (void)state;
    struct got g;
    parse_file("posts.json", &g);
    assert_int_equal(g.n, 4);
    assert_int_equal(g.r[0].kind, REC_POST);
    assert_string_equal(g.text[0][0], "urn:li:share:7100000000000000002");
    assert_string_equal(g.text[0][2], "https://example.org/rapport");
    assert_int_equal(g.r[0].published_at, 1709283600);
    assert_int_equal(g.r[1].kind, REC_POST);
    assert_string_equal(g.text[1][1], "Hyvää huomenta!");
    assert_int_equal(g.r[2].kind, REC_SKIP); /* a draft */
    assert_int_equal(g.r[3].kind, REC_REJECT);
    assert_non_null(strstr(g.text[3][1], "not a LinkedIn URN"));
    assert_string_equal(g.r[3].where, "$.elements[3]");
}

static void test_comments(void **state)
{
    (void)state;
    struct got g;
    parse_file("comments.json", &g);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.r[0].kind, REC_MESSAGE);
    assert_string_equal(g.text[0][0], "urn:li:comment:(urn:li:share:7100000000000000002,7101)");
    assert_string_equal(g.text[0][1], "När kommer nästa?");
    assert_false(g.r[0].is_own);
    assert_int_equal(g.r[1].kind, REC_MESSAGE);
    assert_true(g.r[1].is_own);
    assert_string_equal(g.text[1][2], "urn:li:comment:(urn:li:share:7100000000000000002,7101)");
    assert_int_equal(g.r[2].kind, REC_REJECT);
    assert_non_null(strstr(g.text[2][1], "$URN"));
}

static void test_stats_and_followers(void **state)
{
    (void)state;
    struct got g;
    parse_file("stats.json", &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.r[0].kind, REC_POST_METRICS);
    assert_int_equal(g.r[0].metrics[PM_IMPRESSIONS], 500);
    assert_int_equal(g.r[0].metrics[PM_REACH], 410);
    assert_int_equal(g.r[0].metrics[PM_CLICKS], 12);
    assert_int_equal(g.r[0].taken_at, 1709300000);
    parse_file("followers.json", &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.r[0].kind, REC_CHANNEL_METRICS);
    assert_int_equal(g.r[0].followers, 1523);
}

static void test_bad_documents(void **state)
{
    (void)state;
    struct got g = {0};
    struct error err = {0};
    static const char *const bad[] = {"[1,2]", "{\"elements\": 3}", "{\"elements\": [", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err = (struct error){0};
        assert_int_equal(
            ingest_parse(INGEST_LINKEDIN_API, bad[i], strlen(bad[i]), NULL, collect, &g, &err), -1);
        assert_true(err.msg[0]);
    }
    const char *odd = "{\"elements\": [7, {\"what\": 1}]}";
    memset(&g, 0, sizeof g);
    assert_int_equal(ingest_parse(INGEST_LINKEDIN_API, odd, strlen(odd), NULL, collect, &g, &err),
                     0);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.r[0].kind, REC_REJECT);
    assert_int_equal(g.r[1].kind, REC_REJECT);
    assert_int_equal(ingest_format_parse("linkedin-api"), INGEST_LINKEDIN_API);
}

/* Posts, their statistics and comments imported into a channel: the
 * statistics are the posts' snapshots, the comments hang under them. */
static void test_import(void **state)
{
    (void)state;
    struct error err = {0};
    struct db *db = db_open(":memory:", &err);
    assert_non_null(db);
    log_set_level(LOG_QUIET);
    assert_true(db_migrate(db, &err) >= 1);
    int64_t ws = 0;
    assert_int_equal(workspace_default(db, &ws, &err), 0);
    struct ingest_counts c = {0};
    static const char *const files[] = {"posts.json", "stats.json", "comments.json",
                                        "followers.json"};
    int64_t channel = 0;
    for (size_t i = 0; i < 4; i++) {
        /* A comment does not say whose post it is on: the posts' channel. */
        if (i == 1)
            assert_int_equal(db_scalar(db, &err, &channel, "SELECT id FROM channels", ""), 1);
        size_t len;
        char *data = slurp(files[i], &len);
        struct import_job job = {
            .db = db,
            .target = {.workspace_id = ws, .channel_id = channel, .create_channels = true},
            .format = INGEST_AUTO,
            .filename = files[i],
            .opts = {.taken_at = 1709300000}};
        if (ingest_import(&job, data, len, &c, &err) != 0)
            fail_msg("%s: %s", files[i], err.msg);
        free(data);
    }
    assert_int_equal(c.inserted[IE_POSTS], 2);
    assert_int_equal(c.inserted[IE_MESSAGES], 2);
    assert_int_equal(c.inserted[IE_CHANNEL_METRICS], 1);
    int64_t n = -1;
    assert_int_equal(db_scalar(db, &err, &n,
                               "SELECT COUNT(*) FROM channels WHERE platform = "
                               "'linkedin'",
                               ""),
                     1);
    assert_int_equal(n, 1);
    db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_posts),
        cmocka_unit_test(test_comments),
        cmocka_unit_test(test_stats_and_followers),
        cmocka_unit_test(test_bad_documents),
        cmocka_unit_test(test_import),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
