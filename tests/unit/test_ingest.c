/* Unit tests for ingest/: every parser against the shared real-world samples
 * (counts and values read from the sample files by hand), hand-written
 * samples for the formats the shared data lacks (X archive, Mastodon,
 * NDJSON), mojibake repair, format detection, and the importer's
 * idempotence and all-or-nothing files on an in-memory database. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared_data.h"
#include "ingest/enrich.h"
#include "ingest/ingest.h"
#include "model/platform.h"

#define DATA SHARED_DATA

/* ---- collecting records --------------------------------------------------------------- */

struct rec {
    enum ingest_kind kind;
    char where[128], post_id[128], msg_id[128], body[512], account_id[64], author[128];
    char parent[128], kindname[16], format[16], status[16], reason[300], platform[16];
    int64_t published_at, created_at, taken_at, followers, reach, impressions;
    int64_t metrics[PM_COUNT];
    bool has_metrics, peer;
};

struct got {
    struct rec r[600];
    int n;
};

#define CP(dst, src) snprintf((dst), sizeof(dst), "%s", (src) ? (src) : "")

static int collect(void *ctx, const struct ingest_record *in)
{
    struct got *g = ctx;
    assert_true(g->n < (int)ARRAY_LEN(g->r));
    struct rec *r = &g->r[g->n++];
    r->kind = in->kind;
    CP(r->where, in->where);
    CP(r->post_id, in->post_id);
    CP(r->msg_id, in->msg_id);
    CP(r->body, in->body);
    CP(r->account_id, in->account_id);
    CP(r->author, in->author_name);
    CP(r->parent, in->parent_msg_id);
    CP(r->kindname, in->msg_kind);
    CP(r->format, in->format);
    CP(r->status, in->status);
    CP(r->reason, in->reason);
    CP(r->platform, in->platform);
    r->published_at = in->published_at;
    r->created_at = in->created_at;
    r->taken_at = in->taken_at;
    r->followers = in->followers;
    r->reach = in->reach;
    r->impressions = in->impressions;
    memcpy(r->metrics, in->metrics, sizeof r->metrics);
    r->has_metrics = in->has_metrics;
    r->peer = in->account_is_peer;
    return 0;
}

static char *slurp(const char *path, size_t *len)
{
    if (str_starts_with(path, DATA))
        needs_shared_data();
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s (run from the repository root)", path);
    struct buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, chunk, n);
    fclose(f);
    *len = b.len;
    return buf_steal(&b);
}

static struct got *parse_text(enum ingest_format f, const char *text, size_t len, int want_rc)
{
    struct got *g = calloc(1, sizeof *g);
    struct ingest_opts o = {.taken_at = 1700000000};
    struct error err = {0};
    int rc = ingest_parse(f, text, len, &o, collect, g, &err);
    if (rc != want_rc)
        fail_msg("parse returned %d: %s", rc, err.msg);
    return g;
}

static struct got *parse_file(enum ingest_format f, const char *path)
{
    size_t len;
    char *text = slurp(path, &len);
    struct got *g = parse_text(f, text, len, 0);
    free(text);
    return g;
}

static int count_kind(const struct got *g, enum ingest_kind k)
{
    int n = 0;
    for (int i = 0; i < g->n; i++)
        n += g->r[i].kind == k;
    return n;
}

static const struct rec *find(const struct got *g, enum ingest_kind k, const char *id)
{
    for (int i = 0; i < g->n; i++)
        if (g->r[i].kind == k && (str_eq(g->r[i].post_id, id) || str_eq(g->r[i].msg_id, id)))
            return &g->r[i];
    fail_msg("no record %s", id);
    return NULL;
}

static int64_t t(const char *iso)
{
    int64_t v = 0;
    assert_int_equal(time_parse_iso(iso, &v), 0);
    return v;
}

/* ---- Meta Graph ------------------------------------------------------------------------ */

static void test_meta_graph_feed(void **state)
{
    struct got *g =
        parse_file(INGEST_META_GRAPH, DATA "meta/graph/posts_feeds_default_fields_p1.json");
    assert_int_equal(count_kind(g, REC_POST), 5);
    const struct rec *p = find(g, REC_POST, "19292868552_10158349356748553");
    assert_string_equal(p->account_id, "19292868552");
    assert_string_equal(p->format, "photo");
    assert_int_equal(p->published_at, t("2021-07-09T19:09:52Z"));
    assert_true(p->has_metrics);
    assert_int_equal(p->metrics[PM_REACTIONS], 125);
    assert_int_equal(p->metrics[PM_COMMENTS], 13);
    assert_int_equal(p->metrics[PM_SHARES], 10);
    assert_int_equal(p->metrics[PM_REACH], -1);
    assert_int_equal(p->taken_at, 1700000000);
    assert_true(str_starts_with(p->body, "Singaporean logistics company Ninja Van"));
    free(g);
    g = parse_file(INGEST_META_GRAPH, DATA "meta/graph/posts_feed_fields_p1.json");
    assert_int_equal(count_kind(g, REC_POST), 5);
    p = find(g, REC_POST, "4_10113477241177441");
    assert_string_equal(p->body, "Happy July 4th! \xF0\x9F\x87\xBA\xF0\x9F\x87\xB8");
    assert_false(p->has_metrics);
    free(g);
}

static void test_meta_graph_comments(void **state)
{
    struct got *g = parse_file(INGEST_META_GRAPH, DATA "meta/graph/comments_comments_p1.json");
    assert_int_equal(g->n, 10);
    assert_int_equal(count_kind(g, REC_MESSAGE), 10);
    /* The sixth is a reply: reply_comment_id in its permalink. */
    const struct rec *r = &g->r[5];
    assert_string_equal(r->msg_id, "10158407654328553_10158409983033553");
    assert_string_equal(r->parent, "10158407654328553_10158407903973553");
    assert_string_equal(r->kindname, "reply");
    assert_string_equal(r->post_id, "19292868552_10158407654328553");
    assert_string_equal(g->r[0].kindname, "comment");
    assert_int_equal(g->r[0].created_at, t("2021-08-10T18:45:03Z"));
    free(g);
    g = parse_file(INGEST_META_GRAPH, DATA "meta/graph/comments_comment_info.json");
    assert_int_equal(g->n, 1);
    assert_string_equal(g->r[0].msg_id, "10158371815748553_10158371930463553");
    assert_string_equal(g->r[0].body, "This is really nice");
    free(g);
}

static void test_meta_graph_insights(void **state)
{
    /* Hand-written in the shape of GET /{page}/insights and /{post}/insights:
     * dated page metrics merge into one snapshot per day, lifetime post
     * metrics into one per post. */
    const char *json =
        "{\"data\":["
        "{\"name\":\"page_fans\",\"period\":\"day\",\"values\":[{\"value\":100,"
        "\"end_time\":\"2024-01-01T08:00:00+0000\"},{\"value\":101,\"end_time\":"
        "\"2024-01-02T08:00:00+0000\"}],\"id\":\"77/insights/page_fans/day\"},"
        "{\"name\":\"page_impressions\",\"period\":\"day\",\"values\":[{\"value\":900,"
        "\"end_time\":\"2024-01-01T08:00:00+0000\"}],\"id\":\"77/insights/page_impressions/day\"},"
        "{\"name\":\"post_impressions_unique\",\"period\":\"lifetime\",\"values\":[{\"value\":"
        "55}],\"id\":\"77_5/insights/post_impressions_unique/lifetime\"},"
        "{\"name\":\"post_clicks\",\"period\":\"lifetime\",\"values\":[{\"value\":3}],"
        "\"id\":\"77_5/insights/post_clicks/lifetime\"},"
        "{\"name\":\"page_fans_city\",\"period\":\"day\",\"values\":[{\"value\":{\"Oslo\":1},"
        "\"end_time\":\"2024-01-01T08:00:00+0000\"}],\"id\":\"77/insights/page_fans_city/day\"}]}";
    assert_int_equal(ingest_detect(json, strlen(json), NULL), INGEST_META_GRAPH);
    struct got *g = parse_text(INGEST_META_GRAPH, json, strlen(json), 0);
    assert_int_equal(count_kind(g, REC_CHANNEL_METRICS), 2);
    assert_int_equal(count_kind(g, REC_POST_METRICS), 1);
    assert_int_equal(g->r[0].taken_at, t("2024-01-01T08:00:00Z"));
    assert_int_equal(g->r[0].followers, 100);
    assert_int_equal(g->r[0].impressions, 900);
    assert_int_equal(g->r[1].followers, 101);
    assert_int_equal(g->r[1].impressions, -1);
    const struct rec *p = find(g, REC_POST_METRICS, "77_5");
    assert_int_equal(p->metrics[PM_REACH], 55);
    assert_int_equal(p->metrics[PM_CLICKS], 3);
    assert_string_equal(p->account_id, "77");
    free(g);

    /* The names after Meta's 2025-2026 changes: views for impressions,
     * unique viewers for reach, reactions by type summed. An alias never
     * overrides the figure's own name (here page_impressions over
     * page_media_view, in either order). */
    const char *views =
        "{\"data\":["
        "{\"name\":\"post_media_view\",\"period\":\"lifetime\",\"values\":[{\"value\":800}],"
        "\"id\":\"77_6/insights/post_media_view/lifetime\"},"
        "{\"name\":\"post_total_media_view_unique\",\"period\":\"lifetime\",\"values\":[{\"value\":"
        "610}],\"id\":\"77_6/insights/post_total_media_view_unique/lifetime\"},"
        "{\"name\":\"post_reactions_by_type_total\",\"period\":\"lifetime\",\"values\":[{\"value\":"
        "{\"like\":12,\"love\":3,\"wow\":1}}],\"id\":\"77_6/insights/post_reactions_by_type_total/"
        "lifetime\"},"
        "{\"name\":\"page_media_view\",\"period\":\"day\",\"values\":[{\"value\":5,\"end_time\":"
        "\"2024-01-01T08:00:00+0000\"}],\"id\":\"77/insights/page_media_view/day\"},"
        "{\"name\":\"page_impressions\",\"period\":\"day\",\"values\":[{\"value\":900,\"end_time\":"
        "\"2024-01-01T08:00:00+0000\"}],\"id\":\"77/insights/page_impressions/day\"},"
        "{\"name\":\"page_media_view\",\"period\":\"day\",\"values\":[{\"value\":7,\"end_time\":"
        "\"2024-01-01T08:00:00+0000\"}],\"id\":\"77/insights/page_media_view/day\"}]}";
    g = parse_text(INGEST_META_GRAPH, views, strlen(views), 0);
    assert_int_equal(g->n, 2);
    p = find(g, REC_POST_METRICS, "77_6");
    assert_int_equal(p->metrics[PM_IMPRESSIONS], 800);
    assert_int_equal(p->metrics[PM_REACH], 610);
    assert_int_equal(p->metrics[PM_REACTIONS], 16);
    assert_int_equal(count_kind(g, REC_CHANNEL_METRICS), 1);
    for (int i = 0; i < g->n; i++)
        if (g->r[i].kind == REC_CHANNEL_METRICS)
            assert_int_equal(g->r[i].impressions, 900);
    free(g);

    /* Instagram's album metrics had names of their own. */
    const char *album =
        "{\"data\":["
        "{\"name\":\"carousel_album_impressions\",\"period\":\"lifetime\",\"values\":[{\"value\":"
        "1513}],\"id\":\"1790/insights/carousel_album_impressions/lifetime\"},"
        "{\"name\":\"carousel_album_reach\",\"period\":\"lifetime\",\"values\":[{\"value\":1180}],"
        "\"id\":\"1790/insights/carousel_album_reach/lifetime\"},"
        "{\"name\":\"saved\",\"period\":\"lifetime\",\"values\":[{\"value\":5}],"
        "\"id\":\"1790/insights/saved/lifetime\"}]}";
    assert_int_equal(ingest_detect(album, strlen(album), NULL), INGEST_INSTAGRAM);
    g = parse_text(INGEST_INSTAGRAM, album, strlen(album), 0);
    assert_int_equal(g->n, 1);
    assert_int_equal(g->r[0].metrics[PM_IMPRESSIONS], 1513);
    assert_int_equal(g->r[0].metrics[PM_REACH], 1180);
    assert_int_equal(g->r[0].metrics[PM_SAVES], 5);
    free(g);
}

