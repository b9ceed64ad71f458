/* youtube: YouTube Data API v3 lists saved to files: videos (the posts
 * comments belong to, with their statistics), commentThreads (top comments
 * with their replies), comments (replies by parent) and channels
 * (subscriber counts). */
#include "ingest/internal.h"

#include <stdio.h>
#include <string.h>

/* What a comment hangs under when the comment itself does not say. */
struct under {
    const char *video, *channel, *parent;
};

/* s without the U+FEFF in it (in the arena when there was one). */
static const char *without_bom(struct pctx *pc, const char *s)
{
    if (!s || !strstr(s, "\xEF\xBB\xBF"))
        return s;
    struct buf b = {0};
    for (const char *p = s, *bom; *p; p = bom + 3) {
        bom = strstr(p, "\xEF\xBB\xBF");
        if (!bom) {
            buf_puts(&b, p);
            break;
        }
        buf_append(&b, p, (size_t)(bom - p));
    }
    const char *out = arena_strdup(&pc->arena, b.data ? b.data : "");
    buf_free(&b);
    return out;
}

static int comment(struct pctx *pc, json_t *c, const char *where, void *arg)
{
    static const struct under none;
    const struct under *u = arg ? arg : &none;
    const char *video = u->video, *channel = u->channel, *parent = u->parent;
    json_t *s = json_object_get(c, "snippet");
    struct ingest_record r;
    rec_start(&r, REC_MESSAGE, "youtube", where);
    r.msg_id = jstr(pc, c, "id");
    /* textOriginal is what the author wrote, and only the video's owner is
     * given it; textDisplay is HTML (links, <br />, entities). Either may
     * end in a byte-order mark, U+FEFF, which is not text. */
    r.body = without_bom(pc, jstr(pc, s, "textOriginal"));
    if (!r.body)
        r.body = html_text(pc, jstr(pc, s, "textDisplay"), true);
    r.author_name = jstr(pc, s, "authorDisplayName");
    r.author_handle = jstr(pc, json_object_get(s, "authorChannelId"), "value");
    r.created_at = jtime(s, "publishedAt");
    r.post_id = jstr(pc, s, "videoId");
    if (!r.post_id)
        r.post_id = video;
    r.account_id = jstr(pc, s, "channelId");
    if (!r.account_id)
        r.account_id = channel;
    r.parent_msg_id = jstr(pc, s, "parentId");
    if (!r.parent_msg_id)
        r.parent_msg_id = parent;
    r.msg_kind = r.parent_msg_id ? "reply" : "comment";
    r.is_own = r.author_handle && r.account_id && str_eq(r.author_handle, r.account_id);
    if (!r.msg_id)
        return rec_reject(pc, where, "a comment needs its 'id'");
    if (!r.created_at)
        return rec_reject(pc, where, "comment %s: snippet.publishedAt is missing or not a time",
                          r.msg_id);
    return rec_emit(pc, &r);
}

static int thread(struct pctx *pc, json_t *t, const char *where, void *arg)
{
    json_t *s = json_object_get(t, "snippet");
    json_t *top = json_object_get(s, "topLevelComment");
    const char *video = jstr(pc, s, "videoId");
    const char *channel = jstr(pc, s, "channelId");
    char w[128];
    snprintf(w, sizeof w, "%.90s.snippet.topLevelComment", where);
    if (!json_is_object(top))
        return rec_reject(pc, where, "a comment thread needs snippet.topLevelComment");
    struct under u = {video, channel, NULL};
    if (comment(pc, top, w, &u))
        return -1;
    u.parent = jstr(pc, top, "id");
    snprintf(w, sizeof w, "%.90s.replies.comments", where);
    return each_item(pc, json_object_get(json_object_get(t, "replies"), "comments"), w, comment,
                     &u);
}

static int channel_stats(struct pctx *pc, json_t *c, const char *where, void *arg)
{
    struct ingest_record r;
    rec_account_now(pc, &r, "youtube", where);
    r.account_id = jstr(pc, c, "id");
    r.account_name = jstr(pc, json_object_get(c, "snippet"), "customUrl");
    r.account_title = jstr(pc, json_object_get(c, "snippet"), "title");
    if (!r.account_name)
        r.account_name = r.account_title;
    r.followers = jcount(json_object_get(c, "statistics"), "subscriberCount");
    if (!r.account_id)
        return rec_reject(pc, where, "a channel needs its 'id'");
    return r.followers < 0 ? 0 : rec_emit(pc, &r);
}

static int video(struct pctx *pc, json_t *v, const char *where)
{
    json_t *s = json_object_get(v, "snippet");
    struct ingest_record r;
    rec_start(&r, REC_POST, "youtube", where);
    r.post_id = jstr(pc, v, "id");
    r.account_id = jstr(pc, s, "channelId");
    r.account_name = jstr(pc, s, "channelTitle");
    r.account_title = r.account_name;
    r.published_at = jtime(s, "publishedAt");
    r.body = with_title(pc, jstr(pc, s, "title"), jstr(pc, s, "description"));
    r.lang = jstr(pc, s, "defaultLanguage");
    if (!r.lang)
        r.lang = jstr(pc, s, "defaultAudioLanguage");
    r.lang = lang_tag(r.lang);
    const char *live = jstr(pc, s, "liveBroadcastContent");
    r.format = (live && !str_eq(live, "none")) || json_object_get(v, "liveStreamingDetails")
                   ? "live"
                   : "video";
    if (!r.post_id)
        return rec_reject(pc, where, "a video needs its 'id'");
    if (!r.published_at)
        return rec_reject(pc, where, "video %s: snippet.publishedAt is missing or not a time",
                          r.post_id);
    r.permalink = arena_printf(&pc->arena, "https://www.youtube.com/watch?v=%s", r.post_id);
    json_t *st = json_object_get(v, "statistics");
    if (json_is_object(st)) {
        rec_measured(pc, &r);
        r.metrics[PM_VIDEO_VIEWS] = jcount(st, "viewCount");
        r.metrics[PM_REACTIONS] = jcount(st, "likeCount");
        r.metrics[PM_COMMENTS] = jcount(st, "commentCount");
    }
    return rec_emit(pc, &r);
}

static int item(struct pctx *pc, json_t *x, const char *where, void *arg)
{
    const char *k = json_string_value(json_object_get(x, "kind"));
    if (!k)
        return rec_reject(pc, where, "an item needs its 'kind'");
    if (str_eq(k, "youtube#commentThread"))
        return thread(pc, x, where, NULL);
    if (str_eq(k, "youtube#comment"))
        return comment(pc, x, where, NULL);
    if (str_eq(k, "youtube#channel"))
        return channel_stats(pc, x, where, NULL);
    if (str_eq(k, "youtube#video"))
        return video(pc, x, where);
    return rec_reject(pc, where, "items of kind '%.40s' are not imported", k);
}

int read_youtube(struct pctx *pc, json_t *j, struct error *err)
{
    int rc = 0;
    const char *kind = json_string_value(json_object_get(j, "kind"));
    json_t *items = json_object_get(j, "items");
    if (!kind || !json_is_array(items)) {
        rc = error_set(err, ERR_INVALID, "$: a YouTube list answer has 'kind' and 'items'");
        goto done;
    }
    rc = each_item(pc, items, "$.items", item, NULL);
done:
    return rc;
}
