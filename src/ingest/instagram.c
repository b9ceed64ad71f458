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

/* Where a comment hangs: its media, its parent comment, and for mentions
 * the account mentioned; for media, the account a list is of (business
 * discovery: a peer's; /tags: the account tagged, the media others').
 * Any may be NULL. */
struct under {
    const char *media, *parent, *kind, *account;
    const char *account_name;
    bool peer, tagged;
};

static int comment(struct pctx *pc, json_t *c, const char *where, void *arg)
{
    const struct under *u = arg;
    const char *media = u->media, *parent = u->parent, *kind = u->kind;
    struct ingest_record r;
    rec_start(&r, REC_MESSAGE, "instagram", where);
    r.msg_id = jstr(pc, c, "id");
    r.body = jstr(pc, c, "text");
    r.created_at = jtime(c, "timestamp");
    r.author_handle = jstr(pc, c, "username");
    r.author_name = r.author_handle;
    r.account_id = u->account;
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
    struct under replies = {.media = r.post_id, .parent = r.msg_id, .account = u->account};
    return each_nested(pc, c, where, "replies", comment, &replies);
}

/* A comments list and a media list look alike: comments have text and no
 * media_type or caption. */
static bool is_comment(json_t *x)
{
    return !json_object_get(x, "media_type") && !json_object_get(x, "caption") &&
           json_object_get(x, "text");
}

/* The comments fetched with a media (m{comments}), hanging from u. */
static int media_comments(struct pctx *pc, json_t *m, const char *where, struct under *u)
{
    return each_nested(pc, m, where, "comments", comment, u);
}

/* arg: the struct under a list of comments hangs from, or NULL. */
static int media(struct pctx *pc, json_t *m, const char *where, void *arg)
{
    if (!json_is_object(m))
        return rec_reject(pc, where, "expected a media object");
    if (is_comment(m)) {
        struct under none = {0};
        return comment(pc, m, where, arg ? arg : &none);
    }
    struct ingest_record r;
    rec_start(&r, REC_POST, "instagram", where);
    r.post_id = jstr(pc, m, "id");
    r.body = jstr(pc, m, "caption");
    r.permalink = jstr(pc, m, "permalink");
    r.published_at = r.created_at = jtime(m, "timestamp");
    r.format = media_format(m);
    r.account_id = jstr(pc, json_object_get(m, "owner"), "id");
    r.account_name = jstr(pc, m, "username");
    const struct under *of = arg;
    if (of && of->tagged && r.post_id && r.published_at) {
        /* Another account's media the account was tagged in: a mention of
         * it, with the comments on it as replies. */
        struct ingest_record msg;
        rec_start(&msg, REC_MESSAGE, "instagram", where);
        msg.account_id = of->account;
        msg.msg_id = r.post_id;
        msg.msg_kind = "mention";
        msg.body = r.body;
        msg.created_at = r.published_at;
        msg.author_handle = msg.author_name = r.account_name;
        if (rec_emit(pc, &msg))
            return -1;
        struct under u = {.media = r.post_id, .parent = r.post_id, .account = of->account};
        return media_comments(pc, m, where, &u);
    }
    if (!r.account_id && of && of->account) {
        r.account_id = of->account;
        r.account_name = of->account_name;
        r.account_is_peer = of->peer;
    }
    /* Media named by username only may be another account's: the /tags
     * edge lists media the account was tagged in. Imported into a channel,
     * those are mentions of it, not its posts. */
    r.foreign_is_message = !r.account_id && r.account_name;
    r.author_handle = r.author_name = r.account_name;
    if (!r.post_id)
        return rec_reject(pc, where, "a media object needs its 'id'");
    if (!r.published_at)
        return rec_reject(pc, where, "media %s: 'timestamp' is missing or not a time", r.post_id);
    r.metrics[PM_REACTIONS] = jcount(m, "like_count");
    r.metrics[PM_COMMENTS] = jcount(m, "comments_count");
    if (r.metrics[PM_REACTIONS] >= 0 || r.metrics[PM_COMMENTS] >= 0) {
        rec_measured(pc, &r);
    }
    if (rec_emit(pc, &r))
        return -1;
    struct under u = {.media = r.post_id, .account = r.account_id};
    if (media_comments(pc, m, where, &u))
        return -1;
    json_t *ins = json_object_get(json_object_get(m, "insights"), "data");
    if (json_is_array(ins))
        return parse_graph_insights(pc, ins, "instagram", NULL);
    return 0;
}

int read_instagram(struct pctx *pc, json_t *j, struct error *err)
{
    int rc = 0;
    json_t *list = json_object_get(j, "data");
    if (!json_is_object(j)) {
        rc = error_set(err, ERR_INVALID, "$: expected an Instagram Graph API object");
    } else if (json_is_array(list)) {
        if (graph_list_is_insights(list)) {
            rc = parse_graph_insights(pc, list, "instagram", err);
        } else {
            /* The paging link names what the list hangs from: a media's
             * comments, a comment's replies, an account's media, stories or
             * live media, or the media it was tagged in. */
            struct graph_edge e = graph_list_edge(pc, j);
            struct under u = {0};
            if (e.name && str_eq(e.name, "comments"))
                u.media = e.owner;
            else if (e.name && str_eq(e.name, "replies"))
                u.parent = e.owner;
            else if (e.name && (str_eq(e.name, "media") || str_eq(e.name, "stories") ||
                                str_eq(e.name, "live_media") || str_eq(e.name, "tags")))
                u.account = e.owner, u.tagged = str_eq(e.name, "tags");
            rc = each_item(pc, list, "$.data", media, &u);
        }
    } else if (json_is_object(json_object_get(j, "business_discovery"))) {
        /* Another business account looked up by username: its followers and
         * media, for comparing with peers. */
        json_t *bd = json_object_get(j, "business_discovery");
        struct under u = {
            .account = jstr(pc, bd, "id"), .account_name = jstr(pc, bd, "username"), .peer = true};
        static const char *const media_path[] = {"media", "data", NULL};
        if (!u.account) {
            rc = rec_reject(pc, "$.business_discovery", "a business account needs its 'id'");
        } else {
            struct ingest_record r;
            rec_account_now(pc, &r, "instagram", "$.business_discovery");
            r.account_id = u.account;
            r.account_name = u.account_name;
            r.account_title = jstr(pc, bd, "name");
            r.account_is_peer = true;
            r.followers = jcount(bd, "followers_count");
            rc = r.followers >= 0 ? rec_emit(pc, &r) : 0;
            if (!rc)
                rc = each_item(pc, jpath(bd, media_path), "$.business_discovery.media.data", media,
                               &u);
        }
    } else if (json_object_get(j, "mentioned_comment")) {
        struct under u = {.kind = "mention", .account = jstr(pc, j, "id")};
        rc = comment(pc, json_object_get(j, "mentioned_comment"), "$.mentioned_comment", &u);
    } else if (json_object_get(j, "id") &&
               (json_object_get(j, "media_type") || json_object_get(j, "timestamp"))) {
        rc = media(pc, j, "$", NULL);
    } else if (json_object_get(j, "followers_count")) {
        struct ingest_record r;
        rec_account_now(pc, &r, "instagram", "$");
        r.account_id = jstr(pc, j, "id");
        r.account_name = jstr(pc, j, "username");
        r.account_title = jstr(pc, j, "name");
        r.followers = jcount(j, "followers_count");
        rc = r.account_id ? rec_emit(pc, &r) : rec_reject(pc, "$", "an account needs its 'id'");
    } else {
        rc = each_by_id(pc, j, media, NULL);
    }
    return rc;
}
