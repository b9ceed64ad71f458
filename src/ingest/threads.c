/* threads: the answers of Meta's Threads API (graph.threads.net), as the
 * Threads connector fetches them: a list of the account's threads
 * (/me/threads) as posts; a post's replies (/{id}/replies, /{id}/conversation)
 * as messages, hidden ones with their status; a post's insights (views,
 * likes, replies, reposts, quotes) as a snapshot; the account's
 * threads_insights (followers_count) as a channel figure. Lists are
 * {"data": [...], "paging": {...}}; times are ISO 8601 with "+0000". A
 * repost of someone else's thread (REPOST_FACADE) is a share, counted and
 * skipped. */
#include "ingest/internal.h"

#include <stdio.h>
#include <string.h>

static const char *format_of(const char *media_type)
{
    static const struct {
        const char *threads, *kanal;
    } map[] = {{"TEXT_POST", "status"},
               {"IMAGE", "photo"},
               {"VIDEO", "video"},
               {"CAROUSEL_ALBUM", "carousel"},
               {"AUDIO", "status"}};
    for (size_t i = 0; media_type && i < ARRAY_LEN(map); i++)
        if (str_eq(map[i].threads, media_type))
            return map[i].kanal;
    return "status";
}

static const char *id_of(struct pctx *pc, json_t *o, const char *key)
{
    return jstr(pc, json_object_get(o, key), "id");
}

/* A reply in a post's replies or conversation: a message under the thread
 * it belongs to (root_post), answering a reply when replied_to is not the
 * root. */
static int reply(struct pctx *pc, json_t *x, const char *where)
{
    struct ingest_record r;
    rec_start(&r, REC_MESSAGE, "threads", where);
    r.msg_id = jstr(pc, x, "id");
    r.body = jstr(pc, x, "text");
    r.created_at = jtime(x, "timestamp");
    r.author_handle = r.author_name = jstr(pc, x, "username");
    r.permalink = jstr(pc, x, "permalink");
    const char *root = id_of(pc, x, "root_post"), *to = id_of(pc, x, "replied_to");
    r.post_id = root ? root : to;
    r.parent_msg_id = to && root && !str_eq(to, root) ? to : NULL;
    r.msg_kind = r.parent_msg_id ? "reply" : "comment";
    r.is_own = json_is_true(json_object_get(x, "is_reply_owned_by_me"));
    if (!r.msg_id)
        return rec_reject(pc, where, "a reply needs its 'id'");
    if (!r.created_at)
        return rec_reject(pc, where, "reply %s: 'timestamp' is missing or not a time", r.msg_id);
    if (!r.post_id)
        return rec_reject(pc, where,
                          "reply %s: neither 'root_post' nor 'replied_to' says which "
                          "thread it answers (ask for the fields)",
                          r.msg_id);
    if (rec_emit(pc, &r))
        return -1;
    /* Hidden by the account: the inbox shows it so. UNHUSHED is one shown
     * again. */
    const char *hs = jstr(pc, x, "hide_status");
    if (hs && (str_eq(hs, "HIDDEN") || str_eq(hs, "UNHUSHED"))) {
        struct ingest_record st;
        rec_init(&st, REC_MESSAGE_STATUS, "%s.hide_status", where);
        st.platform = "threads";
        st.msg_id = r.msg_id;
        st.post_id = r.post_id;
        st.status = str_eq(hs, "HIDDEN") ? "hidden" : "open";
        return rec_emit(pc, &st);
    }
    return 0;
}

static int item(struct pctx *pc, json_t *x, const char *where, void *arg)
{
    (void)arg;
    if (!json_is_object(x))
        return rec_reject(pc, where, "a thread is an object with 'id' and 'timestamp'");
    if (json_is_true(json_object_get(x, "is_reply")) || json_object_get(x, "replied_to"))
        return reply(pc, x, where);
    const char *media_type = jstr(pc, x, "media_type");
    if (media_type && str_eq(media_type, "REPOST_FACADE"))
        return rec_share(pc, where);
    struct ingest_record r;
    rec_start(&r, REC_POST, "threads", where);
    r.post_id = jstr(pc, x, "id");
    r.body = jstr(pc, x, "text");
    r.published_at = jtime(x, "timestamp");
    r.permalink = jstr(pc, x, "permalink");
    r.link_url = jstr(pc, x, "link_attachment_url");
    r.format = format_of(media_type);
    r.account_id = id_of(pc, x, "owner");
    r.account_name = jstr(pc, x, "username");
    if (!r.post_id)
        return rec_reject(pc, where, "a thread needs its 'id'");
    if (!r.published_at)
        return rec_reject(pc, where, "thread %s: 'timestamp' is missing or not a time", r.post_id);
    return rec_emit(pc, &r);
}