static void test_meta_graph_page_and_live(void **state)
{
    struct got *g = parse_file(INGEST_META_GRAPH, DATA "meta/graph/pages_single_fields_page.json");
    assert_int_equal(g->n, 1);
    assert_int_equal(g->r[0].kind, REC_CHANNEL_METRICS);
    assert_string_equal(g->r[0].account_id, "20531316728");
    assert_int_equal(g->r[0].followers, 214507731);
    free(g);
    g = parse_file(INGEST_META_GRAPH, DATA "meta/graph/live_videos_live_videos_p1.json");
    assert_int_equal(count_kind(g, REC_POST), 3);
    const struct rec *p = find(g, REC_POST, "10160659411121729");
    assert_string_equal(p->format, "live");
    assert_int_equal(p->published_at, t("2021-04-23T14:57:11Z"));
    free(g);
}

/* Graph's answer to ?ids=A,B is an object of objects keyed by id: posts,
 * comments or pages alike. */
/* A list's paging link names its owner and edge: a comments list fetched
 * with few fields looks like posts, a page's photos do not name the page,
 * and /tagged holds others' posts. */
static void test_meta_graph_list_edges(void **state)
{
    const char *json =
        "{\"data\": [{\"id\": \"249_250\", \"created_time\": \"2024-03-01T09:00:00+0000\",\n"
        "  \"message\": \"Hur s\u00f6ker jag?\", \"from\": {\"name\": \"Anna\", \"id\": "
        "\"71\"}}],\n"
        " \"paging\": {\"next\": \"https://graph.facebook.com/v19.0/111_249/comments?after=X\"}}";
    assert_int_equal(ingest_detect(json, strlen(json), NULL), INGEST_META_GRAPH);
    struct got *g = parse_text(INGEST_META_GRAPH, json, strlen(json), 0);
    assert_int_equal(g->n, 1);
    assert_int_equal(g->r[0].kind, REC_MESSAGE);
    assert_string_equal(g->r[0].author, "Anna");
    free(g);
    /* The same items in a feed are posts. */
    const char *feed =
        "{\"data\": [{\"id\": \"111_251\", \"created_time\": \"2024-03-01T09:00:00+0000\",\n"
        "  \"message\": \"Nytt\"}],\n"
        " \"paging\": {\"next\": \"https://graph.facebook.com/v19.0/111/feed?after=X\"}}";
    g = parse_text(INGEST_META_GRAPH, feed, strlen(feed), 0);
    assert_int_equal(g->n, 1);
    assert_int_equal(g->r[0].kind, REC_POST);
    free(g);
    /* A page's photos: ids without the page, which the link names. */
    const char *photos =
        "{\"data\": [{\"id\": \"3365\", \"created_time\": \"2024-03-02T09:00:00+0000\",\n"
        "  \"name\": \"Bild fr\u00e5n m\u00e4ssan\"}],\n"
        " \"paging\": {\"next\": \"https://graph.facebook.com/v19.0/111/photos?limit=1&after=X\"}}";
    g = parse_text(INGEST_META_GRAPH, photos, strlen(photos), 0);
    assert_int_equal(g->n, 1);
    assert_string_equal(g->r[0].format, "photo");
    assert_string_equal(g->r[0].account_id, "111");
    assert_string_equal(g->r[0].body, "Bild fr\xC3\xA5n m\xC3\xA4ssan");
    free(g);
    /* /tagged: others' posts that tag the page are mentions of it. */
    const char *tagged =
        "{\"data\": [{\"id\": \"175_424\", \"created_time\": \"2024-03-02T09:00:00+0000\",\n"
        "  \"message\": \"Bra jobbat @Verket\"}],\n"
        " \"paging\": {\"next\": \"https://graph.facebook.com/v19.0/111/tagged?after=X\"}}";
    g = parse_text(INGEST_META_GRAPH, tagged, strlen(tagged), 0);
    assert_int_equal(g->n, 1);
    assert_int_equal(g->r[0].kind, REC_MESSAGE);
    assert_string_equal(g->r[0].kindname, "mention");
    assert_string_equal(g->r[0].account_id, "111");
    assert_string_equal(g->r[0].msg_id, "175_424");
    free(g);
}

/* A visitor's post on the page's feed is a message to the page, and the
 * page's comment on it an answer; never a channel for the visitor. */
static void test_meta_graph_visitor_posts(void **state)
{
    const char *json = "{\"data\": [\n"
                       " {\"id\": \"111_301\", \"created_time\": \"2024-03-01T09:00:00+0000\", "
                       "\"message\": \"Nytt\",\n"
                       "  \"from\": {\"id\": \"111\", \"name\": \"Verket\"}},\n"
                       " {\"id\": \"111_302\", \"created_time\": \"2024-03-01T10:00:00+0000\",\n"
                       "  \"message\": \"Varf\u00f6r svarar ni inte?\", \"from\": {\"id\": "
                       "\"555\", \"name\": \"Anna\"},\n"
                       "  \"comments\": {\"data\": [{\"id\": \"302_1\", \"created_time\": "
                       "\"2024-03-01T11:00:00+0000\",\n"
                       "   \"message\": \"Vi svarar nu!\", \"from\": {\"id\": \"111\", \"name\": "
                       "\"Verket\"}}]}}]}";
    struct got *g = parse_text(INGEST_META_GRAPH, json, strlen(json), 0);
    assert_int_equal(g->n, 3);
    assert_string_equal(find(g, REC_POST, "111_301")->account_id, "111");
    const struct rec *m = find(g, REC_MESSAGE, "111_302");
    assert_string_equal(m->kindname, "mention");
    assert_string_equal(m->account_id, "111");
    assert_string_equal(m->author, "Anna");
    assert_int_equal(m->created_at, t("2024-03-01T10:00:00Z"));
    m = find(g, REC_MESSAGE, "302_1");
    assert_string_equal(m->parent, "111_302");
    assert_string_equal(m->kindname, "reply");
    assert_string_equal(m->account_id, "111");
    free(g);
}

static void test_meta_graph_by_ids(void **state)
{
    const char *posts =
        "{\"111_201\": {\"id\": \"111_201\", \"created_time\": \"2024-03-01T08:00:00+0000\",\n"
        "   \"message\": \"V\u00e5rens f\u00f6rsta nyhetsbrev\"},\n"
        " \"111_202\": {\"id\": \"111_202\", \"created_time\": \"2024-03-02T08:00:00+0000\",\n"
        "   \"shares\": {\"count\": 4}}}";
    assert_int_equal(ingest_detect(posts, strlen(posts), NULL), INGEST_META_GRAPH);
    struct got *g = parse_text(INGEST_META_GRAPH, posts, strlen(posts), 0);
    assert_int_equal(g->n, 2);
    const struct rec *p = find(g, REC_POST, "111_201");
    assert_string_equal(p->account_id, "111");
    assert_string_equal(p->body, "V\xC3\xA5rens f\xC3\xB6rsta nyhetsbrev");
    assert_string_equal(p->where, "$[\"111_201\"]");
    p = find(g, REC_POST, "111_202");
    assert_int_equal(p->metrics[PM_SHARES], 4);
    free(g);

    const char *comments =
        "{\"201_9\": {\"id\": \"201_9\", \"created_time\": \"2024-03-01T09:00:00+0000\",\n"
        "   \"message\": \"Tack!\", \"comment_count\": 0},\n"
        " \"201_10\": {\"id\": \"201_10\", \"message\": \"no time\", \"comment_count\": 1}}";
    assert_int_equal(ingest_detect(comments, strlen(comments), NULL), INGEST_META_GRAPH);
    g = parse_text(INGEST_META_GRAPH, comments, strlen(comments), 0);
    assert_int_equal(g->n, 2);
    assert_int_equal(find(g, REC_MESSAGE, "201_9")->created_at, t("2024-03-01T09:00:00Z"));
    assert_int_equal(g->r[1].kind, REC_REJECT);
    assert_string_equal(g->r[1].where, "$[\"201_10\"]");
    free(g);

    const char *pages = "{\"111\": {\"id\": \"111\", \"name\": \"Verket\", \"fan_count\": 1200},"
                        " \"112\": {\"id\": \"112\", \"followers_count\": 80}}";
    g = parse_text(INGEST_META_GRAPH, pages, strlen(pages), 0);
    assert_int_equal(count_kind(g, REC_CHANNEL_METRICS), 2);
    assert_int_equal(g->r[0].followers, 1200);
    assert_int_equal(g->r[1].followers, 80);
    free(g);

    /* An object that is none of these is an error for the whole file. */
    const char *other = "{\"a\": {\"name\": \"x\"}}";
    g = parse_text(INGEST_META_GRAPH, other, strlen(other), -1);
    assert_int_equal(g->n, 0);
    free(g);
}

/* ---- Meta webhooks --------------------------------------------------------------------- */

static void test_meta_webhook_comment(void **state)
{
    struct got *g = parse_file(INGEST_META_WEBHOOK, DATA "meta/webhooks/feed-comment-add-25.json");
    assert_int_equal(g->n, 1);
    const struct rec *r = &g->r[0];
    assert_int_equal(r->kind, REC_MESSAGE);
    assert_string_equal(r->msg_id, "901097836652708_903438993085259");
    assert_string_equal(r->post_id, "1234567890321_901097836652708");
    assert_string_equal(r->account_id, "1234567890321");
    assert_string_equal(r->body, "and the next one");
    assert_string_equal(r->author, "Tester");
    assert_string_equal(r->kindname, "comment");
    assert_int_equal(r->created_at, 1449135003);
    assert_string_equal(r->where, "$.entry[0].changes[0]");
    free(g);
}

