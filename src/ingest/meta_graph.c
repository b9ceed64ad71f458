/* meta_graph: Facebook Graph API answers saved to files: a page's feed or
 * posts (with reaction, comment and share summaries), a post's comments,
 * single posts, comments and pages, insights, and the page's Messenger
 * conversations with their messages; also a bare array of such items (a
 * group's feed saved by a tool). Each paging file is read on its own; the
 * ids make pages of one list import idempotently. */
#include "ingest/internal.h"

#include <stdio.h>
#include <string.h>

/* The value of query parameter `name` in url, and its length; NULL if none. */
static const char *query_param(const char *url, const char *name, int *len)
{
    size_t n = strlen(name);
    for (const char *p = strchr(url, '?'); p; p = strchr(p + 1, '&')) {
        if (strncmp(p + 1, name, n) == 0 && p[1 + n] == '=') {
            *len = (int)strcspn(p + 2 + n, "&#");
            return *len ? p + 2 + n : NULL;
        }
    }
    return NULL;
}

/* "https://www.facebook.com/PAGE/posts/POST/?comment_id=C[&reply_comment_id=R]":
 * PAGE, PAGE_POST, and the comment as Graph spells its id, POST_C (or POST_R
 * for a reply, whose parent is then POST_C). Any part may come back NULL. */
static void ids_from_permalink(struct pctx *pc, const char *url, const char **page,
                               const char **post, const char **comment, const char **parent)
{
    *page = *post = *comment = *parent = NULL;
    const char *p = url ? strstr(url, "facebook.com/") : NULL;
    if (!p)
        return;
    p += strlen("facebook.com/");
    size_t pl = strcspn(p, "/?");
    if (pl == 0 || p[pl] != '/')
        return;
    *page = arena_strndup(&pc->arena, p, pl);
    const char *q = strstr(p + pl, "/posts/");
    if (!q)
        return;
    q += strlen("/posts/");
    int ql = (int)strcspn(q, "/?");
    if (!ql)
        return;
    *post = arena_printf(&pc->arena, "%s_%.*s", *page, ql, q);
    int cl, rl;
    const char *c = query_param(url, "comment_id", &cl),
               *r = query_param(url, "reply_comment_id", &rl);
    if (c)
        *comment = arena_printf(&pc->arena, "%.*s_%.*s", ql, q, cl, c);
    if (r && *comment) {
        *parent = *comment;
        *comment = arena_printf(&pc->arena, "%.*s_%.*s", ql, q, rl, r);
    }
}

static int64_t summary_total(json_t *o, const char *key)
{
    static const char *const path[] = {"summary", "total_count", NULL};
    json_t *v = jpath(json_object_get(o, key), path);
    return json_is_integer(v) ? json_integer_value(v) : -1;
}

static const char *post_format(json_t *item)
{
    const char *st = json_string_value(json_object_get(item, "status_type"));
    static const char *const att_path[] = {"attachments", "data", NULL};
    json_t *att = json_array_get(jpath(item, att_path), 0);
    const char *type = json_string_value(json_object_get(att, "media_type"));
    if (!type)
        type = json_string_value(json_object_get(item, "type"));
    if (st && strstr(st, "video"))
        return "video";
    if (type && (str_eq(type, "video") || strstr(type, "video_")))
        return "video";
    if (type && str_eq(type, "album"))
        return "carousel";
    if ((st && strstr(st, "photo")) || (type && str_eq(type, "photo")))
        return "photo";
    if ((st && str_eq(st, "shared_story")) ||
        (type && (str_eq(type, "link") || str_eq(type, "share"))))
        return "link";
    return "status";
}

static bool is_comment(json_t *item)
{
    const char *url = json_string_value(json_object_get(item, "permalink_url"));
    return json_object_get(item, "like_count") || json_object_get(item, "comment_count") ||
           json_object_get(item, "parent") || (url && strstr(url, "comment_id="));
}

/* What a nested comments list hangs under. */
struct under {
    const char *post_id, *parent_id;
};

