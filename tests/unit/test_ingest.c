/* Unit tests for ingest/: every parser against the shared real-world samples
 * (counts and values read from the sample files by hand), hand-written
 * samples under tests/fixtures/ingest/ for the shapes the shared data lacks,
 * mojibake repair, format detection, and the importer's idempotence and
 * all-or-nothing files on an in-memory database. A parser case is one line:
 * check(FORMAT, FILE, expectations...), read by check_parse below. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared_data.h"
#include "ingest/ingest.h"

#define DATA SHARED_DATA
#define FIX  "tests/fixtures/ingest/"

/* ---- collecting records --------------------------------------------------------------- */

struct rec {
    enum ingest_kind kind;
    char where[128], post_id[128], msg_id[128], body[512], account_id[64], author[128];
    char parent[128], kindname[16], format[16], status[16], reason[300], platform[16];
    int64_t published_at, created_at, taken_at, followers, reach, impressions, skipped;
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
    r->skipped = in->skipped;
    memcpy(r->metrics, in->metrics, sizeof r->metrics);
    r->has_metrics = in->has_metrics;
    r->peer = in->account_is_peer;
    return 0;
}

/* A file's bytes (NUL-terminated). A shared sample that is missing skips
 * the test with one line saying why, unless CI is set: then it fails. */
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

static int64_t t(const char *iso)
{
    int64_t v = 0;
    assert_int_equal(time_parse_iso(iso, &v), 0);
    return v;
}

/* ---- checking what a parser read -------------------------------------------------------- */

static const char *const kind_names[] = {[REC_POST] = "post",
                                         [REC_POST_METRICS] = "post_metrics",
                                         [REC_POST_STATUS] = "post_status",
                                         [REC_MESSAGE] = "message",
                                         [REC_MESSAGE_STATUS] = "message_status",
                                         [REC_CHANNEL_METRICS] = "channel_metrics",
                                         [REC_REJECT] = "reject",
                                         [REC_SHARE] = "share",
                                         [REC_ACCOUNT] = "account",
                                         [REC_SKIP] = "skip"};

/* The kind named by the n bytes at s; -1 if none is. */
static int kind_named(const char *s, size_t n)
{
    for (size_t k = 0; k < ARRAY_LEN(kind_names); k++)
        if (strlen(kind_names[k]) == n && strncmp(kind_names[k], s, n) == 0)
            return (int)k;
    return -1;
}

/* Field `name` of r as text into out; *time set for the fields that are
 * instants (an expectation may give those in ISO 8601). */
static void field_text(const struct rec *r, const char *name, char *out, size_t size, bool *time)
{
    const struct {
        const char *name;
        const char *s;
        const int64_t *i;
        const bool *b;
        bool time;
    } fields[] = {
        {"kind", kind_names[r->kind], NULL, NULL, false},
        {"where", r->where, NULL, NULL, false},
        {"post_id", r->post_id, NULL, NULL, false},
        {"msg_id", r->msg_id, NULL, NULL, false},
        {"body", r->body, NULL, NULL, false},
        {"account_id", r->account_id, NULL, NULL, false},
        {"author", r->author, NULL, NULL, false},
        {"parent", r->parent, NULL, NULL, false},
        {"msg_kind", r->kindname, NULL, NULL, false},
        {"format", r->format, NULL, NULL, false},
        {"status", r->status, NULL, NULL, false},
        {"reason", r->reason, NULL, NULL, false},
        {"platform", r->platform, NULL, NULL, false},
        {"published_at", NULL, &r->published_at, NULL, true},
        {"created_at", NULL, &r->created_at, NULL, true},
        {"taken_at", NULL, &r->taken_at, NULL, true},
        {"followers", NULL, &r->followers, NULL, false},
        {"reach", NULL, &r->reach, NULL, false},
        {"impressions", NULL, &r->impressions, NULL, false},
        {"skipped", NULL, &r->skipped, NULL, false},
        {"has_metrics", NULL, NULL, &r->has_metrics, false},
        {"peer", NULL, NULL, &r->peer, false},
    };
    *time = false;
    if (str_starts_with(name, "m.")) {
        for (int i = 0; i < PM_COUNT; i++)
            if (str_eq(post_metric_names[i], name + 2)) {
                snprintf(out, size, "%lld", (long long)r->metrics[i]);
                return;
            }
        fail_msg("no metric '%s'", name + 2);
    }
    for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
        if (!str_eq(fields[i].name, name))
            continue;
        *time = fields[i].time;
        if (fields[i].s)
            snprintf(out, size, "%s", fields[i].s);
        else if (fields[i].i)
            snprintf(out, size, "%lld", (long long)*fields[i].i);
        else
            snprintf(out, size, "%s", *fields[i].b ? "true" : "false");
        return;
    }
    fail_msg("no field '%s'", name);
}

/* Whether got (a field's text) is what the expectation's operator and
 * value want: "=" equal, "^=" starts with, "~=" contains, ">=" at least. */
static bool holds(const char *got, const char *op, const char *want, bool time)
{
    char num[32], *end;
    strtoll(want, &end, 10);
    if (time && *end) {
        snprintf(num, sizeof num, "%lld", (long long)t(want));
        want = num;
    }
    if (str_eq(op, "^="))
        return str_starts_with(got, want);
    if (str_eq(op, "~="))
        return strstr(got, want) != NULL;
    if (str_eq(op, ">="))
        return strtoll(got, NULL, 10) >= strtoll(want, NULL, 10);
    return str_eq(got, want);
}

static bool id_is(const char *id, const char *sel, size_t sellen)
{
    return strlen(id) == sellen && strncmp(id, sel, sellen) == 0;
}

/* One expectation against what the parser read (file names the case in
 * failures). Forms, with OP one of = ^= ~= >=:
 *   n OP COUNT                  records in all
 *   KIND OP COUNT               records of a kind ("posts" is "post=")
 *   [I].FIELD OP VALUE          the I-th record's field
 *   KIND[ID].FIELD OP VALUE     the record of that kind with that post or message id
 *   KIND[*].FIELD OP VALUE      every record of that kind ("[*]" every record)
 *   [?].FIELD OP VALUE          at least one record
 * FIELD is a name of field_text's table, or m.METRIC for a post metric. */
static void expect_one(const struct got *g, const char *file, const char *e)
{
    size_t at = strcspn(e, "=^~>");
    if (!e[at])
        fail_msg("%s: '%s' has no operator", file, e);
    char op[3] = {e[at], e[at] == '=' ? '\0' : '=', '\0'};
    const char *want = e + at + strlen(op);
    char lhs[160];
    snprintf(lhs, sizeof lhs, "%.*s", (int)at, e);
    char got[600];
    const char *br = strchr(lhs, '[');
    if (!br) {
        int n = 0, k = kind_named(lhs, strlen(lhs));
        if (k < 0 && !str_eq(lhs, "n"))
            fail_msg("%s: '%s': no kind '%s'", file, e, lhs);
        for (int i = 0; i < g->n; i++)
            n += k < 0 || (int)g->r[i].kind == k;
        snprintf(got, sizeof got, "%d", n);
        if (!holds(got, op, want, false))
            fail_msg("%s: %s: there are %d", file, e, n);
        return;
    }
    const char *close = strchr(br, ']');
    if (!close || close[1] != '.')
        fail_msg("%s: '%s' is not KIND[ID].FIELD", file, e);
    const char *name = close + 2, *sel = br + 1;
    size_t sellen = (size_t)(close - sel);
    int k = kind_named(lhs, (size_t)(br - lhs));
    bool every = sellen == 1 && *sel == '*', some = sellen == 1 && *sel == '?';
    bool index = br == lhs && !every && !some;
    int matched = 0, held = 0;
    for (int i = 0; i < g->n; i++) {
        const struct rec *r = &g->r[i];
        if (index ? i != atoi(sel) : br != lhs && (int)r->kind != k)
            continue;
        if (!index && !every && !some && !id_is(r->post_id, sel, sellen) &&
            !id_is(r->msg_id, sel, sellen))
            continue;
        bool time;
        field_text(r, name, got, sizeof got, &time);
        matched++;
        if (holds(got, op, want, time))
            held++;
        else if (!some)
            fail_msg("%s: %s: record %d (%s) has '%s'", file, e, i, r->where, got);
        if (!every && !some)
            break;
    }
    if (!matched)
        fail_msg("%s: %s: no such record", file, e);
    if (some && !held)
        fail_msg("%s: %s: no record has it", file, e);
}

/* Parses the file at path as format f (taken_at 1700000000) and checks
 * each expectation that follows (see expect_one), up to a NULL; "rc=-1"
 * wants the parse to fail, "detect" wants ingest_detect (no file name) to
 * say f. */
static void check_parse(enum ingest_format f, const char *path, ...)
{
    size_t len;
    char *text = slurp(path, &len);
    int want_rc = 0;
    va_list ap;
    va_start(ap, path);
    for (const char *e; (e = va_arg(ap, const char *));)
        if (str_eq(e, "rc=-1"))
            want_rc = -1;
        else if (str_eq(e, "detect") && ingest_detect(text, len, NULL) != f)
            fail_msg("%s: detected as %s", path,
                     ingest_format_name(ingest_detect(text, len, NULL)));
    va_end(ap);
    struct got *g = parse_text(f, text, len, want_rc);
    va_start(ap, path);
    for (const char *e; (e = va_arg(ap, const char *));)
        if (!str_eq(e, "rc=-1") && !str_eq(e, "detect"))
            expect_one(g, path, e);
    va_end(ap);
    free(g);
    free(text);
}
#define check(f, path, ...) check_parse(f, path, __VA_ARGS__, (const char *)NULL)