static void test_meta_webhook_status_changes(void **state)
{
    struct got *g = parse_file(INGEST_META_WEBHOOK, DATA "meta/webhooks/feed-comment-hide.json");
    assert_int_equal(count_kind(g, REC_MESSAGE_STATUS), 1);
    assert_string_equal(find(g, REC_MESSAGE_STATUS, "900728623356296_900744590021366")->status,
                        "hidden");
    free(g);
    g = parse_file(INGEST_META_WEBHOOK, DATA "meta/webhooks/feed-comment-unhide.json");
    assert_int_equal(count_kind(g, REC_MESSAGE_STATUS), 1);
    for (int i = 0; i < g->n; i++)
        if (g->r[i].kind == REC_MESSAGE_STATUS)
            assert_string_equal(g->r[i].status, "open");
    free(g);
    g = parse_file(INGEST_META_WEBHOOK, DATA "meta/webhooks/feed-comment-remove-25.json");
    assert_int_equal(g->n, 1);
    assert_string_equal(g->r[0].status, "removed");
    assert_string_equal(g->r[0].msg_id, "905578656204626_905579239537901");
    free(g);
    g = parse_file(INGEST_META_WEBHOOK, DATA "meta/webhooks/feed-post-remove-25.json");
    assert_int_equal(g->n, 1);
    assert_int_equal(g->r[0].kind, REC_POST_STATUS);
    assert_string_equal(g->r[0].post_id, "1234567890321_901097836652708");
    free(g);
    /* Reactions are not messages. */
    g = parse_file(INGEST_META_WEBHOOK, DATA "meta/webhooks/feed-reaction-add.json");
    assert_int_equal(g->n, 0);
    free(g);
}

static void test_meta_webhook_ratings_mentions_instagram(void **state)
{
    struct got *g =
        parse_file(INGEST_META_WEBHOOK, DATA "meta/webhooks/ratings-rating-add-25.json");
    assert_int_equal(g->n, 1);
    assert_string_equal(g->r[0].kindname, "review");
    assert_string_equal(g->r[0].msg_id, "904801129604590");
    assert_string_equal(g->r[0].body, "Ja ziemlich coole Sache");
    free(g);
    g = parse_file(INGEST_META_WEBHOOK, DATA "meta/webhooks/mention-comment-add.json");
    assert_int_equal(g->n, 1);
    assert_string_equal(g->r[0].kindname, "mention");
    assert_string_equal(g->r[0].msg_id, "7363534231324_3754798971271444");
    free(g);
    g = parse_file(INGEST_META_WEBHOOK, DATA "instagram/webhook-wh-comments.json");
    assert_int_equal(g->n, 1);
    assert_string_equal(g->r[0].platform, "instagram");
    assert_string_equal(g->r[0].msg_id, "123456789");
    assert_string_equal(g->r[0].body, "This is an example.");
    assert_int_equal(g->r[0].created_at, 1519399307);
    free(g);
}

static void test_meta_signature(void **state)
{
    const char *body = "{\"object\":\"page\"}";
    /* Computed outside kanal: printf %s BODY | openssl dgst -sha256 -hmac secret */
    const char *good = "sha256=c1456f83e15385a03562cbe2eaaa918ec5e06b4f170f909283a2781c7924e4d1";
    assert_true(ingest_meta_signature_ok(good, "secret", body, strlen(body)));
    assert_false(ingest_meta_signature_ok(good, "secreT", body, strlen(body)));
    assert_false(ingest_meta_signature_ok(good, "secret", body, strlen(body) - 1));
    assert_false(ingest_meta_signature_ok(good, "", body, strlen(body)));
    assert_false(ingest_meta_signature_ok(NULL, "secret", body, strlen(body)));
    assert_false(ingest_meta_signature_ok("sha1=abc", "secret", body, strlen(body)));
    assert_false(ingest_meta_signature_ok("sha256=zz", "secret", body, strlen(body)));
}

/* ---- Instagram ----------------------------------------------------------------------- */

static void test_instagram(void **state)
{
    struct got *g = parse_file(INGEST_INSTAGRAM, DATA "instagram/graph_users_medias_p1.json");
    assert_int_equal(count_kind(g, REC_POST), 2);
    const struct rec *p = find(g, REC_POST, "17896622936197745");
    assert_int_equal(p->metrics[PM_COMMENTS], 6);
    assert_int_equal(p->metrics[PM_REACTIONS], 2);
    assert_string_equal(p->format, "photo");
    assert_int_equal(p->published_at, t("2021-08-13T08:02:40Z"));
    free(g);
    g = parse_file(INGEST_INSTAGRAM, DATA "instagram/graph_medias_comments_p1.json");
    assert_int_equal(count_kind(g, REC_MESSAGE), 2);
    /* The media comes from the paging link. */
    assert_string_equal(find(g, REC_MESSAGE, "17858154961981086")->post_id, "17846368219941692");
    free(g);
    g = parse_file(INGEST_INSTAGRAM, DATA "instagram/graph_medias_insights.json");
    assert_int_equal(g->n, 1);
    assert_int_equal(g->r[0].kind, REC_POST_METRICS);
    assert_string_equal(g->r[0].post_id, "17846368219941692");
    assert_int_equal(g->r[0].metrics[PM_IMPRESSIONS], 8);
    assert_int_equal(g->r[0].metrics[PM_REACH], 5);
    assert_int_equal(g->r[0].metrics[PM_SAVES], 0);
    free(g);
    g = parse_file(INGEST_INSTAGRAM, DATA "instagram/graph_users_user_insights.json");
    assert_int_equal(count_kind(g, REC_CHANNEL_METRICS), 2);
    assert_int_equal(g->r[0].taken_at, t("2017-05-04T07:00:00Z"));
    assert_int_equal(g->r[0].impressions, 4);
    assert_int_equal(g->r[0].reach, 3);
    assert_string_equal(g->r[0].account_id, "17841400008460056");
    free(g);
    /* An account's media list names the account in its paging link. */
    g = parse_file(INGEST_INSTAGRAM, DATA "instagram/graph_users_medias_p2.json");
    assert_int_equal(count_kind(g, REC_POST), 2);
    for (int i = 0; i < g->n; i++)
        assert_string_equal(g->r[i].account_id, "17841406338772941");
    free(g);
    /* /tags with its paging link: others' media are mentions of the
     * account, their comments replies to them. */
    const char *tags =
        "{\"data\": [{\"id\": \"903\", \"username\": \"anna\", \"media_type\": \"IMAGE\",\n"
        "  \"timestamp\": \"2024-05-02T10:00:00+0000\", \"caption\": \"Tack @verket!\",\n"
        "  \"comments\": {\"data\": [{\"id\": \"904\", \"username\": \"olle\", \"text\": \"+1\",\n"
        "   \"timestamp\": \"2024-05-02T11:00:00+0000\"}]}}],\n"
        " \"paging\": {\"next\": \"https://graph.facebook.com/v19.0/1784/tags?after=x\"}}";
    g = parse_text(INGEST_INSTAGRAM, tags, strlen(tags), 0);
    assert_int_equal(g->n, 2);
    const struct rec *m = find(g, REC_MESSAGE, "903");
    assert_string_equal(m->kindname, "mention");
    assert_string_equal(m->account_id, "1784");
    assert_string_equal(m->author, "anna");
    m = find(g, REC_MESSAGE, "904");
    assert_string_equal(m->parent, "903");
    assert_string_equal(m->account_id, "1784");
    free(g);
    g = parse_file(INGEST_INSTAGRAM, DATA "instagram/graph_medias_medias_fields.json");
    assert_true(count_kind(g, REC_POST) >= 2);
    assert_string_equal(find(g, REC_POST, "17896129349106152")->format, "carousel");
    free(g);
}

/* ---- X ------------------------------------------------------------------------------- */

static void test_x_api(void **state)
{
    struct got *g = parse_file(INGEST_X_API, DATA "x/api-v2_tweet_tweets_resp.json");
    assert_int_equal(count_kind(g, REC_POST), 2);
    const struct rec *p = find(g, REC_POST, "1278347468690915330");
    assert_string_equal(p->account_id, "783214");
    assert_string_equal(p->author, "Twitter");
    assert_int_equal(p->published_at, t("2020-07-01T15:19:21Z"));
    free(g);
    g = parse_file(INGEST_X_API, DATA "x/api-v2_timeline_timeline_mentions.json");
    p = find(g, REC_POST, "1364398068313903104");
    assert_true(p->has_metrics);
    assert_int_equal(p->metrics[PM_REACTIONS], 0);
    free(g);
    g = parse_file(INGEST_X_API, DATA "x/api-v2_dm_events_events.json");
    assert_int_equal(g->n, 1);
    assert_string_equal(g->r[0].kindname, "dm");
    assert_string_equal(g->r[0].body, "Another photo https://t.co/J5KotyeIyd");
    free(g);
    /* Retweets are shares, counted and not stored: by referenced_tweets
     * (search), or by "RT @" where the answer has no expansions. */
    g = parse_file(INGEST_X_API, DATA "x/api-v2_searches_search_tweets_for_nyc.json");
    assert_int_equal(count_kind(g, REC_SHARE), 7);
    assert_int_equal(count_kind(g, REC_POST), 3);
    assert_int_equal(g->r[0].kind, REC_SHARE);
    assert_string_equal(g->r[0].where, "$.data[0]");
    free(g);
    g = parse_file(INGEST_X_API, DATA "x/api-v2_tweet_tweet_quote_tweets_resp.json");
    assert_int_equal(count_kind(g, REC_SHARE), 13);
    assert_int_equal(count_kind(g, REC_POST), 2);
    free(g);
    /* Spaces and Lists are refused per row, named for what they are. */
    const char *other =
        "{\"data\": [{\"host_ids\": [\"22\"], \"id\": \"1DX\", \"state\": \"live\"},\n"
        " {\"id\": \"145\", \"name\": \"L\", \"member_count\": 1}]}";
    g = parse_text(INGEST_X_API, other, strlen(other), 0);
    assert_int_equal(count_kind(g, REC_REJECT), 2);
    assert_non_null(strstr(g->r[0].reason, "an X Space, not a tweet"));
    assert_non_null(strstr(g->r[1].reason, "an X List, not a tweet"));
    free(g);
    /* Counts are refused with a reason, not imported as nothing. */
    size_t len;
    char *text = slurp(DATA "x/api-v2_tweet_tweets_counts_recent_resp.json", &len);
    free(parse_text(INGEST_X_API, text, len, -1));
    free(text);
}

