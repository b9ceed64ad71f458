/* Unit tests for publish/: text counted as each platform counts it (X's
 * weights, graphemes, Mastodon's links and mentions), the limits and media
 * rules of publish_check with the field each error names. Expected values
 * are worked out by hand from the platforms' documented rules (twitter-text
 * 3's configuration, Unicode's grapheme clusters), not taken from kanal. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect/connect.h"
#include "publish/publish.h"

static int64_t xlen(const char *s)
{
    return publish_x_length(s, strlen(s));
}

static int64_t graphemes(const char *s)
{
    return publish_graphemes(s, strlen(s));
}

static char *repeat(const char *unit, int times)
{
    size_t n = strlen(unit);
    char *s = malloc(n * (size_t)times + 1);
    for (int i = 0; i < times; i++)
        memcpy(s + n * (size_t)i, unit, n);
    s[n * (size_t)times] = '\0';
    return s;
}

static void test_x_weights(void **state)
{
    assert_int_equal(xlen(""), 0);
    assert_int_equal(xlen("hello"), 5);
    /* Latin with diacritics, precomposed, is in X's light range. */
    assert_int_equal(xlen("Ünïcödé"), 7);
    /* Combining marks: e + U+0301 is é after NFC: one, not two. */
    assert_int_equal(xlen("e\xcc\x81"), 1);
    assert_int_equal(xlen("Cafe\xcc\x81 ok"), 7);
    /* CJK and Hangul weigh two. */
    assert_int_equal(xlen("日本語"), 6);
    assert_int_equal(xlen("한"), 2);
    /* General punctuation U+2010-201F is light, the euro sign is not. */
    assert_int_equal(xlen("a\xe2\x80\x94"
                          "b"),
                     3);
    assert_int_equal(xlen("€"), 2);
    /* Devanagari (U+0900-097F) is counted code point by code point. */
    assert_int_equal(xlen("नमस्ते"), 6);
    /* Emoji: each whole sequence weighs two. */
    assert_int_equal(xlen("😀"), 2);
    assert_int_equal(xlen("👍🏽"), 2);                  /* skin tone */
    assert_int_equal(xlen("👨‍👩‍👧‍👦"), 2); /* ZWJ family */
    assert_int_equal(xlen("🇸🇪"), 2);                        /* flag */
    assert_int_equal(xlen("🇸🇪🇫🇮"), 4);
    assert_int_equal(xlen("1\xef\xb8\x8f\xe2\x83\xa3"), 2); /* keycap 1️⃣ */
    assert_int_equal(xlen("\xe2\x9d\xa4\xef\xb8\x8f"), 2);  /* ❤️ */
    assert_int_equal(xlen("\xc2\xa9"), 1);                  /* © as text */
    assert_int_equal(xlen("hi 😀!"), 6);
    /* Not UTF-8. */
    assert_int_equal(publish_x_length("\xff", 1), -1);
}

static void test_x_urls(void **state)
{
    assert_int_equal(xlen("https://example.com"), 23);
    assert_int_equal(xlen("Read https://example.com/a/very/long/path/that/goes/on?x=1 now"),
                     5 + 23 + 4);
    assert_int_equal(xlen("http://a.se"), 23);
    /* Bare domains count as links; the full stop after one does not. */
    assert_int_equal(xlen("see example.com."), 4 + 23 + 1);
    assert_int_equal(xlen("polisen.se/aktuellt?id=1"), 23);
    /* Two links, 23 each, whatever their lengths. */
    assert_int_equal(xlen("https://a.io https://example.org/x/y/z/w"), 23 + 1 + 23);
    /* Not links: an e-mail address's domain, an unknown TLD, a bare word. */
    assert_int_equal(xlen("a@example.com"), 13);
    assert_int_equal(xlen("file.txt"), 8);
    assert_int_equal(xlen("https://"), 8);
}

static void test_x_limit(void **state)
{
    struct error err = {0};
    char *ok = repeat("a", 280), *over = repeat("a", 281);
    struct variant_check v = {.platform = "x", .body = ok};
    assert_int_equal(publish_check(&v, &err), 0);
    v.body = over;
    assert_int_equal(publish_check(&v, &err), -1);
    assert_string_equal(err.field, "body");
    assert_non_null(strstr(err.msg, "281"));
    assert_non_null(strstr(err.msg, "280"));
    free(ok);
    free(over);
    /* 140 CJK characters fill X; 141 do not fit. */
    char *cjk = repeat("日", 140);
    v.body = cjk;
    assert_int_equal(publish_check(&v, &err), 0);
    free(cjk);
    cjk = repeat("日", 141);
    v.body = cjk;
    assert_int_equal(publish_check(&v, &err), -1);
    free(cjk);
    /* A long link in a full text: 257 + 23 = 280. */
    char *text = repeat("a", 256);
    char buf[512];
    snprintf(buf, sizeof buf, "%s https://example.com/%s", text, "x/y/z/a/very/long/path");
    v.body = buf;
    assert_int_equal(xlen(buf), 280);
    assert_int_equal(publish_check(&v, &err), 0);
    free(text);
}

static void test_graphemes(void **state)
{
    assert_int_equal(graphemes(""), 0);
    assert_int_equal(graphemes("abc"), 3);
    assert_int_equal(graphemes("e\xcc\x81"), 1);
    assert_int_equal(graphemes("👨‍👩‍👧‍👦"), 1);
    assert_int_equal(graphemes("🇸🇪🇫🇮"), 2);
    assert_int_equal(graphemes("👍🏽x"), 2);
    assert_int_equal(graphemes("\r\n"), 1);
    assert_int_equal(publish_code_points("e\xcc\x81", 3), 2);
    assert_int_equal(publish_graphemes("\xc3", 1), -1);
}

static void test_bluesky(void **state)
{
    struct error err = {0};
    /* 300 é as e + U+0301 are 300 graphemes; 200 family emoji are 200 (but 5,000 bytes: over
     * Bluesky's 3,000-byte limit, which it keeps as well). */
    char *s = repeat("e\xcc\x81", 300);
    struct variant_check v = {.platform = "bluesky", .body = s};
    assert_int_equal(publish_check(&v, &err), 0);
    free(s);
    s = repeat("e\xcc\x81", 301);
    v.body = s;
    assert_int_equal(publish_check(&v, &err), -1);
    assert_string_equal(err.field, "body");
    assert_non_null(strstr(err.msg, "301 graphemes"));
    free(s);
    s = repeat("👨‍👩‍👧‍👦", 200);
    v.body = s;
    assert_int_equal(publish_check(&v, &err), -1);
    assert_non_null(strstr(err.msg, "bytes"));
    free(s);
}