/* ---- Meta Graph ------------------------------------------------------------------------ */

static void test_meta_graph_feed(void **state)
{
    check(INGEST_META_GRAPH, DATA "meta/graph/posts_feeds_default_fields_p1.json", "post=5",
          "post[19292868552_10158349356748553].account_id=19292868552",
          "post[19292868552_10158349356748553].format=photo",
          "post[19292868552_10158349356748553].published_at=2021-07-09T19:09:52Z",
          "post[19292868552_10158349356748553].has_metrics=true",
          "post[19292868552_10158349356748553].m.reactions=125",
          "post[19292868552_10158349356748553].m.comments=13",
          "post[19292868552_10158349356748553].m.shares=10",
          "post[19292868552_10158349356748553].m.reach=-1",
          "post[19292868552_10158349356748553].taken_at=1700000000",
          "post[19292868552_10158349356748553].body^=Singaporean logistics company Ninja Van");
    check(INGEST_META_GRAPH, DATA "meta/graph/posts_feed_fields_p1.json", "post=5",
          "post[4_10113477241177441].body=Happy July 4th! \xF0\x9F\x87\xBA\xF0\x9F\x87\xB8",
          "post[4_10113477241177441].has_metrics=false");
}

static void test_meta_graph_comments(void **state)
{
    /* The sixth is a reply: reply_comment_id in its permalink. */
    check(INGEST_META_GRAPH, DATA "meta/graph/comments_comments_p1.json", "n=10", "message=10",
          "[5].msg_id=10158407654328553_10158409983033553",
          "[5].parent=10158407654328553_10158407903973553", "[5].msg_kind=reply",
          "[5].post_id=19292868552_10158407654328553", "[0].msg_kind=comment",
          "[0].created_at=2021-08-10T18:45:03Z");
    check(INGEST_META_GRAPH, DATA "meta/graph/comments_comment_info.json", "n=1",
          "[0].msg_id=10158371815748553_10158371930463553", "[0].body=This is really nice");
}

static void test_meta_graph_insights(void **state)
{
    /* Hand-written in the shape of GET /{page}/insights and /{post}/insights:
     * dated page metrics merge into one snapshot per day, lifetime post
     * metrics into one per post. */
    check(INGEST_META_GRAPH, FIX "meta-graph/insights.json", "detect", "channel_metrics=2",
          "post_metrics=1", "[0].taken_at=2024-01-01T08:00:00Z", "[0].followers=100",
          "[0].impressions=900", "[1].followers=101", "[1].impressions=-1",
          "post_metrics[77_5].m.reach=55", "post_metrics[77_5].m.clicks=3",
          "post_metrics[77_5].account_id=77");
    /* The names after Meta's 2025-2026 changes: views for impressions,
     * unique viewers for reach, reactions by type summed. An alias never
     * overrides the figure's own name (here page_impressions over
     * page_media_view, in either order). */
    check(INGEST_META_GRAPH, FIX "meta-graph/insights-2025-names.json", "n=2",
          "post_metrics[77_6].m.impressions=800", "post_metrics[77_6].m.reach=610",
          "post_metrics[77_6].m.reactions=16", "channel_metrics=1",
          "channel_metrics[*].impressions=900");
    /* Instagram's album metrics had names of their own. */
    check(INGEST_INSTAGRAM, FIX "instagram/album-insights.json", "detect", "n=1",
          "[0].m.impressions=1513", "[0].m.reach=1180", "[0].m.saves=5");
}

static void test_meta_graph_page_and_live(void **state)
{
    check(INGEST_META_GRAPH, DATA "meta/graph/pages_single_fields_page.json", "n=1",
          "[0].kind=channel_metrics", "[0].account_id=20531316728", "[0].followers=214507731");
    check(INGEST_META_GRAPH, DATA "meta/graph/live_videos_live_videos_p1.json", "post=3",
          "post[10160659411121729].format=live",
          "post[10160659411121729].published_at=2021-04-23T14:57:11Z");
}

/* A list's paging link names its owner and edge: a comments list fetched
 * with few fields looks like posts, a page's photos do not name the page,
 * and /tagged holds others' posts. */
static void test_meta_graph_list_edges(void **state)
{
    check(INGEST_META_GRAPH, FIX "meta-graph/comments-by-paging-link.json", "detect", "n=1",
          "[0].kind=message", "[0].author=Anna");
    /* The same items in a feed are posts. */
    check(INGEST_META_GRAPH, FIX "meta-graph/feed-by-paging-link.json", "n=1", "[0].kind=post");
    /* A page's photos: ids without the page, which the link names. */
    check(INGEST_META_GRAPH, FIX "meta-graph/photos-by-paging-link.json", "n=1", "[0].format=photo",
          "[0].account_id=111", "[0].body=Bild fr\xC3\xA5n m\xC3\xA4ssan");
    /* /tagged: others' posts that tag the page are mentions of it. */
    check(INGEST_META_GRAPH, FIX "meta-graph/tagged.json", "n=1", "[0].kind=message",
          "[0].msg_kind=mention", "[0].account_id=111", "[0].msg_id=175_424");
}

/* A visitor's post on the page's feed is a message to the page, and the
 * page's comment on it an answer; never a channel for the visitor. */
static void test_meta_graph_visitor_posts(void **state)
{
    check(INGEST_META_GRAPH, FIX "meta-graph/visitor-posts.json", "n=3",
          "post[111_301].account_id=111", "message[111_302].msg_kind=mention",
          "message[111_302].account_id=111", "message[111_302].author=Anna",
          "message[111_302].created_at=2024-03-01T10:00:00Z", "message[302_1].parent=111_302",
          "message[302_1].msg_kind=reply", "message[302_1].account_id=111");
}

/* A page's Messenger conversations (with their messages) and one
 * conversation's /messages: direct messages; one without its time is
 * rejected by where it is, and a conversation listed without messages is
 * said to need them rather than read as a post. */
static void test_meta_graph_messenger(void **state)
{
    check(INGEST_META_GRAPH, FIX "meta-graph/conversations.json", "detect", "n=4", "message=3",
          "reject=1", "message[*].msg_kind=dm", "message[*].platform=facebook",
          "message[*].account_id=111", "message[m_AbC1xYz].author=Anna Virtanen",
          "message[m_AbC1xYz].body=Milloin kirjasto aukeaa lauantaina?",
          "message[m_AbC1xYz].created_at=2024-03-02T09:01:00Z",
          "message[m_AbC2xYz].author=Kaupunki", "message[m_DeF1uVw].author=Erik Lind",
          "[3].where=$.data[1].messages.data[1]", "[3].reason~=created_time");
    check(INGEST_META_GRAPH, FIX "meta-graph/conversation-messages.json", "detect", "n=1",
          "[0].kind=message", "[0].msg_kind=dm", "[0].msg_id=m_GhI1aBc",
          "[0].body=Thank you, that helped.");
    check(INGEST_META_GRAPH, FIX "meta-graph/conversations-without-messages.json", "n=1",
          "[0].kind=reject", "[0].reason~=holds no messages");
}

/* Graph's answer to ?ids=A,B is an object of objects keyed by id: posts,
 * comments or pages alike. */
static void test_meta_graph_by_ids(void **state)
{
    check(INGEST_META_GRAPH, FIX "meta-graph/ids-posts.json", "detect", "n=2",
          "post[111_201].account_id=111",
          "post[111_201].body=V\xC3\xA5rens f\xC3\xB6rsta nyhetsbrev",
          "post[111_201].where=$[\"111_201\"]", "post[111_202].m.shares=4");
    check(INGEST_META_GRAPH, FIX "meta-graph/ids-comments.json", "detect", "n=2",
          "message[201_9].created_at=2024-03-01T09:00:00Z", "[1].kind=reject",
          "[1].where=$[\"201_10\"]");
    check(INGEST_META_GRAPH, FIX "meta-graph/ids-pages.json", "channel_metrics=2",
          "[0].followers=1200", "[1].followers=80");
    /* An object that is none of these is an error for the whole file. */
    check(INGEST_META_GRAPH, FIX "meta-graph/ids-other.json", "rc=-1", "n=0");
}

/* A group's feed gives each post only its updated_time (its last activity),
 * and tools save such lists as a bare array of the items. */
static void test_meta_graph_group_feed(void **state)
{
    check(INGEST_META_GRAPH, FIX "meta-graph/group-feed.json", "detect", "n=4", "post=3",
          "post[1943857349229941_2244683112480695].published_at=2019-03-18T08:12:44Z",
          "post[1943857349229941_2244683112480695].account_id=1943857349229941",
          "post[1943857349229941_2244000000000000].body=", "[3].kind=reject",
          "[3].reason~='updated_time'");
    check(INGEST_META_GRAPH, FIX "meta-graph/group-feed-array.json", "detect", "post=2", "n=2",
          "[0].where=$[0]",
          "post[1943857349229941_2244134295868910].published_at=2019-03-17T19:01:02Z",
          "post[1943857349229941_2244134295868910].body=Dzi\xC4\x99kuj\xC4\x99 wszystkim za "
          "pomoc!");
}