static void test_x_archive(void **state)
{
    const char *js =
        "window.YTD.tweets.part0 = [\n"
        " {\"tweet\": {\"id_str\": \"1050118621198921728\", \"full_text\": \"Hej v\u00e4rlden\",\n"
        "  \"created_at\": \"Wed Oct 10 20:19:24 +0000 2018\", \"favorite_count\": \"3\",\n"
        "  \"retweet_count\": \"1\", \"lang\": \"sv\"}},\n"
        " {\"tweet\": {\"id_str\": \"2\", \"full_text\": \"x\", \"created_at\": \"yesterday\"}},\n"
        " {\"tweet\": {\"id_str\": \"4\", \"full_text\": \"x\",\n"
        "  \"created_at\": \"Wed Oct 10 20:-1923267923:24 -0999 2018\"}},\n"
        " {\"nottweet\": 1},\n"
        " {\"tweet\": {\"id_str\": \"3\", \"full_text\": \"RT @verket: Ny rapport\",\n"
        "  \"created_at\": \"Wed Oct 10 20:19:24 +0000 2018\", \"retweet_count\": \"40\"}}\n"
        "]";
    struct got *g = parse_text(INGEST_X_ARCHIVE, js, strlen(js), 0);
    assert_int_equal(g->n, 5);
    assert_int_equal(g->r[4].kind, REC_SHARE); /* the account's retweet */
    const struct rec *p = find(g, REC_POST, "1050118621198921728");
    assert_int_equal(p->published_at, t("2018-10-10T20:19:24Z"));
    assert_int_equal(p->metrics[PM_REACTIONS], 3);
    assert_int_equal(p->metrics[PM_SHARES], 1);
    assert_int_equal(g->r[1].kind, REC_REJECT);
    assert_string_equal(g->r[1].where, "$[1].tweet");
    /* A signed minute or offset is no time (and no overflow). */
    assert_int_equal(g->r[2].kind, REC_REJECT);
    assert_string_equal(g->r[2].where, "$[2].tweet");
    assert_int_equal(g->r[3].kind, REC_REJECT);
    free(g);
    /* direct-messages.js: conversations of messageCreate events. */
    const char *dms =
        "window.YTD.direct_messages.part0 = [\n"
        " {\"dmConversation\": {\"conversationId\": \"12-34\", \"messages\": [\n"
        "  {\"messageCreate\": {\"recipientId\": \"34\", \"reactions\": [], \"urls\": [],\n"
        "   \"text\": \"Hej, n\u00e4r \u00f6ppnar ni?\", \"mediaUrls\": [], \"senderId\": \"12\",\n"
        "   \"id\": \"1186367287409815556\", \"createdAt\": \"2019-10-21T19:42:08.716Z\"}},\n"
        "  {\"joinConversation\": {\"initiatingUserId\": \"12\"}},\n"
        "  {\"messageCreate\": {\"text\": \"no id\", \"senderId\": \"34\"}}]}}\n"
        "]";
    assert_int_equal(ingest_detect(dms, strlen(dms), NULL), INGEST_X_ARCHIVE);
    g = parse_text(INGEST_X_ARCHIVE, dms, strlen(dms), 0);
    assert_int_equal(g->n, 2);
    const struct rec *m = find(g, REC_MESSAGE, "1186367287409815556");
    assert_string_equal(m->kindname, "dm");
    assert_string_equal(m->body, "Hej, n\xC3\xA4r \xC3\xB6ppnar ni?");
    assert_int_equal(m->created_at, t("2019-10-21T19:42:08Z"));
    assert_string_equal(m->where, "$[0].dmConversation.messages[0].messageCreate");
    assert_int_equal(g->r[1].kind, REC_REJECT);
    assert_string_equal(g->r[1].where, "$[0].dmConversation.messages[2].messageCreate");
    free(g);
}

/* ---- YouTube, Mastodon ------------------------------------------------------------------ */

static void test_youtube(void **state)
{
    struct got *g = parse_file(INGEST_YOUTUBE, DATA
                               "youtube/comment_threads_comment_threads_by_video_paged_1.json");
    assert_int_equal(count_kind(g, REC_MESSAGE), 5);
    const struct rec *m = find(g, REC_MESSAGE, "UgyZ1jqkHKYvi1-ruOZ4AaABAg");
    assert_string_equal(m->body, "Google.com");
    assert_string_equal(m->author, "himani agarwal");
    assert_string_equal(m->post_id, "F1UP7wRCPH8");
    assert_int_equal(m->created_at, t("2019-11-26T15:51:44Z"));
    free(g);
    g = parse_file(INGEST_YOUTUBE, DATA "youtube/comments_comments_by_parent_paged_1.json");
    m = find(g, REC_MESSAGE, "Ugw5zYU6n9pmIgAZWvN4AaABAg.91zT3cYb5B291za6voUoRh");
    assert_string_equal(m->kindname, "reply");
    assert_string_equal(m->parent, "Ugw5zYU6n9pmIgAZWvN4AaABAg");
    free(g);
    g = parse_file(INGEST_YOUTUBE, DATA "youtube/comment_threads_comment_threads_all_to_me.json");
    assert_int_equal(count_kind(g, REC_MESSAGE), 4);
    assert_string_equal(g->r[0].account_id, "UCa-vrCLQHviTOVnEKDOdetQ");
    free(g);
    /* videos.list with statistics: the channel's posts, counts as strings. */
    const char *videos =
        "{\"kind\": \"youtube#videoListResponse\", \"items\": [\n"
        " {\"kind\": \"youtube#video\", \"id\": \"abcDEF12345\",\n"
        "  \"snippet\": {\"publishedAt\": \"2024-02-01T12:00:00Z\", \"channelId\": \"UCverket\",\n"
        "   \"channelTitle\": \"Verket\", \"title\": \"S\u00e5 s\u00f6ker du\", \"description\": "
        "\"Steg f\u00f6r steg\",\n"
        "   \"liveBroadcastContent\": \"none\", \"defaultLanguage\": \"sv\"},\n"
        "  \"statistics\": {\"viewCount\": \"1520\", \"likeCount\": \"33\", \"favoriteCount\": "
        "\"0\",\n"
        "   \"commentCount\": \"4\"}},\n"
        " {\"kind\": \"youtube#video\", \"id\": \"live0000001\",\n"
        "  \"snippet\": {\"publishedAt\": \"2024-02-02T12:00:00Z\", \"channelId\": \"UCverket\",\n"
        "   \"title\": \"Fr\u00e5gestund\", \"liveBroadcastContent\": \"upcoming\"}},\n"
        " {\"kind\": \"youtube#video\", \"id\": \"notime00001\", \"snippet\": {\"title\": "
        "\"x\"}}]}";
    g = parse_text(INGEST_YOUTUBE, videos, strlen(videos), 0);
    assert_int_equal(g->n, 3);
    const struct rec *p = find(g, REC_POST, "abcDEF12345");
    assert_string_equal(p->account_id, "UCverket");
    assert_string_equal(p->format, "video");
    assert_string_equal(p->body, "S\xC3\xA5 s\xC3\xB6ker du\n\nSteg f\xC3\xB6r steg");
    assert_int_equal(p->published_at, t("2024-02-01T12:00:00Z"));
    assert_true(p->has_metrics);
    assert_int_equal(p->metrics[PM_VIDEO_VIEWS], 1520);
    assert_int_equal(p->metrics[PM_REACTIONS], 33);
    assert_int_equal(p->metrics[PM_COMMENTS], 4);
    p = find(g, REC_POST, "live0000001");
    assert_string_equal(p->format, "live");
    assert_false(p->has_metrics);
    assert_int_equal(g->r[2].kind, REC_REJECT);
    assert_string_equal(g->r[2].where, "$.items[2]");
    free(g);
}

static void test_mastodon(void **state)
{
    const char *json =
        "[{\"id\": \"109\", \"created_at\": \"2022-11-23T09:30:00.000Z\",\n"
        "  \"content\": \"<p>Ny rapport &amp; data</p><p>L\u00e4s mer</p>\", \"language\": "
        "\"sv\",\n"
        "  \"url\": \"https://mastodon.example/@verket/109\", \"replies_count\": 2,\n"
        "  \"reblogs_count\": 5, \"favourites_count\": 7, \"in_reply_to_id\": null,\n"
        "  \"account\": {\"id\": \"42\", \"acct\": \"verket\", \"display_name\": \"Verket\"},\n"
        "  \"media_attachments\": [{\"type\": \"image\"}]},\n"
        " {\"id\": \"110\", \"content\": \"<p>no time</p>\", \"account\": {\"id\": \"7\"}},\n"
        " {\"id\": \"111\", \"created_at\": \"2022-11-23T10:00:00.000Z\", \"content\": \"\",\n"
        "  \"account\": {\"id\": \"42\"}, \"reblog\": {\"id\": \"99\", \"content\": "
        "\"<p>x</p>\"}}]";
    struct got *g = parse_text(INGEST_MASTODON, json, strlen(json), 0);
    assert_int_equal(g->n, 3);
    assert_int_equal(g->r[2].kind, REC_SHARE); /* a boost */
    const struct rec *p = find(g, REC_POST, "109");
    assert_string_equal(p->body, "Ny rapport & data\n\nL\xC3\xA4s mer");
    assert_string_equal(p->format, "photo");
    assert_int_equal(p->metrics[PM_REACTIONS], 7);
    assert_int_equal(p->metrics[PM_SHARES], 5);
    assert_int_equal(p->metrics[PM_COMMENTS], 2);
    assert_int_equal(g->r[1].kind, REC_REJECT);
    free(g);
    /* Notifications: a mention brings its status; favourites and the like
     * are not messages. One status alone is a Mastodon answer too. */
    const char *notes =
        "[{\"id\": \"1\", \"type\": \"mention\", \"account\": {\"id\": \"7\"},\n"
        "  \"status\": {\"id\": \"120\", \"created_at\": \"2022-11-23T11:00:00Z\",\n"
        "   \"content\": \"<p>@verket hj\u00e4lp</p>\", \"in_reply_to_id\": \"109\",\n"
        "   \"account\": {\"id\": \"7\", \"acct\": \"anna@example.org\"}}},\n"
        " {\"id\": \"2\", \"type\": \"favourite\", \"account\": {\"id\": \"8\"},\n"
        "  \"status\": {\"id\": \"109\", \"content\": \"x\", \"account\": {\"id\": \"42\"}}},\n"
        " {\"id\": \"3\", \"type\": \"mention\", \"account\": {\"id\": \"9\"}}]";
    assert_int_equal(ingest_detect(notes, strlen(notes), NULL), INGEST_MASTODON);
    g = parse_text(INGEST_MASTODON, notes, strlen(notes), 0);
    assert_int_equal(g->n, 2);
    p = find(g, REC_POST, "120");
    assert_string_equal(p->where, "$[0].status");
    assert_string_equal(p->body, "@verket hj\xC3\xA4lp");
    assert_string_equal(p->author, "");
    assert_int_equal(g->r[1].kind, REC_REJECT);
    assert_string_equal(g->r[1].where, "$[2]");
    free(g);
    const char *one = "{\"id\": \"130\", \"created_at\": \"2022-11-23T12:00:00Z\", \"content\": "
                      "\"<p>Hej</p>\", \"account\": {\"id\": \"42\"}}";
    assert_int_equal(ingest_detect(one, strlen(one), NULL), INGEST_MASTODON);
    g = parse_text(INGEST_MASTODON, one, strlen(one), 0);
    assert_int_equal(g->n, 1);
    assert_string_equal(find(g, REC_POST, "130")->body, "Hej");
    free(g);
}

/* ---- CSV, NDJSON ------------------------------------------------------------------------- */

static void test_csv_uci(void **state)
{
    struct got *g = parse_file(INGEST_CSV, DATA "metrics/uci-facebook-metrics.csv");
    assert_int_equal(count_kind(g, REC_POST), 500);
    assert_int_equal(count_kind(g, REC_REJECT), 0);
    /* First data row: Photo, month 12, hour 3, reach 2752, impressions 5091,
     * comment 4, like 79, share 17. */
    const struct rec *p = &g->r[0];
    assert_string_equal(p->post_id, "row-1");
    assert_string_equal(p->where, "line 2");
    assert_string_equal(p->format, "photo");
    assert_int_equal(p->published_at, t("2014-12-01T03:00:00Z"));
    assert_int_equal(p->metrics[PM_REACH], 2752);
    assert_int_equal(p->metrics[PM_IMPRESSIONS], 5091);
    assert_int_equal(p->metrics[PM_COMMENTS], 4);
    assert_int_equal(p->metrics[PM_REACTIONS], 79);
    assert_int_equal(p->metrics[PM_SHARES], 17);
    /* Empty cells are "not reported", not zero. */
    int empty = 0;
    for (int i = 0; i < g->n; i++)
        empty += g->r[i].metrics[PM_SHARES] < 0;
    assert_true(empty >= 1);
    free(g);
}