static int comment(struct pctx *pc, json_t *c, const char *where, const char *post_id,
                   const char *parent_id);

static int comment_item(struct pctx *pc, json_t *c, const char *where, void *arg)
{
    const struct under *u = arg;
    return comment(pc, c, where, u->post_id, u->parent_id);
}

/* The comments (or replies) fetched with a post or comment: X{comments}. */
static int nested_comments(struct pctx *pc, json_t *owner, const char *where, const char *post_id,
                           const char *parent_id)
{
    struct under u = {post_id, parent_id};
    return each_nested(pc, owner, where, "comments", comment_item, &u);
}

static int comment(struct pctx *pc, json_t *c, const char *where, const char *post_id,
                   const char *parent_id)
{
    const char *page, *post, *cid, *cparent;
    ids_from_permalink(pc, jstr(pc, c, "permalink_url"), &page, &post, &cid, &cparent);
    struct ingest_record r;
    rec_start(&r, REC_MESSAGE, "facebook", where);
    r.msg_id = jstr(pc, c, "id");
    if (!r.msg_id)
        r.msg_id = cid;
    r.post_id = post_id ? post_id : post;
    r.account_id = page;
    if (!r.account_id && r.post_id && strchr(r.post_id, '_'))
        r.account_id = arena_strndup(&pc->arena, r.post_id, strcspn(r.post_id, "_"));
    static const char *const parent_path[] = {"parent", "id", NULL};
    json_t *parent = jpath(c, parent_path);
    r.parent_msg_id = json_is_string(parent) ? json_string_value(parent) : parent_id;
    if (!r.parent_msg_id)
        r.parent_msg_id = cparent;
    r.msg_kind = r.parent_msg_id ? "reply" : "comment";
    r.body = jstr(pc, c, "message");
    r.created_at = jtime(c, "created_time");
    json_t *from = json_object_get(c, "from");
    r.author_name = jstr(pc, from, "name");
    r.author_handle = jstr(pc, from, "id");
    r.is_own = r.author_handle && r.account_id && str_eq(r.author_handle, r.account_id);
    if (!r.msg_id)
        return rec_reject(pc, where,
                          "a comment needs an 'id' or a 'permalink_url' with comment_id");
    if (!r.created_at)
        return rec_reject(pc, where, "comment %s: 'created_time' is missing or not a time",
                          r.msg_id);
    if (rec_emit(pc, &r))
        return -1;
    return nested_comments(pc, c, where, r.post_id, r.msg_id);
}