/* ---- Meta webhooks --------------------------------------------------------------------- */

static void test_meta_webhook_comment(void **state)
{
    check(INGEST_META_WEBHOOK, DATA "meta/webhooks/feed-comment-add-25.json", "n=1",
          "[0].kind=message", "[0].msg_id=901097836652708_903438993085259",
          "[0].post_id=1234567890321_901097836652708", "[0].account_id=1234567890321",
          "[0].body=and the next one", "[0].author=Tester", "[0].msg_kind=comment",
          "[0].created_at=1449135003", "[0].where=$.entry[0].changes[0]");
}

static void test_meta_webhook_status_changes(void **state)
{
    check(INGEST_META_WEBHOOK, DATA "meta/webhooks/feed-comment-hide.json", "message_status=1",
          "message_status[900728623356296_900744590021366].status=hidden");
    check(INGEST_META_WEBHOOK, DATA "meta/webhooks/feed-comment-unhide.json", "message_status=1",
          "message_status[*].status=open");
    check(INGEST_META_WEBHOOK, DATA "meta/webhooks/feed-comment-remove-25.json", "n=1",
          "[0].status=removed", "[0].msg_id=905578656204626_905579239537901");
    check(INGEST_META_WEBHOOK, DATA "meta/webhooks/feed-post-remove-25.json", "n=1",
          "[0].kind=post_status", "[0].post_id=1234567890321_901097836652708");
    /* Reactions are not messages. */
    check(INGEST_META_WEBHOOK, DATA "meta/webhooks/feed-reaction-add.json", "n=0");
}

static void test_meta_webhook_ratings_mentions_instagram(void **state)
{
    check(INGEST_META_WEBHOOK, DATA "meta/webhooks/ratings-rating-add-25.json", "n=1",
          "[0].msg_kind=review", "[0].msg_id=904801129604590", "[0].body=Ja ziemlich coole Sache");
    check(INGEST_META_WEBHOOK, DATA "meta/webhooks/mention-comment-add.json", "n=1",
          "[0].msg_kind=mention", "[0].msg_id=7363534231324_3754798971271444");
    check(INGEST_META_WEBHOOK, DATA "instagram/webhook-wh-comments.json", "n=1",
          "[0].platform=instagram", "[0].msg_id=123456789", "[0].body=This is an example.",
          "[0].created_at=1519399307");
}

/* Changes of a page's settings (parking, payment_options) come without a
 * value, or with one kanal does not keep: skipped, not rejected. A feed
 * change that is not an object still is. */
static void test_meta_webhook_page_settings(void **state)
{
    check(INGEST_META_WEBHOOK, FIX "meta-webhook/page-settings.json", "detect", "n=2",
          "[0].kind=message", "[0].msg_id=7_8", "[1].kind=reject",
          "[1].where=$.entry[0].changes[4]");
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
    check(INGEST_INSTAGRAM, DATA "instagram/graph_users_medias_p1.json", "post=2",
          "post[17896622936197745].m.comments=6", "post[17896622936197745].m.reactions=2",
          "post[17896622936197745].format=photo",
          "post[17896622936197745].published_at=2021-08-13T08:02:40Z");
    /* The media comes from the paging link. */
    check(INGEST_INSTAGRAM, DATA "instagram/graph_medias_comments_p1.json", "message=2",
          "message[17858154961981086].post_id=17846368219941692");
    check(INGEST_INSTAGRAM, DATA "instagram/graph_medias_insights.json", "n=1",
          "[0].kind=post_metrics", "[0].post_id=17846368219941692", "[0].m.impressions=8",
          "[0].m.reach=5", "[0].m.saves=0");
    check(INGEST_INSTAGRAM, DATA "instagram/graph_users_user_insights.json", "channel_metrics=2",
          "[0].taken_at=2017-05-04T07:00:00Z", "[0].impressions=4", "[0].reach=3",
          "[0].account_id=17841400008460056");
    /* An account's media list names the account in its paging link. */
    check(INGEST_INSTAGRAM, DATA "instagram/graph_users_medias_p2.json", "post=2",
          "[*].account_id=17841406338772941");
    /* /tags with its paging link: others' media are mentions of the
     * account, their comments replies to them. */
    check(INGEST_INSTAGRAM, FIX "instagram/tags-others.json", "n=2",
          "message[903].msg_kind=mention", "message[903].account_id=1784",
          "message[903].author=anna", "message[904].parent=903", "message[904].account_id=1784");
    check(INGEST_INSTAGRAM, DATA "instagram/graph_medias_medias_fields.json", "post>=2",
          "post[17896129349106152].format=carousel");
}

/* ---- X ------------------------------------------------------------------------------- */

static void test_x_api(void **state)
{
    check(INGEST_X_API, DATA "x/api-v2_tweet_tweets_resp.json", "post=2",
          "post[1278347468690915330].account_id=783214", "post[1278347468690915330].author=Twitter",
          "post[1278347468690915330].published_at=2020-07-01T15:19:21Z");
    check(INGEST_X_API, DATA "x/api-v2_timeline_timeline_mentions.json",
          "post[1364398068313903104].has_metrics=true", "post[1364398068313903104].m.reactions=0");
    check(INGEST_X_API, DATA "x/api-v2_dm_events_events.json", "n=1", "[0].msg_kind=dm",
          "[0].body=Another photo https://t.co/J5KotyeIyd");
    /* Retweets are shares, counted and not stored: by referenced_tweets
     * (search), or by "RT @" where the answer has no expansions. */
    check(INGEST_X_API, DATA "x/api-v2_searches_search_tweets_for_nyc.json", "share=7", "post=3",
          "[0].kind=share", "[0].where=$.data[0]");
    check(INGEST_X_API, DATA "x/api-v2_tweet_tweet_quote_tweets_resp.json", "share=13", "post=2");
    /* Spaces and Lists are refused per row, named for what they are. */
    check(INGEST_X_API, FIX "x/api-spaces-lists.json", "reject=2",
          "[0].reason~=an X Space, not a tweet", "[1].reason~=an X List, not a tweet");
    /* Counts are refused with a reason, not imported as nothing. */
    check(INGEST_X_API, DATA "x/api-v2_tweet_tweets_counts_recent_resp.json", "rc=-1");
}

static void test_x_archive(void **state)
{
    /* The account's retweet is a share; a signed minute or offset is no
     * time (and no overflow). */
    check(INGEST_X_ARCHIVE, FIX "x/archive-tweets.js", "n=5", "[4].kind=share",
          "post[1050118621198921728].published_at=2018-10-10T20:19:24Z",
          "post[1050118621198921728].m.reactions=3", "post[1050118621198921728].m.shares=1",
          "[1].kind=reject", "[1].where=$[1].tweet", "[2].kind=reject", "[2].where=$[2].tweet",
          "[3].kind=reject");
    /* direct-messages.js: conversations of messageCreate events. */
    check(INGEST_X_ARCHIVE, FIX "x/archive-direct-messages.js", "detect", "n=2",
          "message[1186367287409815556].msg_kind=dm",
          "message[1186367287409815556].body=Hej, n\xC3\xA4r \xC3\xB6ppnar ni?",
          "message[1186367287409815556].created_at=2019-10-21T19:42:08Z",
          "message[1186367287409815556].where=$[0].dmConversation.messages[0].messageCreate",
          "[1].kind=reject", "[1].where=$[0].dmConversation.messages[2].messageCreate");
}

/* ---- YouTube, Mastodon ------------------------------------------------------------------ */

static void test_youtube(void **state)
{
    check(INGEST_YOUTUBE, DATA "youtube/comment_threads_comment_threads_by_video_paged_1.json",
          "message=5", "message[UgyZ1jqkHKYvi1-ruOZ4AaABAg].body=Google.com",
          "message[UgyZ1jqkHKYvi1-ruOZ4AaABAg].author=himani agarwal",
          "message[UgyZ1jqkHKYvi1-ruOZ4AaABAg].post_id=F1UP7wRCPH8",
          "message[UgyZ1jqkHKYvi1-ruOZ4AaABAg].created_at=2019-11-26T15:51:44Z");
    check(INGEST_YOUTUBE, DATA "youtube/comments_comments_by_parent_paged_1.json",
          "message[Ugw5zYU6n9pmIgAZWvN4AaABAg.91zT3cYb5B291za6voUoRh].msg_kind=reply",
          "message[Ugw5zYU6n9pmIgAZWvN4AaABAg.91zT3cYb5B291za6voUoRh].parent="
          "Ugw5zYU6n9pmIgAZWvN4AaABAg");
    check(INGEST_YOUTUBE, DATA "youtube/comment_threads_comment_threads_all_to_me.json",
          "message=4", "[0].account_id=UCa-vrCLQHviTOVnEKDOdetQ");
    /* videos.list with statistics: the channel's posts, counts as strings. */
    check(INGEST_YOUTUBE, FIX "youtube/videos.json", "n=3", "post[abcDEF12345].account_id=UCverket",
          "post[abcDEF12345].format=video",
          "post[abcDEF12345].body=S\xC3\xA5 s\xC3\xB6ker du\n\nSteg f\xC3\xB6r steg",
          "post[abcDEF12345].published_at=2024-02-01T12:00:00Z",
          "post[abcDEF12345].has_metrics=true", "post[abcDEF12345].m.video_views=1520",
          "post[abcDEF12345].m.reactions=33", "post[abcDEF12345].m.comments=4",
          "post[live0000001].format=live", "post[live0000001].has_metrics=false", "[2].kind=reject",
          "[2].where=$.items[2]");
    /* Without textOriginal (only the video's owner gets it), textDisplay's
     * HTML is made text; textOriginal is kept as written (an "&amp;" typed
     * is text). Neither keeps the U+FEFF YouTube leaves at the end. */
    check(INGEST_YOUTUBE, FIX "youtube/threads-html.json", "n=2",
          "message[UgzHtml1].body=Tack & h\xC3\xA4lsningar!\n\nL\xC3\xA4s 0:42 \"igen\" <3 'bra' "
          "\xF0\x9F\x98\x80",
          "message[UgzOrig2].body=Fisk &amp; chips");
}