/* Threads' names of a post's figures (its lifetime values). */
static int post_metric(const char *name)
{
    static const struct {
        const char *name;
        int which;
    } map[] = {{"views", PM_IMPRESSIONS},
               {"likes", PM_REACTIONS},
               {"replies", PM_COMMENTS},
               {"reposts", PM_SHARES}};
    for (size_t i = 0; i < ARRAY_LEN(map); i++)
        if (str_eq(map[i].name, name))
            return map[i].which;
    return -1;
}

/* One insights answer: every reading of one owner (a post or the account,
 * the id's part before "/insights") is one record. Quotes are shares too:
 * added to reposts. */
static int insights(struct pctx *pc, json_t *data)
{
    struct ingest_record post, acc;
    rec_start(&post, REC_POST_METRICS, "threads", "$.data");
    rec_account_now(pc, &acc, "threads", "$.data");
    char owner[96] = "";
    int64_t quotes = -1;
    bool any_post = false, any_acc = false;
    size_t i;
    json_t *m;
    json_array_foreach (data, i, m) {
        char where[48];
        snprintf(where, sizeof where, "$.data[%zu]", i);
        const char *name = json_string_value(json_object_get(m, "name"));
        const char *id = json_string_value(json_object_get(m, "id"));
        const char *ins = id ? strstr(id, "/insights") : NULL;
        if (!name || !ins || ins == id || (size_t)(ins - id) >= sizeof owner) {
            if (rec_reject(pc, where,
                           "an insights metric needs 'name' and an 'id' like "
                           "\"ID/insights/NAME/PERIOD\""))
                return -1;
            continue;
        }
        if (*owner && (strlen(owner) != (size_t)(ins - id) || strncmp(owner, id, strlen(owner)))) {
            if (rec_reject(pc, where, "metric of %.*s in an answer about %s", (int)(ins - id), id,
                           owner))
                return -1;
            continue;
        }
        snprintf(owner, sizeof owner, "%.*s", (int)(ins - id), id);
        /* A post's figures are lifetime values; the account's a total. */
        json_t *v = json_object_get(json_array_get(json_object_get(m, "values"), 0), "value");
        if (!v)
            v = json_object_get(json_object_get(m, "total_value"), "value");
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            if (rec_reject(pc, where, "metric '%.40s' has no count", name))
                return -1;
            continue;
        }
        int64_t n = json_integer_value(v);
        const char *period = json_string_value(json_object_get(m, "period"));
        bool lifetime = period && str_eq(period, "lifetime");
        int w = lifetime ? post_metric(name) : -1;
        if (w >= 0) {
            post.metrics[w] = n;
            any_post = true;
        } else if (lifetime && str_eq(name, "quotes")) {
            quotes = n;
            any_post = true;
        } else if (str_eq(name, "followers_count")) {
            acc.followers = n;
            any_acc = true;
        }
    }
    if (quotes >= 0)
        post.metrics[PM_SHARES] =
            (post.metrics[PM_SHARES] > 0 ? post.metrics[PM_SHARES] : 0) + quotes;
    if (any_post) {
        post.post_id = owner;
        rec_measured(pc, &post);
        if (rec_emit(pc, &post))
            return -1;
    }
    if (any_acc) {
        acc.account_id = owner;
        if (rec_emit(pc, &acc))
            return -1;
    }
    return 0;
}

int read_threads(struct pctx *pc, json_t *j, struct error *err)
{
    int rc = -1;
    json_t *d = json_object_get(j, "data");
    if (!json_is_object(j) || !json_is_array(d)) {
        error_set(err, ERR_INVALID, "$: a Threads API answer is an object with a 'data' list");
        goto done;
    }
    json_t *first = json_array_get(d, 0);
    if (json_object_get(first, "name") &&
        (json_object_get(first, "values") || json_object_get(first, "total_value")))
        rc = insights(pc, d);
    else
        rc = each_item(pc, d, "$.data", item, NULL);
done:
    return rc;
}