static void test_mastodon(void **state)
{
    assert_int_equal(publish_mastodon_length("@alice@example.social hi", 24), 9);
    assert_int_equal(publish_mastodon_length("@alice hi", 9), 9);
    const char *u = "see https://example.com/a/long/path/that/is/long";
    assert_int_equal(publish_mastodon_length(u, strlen(u)), 4 + 23);
    /* Mastodon does not shorten a bare domain. */
    assert_int_equal(publish_mastodon_length("example.com", 11), 11);
    struct error err = {0};
    char *s = repeat("ä", 501);
    struct variant_check v = {.platform = "mastodon", .body = s};
    assert_int_equal(publish_check(&v, &err), -1);
    assert_string_equal(err.field, "body");
    /* An instance with a larger limit, set on the channel. */
    v.text_limit = 5000;
    assert_int_equal(publish_check(&v, &err), 0);
    v.text_limit = 100;
    assert_int_equal(publish_check(&v, &err), -1);
    assert_non_null(strstr(err.msg, "at most 100"));
    free(s);
}

static void test_meta_linkedin_youtube(void **state)
{
    struct error err = {0};
    char *s = repeat("ä", 2200);
    const char *image[] = {"image"};
    struct variant_check v = {.platform = "instagram", .body = s, .media = image, .nmedia = 1};
    assert_int_equal(publish_check(&v, &err), 0);
    free(s);
    s = repeat("ä", 2201);
    v.body = s;
    assert_int_equal(publish_check(&v, &err), -1);
    assert_string_equal(err.field, "body");
    free(s);
    /* 30 hashtags pass, 31 do not; "a#b" is no hashtag. */
    s = repeat("#tag ", 30);
    v.body = s;
    assert_int_equal(publish_hashtags(s, strlen(s)), 30);
    assert_int_equal(publish_check(&v, &err), 0);
    free(s);
    s = repeat("#tag ", 31);
    v.body = s;
    assert_int_equal(publish_check(&v, &err), -1);
    assert_non_null(strstr(err.msg, "31 hashtags"));
    free(s);
    assert_int_equal(publish_hashtags("a#b #c ##", 9), 1);
    /* Instagram needs a medium. */
    v.body = "hi";
    v.nmedia = 0;
    assert_int_equal(publish_check(&v, &err), 0); /* a draft may wait for its image */
    v.complete = true;
    assert_int_equal(publish_check(&v, &err), -1);
    assert_string_equal(err.field, "media");

    s = repeat("a", 3001);
    v = (struct variant_check){.platform = "linkedin", .body = s};
    assert_int_equal(publish_check(&v, &err), -1);
    free(s);
    s = repeat("a", 63206);
    v = (struct variant_check){.platform = "facebook", .body = s};
    assert_int_equal(publish_check(&v, &err), 0);
    free(s);
    s = repeat("a", 63207);
    v.body = s;
    assert_int_equal(publish_check(&v, &err), -1);
    free(s);
    s = repeat("a", 501);
    v = (struct variant_check){.platform = "threads", .body = s};
    assert_int_equal(publish_check(&v, &err), -1);
    free(s);

    const char *video[] = {"video"};
    char *title = repeat("ö", 100);
    v = (struct variant_check){.platform = "youtube",
                               .body = "",
                               .title = title,
                               .media = video,
                               .nmedia = 1,
                               .complete = true};
    assert_int_equal(publish_check(&v, &err), 0);
    free(title);
    title = repeat("ö", 101);
    v.title = title;
    assert_int_equal(publish_check(&v, &err), -1);
    assert_string_equal(err.field, "title");
    free(title);
    v.title = "a <b>";
    assert_int_equal(publish_check(&v, &err), -1);
    assert_string_equal(err.field, "title");
    v.title = "";
    assert_int_equal(publish_check(&v, &err), -1);
    assert_string_equal(err.field, "title");
    v.title = "ok";
    v.media = image;
    assert_int_equal(publish_check(&v, &err), -1);
    assert_string_equal(err.field, "media[0]");
}

static void test_media_and_comment(void **state)
{
    struct error err = {0};
    const char *four[] = {"image", "image", "image", "image", "image"};
    struct variant_check v = {.platform = "x", .body = "hi", .media = four, .nmedia = 4};
    assert_int_equal(publish_check(&v, &err), 0);
    v.nmedia = 5;
    assert_int_equal(publish_check(&v, &err), -1);
    assert_string_equal(err.field, "media");
    const char *mixed[] = {"image", "video"};
    v.media = mixed;
    v.nmedia = 2;
    assert_int_equal(publish_check(&v, &err), -1);
    assert_string_equal(err.field, "media");
    const char *gifs[] = {"gif", "image"};
    v.media = gifs;
    assert_int_equal(publish_check(&v, &err), -1);
    v.nmedia = 1;
    assert_int_equal(publish_check(&v, &err), 0);
    const char *bad[] = {"image", "pdf"};
    v.media = bad;
    v.nmedia = 2;
    assert_int_equal(publish_check(&v, &err), -1);
    assert_string_equal(err.field, "media[1]");
    /* Instagram's carousel mixes images and videos, up to ten. */
    const char *carousel[] = {"image", "video", "image", "image", "image", "image",
                              "image", "image", "image", "image", "image"};
    v = (struct variant_check){
        .platform = "instagram", .body = "x", .media = carousel, .nmedia = 10};
    assert_int_equal(publish_check(&v, &err), 0);
    v.nmedia = 11;
    assert_int_equal(publish_check(&v, &err), -1);
    /* A first comment where the platform has one, and its limit. */
    v.nmedia = 1;
    v.first_comment = "#more #tags";
    assert_int_equal(publish_check(&v, &err), 0);
    v = (struct variant_check){.platform = "x", .body = "x", .first_comment = "reply"};
    assert_int_equal(publish_check(&v, &err), -1);
    assert_string_equal(err.field, "first_comment");
    char *c = repeat("a", 1251);
    v = (struct variant_check){.platform = "linkedin", .body = "x", .first_comment = c};
    assert_int_equal(publish_check(&v, &err), -1);
    assert_string_equal(err.field, "first_comment");
    free(c);
    /* Text that is not UTF-8 is refused on its field. */
    v = (struct variant_check){.platform = "facebook", .body = "a\xc3("};
    assert_int_equal(publish_check(&v, &err), -1);
    assert_string_equal(err.field, "body");
}