static void test_tiktok(void **state)
{
    /* Three videos read, two rejected by path and field; the follower list
     * is a count; comments and the other sections are counted, not read. */
    check(INGEST_TIKTOK, FIX "tiktok/user_data_tiktok.json", "detect", "post=3", "reject=2",
          "channel_metrics=1", "[?].account_id=helsinginkaupunki",
          "post[posted-2024-03-01T09:15:00Z].published_at=2024-03-01T09:15:00Z",
          "post[posted-2024-03-01T09:15:00Z].m.reactions=1234",
          "post[posted-2024-03-01T09:15:00Z].has_metrics=true",
          "post[posted-2024-03-01T09:15:00Z].taken_at=1700000000",
          "post[posted-2024-03-01T09:15:00Z].format=video",
          "post[posted-2024-03-01T09:15:00Z].body=Kev\xC3\xA4t tulee Senaatintorille! #helsinki "
          "#kev\xC3\xA4t",
          "post[posted-2024-03-01T09:15:00Z].platform=tiktok",
          "post[7342123456789012345].m.reactions=87",
          "post[7342123456789012345].published_at=2024-03-04T15:40:21Z",
          /* "N/A" is not reported, not zero: no snapshot at all. */
          "post[posted-2024-03-06T12:00:00Z].format=carousel",
          "post[posted-2024-03-06T12:00:00Z].has_metrics=false",
          "post[posted-2024-03-06T12:00:00Z].m.reactions=-1",
          "reject[?].where=$.Video.Videos.VideoList[3]", "[?].reason~='Date'",
          "reject[?].where=$.Video.Videos.VideoList[4]", "[?].reason~='Likes'",
          "channel_metrics[*].followers=3", "channel_metrics[*].taken_at=1700000000",
          "[?].where=$.Comment.Comments.CommentsList", "skip[?].skipped=2",
          "[?].where=$.Direct Messages", "[?].where=$.Activity");
    /* Activity holds 3 followers (read) and 5 other entries (not read). */
    struct got *g;
    size_t len;
    char *text = slurp(FIX "tiktok/user_data_tiktok.json", &len);
    g = parse_text(INGEST_TIKTOK, text, len, 0);
    int64_t activity = -1;
    for (int i = 0; i < g->n; i++)
        if (g->r[i].kind == REC_SKIP && str_eq(g->r[i].where, "$.Activity"))
            activity = g->r[i].skipped;
    assert_int_equal(activity, 5);
    free(g);
    free(text);
    /* Not a download at all: one clear error, nothing read. */
    const char bad[] = "{\"Video\": {\"Videos\": {\"VideoList\": {}}}}";
    g = parse_text(INGEST_TIKTOK, bad, sizeof bad - 1, -1);
    assert_int_equal(g->n, 0);
    free(g);
}

static void test_tiktok_counts(void **state)
{
    (void)state;
    /* Likes as the download writes them: digits, grouped with commas; a
     * space, a leading comma or a letter makes the video a reject. */
    static const struct {
        const char *likes;
        int64_t want; /* -1: rejected */
    } cases[] = {{"1,234", 1234}, {"87", 87},  {"1,000,000", 1000000},
                 {"1 234", -1},   {",12", -1}, {"12a", -1}};
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char doc[256];
        snprintf(doc, sizeof doc,
                 "{\"Video\": {\"Videos\": {\"VideoList\": [{\"Date\": \"2024-03-04 15:40:21\", "
                 "\"Link\": \"https://www.tiktokv.com/share/video/7342123456789012345/\", "
                 "\"Likes\": \"%s\"}]}}}",
                 cases[i].likes);
        struct got *g = parse_text(INGEST_TIKTOK, doc, strlen(doc), 0);
        assert_int_equal(g->n, 1);
        if (cases[i].want < 0) {
            assert_int_equal(g->r[0].kind, REC_REJECT);
        } else {
            assert_int_equal(g->r[0].kind, REC_POST);
            assert_int_equal(g->r[0].metrics[PM_REACTIONS], cases[i].want);
        }
        free(g);
    }
}

static void test_tiktok_api(void **state)
{
    /* Display API videos: posts with all four counts; ids, times and counts
     * that are not TikTok's are rejects; the share URL without tracking. */
    check(INGEST_TIKTOK_API, FIX "tiktok/api_video_list.json", "post=3", "reject=2",
          "post[7342123456789012345].published_at=2024-03-04T15:40:21Z",
          "post[7342123456789012345].body=Kev\xC3\xA4t tulee Senaatintorille! #helsinki",
          "post[7342123456789012345].m.reactions=87", "post[7342123456789012345].m.comments=4",
          "post[7342123456789012345].m.shares=2", "post[7342123456789012345].m.video_views=1530",
          "post[7342123456789012345].taken_at=1700000000", "post[*].platform=tiktok",
          "post[7342000000000000004].has_metrics=false", "[?].reason~='id'",
          "[?].reason~='create_time'");
    check(INGEST_TIKTOK_API, FIX "tiktok/api_user_info.json", "n=1",
          "channel_metrics[*].followers=48210", "[0].account_id=helsinginkaupunki");
    /* An error answer is refused whole, with TikTok's code and words. */
    size_t len;
    char *text = slurp(FIX "tiktok/api_error.json", &len);
    struct got *g = parse_text(INGEST_TIKTOK_API, text, len, -1);
    assert_int_equal(g->n, 0);
    free(g);
    free(text);
}

static void test_threads(void **state)
{
    check(INGEST_THREADS, FIX "threads/threads.json", "post=2", "share=1", "reject=1",
          "post[18050206876707110].format=status",
          "post[18050206876707110].published_at=2024-03-02T09:15:00Z",
          "post[18050206876707110].account_id=17841400000000001",
          "post[18050206876707110].body=\xC3\x96ppet hus p\xC3\xA5 l\xC3\xB6rdag kl. "
          "10\xE2\x80\x93"
          "14.",
          "post[18050206876707111].format=photo", "post[*].platform=threads");
    /* Replies: under the thread, a reply to a reply keeps its parent; a
     * hidden one has its status; one that names no thread is a reject. */
    check(INGEST_THREADS, FIX "threads/conversation.json", "message=3", "message_status=1",
          "reject=1", "message[18060000000000001].msg_kind=comment",
          "message[18060000000000001].post_id=18050206876707110",
          "message[18060000000000002].msg_kind=reply",
          "message[18060000000000002].parent=18060000000000001",
          "message_status[18060000000000003].status=hidden");
    /* Insights: one snapshot (quotes are shares too); followers a figure. */
    check(INGEST_THREADS, FIX "threads/insights.json", "n=1",
          "post_metrics[18050206876707110].m.impressions=1530",
          "post_metrics[18050206876707110].m.reactions=87",
          "post_metrics[18050206876707110].m.comments=3",
          "post_metrics[18050206876707110].m.shares=7");
    check(INGEST_THREADS, FIX "threads/user_insights.json", "n=1",
          "channel_metrics[*].followers=2045", "[0].account_id=17841400000000001");
}

static void test_tiktok_csv(void **state)
{
    /* Content: a post a row with its figures; an empty cell is not reported;
     * rounded numbers, links without a video and other times are rejects. */
    check(INGEST_TIKTOK_CSV, FIX "tiktok/content.csv", "detect", "post=3", "reject=3",
          "post[7341000000000000001].account_id=helsinginkaupunki",
          "post[7341000000000000001].published_at=2024-03-01T11:15:00Z",
          "post[7341000000000000001].m.reactions=1234", "post[7341000000000000001].m.comments=56",
          "post[7341000000000000001].m.shares=12", "post[7341000000000000001].m.video_views=18400",
          "post[7341000000000000001].m.reach=-1", "post[7341000000000000001].taken_at=1700000000",
          "post[7341000000000000001].body=Kev\xC3\xA4t tulee Senaatintorille! #helsinki "
          "#kev\xC3\xA4t",
          "post[7342123456789012345].m.shares=-1", "post[7342123456789012345].m.reactions=87",
          "post[7343000000000000002].body=Kysymyksi\xC3\xA4, vastauksia\nosa 2",
          "reject[?].where=line 6", "[?].reason~='Total likes' is not a count",
          "reject[?].where=line 7", "[?].reason~='Video link' is not a video's link",
          "reject[?].where=line 8", "[?].reason~='Post time' is not a time");
    /* Overview: Video Views is the day's impressions, at the day's end; the
     * year is the one before the export (taken_at, 2023-11-14). */
    check(INGEST_TIKTOK_CSV, FIX "tiktok/overview.csv", "detect", "channel_metrics=4", "reject=1",
          "[0].impressions=1441", "[0].taken_at=2022-12-31T00:00:00Z", "[0].followers=-1",
          "[2].impressions=0", "[2].taken_at=2023-01-02T00:00:00Z", "[3].impressions=9902",
          "[4].where=line 6", "[4].reason~='Date' is not a day", "[5].kind=skip", "[5].skipped=4");
    /* Followers: "undefined" is no count at all, not a zero. */
    check(INGEST_TIKTOK_CSV, FIX "tiktok/followers.csv", "detect", "channel_metrics=3", "reject=1",
          "[0].followers=10", "[0].taken_at=2023-01-01T00:00:00Z", "[2].followers=9",
          "[3].where=line 6", "[3].reason~='Followers' is not a count");
    /* Another CSV is not TikTok's: a clear error naming the columns. */
    const char other[] = "Post ID,Publish time\n1,2024-01-01\n";
    assert_int_not_equal(ingest_detect(other, sizeof other - 1, NULL), INGEST_TIKTOK_CSV);
    struct got *g = parse_text(INGEST_TIKTOK_CSV, other, sizeof other - 1, -1);
    assert_int_equal(g->n, 0);
    free(g);
}

