/* linkedin_api: the LinkedIn REST API's answers (Restli 2.0, as the
 * connector fetches them for an organisation page): posts (/rest/posts),
 * comments (/rest/socialActions/URN/comments), share statistics
 * (/rest/organizationalEntityShareStatistics) and the follower count
 * (/rest/networkSizes). Lists are {elements: [...]}; one resource alone is
 * read as a list of one. Times are milliseconds since 1970. */
#include "ingest/internal.h"

#include <stdio.h>
#include <string.h>

/* A time in milliseconds (LinkedIn's), as seconds; 0 when absent or not
 * a plausible one. */
static int64_t jms(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
        json_integer_value(v) > INT64_C(253402300799000))
        return 0;
    return (int64_t)(json_integer_value(v) / 1000);
}

static int post(struct pctx *pc, json_t *p, const char *where)
{
    struct ingest_record r;
    rec_start(&r, REC_POST, "linkedin", where);
    r.post_id = jstr(pc, p, "id");
    r.account_id = jstr(pc, p, "author");
    r.body = jstr(pc, p, "commentary");
    r.published_at = jms(p, "publishedAt");
    if (!r.published_at)
        r.published_at = jms(p, "createdAt");
    json_t *content = json_object_get(p, "content");
    json_t *article = json_object_get(content, "article");
    r.link_url = jstr(pc, article, "source");
    r.format = article ? "link"
               : json_object_get(content, "media") || json_object_get(content, "multiImage")
                   ? "photo"
                   : "status";
    const char *state = jstr(pc, p, "lifecycleState");
    if (!r.post_id)
        return rec_reject(pc, where, "a post needs its 'id'");
    if (!str_starts_with(r.post_id, "urn:li:"))
        return rec_reject(pc, where, "post id '%.60s' is not a LinkedIn URN", r.post_id);
    if (!r.published_at)
        return rec_reject(pc, where, "post %s: publishedAt is missing or not a time in ms",
                          r.post_id);
    if (state && !str_eq(state, "PUBLISHED") && !str_eq(state, "PUBLISHED_EDITED"))
        return rec_skip(pc, where, 1, "posts that are not published (drafts, processing)");
    r.permalink = arena_printf(&pc->arena, "https://www.linkedin.com/feed/update/%s/", r.post_id);
    return rec_emit(pc, &r);
}

static int comment(struct pctx *pc, json_t *c, const char *where)
{
    struct ingest_record r;
    rec_start(&r, REC_MESSAGE, "linkedin", where);
    /* The comment's URN names the thing it is on and its own id, which is
     * what deleting or answering it needs; the bare id does not. */
    r.msg_id = jstr(pc, c, "$URN");
    if (!r.msg_id)
        r.msg_id = jstr(pc, c, "commentUrn");
    r.post_id = jstr(pc, c, "object");
    r.body = jstr(pc, json_object_get(c, "message"), "text");
    r.author_handle = jstr(pc, c, "actor");
    r.author_name = jstr(pc, c, "actorName"); /* kanal's fake and a decorated answer name it */
    json_t *created = json_object_get(c, "created");
    r.created_at = jms(created, "time");
    r.parent_msg_id = jstr(pc, c, "parentComment");
    r.msg_kind = r.parent_msg_id ? "reply" : "comment";
    r.is_own = r.author_handle && str_starts_with(r.author_handle, "urn:li:organization:");
    if (!r.msg_id)
        return rec_reject(pc, where, "a comment needs its '$URN'");
    if (!r.created_at)
        return rec_reject(pc, where, "comment %s: created.time is missing or not a time in ms",
                          r.msg_id);
    if (!r.post_id)
        return rec_reject(pc, where, "comment %s: 'object' (what it is on) is missing", r.msg_id);
    return rec_emit(pc, &r);
}

static int share_stats(struct pctx *pc, json_t *s, const char *where)
{
    struct ingest_record r;
    rec_start(&r, REC_POST_METRICS, "linkedin", where);
    r.post_id = jstr(pc, s, "share");
    if (!r.post_id)
        r.post_id = jstr(pc, s, "ugcPost");
    r.account_id = jstr(pc, s, "organizationalEntity");
    json_t *t = json_object_get(s, "totalShareStatistics");
    rec_measured(pc, &r);
    r.metrics[PM_IMPRESSIONS] = jcount(t, "impressionCount");
    r.metrics[PM_REACH] = jcount(t, "uniqueImpressionsCount");
    r.metrics[PM_REACTIONS] = jcount(t, "likeCount");
    r.metrics[PM_COMMENTS] = jcount(t, "commentCount");
    r.metrics[PM_SHARES] = jcount(t, "shareCount");
    r.metrics[PM_CLICKS] = jcount(t, "clickCount");
    if (!r.post_id)
        return rec_reject(pc, where, "share statistics need 'share' or 'ugcPost'");
    return rec_emit(pc, &r);
}

static int element(struct pctx *pc, json_t *e, const char *where, void *arg)
{
    if (!json_is_object(e))
        return rec_reject(pc, where, "an element is not an object");
    if (json_object_get(e, "totalShareStatistics"))
        return share_stats(pc, e, where);
    if (json_object_get(e, "message") && json_object_get(e, "actor"))
        return comment(pc, e, where);
    if (json_object_get(e, "author"))
        return post(pc, e, where);
    return rec_reject(pc, where, "an element that is not a post, comment or share statistics");
}

int read_linkedin_api(struct pctx *pc, json_t *j, struct error *err)
{
    int rc = 0;
    if (!json_is_object(j)) {
        rc = error_set(err, ERR_INVALID, "$: a LinkedIn API answer is an object");
        goto done;
    }
    json_t *size = json_object_get(j, "firstDegreeSize");
    if (size) {
        struct ingest_record r;
        rec_account_now(pc, &r, "linkedin", "$");
        r.account_id = jstr(pc, j, "organization"); /* kanal's connector adds it */
        r.followers = jcount(j, "firstDegreeSize");
        rc = r.followers < 0 ? rec_reject(pc, "$", "firstDegreeSize is not a count")
                             : rec_emit(pc, &r);
        goto done;
    }
    json_t *elements = json_object_get(j, "elements");
    if (elements && !json_is_array(elements)) {
        rc = error_set(err, ERR_INVALID, "$.elements: not an array");
        goto done;
    }
    rc =
        elements ? each_item(pc, elements, "$.elements", element, NULL) : element(pc, j, "$", NULL);
done:
    return rc;
}
