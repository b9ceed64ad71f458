/* tiktok: TikTok's "Download your data" in JSON (user_data.json, later
 * user_data_tiktok.json). Read: the account's own videos ("Video" >
 * "Videos" > "VideoList", in newer downloads "Post" > "Posts" >
 * "VideoList") as posts, with their like count as a snapshot where the
 * file gives one; the account's name ("Profile" > "Profile Information" >
 * "ProfileMap" > "userName"); and its follower list's length ("Activity" >
 * "Follower List" > "FansList") as a follower count. Not read, and counted
 * as such: the comments the account wrote under other people's videos
 * ("Comment" > "Comments" > "CommentsList": not messages to the
 * organisation), and every other section (the account holder's own watch
 * history, likes, searches, messages, settings, ads). Times are UTC,
 * "2023-01-31 12:34:56"; counts are strings of digits. */
#include "ingest/internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* The first of these members of o that is there. */
static json_t *either(json_t *o, const char *a, const char *b)
{
    json_t *v = json_object_get(o, a);
    return v ? v : json_object_get(o, b);
}

/* A count as TikTok writes it: "1234", "1,234" or a number. 0 and *n;
 * 1 when it is absent, empty or "N/A" (not reported); -1 when it is
 * something else. */
static int tt_count(json_t *v, int64_t *n)
{
    if (!v || json_is_null(v))
        return 1;
    if (json_is_integer(v)) {
        *n = json_integer_value(v);
        return *n >= 0 ? 0 : -1;
    }
    const char *s = json_string_value(v);
    if (!s)
        return -1;
    if (!*s || str_eq(s, "N/A"))
        return 1;
    /* Thousands grouped with commas only: no spaces, no leading comma. */
    if (*s == ',' || strchr(s, ' '))
        return -1;
    return csv_count(s, n);
}

/* The video id in a link that has one ("https://www.tiktokv.com/share/
 * video/7301234567890123456/", ".../@name/video/7301..."), in the arena;
 * NULL for a download link, which does not. */
static const char *video_id(struct pctx *pc, const char *link)
{
    const char *v = link ? strstr(link, "/video/") : NULL;
    if (!v)
        return NULL;
    v += strlen("/video/");
    size_t n = 0;
    while (isdigit((unsigned char)v[n]))
        n++;
    return n >= 6 && n <= 30 ? arena_strndup(&pc->arena, v, n) : NULL;
}

struct account {
    const char *name;
};

static int video(struct pctx *pc, json_t *v, const char *where, void *arg)
{
    const struct account *acc = arg;
    if (!json_is_object(v))
        return rec_reject(pc, where, "a video is an object with 'Date' and 'Link'");
    struct ingest_record r;
    rec_start(&r, REC_POST, "tiktok", where);
    r.account_id = acc->name;
    r.account_name = acc->name;
    const char *date = json_string_value(json_object_get(v, "Date"));
    /* The download writes UTC times without a zone: "2023-01-31 12:34:56". */
    if (!date || time_parse_iso(date, &r.published_at) || strpbrk(date + 10, "Zz+-"))
        return rec_reject(pc, where,
                          "field 'Date' is missing or not a time like \"2023-01-31 12:34:56\"");
    /* Older downloads say VideoLink. A photo post's link is its images'
     * links, one a line. */
    const char *link = jstr(pc, v, "Link");
    if (!link)
        link = jstr(pc, v, "VideoLink");
    r.format = "video";
    if (link && strchr(link, '\n'))
        r.format = "carousel";
    else if (link && (strstr(link, ".jpeg") || strstr(link, ".jpg") || strstr(link, ".webp")))
        r.format = "photo";
    /* Own videos carry a signed download link, which names no video id:
     * such a video is known by its posting time, which no two of one
     * account's videos share. */
    r.post_id = video_id(pc, link);
    if (r.post_id && acc->name)
        r.permalink =
            arena_printf(&pc->arena, "https://www.tiktok.com/@%s/video/%s", acc->name, r.post_id);
    if (!r.post_id) {
        char iso[24];
        time_format_iso(r.published_at, iso);
        r.post_id = arena_printf(&pc->arena, "posted-%s", iso);
    }
    const char *title = jstr(pc, v, "Title");
    r.body = title && *title ? title : NULL;
    int64_t likes;
    int c = tt_count(json_object_get(v, "Likes"), &likes);
    if (c < 0)
        return rec_reject(pc, where, "field 'Likes' is not a count (\"1234\" or \"1,234\")");
    if (c == 0) {
        rec_measured(pc, &r);
        r.metrics[PM_REACTIONS] = likes;
    }
    return rec_emit(pc, &r);
}