static void test_linkedin_xls(void **state)
{
    /* All posts: the note above the header is skipped; counts as numbers
     * or as "1,234"; a date cell or "MM/DD/YYYY" text; rates not kept. */
    check(INGEST_LINKEDIN_XLS, FIX "linkedin/content.xls", "detect", "post=3", "reject=4",
          "channel_metrics=3", "post[*].platform=linkedin",
          "post[urn:li:activity:7169000000000000001].published_at=2024-03-01T00:00:00Z",
          "post[urn:li:activity:7169000000000000001].body=Kaupunki avaa uuden palvelupisteen "
          "Kallioon.\nTervetuloa!",
          "post[urn:li:activity:7169000000000000001].m.impressions=4520",
          "post[urn:li:activity:7169000000000000001].m.clicks=231",
          "post[urn:li:activity:7169000000000000001].m.reactions=87",
          "post[urn:li:activity:7169000000000000001].m.comments=6",
          "post[urn:li:activity:7169000000000000001].m.shares=12",
          "post[urn:li:activity:7169000000000000001].format=status",
          "post[urn:li:activity:7169000000000000001].taken_at=1700000000",
          "post[urn:li:activity:7170000000000000002].published_at=2024-03-05T00:00:00Z",
          "post[urn:li:activity:7170000000000000002].m.impressions=1234",
          "post[urn:li:activity:7170000000000000002].m.shares=-1",
          "post[urn:li:ugcPost:7171000000000000003].m.video_views=980",
          "post[urn:li:ugcPost:7171000000000000003].format=video",
          "reject[?].where=sheet 'All posts', row 6", "[?].reason~='Created date' is not a date",
          "reject[?].where=sheet 'All posts', row 7", "[?].reason~='Impressions' is not a count",
          "reject[?].where=sheet 'All posts', row 8", "[?].reason~='Post link' is not a post",
          "reject[?].where=sheet 'Metrics', row 5", "[?].reason~='Date' is not a date",
          "channel_metrics[?].impressions=4300", "channel_metrics[?].reach=2100",
          "channel_metrics[?].taken_at=2024-03-02T00:00:00Z");
    /* The followers export gives daily gains and demographics: counted,
     * not read. */
    check(INGEST_LINKEDIN_XLS, FIX "linkedin/followers.xls", "detect", "n=3", "skip=3",
          "[0].where=sheet 'New followers'", "[0].skipped=3", "[1].skipped=2");
    /* Not a workbook: one clear error. */
    const char junk[] = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 not really";
    struct got *g = parse_text(INGEST_LINKEDIN_XLS, junk, sizeof junk - 1, -1);
    assert_int_equal(g->n, 0);
    free(g);
    /* A workbook that makes libfreexl 1.0.6 overrun a stack buffer (found by
     * fuzzing): read in a child process, it is an unreadable file, and this
     * process goes on. */
    size_t len;
    char *text = slurp(FIX "linkedin/libfreexl-overflow.xls", &len);
    g = parse_text(INGEST_LINKEDIN_XLS, text, len, -1);
    assert_int_equal(g->n, 0);
    free(g);
    free(text);
    /* A sheet that declares 3,657,433,088 rows (found by fuzzing; asking
     * for each cell took 16 s under the sanitizers) is refused at once, by
     * what an Excel 97-2003 sheet can hold. */
    text = slurp(FIX "linkedin/huge-dimensions.xls", &len);
    struct ingest_opts o = {.taken_at = 1700000000};
    struct error err = {0};
    g = calloc(1, sizeof *g);
    assert_int_equal(ingest_parse(INGEST_LINKEDIN_XLS, text, len, &o, collect, g, &err), -1);
    assert_non_null(strstr(err.msg, "sheet 'All posts' declares 3657433088 rows of 0 columns: "
                                    "more than an Excel 97-2003 sheet has"));
    assert_int_equal(g->n, 0);
    free(g);
    free(text);
    /* Every format has a name that reads back as it. */
    for (int f = 0; f < INGEST_FORMAT_COUNT; f++)
        assert_int_equal(ingest_format_parse(ingest_format_name((enum ingest_format)f)), f);
}

static void test_mastodon(void **state)
{
    /* The third is a boost. */
    check(INGEST_MASTODON, FIX "mastodon/statuses.json", "n=3", "[2].kind=share",
          "post[109].body=Ny rapport & data\n\nL\xC3\xA4s mer", "post[109].format=photo",
          "post[109].m.reactions=7", "post[109].m.shares=5", "post[109].m.comments=2",
          "[1].kind=reject");
    /* Notifications: a mention brings its status; favourites and the like
     * are not messages. One status alone is a Mastodon answer too. */
    check(INGEST_MASTODON, FIX "mastodon/notifications.json", "detect", "n=2",
          "post[120].where=$[0].status", "post[120].body=@verket hj\xC3\xA4lp",
          "post[120].author=", "[1].kind=reject", "[1].where=$[2]");
    check(INGEST_MASTODON, FIX "mastodon/status.json", "detect", "n=1", "post[130].body=Hej");
    /* The account itself (verify_credentials): its follower count. */
    check(INGEST_MASTODON, FIX "mastodon/account.json", "detect", "n=1", "[0].kind=channel_metrics",
          "[0].account_id=110528637375951012", "[0].followers=1520");
    /* A list of accounts is other people (followers): not the channel's. */
    static const char list[] = "[{\"id\": \"1\", \"username\": \"a\", \"acct\": \"a\", "
                               "\"followers_count\": 5}]";
    struct got *g = parse_text(INGEST_MASTODON, list, sizeof list - 1, 0);
    assert_int_equal(g->n, 1);
    assert_int_equal(g->r[0].kind, REC_REJECT);
    free(g);
}

/* ---- CSV, NDJSON ------------------------------------------------------------------------- */

static void test_csv_uci(void **state)
{
    /* First data row: Photo, month 12, weekday 4, hour 3, reach 2752,
     * impressions 5091, comment 4, like 79, share 17. The file has no day of
     * the month: the post goes on the first Wednesday (weekday 4, counting
     * from Sunday as 1) of December 2014, the 3rd, since the 1st was a
     * Monday; the last row, January's weekday 4, on January 1st, a Wednesday.
     * Parsed alone, without a workspace, the hour is UTC. Empty cells are
     * "not reported", not zero. */
    check(INGEST_CSV, DATA "metrics/uci-facebook-metrics.csv", "post=500", "reject=0",
          "[0].post_id=row-1", "[0].where=line 2", "[0].format=photo",
          "[0].published_at=2014-12-03T03:00:00Z", "[499].published_at=2014-01-01T04:00:00Z",
          "[0].m.reach=2752", "[0].m.impressions=5091", "[0].m.comments=4", "[0].m.reactions=79",
          "[0].m.shares=17", "[?].m.shares=-1");
}

static void test_csv_meta_business_suite_and_errors(void **state)
{
    /* The second row's quoted newline counts in where the third is. */
    check(INGEST_CSV, FIX "csv/meta-business-suite.csv", "n=4",
          "post[111_222].body=Hej, \"alla\"\nrad tv\xC3\xA5", "post[111_222].m.reach=1234",
          "post[111_222].published_at=2023-09-29T10:00:00Z", "post[111_222].account_id=111",
          "[1].kind=reject", "[1].where=line 4", "[1].reason=column 'Reach' is not a number: 'n/a'",
          "[2].kind=reject", "[3].kind=reject");
    /* Since 2025 Meta exports Views where it exported Impressions. */
    check(INGEST_CSV, FIX "csv/meta-views.csv", "n=1", "[0].m.impressions=4321",
          "[0].platform=facebook");
    /* An Instagram account's export: its own post types and metric names. */
    check(INGEST_CSV, FIX "csv/meta-instagram.csv", "n=3", "post[1801].platform=instagram",
          "post[1801].account_id=1784", "post[1801].format=carousel",
          "post[1801].m.impressions=900", "post[1801].m.reach=700", "post[1801].m.reactions=41",
          "post[1801].m.saves=8", "post[1802].format=reel", "post[1802].has_metrics=false",
          "[2].kind=reject",
          "[2].reason=column 'Post type': 'IG hologram' is not a format the mapping knows");
    /* A mapping's "A | B": the first of the columns the file has, named in
     * messages as the file names it. */
    struct error merr = {0};
    const char *alt = "id = Id\npublished_at = Date | When\nreach = Reach | Räckvidd\nzone = UTC\n";
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
    check(INGEST_CSV, FIX "csv/unknown-header.csv", "rc=-1");
    struct error err = {0};
    assert_null(csv_mapping_parse("id = x\nbogus = y\n", 18, &err));
    assert_non_null(strstr(err.msg, "line 2"));
}

