/* x_api: X API v2 responses saved to files: tweets (timelines, search,
 * mentions, lookups) with `includes` for their authors and media, DM
 * events, and users. Tweet counts are aggregates, not posts, and are refused
 * with a message saying so. */
#include "ingest/internal.h"

#include <stdio.h>
#include <string.h>

static json_t *find_by(json_t *list, const char *key, const char *value)
{
    size_t i;
    json_t *x;
    json_array_foreach (list, i, x) {
        const char *v = json_string_value(json_object_get(x, key));
        if (v && value && str_eq(v, value))
            return x;
    }
    return NULL;
}

static const char *referenced(json_t *t, const char *type)
{
    json_t *refs = json_object_get(t, "referenced_tweets"), *x;
    size_t i;
    json_array_foreach (refs, i, x) {
        if (str_eq(json_string_value(json_object_get(x, "type")), type))
            return json_string_value(json_object_get(x, "id"));
    }
    return NULL;
}

static void tweet_format(struct pctx *pc, json_t *t, json_t *includes, struct ingest_record *r)
{
    static const char *const keys_path[] = {"attachments", "media_keys", NULL};
    json_t *keys = jpath(t, keys_path), *k;
    size_t i;
    r->format = "status";
    json_array_foreach (keys, i, k) {
        json_t *m = find_by(json_object_get(includes, "media"), "media_key", json_string_value(k));
        const char *type = json_string_value(json_object_get(m, "type"));
        r->format =
            type && (str_eq(type, "video") || str_eq(type, "animated_gif")) ? "video" : "photo";
        if (i == 1)
            r->format = "carousel";
    }
    static const char *const urls_path[] = {"entities", "urls", NULL};
    json_t *urls = jpath(t, urls_path), *u;
    json_array_foreach (urls, i, u) {
        const char *x = jstr(pc, u, "expanded_url");
        /* Links to X itself are the tweet's own media or quotes. */
        if (x && !strstr(x, "twitter.com/") && !strstr(x, "://x.com/")) {
            r->link_url = x;
            if (str_eq(r->format, "status"))
                r->format = "link";
            break;
        }
    }
}

static int tweet(struct pctx *pc, json_t *t, json_t *includes, const char *where)
{
    struct ingest_record r;
    rec_start(&r, REC_POST, "x", where);
    r.foreign_is_message = true;
    r.post_id = jstr(pc, t, "id");
    r.body = jstr(pc, t, "text");
    static const char *const note_path[] = {"note_tweet", "text", NULL};
    json_t *note = jpath(t, note_path); /* long posts: the full text */
    if (json_is_string(note))
        r.body = json_string_value(note);
    r.published_at = jtime(t, "created_at");
    r.created_at = r.published_at;
    r.lang = x_lang(pc, t);
    r.account_id = jstr(pc, t, "author_id");
    json_t *user = find_by(json_object_get(includes, "users"), "id", r.account_id);
    r.account_name = jstr(pc, user, "username");
    r.author_handle = r.account_name ? r.account_name : r.account_id;
    r.author_name = jstr(pc, user, "name");
    r.account_title = r.author_name;
    r.reply_to = referenced(t, "replied_to");
    r.reply_to_account = jstr(pc, t, "in_reply_to_user_id");
    if (!r.reply_to_account) /* the replied-to tweet among the includes */
        r.reply_to_account =
            jstr(pc, find_by(json_object_get(includes, "tweets"), "id", r.reply_to), "author_id");
    if (!r.post_id)
        return rec_reject(pc, where, "a tweet needs its 'id'");
    /* A retweet is a share: its text and public_metrics are the original's.
     * Without referenced_tweets only its "RT @user:" opening tells. */
    if (referenced(t, "retweeted") ||
        (!json_object_get(t, "referenced_tweets") && r.body && str_starts_with(r.body, "RT @")))
        return rec_share(pc, where);
    if (!r.published_at)
        return rec_reject(pc, where, "tweet %s: 'created_at' is missing or not a time", r.post_id);
    if (r.account_name)
        r.permalink =
            arena_printf(&pc->arena, "https://x.com/%s/status/%s", r.account_name, r.post_id);
    tweet_format(pc, t, includes, &r);
    json_t *pm = json_object_get(t, "public_metrics");
    json_t *npm = json_object_get(t, "non_public_metrics");
    if (pm || npm) {
        rec_measured(pc, &r);
        r.metrics[PM_REACTIONS] = jcount(pm, "like_count");
        r.metrics[PM_COMMENTS] = jcount(pm, "reply_count");
        int64_t rt = jcount(pm, "retweet_count"), q = jcount(pm, "quote_count");
        r.metrics[PM_SHARES] = rt < 0 ? q : q < 0 ? rt : rt + q;
        r.metrics[PM_SAVES] = jcount(pm, "bookmark_count");
        r.metrics[PM_IMPRESSIONS] = jcount(npm, "impression_count");
        if (r.metrics[PM_IMPRESSIONS] < 0)
            r.metrics[PM_IMPRESSIONS] = jcount(pm, "impression_count");
        r.metrics[PM_CLICKS] = jcount(npm, "url_link_clicks");
    }
    return rec_emit(pc, &r);
}