static int post(struct pctx *pc, json_t *p, const char *where, const struct graph_edge *e)
{
    struct ingest_record r;
    rec_start(&r, REC_POST, "facebook", where);
    r.post_id = jstr(pc, p, "id");
    if (!r.post_id)
        return rec_reject(pc, where, "a post needs its 'id'");
    r.published_at = jtime(p, "created_time");
    if (!r.published_at) /* live videos say creation_time */
        r.published_at = jtime(p, "creation_time");
    if (!r.published_at) /* a group's feed: the last activity, the only time it gives */
        r.published_at = jtime(p, "updated_time");
    if (!r.published_at)
        return rec_reject(pc, where,
                          "post %s: 'created_time' (or 'updated_time') is missing or not a time",
                          r.post_id);
    const char *us = strchr(r.post_id, '_');
    const char *page = us ? arena_strndup(&pc->arena, r.post_id, (size_t)(us - r.post_id)) : NULL;
    /* A page's photos and videos have ids of their own, without the page. */
    if (!page && e && e->owner && e->name && !str_eq(e->name, "comments"))
        page = e->owner;
    r.account_id = page;
    json_t *from = json_object_get(p, "from");
    if (from) {
        r.account_id = jstr(pc, from, "id");
        r.account_name = jstr(pc, from, "name");
        r.account_title = r.account_name;
    }
    r.body = jstr(pc, p, "message");
    if (!r.body)
        r.body = jstr(pc, p, "name"); /* a photo's caption */
    if (!r.body)
        r.body = with_title(pc, jstr(pc, p, "title"), jstr(pc, p, "description"));
    bool tagged = e && e->name && str_eq(e->name, "tagged") && e->owner;
    if (tagged)
        page = e->owner;
    if (page && r.account_id && !str_eq(page, r.account_id)) {
        /* A visitor's post on the page's feed (PAGE_POST by someone else),
         * or another's post that tags the page (the /tagged edge): a
         * message to the page, as its webhook says, not a post of a
         * channel for its author. Its comments answer it. */
        struct ingest_record m;
        rec_start(&m, REC_MESSAGE, "facebook", where);
        m.account_id = page;
        m.msg_id = r.post_id;
        m.msg_kind = "mention";
        m.body = r.body;
        m.created_at = r.published_at;
        m.author_handle = r.account_id;
        m.author_name = r.account_name;
        if (rec_emit(pc, &m))
            return -1;
        return nested_comments(pc, p, where, m.msg_id, m.msg_id);
    }
    r.permalink = jstr(pc, p, "permalink_url");
    if (r.permalink && r.permalink[0] == '/') /* live videos: relative to facebook.com */
        r.permalink = arena_printf(&pc->arena, "https://www.facebook.com%s", r.permalink);
    r.format = json_object_get(p, "live_views") ? "live" : post_format(p);
    if (e && e->name && str_eq(r.format, "status"))
        r.format = str_eq(e->name, "photos")   ? "photo"
                   : str_eq(e->name, "videos") ? "video"
                                               : r.format;
    static const char *const link_path[] = {"attachments", "data", NULL};
    json_t *att = json_array_get(jpath(p, link_path), 0);
    if (str_eq(r.format, "link"))
        r.link_url = jstr(pc, att, "unshimmed_url");
    r.metrics[PM_REACTIONS] = summary_total(p, "reactions");
    if (r.metrics[PM_REACTIONS] < 0)
        r.metrics[PM_REACTIONS] = summary_total(p, "likes");
    r.metrics[PM_COMMENTS] = summary_total(p, "comments");
    r.metrics[PM_SHARES] = jcount(json_object_get(p, "shares"), "count");
    if (json_object_get(p, "reactions") || json_object_get(p, "comments") ||
        json_object_get(p, "shares")) {
        /* Graph leaves out "shares" for a post nobody shared. */
        if (r.metrics[PM_SHARES] < 0)
            r.metrics[PM_SHARES] = 0;
        rec_measured(pc, &r);
    }
    if (rec_emit(pc, &r))
        return -1;
    const char *post_id = r.post_id;
    json_t *ins = json_object_get(json_object_get(p, "insights"), "data");
    if (json_is_array(ins) && parse_graph_insights(pc, ins, "facebook", NULL))
        return -1;
    return nested_comments(pc, p, where, post_id, NULL);
}

/* One Messenger message (GET /{page}/conversations?fields=messages{...},
 * or a conversation's /messages): a direct message, the page's own when
 * it is from the page (the importer tells, knowing the channel's id). */
static int messenger_message(struct pctx *pc, json_t *m, const char *where, void *arg)
{
    const struct graph_edge *e = arg;
    if (!json_is_object(m))
        return rec_reject(pc, where, "expected a message object");
    struct ingest_record r;
    rec_start(&r, REC_MESSAGE, "facebook", where);
    r.msg_kind = "dm";
    r.msg_id = jstr(pc, m, "id");
    r.body = jstr(pc, m, "message");
    r.created_at = jtime(m, "created_time");
    json_t *from = json_object_get(m, "from");
    r.author_handle = jstr(pc, from, "id");
    r.author_name = jstr(pc, from, "name");
    /* A page's conversations list names the page in its paging link. */
    if (e && e->name && str_eq(e->name, "conversations"))
        r.account_id = e->owner;
    if (!r.msg_id)
        return rec_reject(pc, where, "a Messenger message needs its 'id'");
    if (!r.created_at)
        return rec_reject(pc, where, "message %s: 'created_time' is missing or not a time",
                          r.msg_id);
    return rec_emit(pc, &r);
}