/* ---- the state machine ------------------------------------------------------ */

static void test_state_machine(void **state)
{
    assert_string_equal(publish_next("draft", EV_SUBMIT), "in_review");
    assert_string_equal(publish_next("in_review", EV_APPROVE), "approved");
    assert_string_equal(publish_next("in_review", EV_REJECT), "draft");
    assert_string_equal(publish_next("approved", EV_SCHEDULE), "scheduled");
    assert_string_equal(publish_next("scheduled", EV_PUBLISHED), "published");
    assert_string_equal(publish_next("scheduled", EV_FAILED), "failed");
    assert_string_equal(publish_next("failed", EV_SCHEDULE), "scheduled");
    /* An edit after approval goes back to review; a draft stays a draft. */
    assert_string_equal(publish_next("approved", EV_EDIT), "in_review");
    assert_string_equal(publish_next("scheduled", EV_EDIT), "in_review");
    assert_string_equal(publish_next("draft", EV_EDIT), "draft");
    /* What may not happen. */
    assert_null(publish_next("draft", EV_APPROVE));
    assert_null(publish_next("draft", EV_SCHEDULE));
    assert_null(publish_next("in_review", EV_SCHEDULE));
    assert_null(publish_next("published", EV_EDIT));
    assert_null(publish_next("published", EV_SCHEDULE));
    assert_null(publish_next("approved", EV_APPROVE));
    assert_null(publish_next("approved", EV_PUBLISHED));

    const char *a[] = {"approved", "in_review", "scheduled"};
    assert_string_equal(publish_post_status(a, 3), "in_review");
    const char *b[] = {"scheduled", "published"};
    assert_string_equal(publish_post_status(b, 2), "scheduled");
    const char *c[] = {"published", "failed", "draft"};
    assert_string_equal(publish_post_status(c, 3), "failed");
    const char *d[] = {"archived", "published"};
    assert_string_equal(publish_post_status(d, 2), "published");
    const char *e[] = {"archived"};
    assert_string_equal(publish_post_status(e, 1), "archived");
    assert_null(publish_post_status(NULL, 0));
}

/* ---- the workflow on a store ----------------------------------------------------- */

struct desk {
    struct db *db;
    int64_t ws, x, masto, peer;
    struct actor author, editor, editor2, analyst;
};

static int64_t make(struct db *db, const struct entity *e, int64_t ws, json_t *in)
{
    struct error err = {0};
    json_t *out = entity_create(db, e, ws, in, NULL, &err);
    json_decref(in);
    if (!out)
        fail_msg("%s", err.msg);
    int64_t id = json_integer_value(json_object_get(out, "id"));
    json_decref(out);
    return id;
}

static struct actor user(struct db *db, const char *email, const char *role)
{
    struct error err = {0};
    int64_t id;
    assert_int_equal(user_create(db, email, email, role, "a long password 1", &id, &err), 0);
    return (struct actor){.user_id = id, .role = (enum role)role_parse(role)};
}

static struct desk open_desk(void)
{
    struct error err = {0};
    struct desk d = {0};
    d.db = db_open(":memory:", &err);
    assert_non_null(d.db);
    log_set_level(LOG_WARN);
    assert_true(db_migrate(d.db, &err) >= 1);
    d.ws = make(d.db, &entity_workspace, 0, json_pack("{s:s, s:s}", "name", "P", "slug", "p"));
    d.x = make(d.db, &entity_channel, d.ws,
               json_pack("{s:s, s:s, s:s}", "platform", "x", "handle", "polisen", "name", "X"));
    d.masto = make(d.db, &entity_channel, d.ws,
                   json_pack("{s:s, s:s, s:s, s:i}", "platform", "mastodon", "handle", "p@m.se",
                             "name", "M", "text_limit", 1000));
    d.peer = make(d.db, &entity_channel, d.ws,
                  json_pack("{s:s, s:s, s:s, s:b}", "platform", "x", "handle", "other", "name",
                            "Peer", "is_peer", 1));
    d.author = user(d.db, "author@example.org", "author");
    d.editor = user(d.db, "editor@example.org", "editor");
    d.editor2 = user(d.db, "editor2@example.org", "editor");
    d.analyst = user(d.db, "analyst@example.org", "analyst");
    return d;
}

static const char *status_of(json_t *post)
{
    return json_string_value(json_object_get(post, "status"));
}

static int64_t variant_id(json_t *post, size_t i)
{
    return json_integer_value(
        json_object_get(json_array_get(json_object_get(post, "variants"), i), "id"));
}

static void expect_refused(struct desk *d, json_t *in, const char *field)
{
    struct error err = {0};
    if (!publish_check_post(d->db, d->ws, in, &err))
        fail_msg("accepted a post that should fail on %s", field);
    assert_int_equal(err.kind, ERR_INVALID);
    assert_string_equal(err.field, field);
    json_decref(in);
}

static void test_variants_checked_on_save(void **state)
{
    struct desk d = open_desk();
    struct error err = {0};
    char *long_text = repeat("a", 281);
    expect_refused(
        &d,
        json_pack("{s:s, s:[{s:I}]}", "body", long_text, "variants", "channel_id", (json_int_t)d.x),
        "variants[0].body");
    /* The same text fits the Mastodon channel's own 1,000. */
    json_t *ok = json_pack("{s:s, s:[{s:I}]}", "body", long_text, "variants", "channel_id",
                           (json_int_t)d.masto);
    assert_int_equal(publish_check_post(d.db, d.ws, ok, &err), 0);
    json_decref(ok);
    free(long_text);
    expect_refused(
        &d,
        json_pack("{s:s, s:[{s:I}]}", "body", "hi", "variants", "channel_id", (json_int_t)d.peer),
        "variants[0].channel_id");
    expect_refused(&d, json_pack("{s:s, s:[{s:i}]}", "body", "hi", "variants", "channel_id", 9999),
                   "variants[0].channel_id");
    expect_refused(&d,
                   json_pack("{s:s, s:[{s:I, s:s}]}", "body", "hi", "variants", "channel_id",
                             (json_int_t)d.x, "scheduled_at", "2001-01-01T00:00:00Z"),
                   "variants[0].scheduled_at");
    expect_refused(&d,
                   json_pack("{s:s, s:[{s:I}, {s:I, s:[{s:s}]}]}", "body", "hi", "variants",
                             "channel_id", (json_int_t)d.x, "channel_id", (json_int_t)d.x, "media",
                             "type", "pdf"),
                   "variants[1].media[0]");
    db_close(d.db);
}

