/* instagram: Instagram Graph API answers: media lists (an account's media,
 * or media fetched by ids as {"ID": {...}}), a media's comments and replies,
 * mentioned comments, and media or account insights. */
#include "ingest/internal.h"

#include <stdio.h>
#include <string.h>

static const char *media_format(json_t *m)
{
    const char *type = json_string_value(json_object_get(m, "media_type"));
    const char *product = json_string_value(json_object_get(m, "media_product_type"));
    if (product && str_eq(product, "REELS"))
        return "reel";
    if (product && str_eq(product, "STORY"))
        return "story";
    if (type && str_eq(type, "VIDEO"))
        return "video";
    if (type && str_eq(type, "CAROUSEL_ALBUM"))
        return "carousel";
    return "photo";
}

/* A comments list does not name its media, but its paging link does:
 * ".../v11.0/MEDIA/comments?...". */
static const char *media_from_paging(struct pctx *pc, json_t *j)
{
    static const char *const path[] = {"paging", "next", NULL};
    const char *next = json_string_value(jpath(j, path));
    const char *c = next ? strstr(next, "/comments") : NULL;
    if (!c)
        return NULL;
    const char *s = c;
    while (s > next && s[-1] != '/')
        s--;
    return c > s ? arena_strndup(&pc->arena, s, (size_t)(c - s)) : NULL;
}

static int comment(struct pctx *pc, json_t *c, const char *where, const char *media,
                   const char *parent, const char *kind)
{
    struct ingest_record r;
    rec_init(&r, REC_MESSAGE, "%s", where);
    r.platform = "instagram";
    r.msg_id = jstr(pc, c, "id");
    r.body = jstr(pc, c, "text");
    r.created_at = jtime(c, "timestamp");
    r.author_handle = jstr(pc, c, "username");
    r.author_name = r.author_handle;
    static const char *const media_path[] = {"media", "id", NULL};
    json_t *m = jpath(c, media_path);
    r.post_id = json_is_string(m) ? json_string_value(m) : media;
    r.parent_msg_id = parent;
    r.msg_kind = kind ? kind : parent ? "reply" : "comment";
    if (!r.msg_id)
        return rec_reject(pc, where, "a comment needs its 'id'");
    if (!r.created_at)
        return rec_reject(pc, where, "comment %s: 'timestamp' is missing or not a time", r.msg_id);
    if (rec_emit(pc, &r))
        return -1;
    json_t *replies = json_object_get(json_object_get(c, "replies"), "data"), *x;
    size_t i;
    json_array_foreach (replies, i, x) {
        char w[128];
        snprintf(w, sizeof w, "%.90s.replies.data[%zu]", where, i);
        if (comment(pc, x, w, r.post_id, r.msg_id, NULL))
            return -1;
    }
    return 0;
}

static int media(struct pctx *pc, json_t *m, const char *where)
{
    if (!json_is_object(m))
        return rec_reject(pc, where, "expected a media object");
    if (!json_object_get(m, "media_type") && !json_object_get(m, "caption") &&
        json_object_get(m, "text"))
        return comment(pc, m, where, NULL, NULL, NULL);
    struct ingest_record r;
    rec_init(&r, REC_POST, "%s", where);
    r.platform = "instagram";
    r.post_id = jstr(pc, m, "id");
    r.body = jstr(pc, m, "caption");
    r.permalink = jstr(pc, m, "permalink");
    r.published_at = jtime(m, "timestamp");
    r.format = media_format(m);
    r.account_id = jstr(pc, json_object_get(m, "owner"), "id");
    r.account_name = jstr(pc, m, "username");
    if (!r.post_id)
        return rec_reject(pc, where, "a media object needs its 'id'");
    if (!r.published_at)
        return rec_reject(pc, where, "media %s: 'timestamp' is missing or not a time", r.post_id);
    r.metrics[PM_REACTIONS] = jcount(m, "like_count");
    r.metrics[PM_COMMENTS] = jcount(m, "comments_count");
    if (r.metrics[PM_REACTIONS] >= 0 || r.metrics[PM_COMMENTS] >= 0) {
        r.has_metrics = true;
        r.taken_at = pc->opts->taken_at;
    }
    if (rec_emit(pc, &r))
        return -1;
    const char *post_id = r.post_id;
    json_t *comments = json_object_get(json_object_get(m, "comments"), "data"), *c;
    size_t i;
    json_array_foreach (comments, i, c) {
        char w[128];
        snprintf(w, sizeof w, "%.90s.comments.data[%zu]", where, i);
        if (comment(pc, c, w, post_id, NULL, NULL))
            return -1;
    }
    json_t *ins = json_object_get(json_object_get(m, "insights"), "data");
    if (json_is_array(ins))
        return parse_graph_insights(pc, ins, "instagram", NULL);
    return 0;
}

