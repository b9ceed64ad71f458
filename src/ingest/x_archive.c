/* x_archive: files of an X (Twitter) archive download: JavaScript that
 * assigns an array to window.YTD.NAME.partN. tweets.js: each item {"tweet":
 * {...}} in the old v1.1 shape, with counts as strings and dates like
 * "Wed Oct 10 20:19:24 +0000 2018"; the archive is the account's own.
 * direct-messages.js (and -group): each item {"dmConversation": {"messages":
 * [{"messageCreate": {...}}]}}, ISO dates. */
#include "ingest/internal.h"

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

int parse_x_archive(struct pctx *pc, const char *data, size_t len, struct error *err)
{
    /* Everything before the first '[' is the assignment. */
    const char *open = memchr(data, '[', len);
    const char *eq = memchr(data, '=', len);
    if (!open || (eq && eq > open) || (!eq && open != data && data[0] != ' ' && data[0] != '\n'))
        return error_set(err, ERR_INVALID,
                         "line 1: expected 'window.YTD.tweets.part0 = [' before the tweets");
    json_t *j = json_doc(open, len - (size_t)(open - data), err);
    if (!j)
        return -1;
    int rc = 0;
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
        rec_init(&r, REC_POST, "%s", w);
        r.platform = "x";
        r.post_id = jstr(pc, t, "id_str");
        if (!r.post_id)
            r.post_id = jstr(pc, t, "id");
        r.body = jstr(pc, t, "full_text");
        if (!r.body)
            r.body = jstr(pc, t, "text");
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
        r.lang = jstr(pc, t, "lang");
        if (r.lang && (str_eq(r.lang, "und") || strlen(r.lang) > 8))
            r.lang = NULL;
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
            r.has_metrics = true;
            r.taken_at = pc->opts->taken_at;
            r.metrics[PM_REACTIONS] = jcount(t, "favorite_count");
            r.metrics[PM_SHARES] = jcount(t, "retweet_count");
            rc = rec_emit(pc, &r);
        }
        if (rc)
            break;
    }
    if (!json_is_array(j))
        rc = error_set(err, ERR_INVALID, "$: expected an array of tweets");
    json_decref(j);
    return rc;
}
