/* x_archive: files of an X (Twitter) archive download: JavaScript that
 * assigns an array to window.YTD.NAME.partN. tweets.js: each item {"tweet":
 * {...}} in the old v1.1 shape, with counts as strings and dates like
 * "Wed Oct 10 20:19:24 +0000 2018"; the archive is the account's own.
 * direct-messages.js (and -group): each item {"dmConversation": {"messages":
 * [{"messageCreate": {...}}]}}, ISO dates. account.js names the account,
 * follower.js lists its followers; the archive's other files (likes,
 * blocks, ads, ...) are refused whole, as files kanal does not read. */
#include "ingest/internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "Wed Oct 10 20:19:24 +0000 2018"; 0 if not that. */
static int64_t v1_time(const char *s)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char mon[4];
    int d, h, mi, se, y, off;
    char sign;
    if (!s ||
        sscanf(s, "%*3s %3s %d %d:%d:%d %c%4d %d", mon, &d, &h, &mi, &se, &sign, &off, &y) != 8)
        return 0;
    const char *m = strstr(months, mon);
    /* %d takes a sign: "20:-1923267923:24" must not reach the sums. */
    if (!m || (m - months) % 3 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
        se < 0 || se > 60 || off < 0 || off > 1400 || off % 100 > 59 || y < 1970 || y > 9999 ||
        (sign != '+' && sign != '-'))
        return 0;
    int64_t t = time_days_from_civil(y, (unsigned)((m - months) / 3 + 1), (unsigned)d) * 86400 +
                h * 3600 + mi * 60 + se;
    int64_t o = (off / 100) * 3600 + (off % 100) * 60;
    return sign == '+' ? t - o : t + o;
}

/* One conversation's messages; joins, leaves, renames and reactions are
 * not messages. */
static int dm_conversation(struct pctx *pc, json_t *conv, const char *where)
{
    json_t *msgs = json_object_get(conv, "messages"), *x;
    size_t k;
    json_array_foreach (msgs, k, x) {
        json_t *m = json_object_get(x, "messageCreate");
        if (!m)
            continue;
        char w[128];
        snprintf(w, sizeof w, "%.60s.messages[%zu].messageCreate", where, k);
        int rc = x_dm(pc, m, w, "createdAt", "senderId");
        if (rc)
            return rc;
    }
    return 0;
}

/* What an archive file holds, by the name it assigns: window.YTD.NAME.part0. */
enum ytd { YTD_ITEMS, YTD_ACCOUNT, YTD_FOLLOWERS, YTD_OTHER };

/* The kind of file from its assignment (before the array at open); name
 * gets NAME. A file without the assignment holds tweets or messages. */