static json_t *draft(struct desk *d)
{
    struct error err = {0};
    json_t *in = json_pack("{s:s, s:[{s:I}, {s:I, s:s}]}", "body", "Trafikolycka på E4", "variants",
                           "channel_id", (json_int_t)d->x, "channel_id", (json_int_t)d->masto,
                           "body", "Trafikolycka på E4 vid Kista, följ @polisen@m.se");
    assert_int_equal(publish_check_post(d->db, d->ws, in, &err), 0);
    json_t *p = post_create(d->db, d->ws, in, &d->author, &err);
    json_decref(in);
    if (!p)
        fail_msg("%s", err.msg);
    return p;
}

static void test_review_rounds(void **state)
{
    struct desk d = open_desk();
    struct error err = {0};
    json_t *p = draft(&d);
    int64_t id = json_integer_value(json_object_get(p, "id")), x = variant_id(p, 0);
    json_decref(p);
    /* Nothing to approve before it is submitted. */
    assert_null(publish_decide(d.db, d.ws, id, &d.editor, true, NULL, 0, &err));
    assert_int_equal(err.kind, ERR_CONFLICT);
    p = publish_submit(d.db, d.ws, id, &d.author, &err);
    assert_non_null(p);
    assert_string_equal(status_of(p), "in_review");
    json_decref(p);
    /* Its author does not approve it, an analyst may not, a rejection says why. */
    assert_null(publish_decide(d.db, d.ws, id, &d.author, true, NULL, 0, &err));
    assert_int_equal(err.kind, ERR_DENIED);
    assert_null(publish_decide(d.db, d.ws, id, &d.analyst, true, NULL, 0, &err));
    assert_int_equal(err.kind, ERR_DENIED);
    assert_null(publish_decide(d.db, d.ws, id, &d.editor, false, "", 0, &err));
    assert_string_equal(err.field, "comment");
    p = publish_decide(d.db, d.ws, id, &d.editor, false, "Name the road", 0, &err);
    assert_non_null(p);
    assert_string_equal(status_of(p), "draft");
    json_decref(p);
    /* The author fixes the X variant: a draft stays a draft. */
    json_t *patch = json_pack("{s:s}", "body", "Trafikolycka på E4 norrgående vid Kista");
    p = publish_variant_update(d.db, d.ws, id, x, patch, &d.author, &err);
    assert_non_null(p);
    assert_string_equal(status_of(p), "draft");
    json_decref(p);
    /* Over the limit: refused, nothing changed. */
    char *over = repeat("日", 141);
    json_object_set_new(patch, "body", json_string(over));
    free(over);
    assert_null(publish_variant_update(d.db, d.ws, id, x, patch, &d.author, &err));
    assert_string_equal(err.field, "body");
    json_decref(patch);
    p = publish_submit(d.db, d.ws, id, &d.author, &err);
    json_decref(p);
    /* Two approvals from editors or links, on this workspace. */
    json_t *rule = json_pack("{s:i, s:[s, s]}", "approvals", 2, "roles", "editor", "external");
    json_t *r = publish_rule_set(d.db, d.ws, 0, rule, &d.editor, &err);
    assert_non_null(r);
    json_decref(r);
    json_decref(rule);
    json_t *rv = publish_review(d.db, d.ws, id, &err);
    assert_int_equal(json_integer_value(json_object_get(rv, "round")), 2);
    assert_int_equal(json_integer_value(json_object_get(rv, "needed")), 2);
    json_decref(rv);
    /* A stale round is a conflict; the current one counts. */
    assert_null(publish_decide(d.db, d.ws, id, &d.editor, true, NULL, 1, &err));
    assert_int_equal(err.kind, ERR_CONFLICT);
    p = publish_decide(d.db, d.ws, id, &d.editor, true, "ok", 2, &err);
    assert_string_equal(status_of(p), "in_review");
    json_decref(p);
    /* The same editor twice (two browsers): a conflict, and nothing more counted. */
    assert_null(publish_decide(d.db, d.ws, id, &d.editor, true, NULL, 0, &err));
    assert_int_equal(err.kind, ERR_CONFLICT);
    p = publish_decide(d.db, d.ws, id, &d.editor2, true, NULL, 0, &err);
    assert_string_equal(status_of(p), "approved");
    json_decref(p);
    assert_null(publish_decide(d.db, d.ws, id, &d.editor2, true, NULL, 0, &err));
    assert_int_equal(err.kind, ERR_CONFLICT);
    /* Comments are for the review only. */
    assert_null(publish_comment(d.db, d.ws, id, &d.editor, "late", &err));
    assert_int_equal(err.kind, ERR_CONFLICT);
    /* Scheduling: not in the past; then scheduled. */
    assert_null(publish_schedule(d.db, d.ws, id, 0, "2001-01-01T00:00:00Z", &d.editor, &err));
    assert_string_equal(err.field, "at");
    char when[21];
    time_format_iso(time_now() + 86400, when);
    p = publish_schedule(d.db, d.ws, id, 0, when, &d.editor, &err);
    assert_non_null(p);
    assert_string_equal(status_of(p), "scheduled");
    json_decref(p);
    /* A new time keeps it scheduled; new text sends it back to review. */
    time_format_iso(time_now() + 2 * 86400, when);
    patch = json_pack("{s:s}", "scheduled_at", when);
    p = publish_variant_update(d.db, d.ws, id, x, patch, &d.editor, &err);
    assert_string_equal(status_of(p), "scheduled");
    json_decref(p);
    json_decref(patch);
    patch = json_pack("{s:s}", "body", "Trafikolycka på E4: två körfält stängda");
    p = publish_variant_update(d.db, d.ws, id, x, patch, &d.author, &err);
    assert_non_null(p);
    assert_string_equal(status_of(p), "in_review");
    json_t *vs = json_object_get(p, "variants");
    assert_string_equal(json_string_value(json_object_get(json_array_get(vs, 0), "status")),
                        "in_review");
    json_decref(p);
    json_decref(patch);
    rv = publish_review(d.db, d.ws, id, &err);
    assert_int_equal(json_integer_value(json_object_get(rv, "round")), 3);
    json_decref(rv);
    /* Every step is in the audit log. */
    struct audit_filter f = {.entity = "post"};
    struct page pg = {.limit = 100};
    json_t *log = audit_list(d.db, &f, &pg, &err);
    const char *want[] = {"create",  "submit",   "reject",   "edit",
                          "approve", "approved", "schedule", "edit_after_approval"};
    for (size_t w = 0; w < ARRAY_LEN(want); w++) {
        bool seen = false;
        size_t i;
        json_t *e;
        json_array_foreach (json_object_get(log, "items"), i, e)
            seen = seen || str_eq(json_string_value(json_object_get(e, "action")), want[w]);
        if (!seen)
            fail_msg("no '%s' in the audit log", want[w]);
    }
    json_decref(log);
    db_close(d.db);
}