/* Meta Business Suite counts every click on a post in Total clicks; CTR
 * wants the clicks on its link. A post with no link clicks reported has
 * none, whatever its other clicks. Its times are local: parsed alone, UTC. */
static void test_csv_link_clicks_and_zones(void **state)
{
    check(INGEST_CSV, FIX "csv/meta-clicks.csv", "n=2", "post[111_301].m.clicks=12",
          "post[111_302].m.clicks=-1", "post[111_301].published_at=2023-09-29T10:00:00Z");
    /* A mapping says the zone of its times: an IANA name, UTC, or the
     * workspace's; times with an offset are instants whatever it says. */
    struct error err = {0};
    assert_null(csv_mapping_parse("id = a\npublished_at = b\n", 25, &err));
    assert_non_null(strstr(err.msg, "needs 'zone'"));
    assert_null(csv_mapping_parse("id = a\npublished_at = b\nzone = Mars/Base\n", 42, &err));
    assert_non_null(strstr(err.msg, "line 3: zone 'Mars/Base'"));
    const char *map = "id = id\npublished_at = at\nzone = Europe/Helsinki\n";
    struct csv_mapping *m = csv_mapping_parse(map, strlen(map), &err);
    assert_non_null(m);
    const char *csv = "id,at\n1,2024-06-01T12:00:00\n2,2024-06-01T12:00:00Z\n3,06/01/2024 "
                      "12:00\n4,2024-01-10 12:00:00\n";
    struct ingest_opts o = {.taken_at = 1700000000, .mapping = m};
    struct got *g = calloc(1, sizeof *g);
    assert_int_equal(ingest_parse(INGEST_CSV, csv, strlen(csv), &o, collect, g, &err), 0);
    assert_int_equal(g->n, 4);
    assert_int_equal(g->r[0].published_at, t("2024-06-01T09:00:00Z")); /* EEST, +3 */
    assert_int_equal(g->r[1].published_at, t("2024-06-01T12:00:00Z"));
    assert_int_equal(g->r[2].published_at, t("2024-06-01T09:00:00Z"));
    assert_int_equal(g->r[3].published_at, t("2024-01-10T10:00:00Z")); /* EET, +2 */
    free(g);
    csv_mapping_free(m);
}

static void test_ndjson(void **state)
{
    check(INGEST_NDJSON, FIX "ndjson/mixed.ndjson", "n=6", "[0].kind=post", "[0].m.reach=10",
          "[0].m.shares=-1", "[1].kind=message", "[2].where=line 4", "[2].kind=reject",
          "[3].where=line 5", "[3].reason~=published_at", "[4].kind=reject",
          "[5].kind=channel_metrics", "[5].followers=100", "[5].taken_at=2024-01-03");
}

/* NDJSON lines are read by a fast reader where they are plain, by jansson
 * otherwise: both must give the same records. Each line is read as it is
 * and with an array member in front, which the fast reader leaves to
 * jansson and line() ignores. */