/* How many items the arrays under j hold, at any depth. */
static int64_t items_under(json_t *j, int depth)
{
    if (depth > INGEST_MAX_DEPTH)
        return 0;
    if (json_is_array(j))
        return (int64_t)json_array_size(j);
    int64_t n = 0;
    const char *k;
    json_t *v;
    if (json_is_object(j))
        json_object_foreach (j, k, v)
            n += items_under(v, depth + 1);
    return n;
}

int read_tiktok(struct pctx *pc, json_t *j, struct error *err)
{
    int rc = -1;
    static const char *const profile_path[] = {"Profile", "Profile Information", "ProfileMap",
                                               NULL};
    json_t *videos_sec = either(j, "Video", "Post");
    json_t *list = either(videos_sec, "Videos", "Posts");
    const char *sec = json_object_get(j, "Video") ? "Video" : "Post";
    const char *sub = json_object_get(videos_sec, "Videos") ? "Videos" : "Posts";
    list = json_object_get(list, "VideoList");
    json_t *profile = jpath(j, profile_path);
    json_t *activity = either(j, "Activity", "Your Activity");
    json_t *fans = json_object_get(json_object_get(activity, "Follower List"), "FansList");
    if (!fans)
        fans = json_object_get(json_object_get(activity, "Follower"), "FansList");
    if (!json_is_object(j) || (!videos_sec && !profile && !activity)) {
        error_set(err, ERR_INVALID,
                  "$: a TikTok data download has sections 'Video' (or 'Post'), 'Profile' and "
                  "'Activity'");
        goto done;
    }
    struct account acc = {jstr(pc, profile, "userName")};
    if (acc.name && !*acc.name)
        acc.name = NULL;
    if (list && !json_is_array(list)) {
        error_set(err, ERR_INVALID, "$.%s.%s.VideoList: a list of videos was expected", sec, sub);
        goto done;
    }
    char prefix[64];
    snprintf(prefix, sizeof prefix, "$.%s.%s.VideoList", sec, sub);
    if (each_item(pc, list, prefix, video, &acc))
        goto done;
    if (json_is_array(fans)) {
        struct ingest_record r;
        rec_account_now(pc, &r, "tiktok", "$.Activity.Follower List.FansList");
        r.account_id = r.account_name = acc.name;
        r.followers = (int64_t)json_array_size(fans);
        if (rec_emit(pc, &r))
            goto done;
    }
    /* What is not read is counted, never dropped unseen. */
    json_t *comments = jpath(j, (const char *const[]){"Comment", "Comments", "CommentsList", NULL});
    if (rec_skip(pc, "$.Comment.Comments.CommentsList", (int64_t)json_array_size(comments),
                 "comments the account wrote under videos (TikTok's download has no comments "
                 "made to the account)"))
        goto done;
    const char *k;
    json_t *v;
    json_object_foreach (j, k, v) {
        if (str_eq(k, "Video") || str_eq(k, "Post") || str_eq(k, "Profile") || str_eq(k, "Comment"))
            continue;
        int64_t n = items_under(v, 0);
        if (v == activity)
            n -= (int64_t)json_array_size(fans);
        else if (n == 0 && json_is_object(v) && json_object_size(v))
            n = 1; /* settings without lists: the section itself */
        char where[128], what[96];
        snprintf(where, sizeof where, "$.%.100s", k);
        snprintf(what, sizeof what, "items of the account's own '%.40s' section", k);
        if (rec_skip(pc, where, n, what))
            goto done;
    }
    rc = 0;
done:
    return rc;
}
