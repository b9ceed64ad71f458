/* bluesky: the AT Protocol's answers about one account, as the AppView
 * gives them (docs.bsky.app): app.bsky.feed.getAuthorFeed ({feed:
 * [{post, reason?}], cursor}), app.bsky.notification.listNotifications
 * ({notifications: [...], cursor}), app.bsky.feed.getPostThread ({thread})
 * and app.bsky.actor.getProfile (a profile with followersCount). A post is
 * known by its at:// URI. The account's own posts are posts; other
 * accounts' posts (replies, mentions, quotes) go to the inbox; reposts are
 * shares, counted not stored. Text is plain (facets only mark ranges). */
#include "ingest/internal.h"

#include <stdio.h>
#include <string.h>

#define REPOST "app.bsky.feed.defs#reasonRepost"

/* The DID a record's at:// URI is in: "at://did:plc:abc/app.bsky.feed.post/3k"
 * is did:plc:abc's. NULL when uri is not one. */
static const char *uri_did(struct pctx *pc, const char *uri)
{
    if (!uri || !str_starts_with(uri, "at://did:"))
        return NULL;
    const char *d = uri + 5;
    size_t n = strcspn(d, "/");
    return arena_strndup(&pc->arena, d, n);
}

/* The record key: the URI's last segment. */
static const char *uri_rkey(const char *uri)
{
    const char *slash = uri ? strrchr(uri, '/') : NULL;
    return slash && slash[1] ? slash + 1 : NULL;
}

/* An embed's kind without "#view": the record's own embed and the view's
 * say the same ("app.bsky.embed.images" and "app.bsky.embed.images#view"). */
static bool embed_is(json_t *e, const char *type)
{
    const char *t = json_string_value(json_object_get(e, "$type"));
    size_t n = strlen(type);
    return t && strncmp(t, type, n) == 0 && (t[n] == '\0' || t[n] == '#');
}

static void embed_format(struct pctx *pc, json_t *e, struct ingest_record *r)
{
    if (embed_is(e, "app.bsky.embed.recordWithMedia")) /* a quote with media: the media */
        e = json_object_get(e, "media");
    if (embed_is(e, "app.bsky.embed.images")) {
        r->format = json_array_size(json_object_get(e, "images")) > 1 ? "carousel" : "photo";
    } else if (embed_is(e, "app.bsky.embed.video")) {
        r->format = "video";
    } else if (embed_is(e, "app.bsky.embed.external")) {
        r->link_url = jstr(pc, json_object_get(e, "external"), "uri");
        if (r->link_url)
            r->format = "link";
    }
}

/* One post: a PostView (uri, cid, author, record, counts, indexedAt), or a
 * notification, which carries the same author and record beside its uri
 * but no counts. */