static void test_approval_links(void **state)
{
    struct desk d = open_desk();
    struct error err = {0};
    struct vault_key *key = vault_key_load(
        NULL, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", &err);
    assert_non_null(key);
    json_t *p = draft(&d);
    int64_t id = json_integer_value(json_object_get(p, "id"));
    json_decref(p);
    /* Not in review: no link. */
    assert_null(approval_link_create(d.db, key, d.ws, id, "Lawyer", 86400, &d.editor, &err));
    assert_int_equal(err.kind, ERR_CONFLICT);
    json_decref(publish_submit(d.db, d.ws, id, &d.author, &err));
    assert_null(approval_link_create(d.db, NULL, d.ws, id, "Lawyer", 86400, &d.editor, &err));
    json_t *l = approval_link_create(d.db, key, d.ws, id, "Lawyer", 86400, &d.editor, &err);
    assert_non_null(l);
    char token[APPROVAL_LINK_MAX + 1];
    snprintf(token, sizeof token, "%s", json_string_value(json_object_get(l, "token")));
    json_decref(l);
    assert_true(strlen(token) <= APPROVAL_LINK_MAX);
    /* A changed signature, an unknown id: not a link. */
    char forged[APPROVAL_LINK_MAX + 1];
    snprintf(forged, sizeof forged, "%s", token);
    forged[strlen(forged) - 1] = forged[strlen(forged) - 1] == 'A' ? 'B' : 'A';
    assert_null(approval_link_open(d.db, key, forged, &err));
    assert_int_equal(err.kind, ERR_NOT_FOUND);
    assert_null(approval_link_open(d.db, key, "99-abc", &err));
    assert_int_equal(err.kind, ERR_NOT_FOUND);
    json_t *view = approval_link_open(d.db, key, token, &err);
    assert_non_null(view);
    assert_string_equal(json_string_value(json_object_get(view, "name")), "Lawyer");
    json_decref(view);
    json_t *out = approval_link_decide(d.db, key, token, true, "Fine by legal", &err);
    if (!out)
        fail_msg("%s", err.msg);
    assert_string_equal(status_of(json_object_get(out, "post")), "approved");
    json_decref(out);
    /* Once used, it is dead. */
    assert_null(approval_link_decide(d.db, key, token, true, NULL, &err));
    assert_int_equal(err.kind, ERR_CONFLICT);

    /* A revoked link and one from before an edit do not work either. */
    int64_t x = 0;
    p = post_get(d.db, d.ws, id, &err);
    x = variant_id(p, 0);
    json_decref(p);
    json_t *patch = json_pack("{s:s}", "body", "ny text");
    json_decref(publish_variant_update(d.db, d.ws, id, x, patch, &d.author, &err));
    json_decref(patch);
    l = approval_link_create(d.db, key, d.ws, id, "Client", 3600, &d.editor, &err);
    int64_t lid = json_integer_value(json_object_get(l, "id"));
    snprintf(token, sizeof token, "%s", json_string_value(json_object_get(l, "token")));
    json_decref(l);
    assert_int_equal(approval_link_revoke(d.db, d.ws, lid, &d.editor, &err), 0);
    assert_null(approval_link_decide(d.db, key, token, false, "no", &err));
    assert_int_equal(err.kind, ERR_DENIED);
    l = approval_link_create(d.db, key, d.ws, id, "Client", 3600, &d.editor, &err);
    snprintf(token, sizeof token, "%s", json_string_value(json_object_get(l, "token")));
    json_decref(l);
    patch = json_pack("{s:s}", "body", "ännu en text");
    json_decref(publish_variant_update(d.db, d.ws, id, x, patch, &d.author, &err));
    json_decref(patch);
    assert_null(approval_link_decide(d.db, key, token, true, NULL, &err));
    assert_int_equal(err.kind, ERR_CONFLICT);
    /* A rejection through a link, with its reason. */
    l = approval_link_create(d.db, key, d.ws, id, "Client", 3600, &d.editor, &err);
    snprintf(token, sizeof token, "%s", json_string_value(json_object_get(l, "token")));
    json_decref(l);
    out = approval_link_decide(d.db, key, token, false, "Wrong road name", &err);
    assert_non_null(out);
    assert_string_equal(status_of(json_object_get(out, "post")), "draft");
    json_decref(out);
    vault_key_free(key);
    db_close(d.db);
}

/* ---- short links in what is published ---------------------------------------- */

static void test_shorten_links(void **state)
{
    struct desk d = open_desk();
    struct error err = {0};
    int64_t camp =
        make(d.db, &entity_campaign, d.ws, json_pack("{s:s}", "name", "Trafiksäkerhet 2026"));
    json_t *in = json_pack("{s:s, s:I, s:[{s:I}]}", "body", "x", "campaign_id", (json_int_t)camp,
                           "variants", "channel_id", (json_int_t)d.masto);
    json_t *post = post_create(d.db, d.ws, in, &d.author, &err);
    json_decref(in);
    if (!post)
        fail_msg("%s", err.msg);
    int64_t post_id = json_integer_value(json_object_get(post, "id"));
    json_decref(post);
    struct publish_shorten s = {.workspace_id = d.ws,
                                .post_id = post_id,
                                .channel_id = d.masto,
                                .public_url = "https://go.polisen.se/",
                                .text = "Läs mer (https://polisen.se/e4?a=1). Karta: "
                                        "https://sv.wikipedia.org/wiki/E4_(Sverige), och "
                                        "https://go.polisen.se/l/abc stannar. xhttps://no"};
    struct buf out = {0};
    int made = 0;
    assert_int_equal(publish_shorten_links(d.db, &s, &out, &made, &err), 0);
    assert_int_equal(made, 2);
    /* Two new links, with the channel's and the campaign's UTM. */
    struct db_stmt *st = db_query(d.db, &err,
                                  "SELECT code, url, target_url, utm_source, utm_campaign, post_id "
                                  "FROM links ORDER BY id",
                                  "");
    assert_non_null(st);
    char want[600], code[2][70];
    const char *urls[2] = {"https://polisen.se/e4?a=1",
                           "https://sv.wikipedia.org/wiki/E4_(Sverige)"};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(i == 0 ? db_has_row(st) : db_step(st, &err), 1);
        snprintf(code[i], sizeof code[i], "%s", db_col_text(st, 0));
        assert_string_equal(db_col_text(st, 1), urls[i]);
        assert_non_null(strstr(db_col_text(st, 2), "utm_source=mastodon"));
        assert_string_equal(db_col_text(st, 3), "mastodon");
        assert_true(strlen(db_col_text(st, 4)) > 0);
        assert_int_equal(db_col_int(st, 5), post_id);
    }
    assert_int_equal(db_step(st, &err), 0);
    db_finalize(st);
    snprintf(want, sizeof want,
             "Läs mer (https://go.polisen.se/l/%s). Karta: https://go.polisen.se/l/%s, och "
             "https://go.polisen.se/l/abc stannar. xhttps://no",
             code[0], code[1]);
    assert_string_equal(out.data, want);
    /* Published again (a lost answer): the same links, none new. */
    buf_reset(&out);
    assert_int_equal(publish_shorten_links(d.db, &s, &out, &made, &err), 0);
    assert_string_equal(out.data, want);
    int64_t n = 0;
    assert_int_equal(db_scalar(d.db, &err, &n, "SELECT count(*) FROM links", ""), 1);
    assert_int_equal(n, 2);
    /* Text without links comes back as it was. */
    s.text = "Inga länkar här: http:// och https";
    buf_reset(&out);
    assert_int_equal(publish_shorten_links(d.db, &s, &out, &made, &err), 0);
    assert_int_equal(made, 0);
    assert_string_equal(out.data, s.text);
    buf_free(&out);
    db_close(d.db);
}