/* Messenger's ids: "m_..." (and "mid.$..." in older answers). */
static bool is_messenger_message(json_t *x)
{
    const char *id = json_string_value(json_object_get(x, "id"));
    return id && (str_starts_with(id, "m_") || str_starts_with(id, "mid.")) &&
           !json_object_get(x, "permalink_url");
}

/* arg: the list's struct edge, or NULL. Items of a comments edge are
 * comments whatever fields were asked for. */
static int item(struct pctx *pc, json_t *x, const char *where, void *arg)
{
    const struct graph_edge *e = arg;
    if (!json_is_object(x))
        return rec_reject(pc, where, "expected an object");
    if (json_is_object(json_object_get(x, "messages"))) {
        /* A conversation: its messages (the page asked for as many as it
         * wants with messages.limit(n)). */
        return each_nested(pc, x, where, "messages", messenger_message, arg);
    }
    if ((e && e->name && str_eq(e->name, "messages")) || is_messenger_message(x))
        return messenger_message(pc, x, where, arg);
    const char *id = json_string_value(json_object_get(x, "id"));
    if ((e && e->name && str_eq(e->name, "conversations")) || (id && str_starts_with(id, "t_")))
        return rec_reject(pc, where,
                          "conversation %s holds no messages: ask for "
                          "fields=messages{id,created_time,from,message}",
                          id ? id : "?");
    bool comments = e && e->name && str_eq(e->name, "comments");
    return comments || is_comment(x) ? comment(pc, x, where, NULL, NULL) : post(pc, x, where, e);
}

/* One object read by its id: a page (its follower count), a post or a
 * comment. */
static int object(struct pctx *pc, json_t *j, const char *where, void *arg)
{
    if (!json_object_get(j, "fan_count") && !json_object_get(j, "followers_count"))
        return item(pc, j, where, NULL);
    struct ingest_record r;
    rec_account_now(pc, &r, "facebook", where);
    r.account_id = jstr(pc, j, "id");
    r.account_name = jstr(pc, j, "username");
    r.account_title = jstr(pc, j, "name");
    if (!r.account_name)
        r.account_name = r.account_title;
    r.followers = jcount(j, "followers_count");
    if (r.followers < 0)
        r.followers = jcount(j, "fan_count");
    return r.account_id ? rec_emit(pc, &r) : rec_reject(pc, where, "a page needs its 'id'");
}

/* Graph's answer to ?ids=A,B: {"A": {...}, "B": {...}}, each member an
 * object read by its id. */
static bool is_by_ids(json_t *j)
{
    const char *k;
    json_t *v;
    json_object_foreach (j, k, v) {
        if (!json_is_object(v) || !json_object_get(v, "id"))
            return false;
    }
    return json_object_size(j) > 0;
}

int read_meta_graph(struct pctx *pc, json_t *j, struct error *err)
{
    int rc = 0;
    json_t *list = json_object_get(j, "data");
    if (json_is_array(j)) {
        /* The items of lists, saved without their envelope (a tool's
         * export of a group's or page's feed). */
        rc = each_item(pc, j, "$", item, NULL);
    } else if (!json_is_object(j)) {
        rc = error_set(err, ERR_INVALID, "$: expected a Graph API object or an array of them");
    } else if (json_is_array(list)) {
        if (graph_list_is_insights(list)) {
            rc = parse_graph_insights(pc, list, "facebook", err);
        } else {
            struct graph_edge e = graph_list_edge(pc, j);
            rc = each_item(pc, list, "$.data", item, &e);
        }
    } else if (json_object_get(j, "id") || json_object_get(j, "fan_count") ||
               json_object_get(j, "followers_count")) {
        rc = object(pc, j, "$", NULL);
    } else if (is_by_ids(j)) {
        rc = each_by_id(pc, j, object, NULL);
    } else {
        rc = error_set(err, ERR_INVALID,
                       "$: neither a list ('data') nor a post, comment or page, nor objects by "
                       "id; is this a Graph API answer?");
    }
    return rc;
}
