/* tiktok_api: the answers of TikTok's Display API, as the TikTok connector
 * fetches them: /v2/user/info/ (the account, its follower count as a
 * channel figure) and /v2/video/list/ or /v2/video/query/ (the account's
 * videos as posts, each with its like, comment, share and view counts as a
 * snapshot). Every answer is {"data": ..., "error": {"code", "message",
 * "log_id"}}; one whose error code is not "ok" is refused whole. The video
 * objects do not name their author: they are the channel's, so a file of
 * them is imported with --channel. The account is known by its username, as
 * in TikTok's data download (ingest/tiktok.c), so that a downloaded history
 * and a connected account are one channel. The public API gives no
 * comments: there are none to read here. */
#include "ingest/internal.h"

#include <stdio.h>
#include <string.h>

/* TikTok's ids are digits (a video's: 19 of them). */
static bool digits_id(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n >= 1 && n <= 32 && strspn(s, "0123456789") == n;
}

static int video(struct pctx *pc, json_t *v, const char *where, void *arg)
{
    (void)arg;
    if (!json_is_object(v))
        return rec_reject(pc, where, "a video is an object with 'id' and 'create_time'");
    struct ingest_record r;
    rec_start(&r, REC_POST, "tiktok", where);
    r.post_id = jstr(pc, v, "id");
    if (!digits_id(r.post_id))
        return rec_reject(pc, where, "field 'id' is missing or not a TikTok video id");
    json_t *ct = json_object_get(v, "create_time");
    if (!json_is_integer(ct) || json_integer_value(ct) <= 0)
        return rec_reject(pc, where, "video %s: field 'create_time' is not a Unix time", r.post_id);
    r.published_at = json_integer_value(ct);
    const char *title = jstr(pc, v, "title");
    const char *desc = jstr(pc, v, "video_description");
    /* A title is often the description's start: kept once. */
    if (title && desc && str_starts_with(desc, title))
        title = NULL;
    r.body = with_title(pc, title, desc);
    if (r.body && !*r.body)
        r.body = NULL;
    /* The share URL carries tracking parameters; the address is before them. */
    const char *share = jstr(pc, v, "share_url");
    if (share && (str_starts_with(share, "https://") || str_starts_with(share, "http://")))
        r.permalink = arena_strndup(&pc->arena, share, strcspn(share, "?#"));
    r.format = "video";
    static const struct {
        const char *key;
        int which;
    } counts[] = {{"like_count", PM_REACTIONS},
                  {"comment_count", PM_COMMENTS},
                  {"share_count", PM_SHARES},
                  {"view_count", PM_VIDEO_VIEWS}};
    for (size_t i = 0; i < ARRAY_LEN(counts); i++) {
        json_t *c = json_object_get(v, counts[i].key);
        if (!c || json_is_null(c))
            continue;
        int64_t n = jcount(v, counts[i].key);
        if (n < 0)
            return rec_reject(pc, where, "video %s: field '%s' is not a count", r.post_id,
                              counts[i].key);
        r.metrics[counts[i].which] = n;
        rec_measured(pc, &r);
    }
    return rec_emit(pc, &r);
}

static int user(struct pctx *pc, json_t *u)
{
    const char *name = jstr(pc, u, "username");
    if (!name || !*name)
        return rec_reject(pc, "$.data.user",
                          "the user has no 'username' (ask for the field; it needs the "
                          "user.info.profile scope)");
    json_t *f = json_object_get(u, "follower_count");
    if (!f)
        return 0; /* asked without user.info.stats: nothing to count */
    struct ingest_record r;
    rec_account_now(pc, &r, "tiktok", "$.data.user");
    r.account_id = r.account_name = name;
    r.account_title = jstr(pc, u, "display_name");
    r.followers = jcount(u, "follower_count");
    if (r.followers < 0)
        return rec_reject(pc, "$.data.user.follower_count", "follower_count is not a count");
    return rec_emit(pc, &r);
}

int read_tiktok_api(struct pctx *pc, json_t *j, struct error *err)
{
    int rc = -1;
    json_t *d = json_object_get(j, "data"), *e = json_object_get(j, "error");
    const char *code = json_string_value(json_object_get(e, "code"));
    if (!json_is_object(j) || (!json_is_object(d) && !json_is_object(e))) {
        error_set(err, ERR_INVALID, "$: a TikTok API answer is an object with 'data' and 'error'");
        goto done;
    }
    if (code && !str_eq(code, "ok")) {
        const char *msg = json_string_value(json_object_get(e, "message"));
        error_set(err, ERR_INVALID, "$.error: TikTok answered %.60s: %.200s", code,
                  msg && *msg ? msg : "no message");
        goto done;
    }
    json_t *u = json_object_get(d, "user"), *videos = json_object_get(d, "videos");
    if (!u && !videos) {
        error_set(err, ERR_INVALID,
                  "$.data: neither 'user' (/v2/user/info/) nor 'videos' (/v2/video/list/)");
        goto done;
    }
    if (u && !json_is_object(u)) {
        error_set(err, ERR_INVALID, "$.data.user: an object was expected");
        goto done;
    }
    if (videos && !json_is_array(videos)) {
        error_set(err, ERR_INVALID, "$.data.videos: a list of videos was expected");
        goto done;
    }
    if (u && user(pc, u))
        goto done;
    if (each_item(pc, videos, "$.data.videos", video, NULL))
        goto done;
    rc = 0;
done:
    return rc;
}