static void test_csv_meta_business_suite_and_errors(void **state)
{
    const char *csv =
        "Post ID,Page ID,Page name,Title,Description,Publish time,Permalink,Post type,Reach,"
        "Impressions,Reactions,Comments,Shares,Total clicks\r\n"
        "111_222,111,Verket,,\"Hej, \"\"alla\"\"\nrad tv\u00e5\",09/29/2023 10:00,"
        "https://www.facebook.com/111/posts/222,Photos,\"1,234\",2000,10,2,1,5\r\n"
        "111_223,111,Verket,,x,09/30/2023 11:00,,Photos,n/a,1,1,1,1,1\r\n"
        "111_224,111,Verket,,x,09/30/2023 11:00,,Hologram,1,1,1,1,1,1\r\n"
        "111_225,111\r\n";
    struct got *g = parse_text(INGEST_CSV, csv, strlen(csv), 0);
    assert_int_equal(g->n, 4);
    const struct rec *p = find(g, REC_POST, "111_222");
    assert_string_equal(p->body, "Hej, \"alla\"\nrad tv\xC3\xA5");
    assert_int_equal(p->metrics[PM_REACH], 1234);
    assert_int_equal(p->published_at, t("2023-09-29T10:00:00Z"));
    assert_string_equal(p->account_id, "111");
    assert_int_equal(g->r[1].kind, REC_REJECT);
    assert_string_equal(g->r[1].where, "line 4"); /* the quoted newline counts */
    assert_string_equal(g->r[1].reason, "column 'Reach' is not a number: 'n/a'");
    assert_int_equal(g->r[2].kind, REC_REJECT);
    assert_int_equal(g->r[3].kind, REC_REJECT);
    free(g);
    /* Since 2025 Meta exports Views where it exported Impressions. */
    const char *views = "Post ID,Page ID,Publish time,Views\n111_230,111,10/01/2025 08:00,4321\n";
    g = parse_text(INGEST_CSV, views, strlen(views), 0);
    assert_int_equal(g->n, 1);
    assert_int_equal(g->r[0].metrics[PM_IMPRESSIONS], 4321);
    assert_string_equal(g->r[0].platform, "facebook");
    free(g);
    /* An Instagram account's export: its own post types and metric names. */
    const char *ig =
        "Post ID,Account ID,Account username,Account name,Description,Duration (sec),"
        "Publish time,Permalink,Post type,Data comment,Date,Views,Reach,Likes,Shares,Follows,"
        "Comments,Saves\n"
        "1801,1784,verket,Verket,Ny rapport,0,05/02/2025 09:15,https://www.instagram.com/p/x/,"
        "IG carousel,,Lifetime,900,700,41,3,1,5,8\n"
        "1802,1784,verket,Verket,Film,30,05/03/2025 09:15,,IG reel,,Lifetime,,,,,,,\n"
        "1803,1784,verket,Verket,x,0,05/03/2025 09:15,,IG hologram,,Lifetime,1,1,1,1,1,1,1\n";
    g = parse_text(INGEST_CSV, ig, strlen(ig), 0);
    assert_int_equal(g->n, 3);
    p = find(g, REC_POST, "1801");
    assert_string_equal(p->platform, "instagram");
    assert_string_equal(p->account_id, "1784");
    assert_string_equal(p->format, "carousel");
    assert_int_equal(p->metrics[PM_IMPRESSIONS], 900);
    assert_int_equal(p->metrics[PM_REACH], 700);
    assert_int_equal(p->metrics[PM_REACTIONS], 41);
    assert_int_equal(p->metrics[PM_SAVES], 8);
    p = find(g, REC_POST, "1802");
    assert_string_equal(p->format, "reel");
    assert_false(p->has_metrics);
    assert_int_equal(g->r[2].kind, REC_REJECT);
    assert_string_equal(g->r[2].reason,
                        "column 'Post type': 'IG hologram' is not a format the mapping knows");
    free(g);
    /* A mapping's "A | B": the first of the columns the file has, named in
     * messages as the file names it. */
    struct error merr = {0};
    const char *alt = "id = Id\npublished_at = Date | When\nreach = Reach | Räckvidd\n";
    struct csv_mapping *mm = csv_mapping_parse(alt, strlen(alt), &merr);
    assert_non_null(mm);
    struct ingest_opts o = {.taken_at = 1700000000, .mapping = mm};
    struct got *g2 = calloc(1, sizeof *g2);
    const char *sv = "Id;When;R\xC3\xA4"
                     "ckvidd\n1;2024-01-01T00:00:00Z;12\n2;2024-01-01T00:00:00Z;x\n";
    assert_int_equal(ingest_parse(INGEST_CSV, sv, strlen(sv), &o, collect, g2, &merr), 0);
    assert_int_equal(g2->n, 2);
    assert_int_equal(g2->r[0].metrics[PM_REACH], 12);
    assert_string_equal(g2->r[1].reason, "column 'R\xC3\xA4"
                                         "ckvidd' is not a number: 'x'");
    free(g2);
    csv_mapping_free(mm);
    const char *unknown = "a,b\n1,2\n";
    free(parse_text(INGEST_CSV, unknown, strlen(unknown), -1));
    struct error err = {0};
    assert_null(csv_mapping_parse("id = x\nbogus = y\n", 18, &err));
    assert_non_null(strstr(err.msg, "line 2"));
}

static void test_ndjson(void **state)
{
    const char *nd =
        "{\"type\":\"post\",\"platform\":\"facebook\",\"account_id\":\"9\",\"id\":\"p1\","
        "\"body\":\"Hej\",\"published_at\":\"2024-01-02T03:04:05Z\",\"metrics\":{\"reach\":10}}\n"
        "\n"
        "{\"type\":\"message\",\"id\":\"m1\",\"post_id\":\"p1\",\"created_at\":1700000000}\n"
        "not json\n"
        "{\"type\":\"post\",\"id\":\"p2\"}\n"
        "{\"type\":\"metrics\",\"post_id\":\"p1\",\"reach\":-3}\n"
        "{\"type\":\"channel_metrics\",\"account_id\":\"9\",\"followers\":100,"
        "\"taken_at\":\"2024-01-03\"}\n";
    struct got *g = parse_text(INGEST_NDJSON, nd, strlen(nd), 0);
    assert_int_equal(g->n, 6);
    assert_int_equal(g->r[0].kind, REC_POST);
    assert_int_equal(g->r[0].metrics[PM_REACH], 10);
    assert_int_equal(g->r[0].metrics[PM_SHARES], -1);
    assert_int_equal(g->r[1].kind, REC_MESSAGE);
    assert_string_equal(g->r[2].where, "line 4");
    assert_int_equal(g->r[2].kind, REC_REJECT);
    assert_string_equal(g->r[3].where, "line 5");
    assert_non_null(strstr(g->r[3].reason, "published_at"));
    assert_int_equal(g->r[4].kind, REC_REJECT);
    assert_int_equal(g->r[5].kind, REC_CHANNEL_METRICS);
    assert_int_equal(g->r[5].followers, 100);
    assert_int_equal(g->r[5].taken_at, t("2024-01-03"));
    free(g);
}

/* ---- mojibake, detection ----------------------------------------------------------------- */

static void test_mojibake(void **state)
{
    struct arena a = {0};
    /* "ä" written as its two UTF-8 bytes read as Latin-1. */
    assert_string_equal(ingest_fix_mojibake("K\xC3\x83\xC2\xA4nsla", &a), "K\xC3\xA4nsla");
    /* "😀" (4 bytes) the same way. */
    assert_string_equal(ingest_fix_mojibake("\xC3\xB0\xC2\x9F\xC2\x98\xC2\x80", &a),
                        "\xF0\x9F\x98\x80");
    /* Real Latin-1 letters that do not form UTF-8 stay. */
    assert_string_equal(ingest_fix_mojibake("caf\xC3\xA9", &a), "caf\xC3\xA9");
    assert_string_equal(ingest_fix_mojibake("plain", &a), "plain");
    /* Something above U+00FF means the text is real UTF-8. */
    assert_string_equal(ingest_fix_mojibake("\xC3\x83\xC2\xA4 \xE2\x82\xAC", &a),
                        "\xC3\x83\xC2\xA4 \xE2\x82\xAC");
    arena_free(&a);
    /* Through a parser: Meta's JSON escapes. */
    const char *json = "{\"data\":[{\"id\":\"1_2\",\"created_time\":\"2021-07-04T19:50:58+0000\","
                       "\"message\":\"Tack f\\u00c3\\u00b6r i dag\"}]}";
    struct got *g = parse_text(INGEST_META_GRAPH, json, strlen(json), 0);
    assert_string_equal(g->r[0].body, "Tack f\xC3\xB6r i dag");
    free(g);
}

static void test_detect(void **state)
{
    static const struct {
        const char *file;
        enum ingest_format f;
    } cases[] = {
        {"meta/graph/posts_feeds_default_fields_p1.json", INGEST_META_GRAPH},
        {"meta/graph/comments_comments_p2.json", INGEST_META_GRAPH},
        {"meta/graph/pages_single_fields_page.json", INGEST_META_GRAPH},
        {"meta/graph/live_videos_live_videos_p1.json", INGEST_META_GRAPH},
        {"meta/webhooks/feed-comment-add-25.json", INGEST_META_WEBHOOK},
        {"instagram/webhook-wh-mentions.json", INGEST_META_WEBHOOK},
        {"instagram/graph_users_medias_p2.json", INGEST_INSTAGRAM},
        {"instagram/graph_medias_comments_p1.json", INGEST_INSTAGRAM},
        {"instagram/graph_medias_insights_new.json", INGEST_INSTAGRAM},
        {"instagram/graph_users_user_insights_new.json", INGEST_INSTAGRAM},
        {"instagram/graph_medias_medias_fields.json", INGEST_INSTAGRAM},
        {"instagram/graph_users_mentioned_comment.json", INGEST_INSTAGRAM},
        {"x/api-v2_searches_search_tweets_query.json", INGEST_X_API},
        {"x/api-v2_timeline_timeline_tweets.json", INGEST_X_API},
        {"x/api-v2_dm_events_events.json", INGEST_X_API},
        {"x/api-v2_user_user_resp.json", INGEST_X_API},
        {"youtube/comments_comments_by_parent_paged_2.json", INGEST_YOUTUBE},
        {"metrics/uci-facebook-metrics.csv", INGEST_CSV},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char path[256];
        snprintf(path, sizeof path, DATA "%s", cases[i].file);
        size_t len;
        char *text = slurp(path, &len);
        enum ingest_format f = ingest_detect(text, len, path);
        if (f != cases[i].f)
            fail_msg("%s: detected %s", cases[i].file, ingest_format_name(f));
        free(text);
    }
    const char *js = "window.YTD.tweets.part0 = [{\"tweet\":{}}]";
    assert_int_equal(ingest_detect(js, strlen(js), NULL), INGEST_X_ARCHIVE);
    const char *nd = "{\"type\":\"post\"}\n{\"type\":\"post\"}\n";
    assert_int_equal(ingest_detect(nd, strlen(nd), NULL), INGEST_NDJSON);
    const char *ma = "[{\"id\":\"1\",\"account\":{},\"content\":\"\"}]";
    assert_int_equal(ingest_detect(ma, strlen(ma), NULL), INGEST_MASTODON);
    assert_int_equal(ingest_detect("hello", 5, NULL), INGEST_AUTO);
}