const char *x_lang(struct pctx *pc, json_t *tweet)
{
    const char *lang = lang_tag(jstr(pc, tweet, "lang"));
    return lang && str_eq(lang, "und") ? NULL : lang;
}

int x_dm(struct pctx *pc, json_t *m, const char *where, const char *time_key,
         const char *sender_key)
{
    struct ingest_record r;
    rec_start(&r, REC_MESSAGE, "x", where);
    r.msg_kind = "dm";
    r.msg_id = jstr(pc, m, "id");
    r.body = jstr(pc, m, "text");
    r.created_at = jtime(m, time_key);
    r.author_handle = jstr(pc, m, sender_key);
    if (!r.msg_id || !r.created_at)
        return rec_reject(pc, where, "a direct message needs 'id' and '%s'", time_key);
    return rec_emit(pc, &r);
}

static int dm(struct pctx *pc, json_t *e, const char *where)
{
    const char *type = json_string_value(json_object_get(e, "event_type"));
    if (type && !str_eq(type, "MessageCreate"))
        return 0; /* joins and leaves of a conversation */
    return x_dm(pc, e, where, "created_at", "sender_id");
}

static int user(struct pctx *pc, json_t *u, const char *where)
{
    struct ingest_record r;
    rec_account_now(pc, &r, "x", where);
    r.account_id = jstr(pc, u, "id");
    r.account_name = jstr(pc, u, "username");
    r.account_title = jstr(pc, u, "name");
    r.followers = jcount(json_object_get(u, "public_metrics"), "followers_count");
    if (!r.account_id)
        return rec_reject(pc, where, "a user needs its 'id'");
    if (r.followers < 0)
        return 0; /* nothing to measure without public_metrics */
    return rec_emit(pc, &r);
}

static int one(struct pctx *pc, json_t *x, const char *where, void *includes)
{
    if (!json_is_object(x))
        return rec_reject(pc, where, "expected an object");
    if (json_object_get(x, "event_type") || json_object_get(x, "dm_conversation_id"))
        return dm(pc, x, where);
    if (json_object_get(x, "username") && !json_object_get(x, "text"))
        return user(pc, x, where);
    if (!json_object_get(x, "text") && json_object_get(x, "host_ids"))
        return rec_reject(pc, where,
                          "an X Space, not a tweet: kanal imports tweets, DMs and users");
    if (!json_object_get(x, "text") && json_object_get(x, "member_count"))
        return rec_reject(pc, where, "an X List, not a tweet: kanal imports tweets, DMs and users");
    return tweet(pc, x, includes, where);
}

int read_x_api(struct pctx *pc, json_t *j, struct error *err)
{
    int rc = 0;
    json_t *d = json_object_get(j, "data"), *includes = json_object_get(j, "includes");
    json_t *first = json_is_array(d) ? json_array_get(d, 0) : d;
    if (!json_is_object(j)) {
        rc = error_set(err, ERR_INVALID, "$: expected an X API v2 response object");
    } else if (!d) {
        /* {"meta": {"result_count": 0}} is a valid empty answer; errors are not. */
        json_t *errors = json_object_get(j, "errors");
        const char *detail =
            json_string_value(json_object_get(json_array_get(errors, 0), "detail"));
        if (errors)
            rc = error_set(err, ERR_INVALID, "$.errors: the saved response is an X API error: %s",
                           detail ? detail : "no detail");
    } else if (json_object_get(first, "tweet_count")) {
        rc = error_set(err, ERR_INVALID,
                       "$.data: this is an X tweet counts answer (numbers of tweets per period), "
                       "not tweets; kanal imports tweets, DMs and users");
    } else if (json_is_array(d)) {
        rc = each_item(pc, d, "$.data", one, includes);
    } else {
        rc = one(pc, d, "$.data", includes);
    }
    return rc;
}