int parse_instagram(struct pctx *pc, const char *data, size_t len, struct error *err)
{
    json_t *j = json_doc(data, len, err);
    if (!j)
        return -1;
    int rc = 0;
    json_t *list = json_object_get(j, "data"), *x;
    size_t i;
    if (!json_is_object(j)) {
        rc = error_set(err, ERR_INVALID, "$: expected an Instagram Graph API object");
    } else if (json_is_array(list)) {
        json_t *first = json_array_get(list, 0);
        if (json_object_get(first, "period") && json_object_get(first, "name")) {
            rc = parse_graph_insights(pc, list, "instagram", err);
        } else {
            const char *media_id = media_from_paging(pc, j);
            json_array_foreach (list, i, x) {
                char w[32];
                snprintf(w, sizeof w, "$.data[%zu]", i);
                if (json_is_object(x) && !json_object_get(x, "media_type") &&
                    !json_object_get(x, "caption") && json_object_get(x, "text"))
                    rc = comment(pc, x, w, media_id, NULL, NULL);
                else
                    rc = media(pc, x, w);
                if (rc)
                    break;
            }
        }
    } else if (json_object_get(j, "mentioned_comment")) {
        char w[] = "$.mentioned_comment";
        struct ingest_record r;
        json_t *c = json_object_get(j, "mentioned_comment");
        rec_init(&r, REC_MESSAGE, "%s", w);
        r.platform = "instagram";
        r.account_id = jstr(pc, j, "id");
        r.msg_kind = "mention";
        r.msg_id = jstr(pc, c, "id");
        r.body = jstr(pc, c, "text");
        r.created_at = jtime(c, "timestamp");
        r.author_handle = jstr(pc, c, "username");
        r.author_name = r.author_handle;
        rc = r.msg_id && r.created_at
                 ? rec_emit(pc, &r)
                 : rec_reject(pc, w, "a mentioned comment needs 'id' and 'timestamp'");
    } else if (json_object_get(j, "id") &&
               (json_object_get(j, "media_type") || json_object_get(j, "timestamp"))) {
        rc = media(pc, j, "$");
    } else if (json_object_get(j, "followers_count")) {
        struct ingest_record r;
        rec_init(&r, REC_CHANNEL_METRICS, "$");
        r.platform = "instagram";
        r.account_id = jstr(pc, j, "id");
        r.account_name = jstr(pc, j, "username");
        r.followers = jcount(j, "followers_count");
        r.taken_at = pc->opts->taken_at;
        rc = r.account_id ? rec_emit(pc, &r) : rec_reject(pc, "$", "an account needs its 'id'");
    } else {
        /* Media fetched by ids: {"ID": {media}, ...}. */
        const char *k;
        json_object_foreach (j, k, x) {
            char w[128];
            snprintf(w, sizeof w, "$[\"%.100s\"]", k);
            if ((rc = media(pc, x, w)))
                break;
        }
    }
    json_decref(j);
    return rc;
}