/* ---- the scheduler ------------------------------------------------------------------ */

static void test_late_policy(void **state)
{
    (void)state;
    assert_int_equal(publish_due_decision(1000, 999, "hold", 300), DUE_NOT_YET);
    assert_int_equal(publish_due_decision(1000, 1000, "hold", 300), DUE_SEND);
    /* Late by exactly late_after: still merely due. */
    assert_int_equal(publish_due_decision(1000, 1300, "hold", 300), DUE_SEND);
    assert_int_equal(publish_due_decision(1000, 1301, "hold", 300), DUE_HOLD);
    assert_int_equal(publish_due_decision(1000, 99999, "publish_late", 300), DUE_SEND);
}

/* A post of d's draft() approved and scheduled; its variants' times then
 * set to `due` straight in the store (the API takes only future times). */
static int64_t scheduled_post(struct desk *d, int64_t due)
{
    struct error err = {0};
    json_t *p = draft(d);
    int64_t id = json_integer_value(json_object_get(p, "id"));
    json_decref(p);
    json_decref(publish_submit(d->db, d->ws, id, &d->author, &err));
    json_decref(publish_decide(d->db, d->ws, id, &d->editor, true, NULL, 0, &err));
    p = publish_schedule(d->db, d->ws, id, 0, "2099-01-01T00:00:00Z", &d->editor, &err);
    if (!p)
        fail_msg("%s", err.msg);
    json_decref(p);
    assert_true(db_run(d->db, &err, "UPDATE post_variants SET scheduled_at = ? WHERE post_id = ?",
                       "ii", due, id) == 2);
    return id;
}

static int64_t count(struct db *db, const char *sql, int64_t arg)
{
    struct error err = {0};
    int64_t n = -1;
    assert_int_equal(db_scalar(db, &err, &n, sql, "i", arg), 1);
    return n;
}