/* ---- importer ---------------------------------------------------------------------------- */

static struct db *fresh(int64_t *ws)
{
    struct error err = {0};
    struct db *db = db_open(":memory:", &err);
    assert_non_null(db);
    log_set_level(LOG_QUIET);
    assert_true(db_migrate(db, &err) >= 1);
    assert_int_equal(workspace_default(db, ws, &err), 0);
    return db;
}

/* A channel in ws (with the account's platform id when one is given); its id. */
static int64_t add_channel(struct db *db, int64_t ws, const char *platform, const char *handle,
                           const char *name, const char *platform_id)
{
    struct error err = {0};
    json_t *in = json_pack("{s:s, s:s, s:s}", "platform", platform, "handle", handle, "name", name);
    if (platform_id)
        json_object_set_new(in, "platform_id", json_string(platform_id));
    json_t *ch = entity_create(db, &entity_channel, ws, in, NULL, &err);
    json_decref(in);
    assert_non_null(ch);
    int64_t id = json_integer_value(json_object_get(ch, "id"));
    json_decref(ch);
    return id;
}

static int64_t rows(struct db *db, const char *sql)
{
    int64_t n = -1;
    struct error err = {0};
    assert_int_equal(db_scalar(db, &err, &n, sql, ""), 1);
    return n;
}

static void test_import_idempotent_and_snapshots(void **state)
{
    needs_shared_data();
    int64_t ws;
    struct db *db = fresh(&ws);
    struct ingest_target tg = {.workspace_id = ws, .create_channels = true};
    struct ingest_opts o = {.taken_at = 1000};
    struct ingest_counts c = {0};
    struct error err = {0};
    size_t len;
    char *text = slurp(DATA "meta/graph/posts_feeds_default_fields_p1.json", &len);
    assert_int_equal(
        ingest_import(db, &tg, INGEST_AUTO, text, len, "f", &o, NULL, &c, NULL, NULL, &err), 0);
    assert_int_equal(c.inserted[IE_POSTS], 5);
    assert_int_equal(c.inserted[IE_METRICS], 5);
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM channels WHERE platform_id = '19292868552'"),
                     1);
    struct ingest_counts c2 = {0};
    assert_int_equal(
        ingest_import(db, &tg, INGEST_AUTO, text, len, "f", &o, NULL, &c2, NULL, NULL, &err), 0);
    assert_int_equal(c2.unchanged[IE_POSTS], 5);
    assert_int_equal(c2.unchanged[IE_METRICS], 5);
    assert_int_equal(c2.inserted[IE_POSTS] + c2.updated[IE_POSTS], 0);
    /* A later reading: new snapshots, same posts. */
    o.taken_at = 2000;
    struct ingest_counts c3 = {0};
    assert_int_equal(
        ingest_import(db, &tg, INGEST_AUTO, text, len, "f", &o, NULL, &c3, NULL, NULL, &err), 0);
    assert_int_equal(c3.inserted[IE_METRICS], 5);
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM posts"), 5);
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM post_metrics"), 10);
    free(text);
    db_close(db);
}

static void test_import_all_or_nothing(void **state)
{
    int64_t ws;
    struct db *db = fresh(&ws);
    struct ingest_target tg = {.workspace_id = ws, .create_channels = true};
    struct ingest_counts c = {0};
    struct error err = {0};
    /* The second line names no account: the first must not stay either. */
    const char *nd = "{\"type\":\"post\",\"platform\":\"x\",\"account_id\":\"1\",\"id\":\"a\","
                     "\"published_at\":\"2024-01-01\"}\n"
                     "{\"type\":\"post\",\"platform\":\"x\",\"id\":\"b\","
                     "\"published_at\":\"2024-01-01\"}\n";
    assert_int_equal(ingest_import(db, &tg, INGEST_NDJSON, nd, strlen(nd), "f.ndjson", NULL, NULL,
                                   &c, NULL, NULL, &err),
                     -1);
    assert_non_null(strstr(err.msg, "f.ndjson: line 2"));
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM posts"), 0);
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM channels"), 0);
    /* Rejected rows are written with file, place and reason. */
    char *out = NULL;
    size_t outlen = 0;
    FILE *rej = open_memstream(&out, &outlen);
    const char *bad = "{\"type\":\"post\",\"platform\":\"x\",\"account_id\":\"1\",\"id\":\"a\","
                      "\"published_at\":\"2024-01-01\",\"format\":\"hologram\"}\n";
    error_clear(&err);
    assert_int_equal(ingest_import(db, &tg, INGEST_NDJSON, bad, strlen(bad), "g", NULL, rej, &c,
                                   NULL, NULL, &err),
                     0);
    fclose(rej);
    assert_int_equal(c.rejected[IE_POSTS], 1);
    assert_true(str_starts_with(out, "g\tline 1\tunknown format"));
    free(out);
    db_close(db);
}

/* Every row a test import left, in a fixed order: posts with their
 * variant, numbers, reading and tags; messages likewise; channel numbers. */
static char *dump(struct db *db)
{
    static const char *const sql[] = {
        "SELECT v.platform_id, p.body, p.lang, p.format, v.published_at, v.m_at, v.m_reach, "
        "v.m_impressions, (SELECT group_concat(tag_id) FROM post_tags t WHERE t.post_id = p.id), "
        "(SELECT COUNT(*) FROM post_metrics m WHERE m.variant_id = v.id) "
        "FROM post_variants v JOIN posts p ON p.id = v.post_id ORDER BY v.platform_id",
        "SELECT m.platform_id, m.body, m.lang, m.sentiment, round(m.sentiment_score, 9), "
        "(SELECT platform_id FROM messages q WHERE q.id = m.parent_id), "
        "(SELECT platform_id FROM post_variants v WHERE v.id = m.variant_id), "
        "(SELECT group_concat(tag_id) FROM message_tags t WHERE t.message_id = m.id) "
        "FROM messages m ORDER BY m.platform_id",
        "SELECT taken_at, followers FROM channel_metrics ORDER BY taken_at",
    };
    struct buf b = {0};
    struct error err = {0};
    for (size_t q = 0; q < ARRAY_LEN(sql); q++) {
        struct db_stmt *st = db_query(db, &err, sql[q], "");
        assert_non_null(st);
        for (bool row = db_has_row(st); row; row = db_step(st, &err) == 1)
            for (int i = 0; i < db_col_count(st); i++)
                buf_printf(&b, "%s%c", db_col_text(st, i), i + 1 < db_col_count(st) ? '\t' : '\n');
        db_finalize(st);
    }
    return buf_steal(&b);
}

/* A large line file is parsed on a second thread while rows are written:
 * what it leaves, counts and rejects included, must be what reading and
 * writing in turn leaves; and a fatal row halfway stops both threads and
 * keeps nothing. */
static void test_import_beside_matches_in_turn(void **state)
{
    static const char *const texts[] = {"Tack för en riktigt bra pension, ni är bäst!",
                                        "Huono palvelu, olen todella pettynyt.",
                                        "Great news about the pension reform!",
                                        "Varför svarar ingen på min fråga om premiepension?",
                                        "Eläke tuli ajallaan, kiitos 🙂",
                                        "This is the worst service I have ever had."};
    struct buf nd = {0};
    for (int i = 0; i < 9000; i++) {
        const char *t = texts[i % ARRAY_LEN(texts)];
        int p = i % 6000; /* the last 3,000 lines come again, some with new text */
        if (i % 13 == 5) {
            buf_printf(&nd,
                       "{\"type\":\"post\",\"platform\":\"facebook\",\"account_id\":"
                       "\"4711\",\"id\":\"x%d\",\"published_at\":1700000000,\"format\":"
                       "\"hologram\"}\n",
                       i);
        } else if (i % 7 == 3) {
            buf_printf(&nd,
                       "{\"type\":\"message\",\"platform\":\"facebook\",\"account_id\":\"4711\","
                       "\"id\":\"c%d\",\"post_id\":\"p%d\",\"parent_id\":\"c%d\","
                       "\"created_at\":%d,\"author_name\":\"Anna %d\",\"body\":\"%s\"}\n",
                       p, p - 3, p - 7, 1700000000 + p * 60, p % 97, t);
        } else if (i % 50 == 0) {
            buf_printf(&nd,
                       "{\"type\":\"channel_metrics\",\"platform\":\"facebook\",\"account_id\":"
                       "\"4711\",\"taken_at\":%d,\"followers\":%d}\n",
                       1700000000 + p * 3600, 1000 + p);
        } else {
            buf_printf(&nd,
                       "{\"type\":\"post\",\"platform\":\"facebook\",\"account_id\":\"4711\","
                       "\"id\":\"p%d\",\"published_at\":%d,\"format\":\"photo\",\"body\":\"%s "
                       "(%d)\",\"metrics\":{\"reach\":%d,\"impressions\":%d}}\n",
                       p, 1700000000 + p * 60, i >= 7500 ? texts[(i + 1) % ARRAY_LEN(texts)] : t, p,
                       10 * i, 20 * i);
        }
    }
    assert_true(nd.len >= 1 << 20); /* large enough to be read beside */
    model_set_rule_check(enrich_rule_check);
    char *dumps[2], *rejects[2];
    struct ingest_counts counts[2];
    for (int mode = 0; mode < 2; mode++) {
        int64_t ws;
        struct db *db = fresh(&ws);
        struct error err = {0};
        json_t *tag = json_pack("{s:s, s:s}", "name", "Pension", "rule",
                                "pension* OR premiepension OR eläke*");
        json_decref(entity_create(db, &entity_tag, ws, tag, NULL, &err));
        json_decref(tag);
        struct ingest_target tg = {.workspace_id = ws, .create_channels = true};
        struct ingest_opts o = {.taken_at = 1000, .one_thread = mode == 0};
        size_t outlen = 0;
        FILE *rej = open_memstream(&rejects[mode], &outlen);
        counts[mode] = (struct ingest_counts){0};
        assert_int_equal(ingest_import(db, &tg, INGEST_NDJSON, nd.data, nd.len, "big.ndjson", &o,
                                       rej, &counts[mode], NULL, NULL, &err),
                         0);
        fclose(rej);
        dumps[mode] = dump(db);
        db_close(db);
    }
    assert_string_equal(dumps[0], dumps[1]);
    assert_string_equal(rejects[0], rejects[1]);
    assert_memory_equal(&counts[0], &counts[1], sizeof counts[0]);
    /* and it is a real import: new posts, edited ones, tags, rejects */
    assert_true(counts[1].inserted[IE_POSTS] > 4000);
    assert_true(counts[1].updated[IE_POSTS] > 500);
    assert_true(counts[1].inserted[IE_MESSAGES] > 500);
    assert_true(counts[1].rejected[IE_POSTS] > 600);
    assert_non_null(strstr(dumps[1], "\tneg\t"));
    assert_non_null(strstr(rejects[1], "big.ndjson\tline 6\tunknown format"));
    for (int mode = 0; mode < 2; mode++) {
        free(dumps[mode]);
        free(rejects[mode]);
    }

    /* A row that names no account, far into the file: the whole file goes. */
    int64_t ws;
    struct db *db = fresh(&ws);
    struct error err = {0};
    const char *orphan = "{\"type\":\"post\",\"id\":\"lost\",\"published_at\":1700000000}\n";
    char *at = strstr(nd.data + nd.len / 2, "\n") + 1;
    struct buf bad = {0};
    buf_append(&bad, nd.data, (size_t)(at - nd.data));
    buf_puts(&bad, orphan);
    buf_append(&bad, at, nd.len - (size_t)(at - nd.data));
    struct ingest_target tg = {.workspace_id = ws, .create_channels = true};
    struct ingest_counts c = {0};
    assert_int_equal(ingest_import(db, &tg, INGEST_NDJSON, bad.data, bad.len, "big.ndjson", NULL,
                                   NULL, &c, NULL, NULL, &err),
                     -1);
    assert_non_null(strstr(err.msg, "big.ndjson: line 4"));
    assert_non_null(strstr(err.msg, "does not say which page or account"));
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM posts"), 0);
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM channels"), 0);
    buf_free(&bad);
    buf_free(&nd);
    db_close(db);
}