static int post(struct pctx *pc, json_t *p, const char *where, bool with_counts)
{
    if (!json_is_object(p))
        return rec_reject(pc, where, "expected a Bluesky post object");
    json_t *author = json_object_get(p, "author"), *record = json_object_get(p, "record");
    struct ingest_record r;
    rec_start(&r, REC_POST, "bluesky", where);
    r.foreign_is_message = true;
    r.post_id = jstr(pc, p, "uri");
    if (!r.post_id || !str_starts_with(r.post_id, "at://"))
        return rec_reject(pc, where, "a post needs its 'uri' (at://...)");
    if (!json_is_object(record))
        return rec_reject(pc, where, "post %s: 'record' is missing", r.post_id);
    r.body = jstr(pc, record, "text");
    if (!r.body)
        return rec_reject(pc, where, "post %s: 'record.text' is missing", r.post_id);
    /* createdAt is what the author's client says; indexedAt when it is not
     * a time. */
    r.published_at = jtime(record, "createdAt");
    if (!r.published_at)
        r.published_at = jtime(p, "indexedAt");
    r.created_at = r.published_at;
    if (!r.published_at)
        return rec_reject(pc, where, "post %s: 'record.createdAt' is missing or not a time",
                          r.post_id);
    r.account_id = jstr(pc, author, "did");
    r.account_name = jstr(pc, author, "handle");
    if (!r.account_id)
        r.account_id = uri_did(pc, r.post_id);
    if (!r.account_id)
        return rec_reject(pc, where, "post %s: 'author.did' is missing", r.post_id);
    r.author_handle = r.account_name ? r.account_name : r.account_id;
    r.author_name = jstr(pc, author, "displayName");
    if (r.author_name && !*r.author_name)
        r.author_name = NULL;
    r.account_title = r.author_name;
    const char *lang =
        lang_tag(json_string_value(json_array_get(json_object_get(record, "langs"), 0)));
    if (lang)
        r.lang = arena_strdup(&pc->arena, lang);
    static const char *const parent_path[] = {"reply", "parent", "uri", NULL};
    json_t *parent = jpath(record, parent_path);
    if (json_is_string(parent)) {
        r.reply_to = json_string_value(parent);
        r.reply_to_account = uri_did(pc, r.reply_to);
    }
    const char *rkey = uri_rkey(r.post_id);
    if (rkey)
        r.permalink = arena_printf(&pc->arena, "https://bsky.app/profile/%s/post/%s",
                                   r.account_name ? r.account_name : r.account_id, rkey);
    r.format = "status";
    embed_format(pc, json_object_get(record, "embed"), &r);
    if (with_counts) {
        int64_t reposts = jcount(p, "repostCount"), quotes = jcount(p, "quoteCount");
        rec_measured(pc, &r);
        r.metrics[PM_REACTIONS] = jcount(p, "likeCount");
        r.metrics[PM_COMMENTS] = jcount(p, "replyCount");
        r.metrics[PM_SHARES] = reposts < 0 ? quotes : quotes < 0 ? reposts : reposts + quotes;
    }
    return rec_emit(pc, &r);
}

/* An author feed's item: {post, reason?, reply?}. A repost (reason
 * reasonRepost) is a share of someone's post; a pinned post (reasonPin)
 * is the account's post like any other. */
static int feed_item(struct pctx *pc, json_t *x, const char *where, void *arg)
{
    (void)arg;
    if (!json_is_object(x))
        return rec_reject(pc, where, "expected a feed item object");
    json_t *reason = json_object_get(x, "reason");
    const char *type = json_string_value(json_object_get(reason, "$type"));
    if (type && str_eq(type, REPOST))
        return rec_share(pc, where);
    char w[128];
    snprintf(w, sizeof w, "%.100s.post", where);
    return post(pc, json_object_get(x, "post"), w, true);
}

/* A notification: mentions, replies and quotes are posts by others, which
 * the channel's import makes messages (a reply answers its parent, or the
 * reasonSubject when the record does not say); likes, reposts and follows
 * are not messages and are counted as not read. */
static int notification(struct pctx *pc, json_t *n, const char *where, void *arg)
{
    int64_t *other = arg;
    if (!json_is_object(n))
        return rec_reject(pc, where, "expected a notification object");
    const char *reason = json_string_value(json_object_get(n, "reason"));
    if (!reason)
        return rec_reject(pc, where, "a notification needs its 'reason'");
    if (!str_eq(reason, "mention") && !str_eq(reason, "reply") && !str_eq(reason, "quote")) {
        (*other)++;
        return 0;
    }
    static const char *const parent_path[] = {"record", "reply", "parent", "uri", NULL};
    if (str_eq(reason, "reply") && !json_is_string(jpath(n, parent_path))) {
        /* A reply whose record lost its refs: reasonSubject is what it
         * answers. */
        const char *subject = json_string_value(json_object_get(n, "reasonSubject"));
        if (!subject)
            return rec_reject(pc, where,
                              "a reply notification needs 'record.reply' or "
                              "'reasonSubject'");
        json_t *copy = json_deep_copy(n);
        json_t *rec = json_object_get(copy, "record");
        if (json_is_object(rec))
            json_object_set_new(rec, "reply", json_pack("{s:{s:s}}", "parent", "uri", subject));
        int rc = post(pc, copy, where, false);
        json_decref(copy);
        return rc;
    }
    return post(pc, n, where, false);
}