static void test_scheduler_due_once_paused_and_settled(void **state)
{
    (void)state;
    struct desk d = open_desk();
    struct error err = {0};
    struct publish_tick_stats st;
    int64_t now = time_now();
    int64_t soon = scheduled_post(&d, now + 60), due = scheduled_post(&d, now - 5);
    /* Only the due post's two variants are handed over, each once. */
    assert_int_equal(publish_tick(d.db, now, NULL, &st, &err), 0);
    assert_int_equal(st.queued, 2);
    assert_int_equal(publish_tick(d.db, now, NULL, &st, &err), 0);
    assert_int_equal(st.queued, 0);
    assert_int_equal(count(d.db, "SELECT count(*) FROM connect_actions WHERE ? = 0", 0), 2);
    assert_int_equal(count(d.db,
                           "SELECT count(*) FROM jobs WHERE kind = 'action' AND state = "
                           "'queued' AND ? = 0",
                           0),
                     2);
    assert_int_equal(count(d.db,
                           "SELECT count(*) FROM post_variants v JOIN connect_actions a ON "
                           "a.id = v.action_id WHERE a.key = 'kanal-variant-' || v.id || '-1' "
                           "AND v.post_id = ?",
                           due),
                     2);
    assert_int_equal(count(d.db,
                           "SELECT count(*) FROM post_variants WHERE action_id IS NULL AND "
                           "post_id = ?",
                           soon),
                     2);
    /* One action done, the other refused: the variants follow. */
    int64_t a1 = count(d.db, "SELECT MIN(id) FROM connect_actions WHERE ? = 0", 0);
    struct action_outcome ok = {.platform_id = "111", .permalink = "https://m.se/@p/111"};
    struct action_outcome no = {.error = "Mastodon: Validation failed (HTTP 422)"};
    assert_int_equal(action_move(d.db, a1, ACTION_SENT, NULL, now, &err), 0);
    assert_int_equal(action_move(d.db, a1, ACTION_DONE, &ok, now, &err), 0);
    assert_int_equal(action_move(d.db, a1 + 1, ACTION_FAILED, &no, now, &err), 0);
    assert_int_equal(publish_tick(d.db, now, NULL, &st, &err), 0);
    assert_int_equal(st.published, 1);
    assert_int_equal(st.failed, 1);
    json_t *p = post_get(d.db, d.ws, due, &err);
    assert_string_equal(status_of(p), "failed"); /* what the desk must see first */
    json_decref(p);
    assert_int_equal(count(d.db,
                           "SELECT count(*) FROM post_variants WHERE status = 'published' AND "
                           "platform_id = '111' AND post_id = ?",
                           due),
                     1);
    assert_int_equal(count(d.db,
                           "SELECT count(*) FROM post_variants WHERE status = 'failed' AND "
                           "publish_error LIKE '%HTTP 422%' AND post_id = ?",
                           due),
                     1);
    /* The failed one scheduled again: a new action under a new key. */
    int64_t failed =
        count(d.db, "SELECT id FROM post_variants WHERE status = 'failed' AND ? = 0", 0);
    p = publish_schedule(d.db, d.ws, due, failed, "2099-01-01T00:00:00Z", &d.editor, &err);
    if (!p)
        fail_msg("%s", err.msg);
    json_decref(p);
    assert_int_equal(count(d.db,
                           "SELECT count(*) FROM post_variants WHERE status = 'scheduled' AND "
                           "action_id IS NULL AND post_id = ?",
                           due),
                     1);

    /* A pause of the workspace: the next post falls due and waits. */
    json_t *in = json_pack("{s:s}", "reason", "Olycka");
    json_t *out = publish_pause(d.db, d.ws, in, &d.editor, &err);
    json_decref(in);
    assert_non_null(out);
    json_decref(out);
    assert_int_equal(publish_tick(d.db, now + 61, NULL, &st, &err), 0);
    assert_int_equal(st.queued, 0);
    /* Resume without saying what to do with late posts: refused. */
    in = json_object();
    assert_null(publish_resume(d.db, d.ws, in, &d.editor, &err));
    assert_string_equal(err.field, "late");
    json_decref(in);
    in = json_pack("{s:s}", "late", "hold");
    out = publish_resume(d.db, d.ws, in, &d.editor, &err);
    json_decref(in);
    assert_non_null(out);
    json_decref(out);
    /* time_now() inside the resume is before now + 61: nothing had passed. */
    assert_int_equal(publish_tick(d.db, now + 61, NULL, &st, &err), 0);
    assert_int_equal(st.queued, 2);
    db_close(d.db);
}

static void test_scheduler_holds_late_posts(void **state)
{
    (void)state;
    struct desk d = open_desk();
    struct error err = {0};
    struct publish_tick_stats st;
    json_t *in = json_pack("{s:s, s:i}", "late_policy", "hold", "late_after", 60);
    json_t *out = publish_settings_set(d.db, d.ws, in, &d.editor, &err);
    json_decref(in);
    assert_non_null(out);
    json_decref(out);
    int64_t now = time_now();
    int64_t late = scheduled_post(&d, now - 3600), due = scheduled_post(&d, now - 30);
    assert_int_equal(publish_tick(d.db, now, NULL, &st, &err), 0);
    assert_int_equal(st.held, 2);
    assert_int_equal(st.queued, 2);
    json_t *p = post_get(d.db, d.ws, late, &err);
    assert_string_equal(status_of(p), "approved");
    json_decref(p);
    assert_int_equal(count(d.db,
                           "SELECT count(*) FROM post_variants WHERE hold_reason LIKE "
                           "'%holds late posts%' AND post_id = ?",
                           late),
                     2);
    assert_int_equal(
        count(d.db, "SELECT count(*) FROM audit_log WHERE action = 'hold' AND entity_id = ?", late),
        2);
    assert_int_equal(count(d.db, "SELECT count(*) FROM connect_actions WHERE ? = 0", 0), 2);
    (void)due;
    /* A setting that is not one: named, nothing changed. */
    in = json_pack("{s:s}", "late_policy", "later");
    assert_null(publish_settings_set(d.db, d.ws, in, &d.editor, &err));
    assert_string_equal(err.field, "late_policy");
    json_decref(in);
    db_close(d.db);
}

/* The window between a tick handing a variant over (its action and job
 * made) and the worker claiming the job: an edit, an unschedule, a
 * reschedule or a pause in it takes the action back; once the worker has
 * the job, they are refused (or, for a pause, listed) as being sent. */