/* The same for CSV read through a mapping, bad rows included. */
static void test_import_beside_csv(void **state)
{
    const char *map = "name = t\nplatform = facebook\nid = id\naccount_id = account\n"
                      "published_at = at\nformat = format\nformat.photo = photo\nbody = body\n"
                      "reach = reach\n";
    struct error err = {0};
    struct csv_mapping *m = csv_mapping_parse(map, strlen(map), &err);
    assert_non_null(m);
    struct buf csv = {0};
    buf_puts(&csv, "id,account,at,format,body,reach\n");
    for (int i = 0; i < 20000; i++)
        buf_printf(&csv, "p%d,4711,%d,%s,\"Pension, %s %d\",%s\n", i % 15000, 1700000000 + i,
                   i % 11 == 4 ? "hologram" : "photo", i % 3 ? "tack så mycket" : "olen pettynyt",
                   i, i % 17 == 2 ? "-5" : "120");
    assert_true(csv.len >= 1 << 20);
    model_set_rule_check(enrich_rule_check);
    char *dumps[2];
    struct ingest_counts counts[2];
    for (int mode = 0; mode < 2; mode++) {
        int64_t ws;
        struct db *db = fresh(&ws);
        json_t *tag = json_pack("{s:s, s:s}", "name", "Pension", "rule", "pension*");
        json_decref(entity_create(db, &entity_tag, ws, tag, NULL, &err));
        json_decref(tag);
        struct ingest_target tg = {.workspace_id = ws, .create_channels = true};
        struct ingest_opts o = {.taken_at = 1000, .mapping = m, .one_thread = mode == 0};
        counts[mode] = (struct ingest_counts){0};
        assert_int_equal(ingest_import(db, &tg, INGEST_CSV, csv.data, csv.len, "big.csv", &o, NULL,
                                       &counts[mode], NULL, NULL, &err),
                         0);
        dumps[mode] = dump(db);
        db_close(db);
    }
    assert_string_equal(dumps[0], dumps[1]);
    assert_memory_equal(&counts[0], &counts[1], sizeof counts[0]);
    assert_true(counts[1].inserted[IE_POSTS] > 10000 && counts[1].updated[IE_POSTS] > 3000);
    assert_true(counts[1].rejected[IE_POSTS] + counts[1].rejects > 2000);
    free(dumps[0]);
    free(dumps[1]);
    csv_mapping_free(m);
    buf_free(&csv);
}

static void test_import_webhook_changes(void **state)
{
    needs_shared_data();
    int64_t ws;
    struct db *db = fresh(&ws);
    struct error err = {0};
    add_channel(db, ws, "facebook", "page", "Page", "1234567890321");
    struct ingest_target hook = {0}; /* webhooks: any workspace, never create channels */
    const char *files[] = {"feed-comment-edited-25.json", "feed-comment-hide.json"};
    for (size_t i = 0; i < ARRAY_LEN(files); i++) {
        char path[256];
        snprintf(path, sizeof path, DATA "meta/webhooks/%s", files[i]);
        size_t len;
        char *text = slurp(path, &len);
        struct ingest_counts c = {0};
        assert_int_equal(ingest_import(db, &hook, INGEST_META_WEBHOOK, text, len, "hook", NULL,
                                       NULL, &c, NULL, NULL, &err),
                         0);
        free(text);
    }
    /* Both files are about comment 900728623356296_900744590021366. */
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM messages WHERE platform_id = "
                              "'900728623356296_900744590021366' AND status = 'hidden'"),
                     1);
    /* A webhook edit of a post changes its text only: the permalink and
     * format a Graph import stored stay. */
    const char *graph = "{\"data\":[{\"id\":\"1234567890321_7\",\"created_time\":"
                        "\"2024-01-01T10:00:00+0000\",\"message\":\"Old\",\"status_type\":"
                        "\"added_photos\",\"permalink_url\":\"https://www.facebook.com/p/7\"}]}";
    struct ingest_target tg = {.workspace_id = ws, .create_channels = true};
    struct ingest_counts gc = {0};
    assert_int_equal(ingest_import(db, &tg, INGEST_META_GRAPH, graph, strlen(graph), "g", NULL,
                                   NULL, &gc, NULL, NULL, &err),
                     0);
    const char *edit = "{\"object\":\"page\",\"entry\":[{\"id\":\"1234567890321\",\"time\":9,"
                       "\"changes\":[{\"field\":\"feed\",\"value\":{\"item\":\"status\","
                       "\"verb\":\"edited\",\"post_id\":\"1234567890321_7\",\"message\":\"New\","
                       "\"from\":{\"id\":\"1234567890321\"},\"created_time\":1704103200}}]}]}";
    struct ingest_counts ec = {0};
    assert_int_equal(ingest_import(db, &hook, INGEST_META_WEBHOOK, edit, strlen(edit), "hook", NULL,
                                   NULL, &ec, NULL, NULL, &err),
                     0);
    assert_int_equal(ec.updated[IE_POSTS], 1);
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM posts p JOIN post_variants v ON v.post_id = "
                              "p.id WHERE p.body = 'New' AND p.format = 'photo' AND "
                              "v.permalink = 'https://www.facebook.com/p/7'"),
                     1);
    /* An unknown page is counted, not created. */
    const char *other = "{\"object\":\"page\",\"entry\":[{\"id\":\"999\",\"time\":1,"
                        "\"changes\":[{\"field\":\"feed\",\"value\":{\"item\":\"comment\","
                        "\"verb\":\"add\",\"comment_id\":\"1_2\",\"post_id\":\"999_1\","
                        "\"message\":\"hi\",\"created_time\":5}}]}]}";
    struct ingest_counts c = {0};
    assert_int_equal(ingest_import(db, &hook, INGEST_META_WEBHOOK, other, strlen(other), "hook",
                                   NULL, NULL, &c, NULL, NULL, &err),
                     0);
    assert_int_equal(c.unknown_account, 1);
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM channels"), 1);
    db_close(db);
}

/* Imports text (len bytes) named name with the format detected; counts
 * into c, zeroed first. A failed import fails the test. */
static void import_bytes(struct db *db, const struct ingest_target *tg, const char *name,
                         const char *text, size_t len, struct ingest_counts *c)
{
    struct error err = {0};
    memset(c, 0, sizeof *c);
    if (ingest_import(db, tg, INGEST_AUTO, text, len, name, NULL, NULL, c, NULL, NULL, &err))
        fail_msg("%s: %s", name, err.msg);
}

static void import_text(struct db *db, const struct ingest_target *tg, const char *name,
                        const char *text, struct ingest_counts *c)
{
    import_bytes(db, tg, name, text, strlen(text), c);
}

static void import_file(struct db *db, const struct ingest_target *tg, const char *path,
                        struct ingest_counts *c)
{
    size_t len;
    char *text = slurp(path, &len);
    import_bytes(db, tg, path, text, len, c);
    free(text);
}

/* Instagram's /tags edge lists media the account was tagged in, named by
 * username only: imported into the account's channel, another account's
 * media is a mention of it, the account's own a post. */
static const char ig_tagged[] =
    "{\"data\": [\n"
    " {\"id\": \"901\", \"username\": \"verket\", \"media_type\": \"IMAGE\",\n"
    "  \"timestamp\": \"2024-05-01T10:00:00+0000\", \"caption\": \"V\\u00e5r rapport\",\n"
    "  \"like_count\": 3, \"comments_count\": 0},\n"
    " {\"id\": \"902\", \"username\": \"someone_else\", \"media_type\": \"IMAGE\",\n"
    "  \"timestamp\": \"2024-05-02T10:00:00+0000\", \"caption\": \"Tack @verket!\",\n"
    "  \"like_count\": 9, \"comments_count\": 0}],\n"
    " \"paging\": {\"cursors\": {\"after\": \"QVFI\"}}}";

static void test_instagram_tagged_replies_stories(void **state)
{
    /* Media that carry a username are Instagram's, not X users. */
    assert_int_equal(ingest_detect(ig_tagged, strlen(ig_tagged), NULL), INGEST_INSTAGRAM);
    const char *stories = "{\"data\": [{\"id\": \"181\", \"media_type\": \"IMAGE\", \"media_url\": "
                          "\"https://cdn.example/a.jpg\", \"username\": \"verket\"}]}";
    assert_int_equal(ingest_detect(stories, strlen(stories), NULL), INGEST_INSTAGRAM);
    struct got *g = parse_text(INGEST_INSTAGRAM, stories, strlen(stories), 0);
    assert_int_equal(g->n, 1);
    assert_int_equal(g->r[0].kind, REC_REJECT);
    assert_non_null(strstr(g->r[0].reason, "'timestamp' is missing"));
    free(g);
    /* A comment's replies: the paging link names the comment. */
    const char *replies =
        "{\"data\": [{\"id\": \"77\", \"timestamp\": \"2024-05-03T10:00:00+0000\", \"text\": "
        "\"@anna ja\"}],\n"
        " \"paging\": {\"next\": "
        "\"https://graph.facebook.com/v19.0/1798/replies?limit=1&after=x\"}}";
    g = parse_text(INGEST_INSTAGRAM, replies, strlen(replies), 0);
    assert_int_equal(g->n, 1);
    assert_string_equal(g->r[0].parent, "1798");
    assert_string_equal(g->r[0].kindname, "reply");
    assert_string_equal(g->r[0].post_id, "");
    free(g);

    int64_t ws;
    struct db *db = fresh(&ws);
    struct ingest_target tg = {.workspace_id = ws,
                               .channel_id =
                                   add_channel(db, ws, "instagram", "@Verket", "Verket", NULL)};
    struct ingest_counts c;
    import_text(db, &tg, "tags.json", ig_tagged, &c);
    assert_int_equal(c.inserted[IE_POSTS], 1);
    assert_int_equal(c.inserted[IE_MESSAGES], 1);
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM post_variants WHERE platform_id = '901'"), 1);
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM messages WHERE platform_id = '902' AND kind = "
                              "'mention' AND author_handle = 'someone_else' AND created_at > 0"),
                     1);
    db_close(db);
}

/* Business discovery: another account looked up by username, for the
 * peer comparison. Its media are its posts, on a channel made as a peer's. */
