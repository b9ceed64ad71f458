/* youtube: YouTube Data API v3 lists saved to files: commentThreads (top
 * comments with their replies), comments (replies by parent) and channels
 * (subscriber counts). Videos are the posts comments belong to. */
#include "ingest/internal.h"

#include <stdio.h>
#include <string.h>

static int comment(struct pctx *pc, json_t *c, const char *where, const char *video,
                   const char *channel, const char *parent)
{
    json_t *s = json_object_get(c, "snippet");
    struct ingest_record r;
    rec_init(&r, REC_MESSAGE, "%s", where);
    r.platform = "youtube";
    r.msg_id = jstr(pc, c, "id");
    r.body = jstr(pc, s, "textOriginal");
    if (!r.body)
        r.body = jstr(pc, s, "textDisplay");
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

static int thread(struct pctx *pc, json_t *t, const char *where)
{
    json_t *s = json_object_get(t, "snippet");
    json_t *top = json_object_get(s, "topLevelComment");
    const char *video = jstr(pc, s, "videoId");
    const char *channel = jstr(pc, s, "channelId");
    char w[128];
    snprintf(w, sizeof w, "%.90s.snippet.topLevelComment", where);
    if (!json_is_object(top))
        return rec_reject(pc, where, "a comment thread needs snippet.topLevelComment");
    if (comment(pc, top, w, video, channel, NULL))
        return -1;
    const char *top_id = jstr(pc, top, "id");
    json_t *replies = json_object_get(json_object_get(t, "replies"), "comments"), *c;
    size_t i;
    json_array_foreach (replies, i, c) {
        snprintf(w, sizeof w, "%.90s.replies.comments[%zu]", where, i);
        if (comment(pc, c, w, video, channel, top_id))
            return -1;
    }
    return 0;
}

static int channel_stats(struct pctx *pc, json_t *c, const char *where)
{
    struct ingest_record r;
    rec_init(&r, REC_CHANNEL_METRICS, "%s", where);
    r.platform = "youtube";
    r.account_id = jstr(pc, c, "id");
    r.account_name = jstr(pc, json_object_get(c, "snippet"), "customUrl");
    if (!r.account_name)
        r.account_name = jstr(pc, json_object_get(c, "snippet"), "title");
    r.followers = jcount(json_object_get(c, "statistics"), "subscriberCount");
    r.taken_at = pc->opts->taken_at;
    if (!r.account_id)
        return rec_reject(pc, where, "a channel needs its 'id'");
    return r.followers < 0 ? 0 : rec_emit(pc, &r);
}

int parse_youtube(struct pctx *pc, const char *data, size_t len, struct error *err)
{
    json_t *j = json_doc(data, len, err);
    if (!j)
        return -1;
    int rc = 0;
    const char *kind = json_string_value(json_object_get(j, "kind"));
    json_t *items = json_object_get(j, "items"), *x;
    if (!kind || !json_is_array(items)) {
        rc = error_set(err, ERR_INVALID, "$: a YouTube list answer has 'kind' and 'items'");
        goto done;
    }
    size_t i;
    json_array_foreach (items, i, x) {
        char w[32];
        snprintf(w, sizeof w, "$.items[%zu]", i);
        const char *k = json_string_value(json_object_get(x, "kind"));
        if (!k)
            rc = rec_reject(pc, w, "an item needs its 'kind'");
        else if (str_eq(k, "youtube#commentThread"))
            rc = thread(pc, x, w);
        else if (str_eq(k, "youtube#comment"))
            rc = comment(pc, x, w, NULL, NULL, NULL);
        else if (str_eq(k, "youtube#channel"))
            rc = channel_stats(pc, x, w);
        else
            rc = rec_reject(pc, w, "items of kind '%.40s' are not imported", k);
        if (rc)
            break;
    }
done:
    json_decref(j);
    return rc;
}