static void test_handed_over_variant_is_taken_back(void **state)
{
    (void)state;
    struct desk d = open_desk();
    struct error err = {0};
    struct publish_tick_stats st;
    int64_t now = time_now();
    int64_t a = scheduled_post(&d, now - 5), b = scheduled_post(&d, now - 5),
            c = scheduled_post(&d, now - 5), e = scheduled_post(&d, now - 5);
    assert_int_equal(publish_tick(d.db, now, NULL, &st, &err), 0);
    assert_int_equal(st.queued, 8);
    const char *handed =
        "SELECT count(*) FROM post_variants WHERE action_id IS NOT NULL AND post_id = ?";
    const char *withdrawn = "SELECT count(*) FROM jobs j JOIN connect_actions a ON "
                            "j.dedup_key = 'action:' || a.id WHERE j.state = 'failed' AND "
                            "a.state = 'failed' AND j.last_error LIKE 'withdrawn before it was "
                            "sent: %' AND ? = 0";
    const char *x_of = "SELECT id FROM post_variants WHERE channel_id = "
                       "(SELECT id FROM channels WHERE handle = 'polisen') AND post_id = ?";

    /* An edit of the X variant of a: back to review, its action taken back. */
    json_t *patch = json_pack("{s:s}", "body", "Trafikolyckan på E4 är utredd");
    json_t *p = publish_variant_update(d.db, d.ws, a, count(d.db, x_of, a), patch, &d.author, &err);
    json_decref(patch);
    if (!p)
        fail_msg("%s", err.msg);
    json_decref(p);
    assert_int_equal(count(d.db,
                           "SELECT count(*) FROM post_variants WHERE status = 'in_review' "
                           "AND action_id IS NULL AND channel_id = (SELECT id FROM channels WHERE "
                           "handle = 'polisen') AND post_id = ?",
                           a),
                     1);
    assert_int_equal(count(d.db, withdrawn, 0), 1);
    /* b unscheduled: both variants approved again, both actions taken back. */
    p = publish_unschedule(d.db, d.ws, b, 0, &d.editor, &err);
    if (!p)
        fail_msg("%s", err.msg);
    assert_string_equal(status_of(p), "approved");
    json_decref(p);
    assert_int_equal(count(d.db, handed, b), 0);
    assert_int_equal(count(d.db, withdrawn, 0), 3);
    /* c's X variant rescheduled (dragged on the calendar): scheduled, not handed over. */
    p = publish_schedule(d.db, d.ws, c, count(d.db, x_of, c), "2099-02-01T09:00:00Z", &d.editor,
                         &err);
    if (!p)
        fail_msg("%s", err.msg);
    json_decref(p);
    assert_int_equal(count(d.db, handed, c), 1);
    assert_int_equal(count(d.db, withdrawn, 0), 4);
    /* A pause of the Mastodon channel takes back the three Mastodon variants. */
    json_t *in =
        json_pack("{s:s, s:[I]}", "reason", "Skjutning i Kista", "channels", (json_int_t)d.masto);
    json_t *out = publish_pause(d.db, d.ws, in, &d.editor, &err);
    json_decref(in);
    if (!out)
        fail_msg("%s", err.msg);
    assert_int_equal(json_integer_value(json_object_get(out, "withdrawn")), 3);
    assert_int_equal(json_array_size(json_object_get(out, "sending")), 0);
    json_decref(out);
    assert_int_equal(count(d.db, withdrawn, 0), 7);

    /* The worker claims what is left (e's X variant): now it is being sent. */
    struct job j;
    assert_int_equal(job_claim(d.db, "w1", CONNECT_JOB_ACTION, 300, now, &j, &err), 1);
    job_clear(&j);
    assert_int_equal(job_claim(d.db, "w1", CONNECT_JOB_ACTION, 300, now, &j, &err), 0);
    int64_t ex = count(d.db, x_of, e);
    patch = json_pack("{s:s}", "body", "Ändrat för sent");
    assert_null(publish_variant_update(d.db, d.ws, e, ex, patch, &d.editor, &err));
    json_decref(patch);
    assert_int_equal(err.kind, ERR_CONFLICT);
    assert_non_null(strstr(err.msg, "is being sent right now"));
    assert_null(publish_unschedule(d.db, d.ws, e, ex, &d.editor, &err));
    assert_int_equal(err.kind, ERR_CONFLICT);
    /* Nothing changed: still scheduled, still handed over, its job still running. */
    assert_int_equal(count(d.db,
                           "SELECT count(*) FROM post_variants WHERE status = 'scheduled' "
                           "AND action_id IS NOT NULL AND id = ?",
                           ex),
                     1);
    assert_int_equal(count(d.db, "SELECT count(*) FROM jobs WHERE state = 'running' AND ? = 0", 0),
                     1);
    /* A pause of the workspace cannot stop it either: it says so. */
    in = json_pack("{s:s}", "reason", "Skjutning i Kista");
    out = publish_pause(d.db, d.ws, in, &d.editor, &err);
    json_decref(in);
    if (!out)
        fail_msg("%s", err.msg);
    json_t *sending = json_object_get(out, "sending");
    assert_int_equal(json_array_size(sending), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(sending, 0), "variant_id")),
                     ex);
    json_decref(out);

    /* Resumed: the withdrawn Mastodon variants are handed over again under
     * their next key (never the one that was taken back). */
    in = json_pack("{s:s}", "late", "publish_now");
    out = publish_resume(d.db, d.ws, in, &d.editor, &err);
    json_decref(in);
    if (!out)
        fail_msg("%s", err.msg);
    json_decref(out);
    assert_int_equal(publish_tick(d.db, time_now() + 1, NULL, &st, &err), 0);
    assert_int_equal(st.queued, 3);
    assert_int_equal(count(d.db,
                           "SELECT count(*) FROM post_variants v JOIN connect_actions a ON "
                           "a.id = v.action_id WHERE a.key = 'kanal-variant-' || v.id || '-2' "
                           "AND a.state = 'queued' AND v.channel_id = ?",
                           d.masto),
                     3);
    db_close(d.db);
}

/* A time ahead: its words for a request's member that is not a time, or
 * not ahead, are the same for a variant, a schedule and a pause. */
static void test_future_time(void **state)
{
    (void)state;
    struct error err = {0};
    int64_t t = 0, now = 1772355600; /* 2026-03-01T09:00:00Z */
    assert_int_equal(publish_future_time("at", "2026-03-01T10:00:00Z", now, &t, &err), 0);
    assert_int_equal(t, now + 3600);
    assert_int_equal(publish_future_time("until", NULL, now, &t, &err), -1);
    assert_int_equal(err.kind, ERR_INVALID);
    assert_string_equal(err.field, "until");
    assert_string_equal(err.msg, "until: expected an ISO 8601 time such as 2026-03-01T09:00:00Z");
    assert_int_equal(publish_future_time("at", "soon", now, &t, &err), -1);
    assert_string_equal(err.msg, "at: expected an ISO 8601 time such as 2026-03-01T09:00:00Z");
    assert_int_equal(
        publish_future_time("variants[0].scheduled_at", "2026-03-01T09:00:00Z", now, &t, &err), -1);
    assert_string_equal(err.field, "variants[0].scheduled_at");
    assert_string_equal(err.msg, "variants[0].scheduled_at: 2026-03-01T09:00:00Z is in the past");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_x_weights),
        cmocka_unit_test(test_x_urls),
        cmocka_unit_test(test_x_limit),
        cmocka_unit_test(test_graphemes),
        cmocka_unit_test(test_bluesky),
        cmocka_unit_test(test_mastodon),
        cmocka_unit_test(test_meta_linkedin_youtube),
        cmocka_unit_test(test_media_and_comment),
        cmocka_unit_test(test_state_machine),
        cmocka_unit_test(test_variants_checked_on_save),
        cmocka_unit_test(test_review_rounds),
        cmocka_unit_test(test_approval_links),
        cmocka_unit_test(test_shorten_links),
        cmocka_unit_test(test_late_policy),
        cmocka_unit_test(test_scheduler_due_once_paused_and_settled),
        cmocka_unit_test(test_scheduler_holds_late_posts),
        cmocka_unit_test(test_handed_over_variant_is_taken_back),
        cmocka_unit_test(test_future_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