static void test_instagram_business_discovery(void **state)
{
    const char *json =
        "{\"business_discovery\": {\"id\": \"1784107\", \"username\": \"socialverket\",\n"
        "  \"followers_count\": 5200, \"media\": {\"data\": [\n"
        "   {\"id\": \"1788510\", \"caption\": \"Ny rapport\", \"comments_count\": 11,\n"
        "    \"like_count\": 87, \"media_type\": \"IMAGE\", \"timestamp\": "
        "\"2024-08-17T19:00:42+0000\"},\n"
        "   {\"id\": \"1788511\", \"media_type\": \"VIDEO\"}]}},\n"
        " \"id\": \"1784106\"}";
    assert_int_equal(ingest_detect(json, strlen(json), NULL), INGEST_INSTAGRAM);
    struct got *g = parse_text(INGEST_INSTAGRAM, json, strlen(json), 0);
    assert_int_equal(g->n, 3);
    assert_int_equal(g->r[0].kind, REC_CHANNEL_METRICS);
    assert_int_equal(g->r[0].followers, 5200);
    assert_true(g->r[0].peer);
    const struct rec *p = find(g, REC_POST, "1788510");
    assert_string_equal(p->account_id, "1784107");
    assert_true(p->peer);
    assert_int_equal(p->metrics[PM_REACTIONS], 87);
    assert_int_equal(g->r[2].kind, REC_REJECT);
    assert_string_equal(g->r[2].where, "$.business_discovery.media.data[1]");
    free(g);

    int64_t ws;
    struct db *db = fresh(&ws);
    struct ingest_target tg = {.workspace_id = ws, .create_channels = true};
    struct ingest_counts c;
    import_text(db, &tg, "peer.json", json, &c);
    assert_int_equal(c.inserted[IE_POSTS], 1);
    assert_int_equal(c.inserted[IE_CHANNEL_METRICS], 1);
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM channels WHERE platform_id = '1784107' AND "
                              "handle = 'socialverket' AND is_peer = 1"),
                     1);
    db_close(db);
}

static void test_import_x_own_posts_and_mentions(void **state)
{
    needs_shared_data();
    int64_t ws;
    struct db *db = fresh(&ws);
    struct ingest_target tg = {.workspace_id = ws,
                               .channel_id =
                                   add_channel(db, ws, "x", "TwitterDev", "Twitter Dev", NULL)};
    /* The mentions timeline names no authors; each tweet names @TwitterDev. */
    struct ingest_counts c;
    import_file(db, &tg, DATA "x/api-v2_timeline_timeline_mentions.json", &c);
    assert_int_equal(c.inserted[IE_MESSAGES], 5);
    assert_int_equal(c.inserted[IE_POSTS], 0);
    /* The search answer names its authors: none is @TwitterDev. */
    import_file(db, &tg, DATA "x/api-v2_searches_search_tweets_query.json", &c);
    assert_int_equal(c.inserted[IE_MESSAGES], 4);
    /* Retweets in a search are counted, not put in the inbox. */
    import_file(db, &tg, DATA "x/api-v2_searches_search_tweets_for_nyc.json", &c);
    assert_int_equal(c.shares_skipped, 7);
    assert_int_equal(c.inserted[IE_MESSAGES] + c.inserted[IE_POSTS], 3);
    /* Of the two looked-up tweets, one is @TwitterDev's own. */
    import_file(db, &tg, DATA "x/api-v2_tweet_tweets_resp.json", &c);
    assert_int_equal(c.inserted[IE_POSTS], 1);
    assert_int_equal(c.inserted[IE_MESSAGES], 1);
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM post_variants WHERE platform_id = "
                              "'1261326399320715264'"),
                     1);
    db_close(db);
}

/* An account's replies to others are its answers (messages that answer the
 * inbox), its replies to itself continue a thread (posts). X API v2, with
 * the mention answered imported after the answer, then the X archive and
 * Mastodon, which say whom a status replies to their own way. */
static const char x_own_replies[] =
    "{\"data\": [\n"
    " {\"id\": \"10\", \"author_id\": \"777\", \"text\": \"Ny rapport om pensionerna\",\n"
    "  \"created_at\": \"2024-03-01T09:00:00.000Z\"},\n"
    " {\"id\": \"11\", \"author_id\": \"777\", \"text\": \"2/2 L\\u00e4s mer p\\u00e5 webben\",\n"
    "  \"created_at\": \"2024-03-01T09:01:00.000Z\", \"in_reply_to_user_id\": \"777\",\n"
    "  \"referenced_tweets\": [{\"type\": \"replied_to\", \"id\": \"10\"}]},\n"
    " {\"id\": \"12\", \"author_id\": \"777\", \"text\": \"@anna Den 25:e varje m\\u00e5nad.\",\n"
    "  \"created_at\": \"2024-03-01T10:30:00.000Z\", \"in_reply_to_user_id\": \"99\",\n"
    "  \"referenced_tweets\": [{\"type\": \"replied_to\", \"id\": \"50\"}]},\n"
    " {\"id\": \"13\", \"author_id\": \"777\", \"text\": \"@bo Tack!\",\n"
    "  \"created_at\": \"2024-03-01T11:00:00.000Z\",\n"
    "  \"referenced_tweets\": [{\"type\": \"replied_to\", \"id\": \"51\"}]}],\n"
    " \"includes\": {\"users\": [{\"id\": \"777\", \"username\": \"verket\", \"name\": "
    "\"Verket\"}],\n"
    "  \"tweets\": [{\"id\": \"51\", \"author_id\": \"98\", \"text\": \"@verket bra\"}]}}";
static const char x_mention[] =
    "{\"data\": [{\"id\": \"50\", \"author_id\": \"99\", \"text\": \"@verket N\\u00e4r betalas "
    "pensionen ut?\",\n"
    "  \"created_at\": \"2024-03-01T10:00:00.000Z\"}],\n"
    " \"includes\": {\"users\": [{\"id\": \"99\", \"username\": \"anna\"}]}}";

static void test_import_own_replies_answer(void **state)
{
    int64_t ws;
    struct db *db = fresh(&ws);
    int64_t chid = add_channel(db, ws, "x", "verket", "Verket", "777");
    struct ingest_target tg = {.workspace_id = ws, .channel_id = chid};
    struct ingest_counts c;
    import_text(db, &tg, "timeline.json", x_own_replies, &c);
    assert_int_equal(c.inserted[IE_POSTS], 2);    /* 10 and its thread's 11 */
    assert_int_equal(c.inserted[IE_MESSAGES], 2); /* 12 to @anna, 13 to @bo (by includes) */
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM messages WHERE is_own = 1 AND kind = 'reply' "
                              "AND platform_id IN ('12', '13') AND parent_id IS NULL"),
                     2);
    /* The mention answered comes later: joined, answered after 30 minutes. */
    import_text(db, &tg, "mentions.json", x_mention, &c);
    assert_int_equal(c.inserted[IE_MESSAGES], 1);
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM messages a JOIN messages q ON q.id = "
                              "a.parent_id WHERE a.platform_id = '12' AND q.platform_id = '50' AND "
                              "q.first_response_at - q.created_at = 1800"),
                     1);
    import_text(db, &tg, "timeline.json", x_own_replies, &c);
    assert_int_equal(c.unchanged[IE_POSTS] + c.unchanged[IE_MESSAGES], 4);
    assert_int_equal(c.inserted[IE_POSTS] + c.inserted[IE_MESSAGES] + c.updated[IE_MESSAGES], 0);

    /* The archive: replies name the account replied to by id and handle. */
    tg.channel_id = add_channel(db, ws, "x", "@arkivet", "Arkivet", NULL);
    const char *js =
        "window.YTD.tweets.part0 = [\n"
        " {\"tweet\": {\"id_str\": \"20\", \"full_text\": \"@anna Vi ringer dig\",\n"
        "  \"created_at\": \"Wed Oct 10 20:19:24 +0000 2018\", \"in_reply_to_status_id_str\": "
        "\"60\",\n"
        "  \"in_reply_to_user_id_str\": \"99\", \"in_reply_to_screen_name\": \"anna\"}},\n"
        " {\"tweet\": {\"id_str\": \"21\", \"full_text\": \"Och mer\",\n"
        "  \"created_at\": \"Wed Oct 10 20:20:24 +0000 2018\", \"in_reply_to_status_id_str\": "
        "\"19\",\n"
        "  \"in_reply_to_user_id_str\": \"55\", \"in_reply_to_screen_name\": \"Arkivet\"}}\n"
        "]";
    import_text(db, &tg, "tweets.js", js, &c);
    assert_int_equal(c.inserted[IE_POSTS], 1);
    assert_int_equal(c.inserted[IE_MESSAGES], 1);
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM messages WHERE platform_id = '20' AND "
                              "is_own = 1 AND reply_to = '60'"),
                     1);

    /* Mastodon: in_reply_to_account_id. */
    const char *toots =
        "[{\"id\": \"30\", \"created_at\": \"2024-03-02T10:00:00.000Z\", \"content\": "
        "\"<p>Svar</p>\",\n"
        "  \"in_reply_to_id\": \"70\", \"in_reply_to_account_id\": \"3\",\n"
        "  \"account\": {\"id\": \"1\", \"acct\": \"verket\"}},\n"
        " {\"id\": \"31\", \"created_at\": \"2024-03-02T10:01:00.000Z\", \"content\": "
        "\"<p>Tr\\u00e5d</p>\",\n"
        "  \"in_reply_to_id\": \"32\", \"in_reply_to_account_id\": \"1\",\n"
        "  \"account\": {\"id\": \"1\", \"acct\": \"verket\"}}]";
    tg.channel_id = add_channel(db, ws, "mastodon", "verket", "Verket", "1");
    import_text(db, &tg, "statuses.json", toots, &c);
    assert_int_equal(c.inserted[IE_POSTS], 1);
    assert_int_equal(c.inserted[IE_MESSAGES], 1);
    assert_int_equal(
        rows(db, "SELECT COUNT(*) FROM messages WHERE platform_id = '30' AND is_own = 1"), 1);
    db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_meta_graph_feed),
        cmocka_unit_test(test_meta_graph_comments),
        cmocka_unit_test(test_meta_graph_insights),
        cmocka_unit_test(test_meta_graph_page_and_live),
        cmocka_unit_test(test_meta_graph_by_ids),
        cmocka_unit_test(test_meta_graph_visitor_posts),
        cmocka_unit_test(test_meta_graph_list_edges),
        cmocka_unit_test(test_meta_webhook_comment),
        cmocka_unit_test(test_meta_webhook_status_changes),
        cmocka_unit_test(test_meta_webhook_ratings_mentions_instagram),
        cmocka_unit_test(test_meta_signature),
        cmocka_unit_test(test_instagram),
        cmocka_unit_test(test_x_api),
        cmocka_unit_test(test_x_archive),
        cmocka_unit_test(test_import_own_replies_answer),
        cmocka_unit_test(test_youtube),
        cmocka_unit_test(test_mastodon),
        cmocka_unit_test(test_csv_uci),
        cmocka_unit_test(test_csv_meta_business_suite_and_errors),
        cmocka_unit_test(test_ndjson),
        cmocka_unit_test(test_mojibake),
        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_import_idempotent_and_snapshots),
        cmocka_unit_test(test_import_all_or_nothing),
        cmocka_unit_test(test_import_beside_matches_in_turn),
        cmocka_unit_test(test_import_beside_csv),
        cmocka_unit_test(test_import_webhook_changes),
        cmocka_unit_test(test_import_x_own_posts_and_mentions),
        cmocka_unit_test(test_instagram_tagged_replies_stories),
        cmocka_unit_test(test_instagram_business_discovery),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