static void test_ndjson_two_readers(void **state)
{
    static const char *const lines[] = {
        "{\"type\":\"post\",\"platform\":\"x\",\"account_id\":9,\"id\":\"p1\",\"body\":\"Hej "
        "d\xC3\x83\xC2\xA4r\",\"published_at\":\"2024-01-02T03:04:05Z\",\"metrics\":{\"reach\":10,"
        "\"shares\":null,\"reach\":11}}",
        " { \"type\" : \"post\" , \"id\" : \"p2\" , \"published_at\" : 1700000000 , \"metrics\" : "
        "{ } , \"format\" : \"video\" } ",
        "{\"type\":\"post\",\"id\":\"p3\",\"published_at\":-5}",
        "{\"type\":\"post\",\"id\":\"p4\",\"published_at\":1,\"metrics\":{\"reach\":-1}}",
        "{\"type\":\"post\",\"id\":\"p5\",\"published_at\":1,\"metrics\":7}",
        "{\"type\":\"post\",\"id\":\"p6\",\"published_at\":1,\"metrics\":{\"reach\":{\"a\":1}}}",
        "{\"type\":\"post\",\"id\":\"p7\",\"published_at\":1,\"metrics\":{\"reach\":\"5\"}}",
        "{\"type\":\"post\",\"id\":\"p8\",\"published_at\":1,\"taken_at\":null}",
        "{\"type\":\"post\",\"id\":\"p9\",\"published_at\":1,\"taken_at\":\"soon\"}",
        "{\"type\":\"post\",\"id\":\"p10\",\"published_at\":1,\"taken_at\":1700000001,"
        "\"type\":\"metrics\",\"post_id\":-0,\"impressions\":123456789012345678}",
        "{\"type\":\"metrics\",\"post_id\":\"p1\",\"reach\":-3}",
        "{\"type\":\"metrics\",\"post_id\":\"p1\",\"reach\":true}",
        "{\"type\":\"message\",\"id\":\"m1\",\"post_id\":\"p1\",\"created_at\":1700000000,"
        "\"is_own\":true,\"author_name\":\"\xC3\xA5sa\",\"kind\":\"reply\",\"parent_id\":7}",
        "{\"type\":\"message\",\"id\":\"m2\",\"created_at\":1,\"is_own\":\"true\"}",
        "{\"type\":\"message\",\"id\":\"m3\",\"created_at\":false}",
        "{\"type\":\"channel_metrics\",\"account_id\":\"9\",\"followers\":100,\"reach\":null,"
        "\"taken_at\":\"2024-01-03\"}",
        "{\"type\":\"channel_metrics\",\"followers\":-1}",
        "{\"type\":5}",
        "{\"type\":\"story\"}",
        "{}",
        "{\"id\":\"p11\"}",
    };
    for (size_t i = 0; i < ARRAY_LEN(lines); i++) {
        char forced[1024];
        snprintf(forced, sizeof forced, "{\"x\":[1],%s", strchr(lines[i], '{') + 1);
        if (strstr(forced, "[1],}") || strstr(forced, "[1], }")) /* "{}": no member to follow */
            snprintf(forced, sizeof forced, "{\"x\":[1]}");
        struct got *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
        struct ingest_opts o = {.taken_at = 1600000000};
        struct error err = {0};
        assert_int_equal(
            ingest_parse(INGEST_NDJSON, lines[i], strlen(lines[i]), &o, collect, a, &err), 0);
        assert_int_equal(ingest_parse(INGEST_NDJSON, forced, strlen(forced), &o, collect, b, &err),
                         0);
        if (a->n != 1 || b->n != 1 || memcmp(&a->r[0], &b->r[0], sizeof a->r[0]) != 0)
            fail_msg("line %zu read differently: %s (%s) and %s (%s)", i, lines[i],
                     a->n ? a->r[0].reason : "-", forced, b->n ? b->r[0].reason : "-");
        free(a);
        free(b);
    }
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
    check(INGEST_META_GRAPH, FIX "meta-graph/mojibake.json", "[0].body=Tack f\xC3\xB6r i dag");
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
        ingest_import(
            &(struct import_job){
                .db = db, .target = tg, .format = INGEST_AUTO, .filename = "f", .opts = o},
            text, len, &c, &err),
        0);
    assert_int_equal(c.inserted[IE_POSTS], 5);
    assert_int_equal(c.inserted[IE_METRICS], 5);
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM channels WHERE platform_id = '19292868552'"),
                     1);
    struct ingest_counts c2 = {0};
    assert_int_equal(
        ingest_import(
            &(struct import_job){
                .db = db, .target = tg, .format = INGEST_AUTO, .filename = "f", .opts = o},
            text, len, &c2, &err),
        0);
    assert_int_equal(c2.unchanged[IE_POSTS], 5);
    assert_int_equal(c2.unchanged[IE_METRICS], 5);
    assert_int_equal(c2.inserted[IE_POSTS] + c2.updated[IE_POSTS], 0);
    /* A later reading: new snapshots, same posts. */
    o.taken_at = 2000;
    struct ingest_counts c3 = {0};
    assert_int_equal(
        ingest_import(
            &(struct import_job){
                .db = db, .target = tg, .format = INGEST_AUTO, .filename = "f", .opts = o},
            text, len, &c3, &err),
        0);
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
    assert_int_equal(ingest_import(&(struct import_job){.db = db,
                                                        .target = tg,
                                                        .format = INGEST_NDJSON,
                                                        .filename = "f.ndjson"},
                                   nd, strlen(nd), &c, &err),
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
    assert_int_equal(
        ingest_import(
            &(struct import_job){
                .db = db, .target = tg, .format = INGEST_NDJSON, .filename = "g", .rejects = rej},
            bad, strlen(bad), &c, &err),
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
        assert_int_equal(ingest_import(&(struct import_job){.db = db,
                                                            .target = tg,
                                                            .format = INGEST_NDJSON,
                                                            .filename = "big.ndjson",
                                                            .opts = o,
                                                            .rejects = rej},
                                       nd.data, nd.len, &counts[mode], &err),
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
    assert_int_equal(ingest_import(&(struct import_job){.db = db,
                                                        .target = tg,
                                                        .format = INGEST_NDJSON,
                                                        .filename = "big.ndjson"},
                                   bad.data, bad.len, &c, &err),
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
                      "reach = reach\nzone = UTC\n";
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
        assert_int_equal(
            ingest_import(
                &(struct import_job){
                    .db = db, .target = tg, .format = INGEST_CSV, .filename = "big.csv", .opts = o},
                csv.data, csv.len, &counts[mode], &err),
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
        assert_int_equal(ingest_import(&(struct import_job){.db = db,
                                                            .target = hook,
                                                            .format = INGEST_META_WEBHOOK,
                                                            .filename = "hook"},
                                       text, len, &c, &err),
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
    assert_int_equal(ingest_import(
                         &(struct import_job){
                             .db = db, .target = tg, .format = INGEST_META_GRAPH, .filename = "g"},
                         graph, strlen(graph), &gc, &err),
                     0);
    const char *edit = "{\"object\":\"page\",\"entry\":[{\"id\":\"1234567890321\",\"time\":9,"
                       "\"changes\":[{\"field\":\"feed\",\"value\":{\"item\":\"status\","
                       "\"verb\":\"edited\",\"post_id\":\"1234567890321_7\",\"message\":\"New\","
                       "\"from\":{\"id\":\"1234567890321\"},\"created_time\":1704103200}}]}]}";
    struct ingest_counts ec = {0};
    assert_int_equal(ingest_import(&(struct import_job){.db = db,
                                                        .target = hook,
                                                        .format = INGEST_META_WEBHOOK,
                                                        .filename = "hook"},
                                   edit, strlen(edit), &ec, &err),
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
    assert_int_equal(ingest_import(&(struct import_job){.db = db,
                                                        .target = hook,
                                                        .format = INGEST_META_WEBHOOK,
                                                        .filename = "hook"},
                                   other, strlen(other), &c, &err),
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
    if (ingest_import(
            &(struct import_job){.db = db, .target = *tg, .format = INGEST_AUTO, .filename = name},
            text, len, c, &err))
        fail_msg("%s: %s", name, err.msg);
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
static void test_instagram_tagged_replies_stories(void **state)
{
    /* Media that carry a username are Instagram's, not X users. */
    check(INGEST_INSTAGRAM, FIX "instagram/tags-own-and-others.json", "detect", "n=2");
    check(INGEST_INSTAGRAM, FIX "instagram/stories.json", "detect", "n=1", "[0].kind=reject",
          "[0].reason~='timestamp' is missing");
    /* A comment's replies: the paging link names the comment. */
    check(INGEST_INSTAGRAM, FIX "instagram/replies-by-paging-link.json", "n=1", "[0].parent=1798",
          "[0].msg_kind=reply", "[0].post_id=");

    int64_t ws;
    struct db *db = fresh(&ws);
    struct ingest_target tg = {.workspace_id = ws,
                               .channel_id =
                                   add_channel(db, ws, "instagram", "@Verket", "Verket", NULL)};
    struct ingest_counts c;
    import_file(db, &tg, FIX "instagram/tags-own-and-others.json", &c);
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
    check(INGEST_INSTAGRAM, FIX "instagram/business-discovery.json", "detect", "n=3",
          "[0].kind=channel_metrics", "[0].followers=5200", "[0].peer=true",
          "post[1788510].account_id=1784107", "post[1788510].peer=true",
          "post[1788510].m.reactions=87", "[2].kind=reject",
          "[2].where=$.business_discovery.media.data[1]");

    int64_t ws;
    struct db *db = fresh(&ws);
    struct ingest_target tg = {.workspace_id = ws, .create_channels = true};
    struct ingest_counts c;
    import_file(db, &tg, FIX "instagram/business-discovery.json", &c);
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
static void test_import_own_replies_answer(void **state)
{
    int64_t ws;
    struct db *db = fresh(&ws);
    int64_t chid = add_channel(db, ws, "x", "verket", "Verket", "777");
    struct ingest_target tg = {.workspace_id = ws, .channel_id = chid};
    struct ingest_counts c;
    import_file(db, &tg, FIX "x/api-own-replies.json", &c);
    assert_int_equal(c.inserted[IE_POSTS], 2);    /* 10 and its thread's 11 */
    assert_int_equal(c.inserted[IE_MESSAGES], 2); /* 12 to @anna, 13 to @bo (by includes) */
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM messages WHERE is_own = 1 AND kind = 'reply' "
                              "AND platform_id IN ('12', '13') AND parent_id IS NULL"),
                     2);
    /* The mention answered comes later: joined, answered after 30 minutes. */
    import_file(db, &tg, FIX "x/api-mention.json", &c);
    assert_int_equal(c.inserted[IE_MESSAGES], 1);
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM messages a JOIN messages q ON q.id = "
                              "a.parent_id WHERE a.platform_id = '12' AND q.platform_id = '50' AND "
                              "q.first_response_at - q.created_at = 1800"),
                     1);
    import_file(db, &tg, FIX "x/api-own-replies.json", &c);
    assert_int_equal(c.unchanged[IE_POSTS] + c.unchanged[IE_MESSAGES], 4);
    assert_int_equal(c.inserted[IE_POSTS] + c.inserted[IE_MESSAGES] + c.updated[IE_MESSAGES], 0);

    /* The archive: replies name the account replied to by id and handle. */
    tg.channel_id = add_channel(db, ws, "x", "@arkivet", "Arkivet", NULL);
    import_file(db, &tg, FIX "x/archive-replies.js", &c);
    assert_int_equal(c.inserted[IE_POSTS], 1);
    assert_int_equal(c.inserted[IE_MESSAGES], 1);
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM messages WHERE platform_id = '20' AND "
                              "is_own = 1 AND reply_to = '60'"),
                     1);

    /* Mastodon: in_reply_to_account_id. */
    tg.channel_id = add_channel(db, ws, "mastodon", "verket", "Verket", "1");
    import_file(db, &tg, FIX "mastodon/replies.json", &c);
    assert_int_equal(c.inserted[IE_POSTS], 1);
    assert_int_equal(c.inserted[IE_MESSAGES], 1);
    assert_int_equal(
        rows(db, "SELECT COUNT(*) FROM messages WHERE platform_id = '30' AND is_own = 1"), 1);
    db_close(db);
}

/* An old X archive: replies name the account replied to by id only, and
 * the channel has no id. The archive holds the account's own tweets, so a
 * reply to one of them (or to its account) continues a thread and a reply
 * to any other answers someone. Text comes HTML-escaped. */
static void test_import_x_archive_old_replies(void **state)
{
    check(INGEST_X_ARCHIVE, FIX "x/archive-old-replies.js", "post=5",
          "post[104].body=> citat & mer <3");
    int64_t ws;
    struct db *db = fresh(&ws);
    struct ingest_target tg = {.workspace_id = ws,
                               .channel_id = add_channel(db, ws, "x", "@verket", "Verket", NULL)};
    struct ingest_counts c;
    import_file(db, &tg, FIX "x/archive-old-replies.js", &c);
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM post_variants WHERE platform_id IN ('100', "
                              "'101', '103', '104')"),
                     4);
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM post_variants"), 4);
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM messages WHERE platform_id = '102' AND "
                              "is_own = 1 AND kind = 'reply' AND reply_to = '900'"),
                     1);
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM messages"), 1);
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM posts WHERE body = '> citat & mer <3'"), 1);
    db_close(db);
}

/* Imports path and wants it refused with a message containing why, and
 * nothing stored. */
static void import_refused(struct db *db, const struct ingest_target *tg, const char *path,
                           const char *why)
{
    struct ingest_counts c = {0};
    struct error err = {0};
    int64_t before = rows(db, "SELECT (SELECT COUNT(*) FROM posts) + (SELECT COUNT(*) FROM "
                              "messages) + (SELECT COUNT(*) FROM channel_metrics)");
    assert_int_equal(
        ingest_import_file(&(struct import_job){.db = db, .target = *tg}, path, &c, NULL, &err),
        -1);
    if (!strstr(err.msg, why))
        fail_msg("%s: '%s' does not say '%s'", path, err.msg, why);
    assert_int_equal(rows(db, "SELECT (SELECT COUNT(*) FROM posts) + (SELECT COUNT(*) FROM "
                              "messages) + (SELECT COUNT(*) FROM channel_metrics)"),
                     before);
}

/* Direct messages are the account's own when it sent them, which kanal can
 * tell only by the channel's account id: account.js names it, and a second
 * import of the messages then corrects the ones stored before. The other
 * files of an archive are refused as files kanal does not read. */