/* A thread (getPostThread): the post, its replies, theirs, and so on.
 * Posts not found or blocked are counted. */
static int thread(struct pctx *pc, json_t *t, const char *where, int depth, int64_t *gone)
{
    if (!json_is_object(t))
        return rec_reject(pc, where, "expected a thread object");
    if (depth > INGEST_MAX_DEPTH)
        return rec_reject(pc, where, "a thread nested deeper than %d replies", INGEST_MAX_DEPTH);
    json_t *p = json_object_get(t, "post");
    if (!p) {
        (*gone)++; /* #notFoundPost, #blockedPost */
        return 0;
    }
    char w[128];
    snprintf(w, sizeof w, "%.100s.post", where);
    int rc = post(pc, p, w, true);
    if (rc)
        return rc;
    json_t *replies = json_object_get(t, "replies"), *x;
    size_t i;
    json_array_foreach (replies, i, x) {
        snprintf(w, sizeof w, "%.90s.replies[%zu]", where, i);
        if ((rc = thread(pc, x, w, depth + 1, gone)))
            return rc;
    }
    return 0;
}

/* A profile (getProfile): the account's followers now. */
static int profile(struct pctx *pc, json_t *j)
{
    struct ingest_record r;
    rec_account_now(pc, &r, "bluesky", "$");
    r.account_id = jstr(pc, j, "did");
    r.account_name = jstr(pc, j, "handle");
    r.account_title = jstr(pc, j, "displayName");
    r.followers = jcount(j, "followersCount");
    if (!r.account_id)
        return rec_reject(pc, "$", "a profile needs its 'did'");
    if (r.followers < 0)
        return rec_reject(pc, "$", "profile %s: 'followersCount' is missing or not a count",
                          r.account_id);
    return rec_emit(pc, &r);
}

int read_bluesky(struct pctx *pc, json_t *j, struct error *err)
{
    int rc = 0;
    json_t *feed = json_object_get(j, "feed"), *notes = json_object_get(j, "notifications");
    if (!json_is_object(j)) {
        rc = error_set(err, ERR_INVALID, "$: expected a Bluesky (AT Protocol) answer object");
    } else if (json_is_string(json_object_get(j, "error")) && !feed && !notes) {
        const char *msg = json_string_value(json_object_get(j, "message"));
        rc = error_set(err, ERR_INVALID, "$.error: the saved answer is a Bluesky error: %s (%s)",
                       msg ? msg : "no message", json_string_value(json_object_get(j, "error")));
    } else if (feed) {
        if (!json_is_array(feed))
            rc = error_set(err, ERR_INVALID, "$.feed: expected a list of feed items");
        else
            rc = each_item(pc, feed, "$.feed", feed_item, NULL);
    } else if (notes) {
        int64_t other = 0;
        if (!json_is_array(notes))
            rc = error_set(err, ERR_INVALID, "$.notifications: expected a list of notifications");
        else
            rc = each_item(pc, notes, "$.notifications", notification, &other);
        if (rc == 0)
            rc = rec_skip(pc, "$.notifications", other,
                          "notifications of likes, reposts and "
                          "follows");
    } else if (json_object_get(j, "thread")) {
        int64_t gone = 0;
        rc = thread(pc, json_object_get(j, "thread"), "$.thread", 0, &gone);
        if (rc == 0)
            rc = rec_skip(pc, "$.thread", gone, "posts of the thread not found or blocked");
    } else if (json_object_get(j, "did") && json_object_get(j, "handle")) {
        rc = profile(pc, j);
    } else if (json_object_get(j, "uri") && json_object_get(j, "record")) {
        rc = post(pc, j, "$", true); /* one post view */
    } else {
        rc = error_set(err, ERR_INVALID,
                       "$: not an author feed, notifications, a thread, a profile or a post");
    }
    return rc;
}