static enum ytd ytd_kind(const char *data, const char *open, char name[48])
{
    static const char prefix[] = "window.YTD.";
    const char *p = data;
    while (p < open && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    name[0] = '\0';
    if ((size_t)(open - p) < sizeof prefix || memcmp(p, prefix, sizeof prefix - 1) != 0)
        return YTD_ITEMS;
    p += sizeof prefix - 1;
    size_t n = 0;
    while (p + n < open && n < 47 && p[n] != '.' && p[n] != ' ' && p[n] != '=')
        n++;
    memcpy(name, p, n);
    name[n] = '\0';
    static const char *const items[] = {"tweets", "tweet", "direct_messages",
                                        "direct_messages_group", NULL};
    for (const char *const *i = items; *i; i++)
        if (str_eq(*i, name))
            return YTD_ITEMS;
    return str_eq(name, "account")    ? YTD_ACCOUNT
           : str_eq(name, "follower") ? YTD_FOLLOWERS
                                      : YTD_OTHER;
}

/* account.js: [{"account": {"accountId", "username", ...}}]. */
static int account(struct pctx *pc, json_t *j)
{
    json_t *a = json_object_get(json_array_get(j, 0), "account");
    struct ingest_record r;
    rec_start(&r, REC_ACCOUNT, "x", "$[0].account");
    r.account_id = jstr(pc, a, "accountId");
    r.account_name = jstr(pc, a, "username");
    r.account_title = jstr(pc, a, "accountDisplayName");
    if (!r.account_id)
        return rec_reject(pc, r.where, "expected {\"account\": {\"accountId\": ...}}");
    return rec_emit(pc, &r);
}

/* follower.js: one item a follower; the count is the account's followers
 * when the archive was made (the file's time). */
static int followers(struct pctx *pc, json_t *j)
{
    struct ingest_record r;
    rec_account_now(pc, &r, "x", "$");
    r.followers = (int64_t)json_array_size(j);
    return rec_emit(pc, &r);
}

/* The tweets of an archive and, learnt from them, the account's own id:
 * a reply to a tweet in the archive replies to the account itself. */
struct own {
    struct imap ids; /* the archive's tweet ids */
    const char *self;
};

static bool own_tweet(const struct own *o, const char *id)
{
    int64_t v;
    return id && !str_to_i64(id, &v) && imap_get(&o->ids, v);
}

static void learn_own(struct pctx *pc, json_t *j, struct own *o)
{
    size_t i;
    json_t *item;
    int64_t v;
    json_array_foreach (j, i, item) {
        const char *id = jstr(pc, json_object_get(item, "tweet"), "id_str");
        if (id && !str_to_i64(id, &v))
            imap_put(&o->ids, v, 1);
    }
    json_array_foreach (j, i, item) {
        json_t *t = json_object_get(item, "tweet");
        const char *to = jstr(pc, t, "in_reply_to_user_id_str");
        if (to && own_tweet(o, jstr(pc, t, "in_reply_to_status_id_str"))) {
            o->self = to;
            return;
        }
    }
}

int parse_x_archive(struct pctx *pc, const char *data, size_t len, struct error *err)
{
    /* Everything before the first '[' is the assignment. */
    const char *open = memchr(data, '[', len);
    const char *eq = memchr(data, '=', len);
    if (!open || (eq && eq > open) || (!eq && open != data && data[0] != ' ' && data[0] != '\n'))
        return error_set(err, ERR_INVALID,
                         "line 1: expected 'window.YTD.tweets.part0 = [' before the tweets");
    char name[48];
    enum ytd kind = ytd_kind(data, open, name);
    if (kind == YTD_OTHER)
        return error_set(err, ERR_INVALID,
                         "window.YTD.%s: not a file kanal reads; of an X archive kanal reads "
                         "tweets.js, direct-messages.js, direct-messages-group.js, account.js and "
                         "follower.js",
                         name);
    json_t *j = json_doc(open, len - (size_t)(open - data), err);
    if (!j)
        return -1;
    int rc = 0;
    struct own own = {0};
    if (!json_is_array(j)) {
        rc = error_set(err, ERR_INVALID, "$: expected an array of tweets");
        goto done;
    }
    if (kind == YTD_ACCOUNT) {
        rc = account(pc, j);
        goto done;
    }
    if (kind == YTD_FOLLOWERS) {
        rc = followers(pc, j);
        goto done;
    }
    assert(kind == YTD_ITEMS);
    learn_own(pc, j, &own);
    size_t i;
    json_t *item;
    json_array_foreach (j, i, item) {
        char w[48];
        snprintf(w, sizeof w, "$[%zu].tweet", i);
        json_t *t = json_object_get(item, "tweet");
        json_t *conv = json_object_get(item, "dmConversation");
        if (json_is_object(conv)) {
            snprintf(w, sizeof w, "$[%zu].dmConversation", i);
            if ((rc = dm_conversation(pc, conv, w)))
                break;
            continue;
        }
        if (!json_is_object(t)) {
            if ((rc = rec_reject(pc, w,
                                 "expected {\"tweet\": {...}} or {\"dmConversation\": {...}}")))
                break;
            continue;
        }
        struct ingest_record r;
        rec_start(&r, REC_POST, "x", w);
        r.post_id = jstr(pc, t, "id_str");
        if (!r.post_id)
            r.post_id = jstr(pc, t, "id");
        /* The archive writes &, < and > as HTML entities, also in plain text. */
        const char *text = jstr(pc, t, "full_text");
        r.body = html_text(pc, text ? text : jstr(pc, t, "text"), false);
        /* The account's retweets: shares of others' tweets, whose counts
         * they carry. The archive marks them only by "RT @user:". */
        if (json_object_get(t, "retweeted_status") || (r.body && str_starts_with(r.body, "RT @"))) {
            if ((rc = rec_share(pc, w)))
                break;
            continue;
        }
        r.published_at = v1_time(json_string_value(json_object_get(t, "created_at")));
        r.created_at = r.published_at; /* as an answer to someone, a message */
        r.reply_to = jstr(pc, t, "in_reply_to_status_id_str");
        r.reply_to_account = jstr(pc, t, "in_reply_to_user_id_str");
        r.reply_to_handle = jstr(pc, t, "in_reply_to_screen_name");
        /* An old tweet names no handle: whom it answers is known from the
         * archive itself (the account's own tweets are all in it). */
        r.answers_other = r.reply_to && !own_tweet(&own, r.reply_to) &&
                          !(own.self && r.reply_to_account && str_eq(own.self, r.reply_to_account));
        r.lang = x_lang(pc, t);
        if (!r.post_id) {
            rc = rec_reject(pc, w, "a tweet needs 'id_str'");
        } else if (!r.published_at) {
            rc = rec_reject(pc, w,
                            "tweet %s: 'created_at' is not like 'Wed Oct 10 20:19:24 "
                            "+0000 2018'",
                            r.post_id);
        } else {
            r.format = "status";
            static const char *const media_path[] = {"extended_entities", "media", NULL};
            json_t *media = jpath(t, media_path);
            const char *type = json_string_value(json_object_get(json_array_get(media, 0), "type"));
            if (type)
                r.format = str_eq(type, "photo")
                               ? (json_array_size(media) > 1 ? "carousel" : "photo")
                               : "video";
            static const char *const urls_path[] = {"entities", "urls", NULL};
            r.link_url = jstr(pc, json_array_get(jpath(t, urls_path), 0), "expanded_url");
            if (r.link_url && str_eq(r.format, "status"))
                r.format = "link";
            rec_measured(pc, &r);
            r.metrics[PM_REACTIONS] = jcount(t, "favorite_count");
            r.metrics[PM_SHARES] = jcount(t, "retweet_count");
            rc = rec_emit(pc, &r);
        }
        if (rc)
            break;
    }
done:
    imap_free(&own.ids);
    json_decref(j);
    return rc;
}