static void test_import_x_archive_account(void **state)
{
    int64_t ws;
    struct db *db = fresh(&ws);
    int64_t ch = add_channel(db, ws, "x", "@verket", "Verket", NULL);
    struct ingest_target tg = {.workspace_id = ws, .channel_id = ch};
    struct ingest_counts c;
    import_file(db, &tg, FIX "x/archive-dm-both-ways.js", &c);
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM messages WHERE is_own = 0"), 2);
    import_file(db, &tg, FIX "x/archive-account.js", &c);
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM channels WHERE platform_id = '12'"), 1);
    import_file(db, &tg, FIX "x/archive-dm-both-ways.js", &c);
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM messages WHERE platform_id = '5002' AND "
                              "is_own = 1"),
                     1);
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM messages WHERE platform_id = '5001' AND "
                              "is_own = 0"),
                     1);
    /* follower.js: the account's follower count at the file's time. */
    import_file(db, &tg, FIX "x/archive-follower.js", &c);
    assert_int_equal(rows(db, "SELECT followers FROM channel_metrics"), 3);
    import_refused(db, &tg, FIX "x/archive-like.js", "window.YTD.like: not a file kanal reads");
    /* Another account's archive into this channel is a mistake. */
    tg.channel_id = add_channel(db, ws, "x", "@annat", "Annat", "55");
    import_refused(db, &tg, FIX "x/archive-account.js", "is of account 12 (@verket)");
    db_close(db);
}

/* NDJSON is checked for UTF-8 line by line as it is read: a bad byte on
 * line 2 still refuses the whole file, line 1 included. */
static void test_import_ndjson_not_utf8(void **state)
{
    int64_t ws;
    struct db *db = fresh(&ws);
    struct ingest_target tg = {.workspace_id = ws, .create_channels = true};
    import_refused(db, &tg, FIX "ndjson/not-utf8.ndjson", "line 2: the line is not UTF-8 text");
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM channels"), 0);
    db_close(db);
}

/* A group feed of Polish posts (written for kanal): none is Swedish,
 * Finnish or English, whatever its "a", "i", "to" or w's suggest. */
static void test_import_polish_is_other(void **state)
{
    int64_t ws;
    struct db *db = fresh(&ws);
    struct ingest_target tg = {.workspace_id = ws, .create_channels = true};
    struct ingest_counts c;
    import_file(db, &tg, FIX "meta-graph/group-feed-polish.json", &c);
    assert_int_equal(c.inserted[IE_POSTS], 20);
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM posts WHERE lang = 'other'"), 20);
    db_close(db);
}

/* Imported, an export's local times are the workspace's (Europe/Stockholm
 * here, kanal's default): the UCI file's hour 3 of a December Wednesday and
 * Business Suite's 10:00 of a September and a January day. */
static void test_import_local_times_are_the_workspaces(void **state)
{
    int64_t ws;
    struct db *db = fresh(&ws);
    struct ingest_target tg = {.workspace_id = ws, .create_channels = true};
    struct ingest_counts c;
    import_file(db, &tg, FIX "csv/meta-clicks.csv", &c);
    assert_int_equal(c.inserted[IE_POSTS], 2);
    char sql[200];
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM post_variants WHERE (platform_id = '111_301' AND "
             "published_at = %lld) OR (platform_id = '111_302' AND published_at = %lld)",
             (long long)t("2023-09-29T08:00:00Z"), (long long)t("2024-01-15T09:00:00Z"));
    assert_int_equal(rows(db, sql), 2);
    tg.channel_id = add_channel(db, ws, "facebook", "brand", "Brand", NULL);
    import_file(db, &tg, DATA "metrics/uci-facebook-metrics.csv", &c);
    assert_int_equal(c.inserted[IE_POSTS], 500);
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM post_variants WHERE platform_id = 'row-1' AND published_at = "
             "%lld",
             (long long)t("2014-12-03T02:00:00Z"));
    assert_int_equal(rows(db, sql), 1);
    db_close(db);
}

/* Bluesky: the author feed (a repost is a share; an unreadable post a
 * reject), notifications (mentions and replies; likes and follows counted
 * as not read), a thread with its replies, a profile; then imported into a
 * channel: its own posts, its reply to someone as an answer, others' posts
 * as messages answering their parents. */
#define BSKY "at://did:plc:verket0000000000000000/app.bsky.feed.post/"
static void test_bluesky(void **state)
{
    check(INGEST_BLUESKY, FIX "bluesky/author-feed.json", "detect", "n=5", "post=3", "share=1",
          "reject=1", "[1].kind=share", "[4].where=$.feed[4].post", "[4].reason~=createdAt",
          "post[" BSKY "3lbverk001].m.reactions=11", "post[" BSKY "3lbverk001].m.shares=5",
          "post[" BSKY "3lbverk001].m.comments=2", "post[" BSKY "3lbverk001].format=link",
          "post[" BSKY "3lbverk001].published_at=2026-11-20T09:00:00Z",
          "post[" BSKY "3lbverk001].body=Ny rapport: l\xC3\xA4s mer p\xC3\xA5 "
          "https://verket.example/rapport \xF0\x9F\x93\x8A",
          "post[" BSKY "3lbverk003].format=carousel", "post[" BSKY "3lbverk003].m.shares=0",
          "post[*].platform=bluesky");
    check(INGEST_BLUESKY, FIX "bluesky/notifications.json", "detect", "n=4", "post=2", "skip=1",
          "reject=1", "[3].kind=skip", "[3].skipped=2", "[0].body=Var finns bilagan?",
          "[0].has_metrics=false", "[1].author=Anna", "[2].where=$.notifications[4]",
          "[2].kind=reject");
    check(INGEST_BLUESKY, FIX "bluesky/thread.json", "detect", "n=4", "post=3", "[3].kind=skip",
          "[3].skipped=1", "[2].where=$.thread.replies[0].replies[0].post");
    check(INGEST_BLUESKY, FIX "bluesky/profile.json", "detect", "n=1", "[0].followers=1234",
          "[0].kind=channel_metrics");

    int64_t ws;
    struct db *db = fresh(&ws);
    struct ingest_target tg = {.workspace_id = ws,
                               .channel_id =
                                   add_channel(db, ws, "bluesky", "verket.bsky.social", "Verket",
                                               "did:plc:verket0000000000000000")};
    struct ingest_counts c;
    import_file(db, &tg, FIX "bluesky/author-feed.json", &c);
    assert_int_equal(c.inserted[IE_POSTS], 2);    /* 001, 003 */
    assert_int_equal(c.inserted[IE_MESSAGES], 1); /* 002: its answer to Bo */
    assert_int_equal(c.shares_skipped, 1);
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM messages WHERE is_own = 1 AND kind = 'reply' "
                              "AND platform_id = '" BSKY "3lbverk002'"),
                     1);
    import_file(db, &tg, FIX "bluesky/notifications.json", &c);
    assert_int_equal(c.inserted[IE_MESSAGES], 2);
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM messages WHERE kind = 'mention' AND "
                              "author_handle = 'anna.bsky.social'"),
                     1);
    /* Cecilia's reply said nothing of its parent and had no reasonSubject. */
    assert_int_equal(c.rejected[IE_MESSAGES] + c.rejects, 1);
    import_file(db, &tg, FIX "bluesky/profile.json", &c);
    assert_int_equal(c.inserted[IE_CHANNEL_METRICS], 1);
    /* The thread again: what the feed and notifications brought is there. */
    import_file(db, &tg, FIX "bluesky/thread.json", &c);
    assert_int_equal(c.inserted[IE_POSTS], 0);
    assert_int_equal(c.inserted[IE_MESSAGES], 1); /* 005, its answer to Bo's question */
    assert_int_equal(rows(db, "SELECT COUNT(*) FROM messages a JOIN messages q ON q.id = "
                              "a.parent_id WHERE a.platform_id = '" BSKY "3lbverk005' AND "
                              "q.author_handle = 'bo.bsky.social'"),
                     1);
    db_close(db);
}
#undef BSKY

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_meta_graph_feed),
        cmocka_unit_test(test_meta_graph_comments),
        cmocka_unit_test(test_meta_graph_insights),
        cmocka_unit_test(test_meta_graph_page_and_live),
        cmocka_unit_test(test_meta_graph_by_ids),
        cmocka_unit_test(test_meta_graph_messenger),
        cmocka_unit_test(test_meta_graph_visitor_posts),
        cmocka_unit_test(test_meta_graph_list_edges),
        cmocka_unit_test(test_meta_graph_group_feed),
        cmocka_unit_test(test_meta_webhook_comment),
        cmocka_unit_test(test_meta_webhook_status_changes),
        cmocka_unit_test(test_meta_webhook_ratings_mentions_instagram),
        cmocka_unit_test(test_meta_webhook_page_settings),
        cmocka_unit_test(test_meta_signature),
        cmocka_unit_test(test_instagram),
        cmocka_unit_test(test_x_api),
        cmocka_unit_test(test_x_archive),
        cmocka_unit_test(test_import_own_replies_answer),
        cmocka_unit_test(test_import_x_archive_old_replies),
        cmocka_unit_test(test_import_x_archive_account),
        cmocka_unit_test(test_import_ndjson_not_utf8),
        cmocka_unit_test(test_import_polish_is_other),
        cmocka_unit_test(test_import_local_times_are_the_workspaces),
        cmocka_unit_test(test_youtube),
        cmocka_unit_test(test_mastodon),
        cmocka_unit_test(test_bluesky),
        cmocka_unit_test(test_tiktok),
        cmocka_unit_test(test_tiktok_counts),
        cmocka_unit_test(test_tiktok_csv),
        cmocka_unit_test(test_tiktok_api),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_linkedin_xls),
        cmocka_unit_test(test_csv_uci),
        cmocka_unit_test(test_csv_meta_business_suite_and_errors),
        cmocka_unit_test(test_csv_link_clicks_and_zones),
        cmocka_unit_test(test_ndjson),
        cmocka_unit_test(test_ndjson_two_readers),
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
