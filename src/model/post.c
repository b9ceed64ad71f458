/* post: the base material, its per-channel variants and its metric
 * snapshots. Plans from the desk and posts imported from the platforms are
 * the same rows, so the calendar and the analytics see one history. */
#include "model/internal.h"

#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const post_formats[] = {"photo", "video", "link",     "status", "reel",
                                    "story", "live",  "carousel", NULL};
const char *const post_statuses[] = {"draft",     "in_review", "approved", "scheduled",
                                     "published", "failed",    "archived", NULL};

static const struct field post_fields[] = {
    {"title", FT_TEXT, 0, 300, NULL, NULL, NULL},
    {"body", FT_TEXT, 0, MODEL_TEXT_MAX, NULL, NULL, NULL},
    {"format", FT_ENUM, F_FILTER, 0, post_formats, NULL, NULL},
    {"campaign_id", FT_REF, F_NULL | F_FILTER, 0, NULL, "campaigns", NULL},
    {"link_url", FT_TEXT, F_NULL, 2000, NULL, NULL, model_check_url},
    {"lang", FT_TEXT, F_NULL, 8, NULL, NULL, NULL},
    {"status", FT_ENUM, F_FILTER, 0, post_statuses, NULL, NULL},
    {"created_by", FT_INT, F_RO | F_NULL, 0, NULL, NULL, NULL},
    {"at", FT_TIME, F_RO, 0, NULL, NULL, NULL},
};
static const struct entity entity_post = {
    "post", "posts", true, post_fields, ARRAY_LEN(post_fields), NULL, NULL};

static const struct field variant_fields[] = {
    {"channel_id", FT_REF, F_REQ, 0, NULL, "channels", NULL},
    {"body", FT_TEXT, F_NULL, MODEL_TEXT_MAX, NULL, NULL, NULL},
    {"status", FT_ENUM, 0, 0, post_statuses, NULL, NULL},
    {"scheduled_at", FT_TIME, F_NULL, 0, NULL, NULL, NULL},
    {"platform_id", FT_TEXT, F_RO | F_NULL, 0, NULL, NULL, NULL},
    {"permalink", FT_TEXT, F_RO | F_NULL, 0, NULL, NULL, NULL},
    {"published_at", FT_TIME, F_RO | F_NULL, 0, NULL, NULL, NULL},
    {"title", FT_TEXT, F_NULL, 300, NULL, NULL, NULL},
    {"first_comment", FT_TEXT, F_NULL, MODEL_TEXT_MAX, NULL, NULL, NULL},
};
static const struct entity entity_variant = {
    "variant", "post_variants", false, variant_fields, ARRAY_LEN(variant_fields), NULL, NULL};

const char *const post_metric_names[PM_COUNT] = {
    "reach", "impressions", "reactions", "comments", "shares", "saves", "clicks", "video_views"};

/* ---- reading --------------------------------------------------------------------- */

#define MAX_VARIANTS 32
#define MAX_TAGS     64

/* Attaches "variants" and "tag_ids" to each post object in `posts`, with one
 * query each for the whole page rather than one per post. */
static int attach_children(struct db *db, json_t *posts, struct error *err)
{
    size_t n = json_array_size(posts);
    if (n == 0)
        return 0;
    struct buf ids = {0};
    size_t i;
    json_t *p;
    json_array_foreach (posts, i, p) {
        buf_printf(&ids, "%s%lld", i ? "," : "",
                   (long long)json_integer_value(json_object_get(p, "id")));
        json_object_set_new(p, "variants", json_array());
        json_object_set_new(p, "tag_ids", json_array());
    }
    /* The ids are integers we formatted ourselves, not input. */
    struct buf sql = {0};
    buf_puts(&sql, "SELECT post_id, ");
    entity_columns(&entity_variant, &sql, NULL);
    /* media is a JSON array (0011), kept as text: no field type of its own. */
    buf_printf(&sql, ", media FROM post_variants WHERE post_id IN (%s) ORDER BY id", ids.data);
    struct db_stmt *st = db_prepare(db, sql.data, err);
    int rc = -1;
    if (!st)
        goto done;
    while ((rc = db_step(st, err)) == 1) {
        int64_t pid = db_col_int(st, 0);
        json_t *v = json_object();
        int c = 1;
        json_object_set_new(v, "id", json_integer(db_col_int(st, c++)));
        for (size_t f = 0; f < entity_variant.nfields; f++)
            field_to_json(v, &entity_variant.fields[f], st, c++);
        json_t *media = json_loads(db_col_text(st, c), 0, NULL);
        json_object_set_new(v, "media", json_is_array(media) ? media : json_array());
        if (media && !json_is_array(media))
            json_decref(media);
        json_array_foreach (posts, i, p) {
            if (json_integer_value(json_object_get(p, "id")) == pid) {
                json_array_append(json_object_get(p, "variants"), v);
                break;
            }
        }
        json_decref(v);
    }
    db_finalize(st);
    if (rc < 0)
        goto done;
    rc = attach_tag_ids(db, posts, "post_tags", "post_id", err);
done:
    buf_free(&ids);
    buf_free(&sql);
    return rc < 0 ? -1 : 0;
}

json_t *post_get(struct db *db, int64_t workspace_id, int64_t id, struct error *err)
{
    json_t *p = entity_get(db, &entity_post, workspace_id, id, err);
    if (!p)
        return NULL;
    json_t *one = json_array();
    json_array_append(one, p);
    int rc = attach_children(db, one, err);
    json_decref(one);
    if (rc) {
        json_decref(p);
        return NULL;
    }
    return p;
}

static const struct query_filter post_filters[] = {
    {"channel", QF_ID, offsetof(struct post_filter, channel_id),
     "EXISTS (SELECT 1 FROM post_variants v WHERE v.post_id = p.id AND v.channel_id = ?)", NULL},
    {"campaign", QF_ID, offsetof(struct post_filter, campaign_id), "p.campaign_id = ?", NULL},
    {"tag", QF_ID, offsetof(struct post_filter, tag_id),
     "EXISTS (SELECT 1 FROM post_tags t WHERE t.post_id = p.id AND t.tag_id = ?)", NULL},
    {"status", QF_ENUM, offsetof(struct post_filter, status), "p.status = ?", post_statuses},
    {"format", QF_ENUM, offsetof(struct post_filter, format), "p.format = ?", post_formats},
    {"since", QF_TIME, offsetof(struct post_filter, since), NULL, NULL},
    {"until", QF_TIME, offsetof(struct post_filter, until), NULL, NULL},
    {0},
};

int post_filter_parse(struct post_filter *f, json_t *q, struct error *err)
{
    return query_filters_parse(f, sizeof *f, post_filters, NULL, q, err);
}

json_t *post_list(struct db *db, int64_t workspace_id, const struct post_filter *f,
                  const struct page *pg, struct error *err)
{
    int64_t cat, cid;
    struct qb q;
    if (qb_start_list(&q, &entity_post, "posts", "p", workspace_id, pg, &cat, &cid, err))
        return NULL;
    qb_filters(&q, f, post_filters);
    qb_time_page(&q, "p.at", "p.id", f->since, f->until, pg, cat, cid);
    struct db_stmt *st = qb_prepare(&q, db, err);
    if (!st)
        return NULL;
    /* "at" is the last field, after id and workspace_id */
    json_t *out = page_collect(st, &entity_post, pg->limit, 2 + (int)entity_post.nfields - 1, err);
    if (out && attach_children(db, json_object_get(out, "items"), err)) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* ---- writing from the desk ------------------------------------------------------------- */

static int set_tags(struct db *db, int64_t workspace_id, int64_t post_id, json_t *tag_ids,
                    struct error *err)
{
    if (!json_is_array(tag_ids) || json_array_size(tag_ids) > MAX_TAGS)
        return error_field(err, ERR_INVALID, "tag_ids",
                           "field 'tag_ids': expected an array of at most %d tag ids", MAX_TAGS);
    if (db_run(db, err, "DELETE FROM post_tags WHERE post_id = ?", "i", post_id) < 0)
        return -1;
    static const struct field tag_ref = {"tag_ids", FT_REF, 0, 0, NULL, "tags", NULL};
    size_t i;
    json_t *t;
    json_array_foreach (tag_ids, i, t) {
        if (field_validate(&entity_post, &tag_ref, t, db, workspace_id, err))
            return -1;
        if (db_run(db, err,
                   "INSERT INTO post_tags (post_id, tag_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                   "ii", post_id, (int64_t)json_integer_value(t)) < 0)
            return -1;
    }
    return 0;
}

int post_tag(struct db *db, int64_t post_id, int64_t tag_id, struct error *err)
{
    return db_do(db, err,
                 "INSERT INTO post_tags (post_id, tag_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                 "ii", post_id, tag_id);
}

int post_refresh_at(struct db *db, int64_t post_id, struct error *err)
{
    return db_do(db, err,
                 "UPDATE posts SET at = COALESCE((SELECT MIN(COALESCE(v.published_at, "
                 "v.scheduled_at)) FROM post_variants v WHERE v.post_id = posts.id), created_at) "
                 "WHERE id = ?",
                 "i", post_id);
}

static int insert_variants(struct db *db, int64_t workspace_id, int64_t post_id, json_t *variants,
                           struct error *err)
{
    if (!json_is_array(variants) || json_array_size(variants) > MAX_VARIANTS)
        return error_field(err, ERR_INVALID, "variants",
                           "field 'variants': expected an array of at most %d variants",
                           MAX_VARIANTS);
    size_t i;
    json_t *v;
    json_array_foreach (variants, i, v) {
        /* The media list is checked by publish/ against the channel's
         * platform; here only its shape. */
        json_t *media = json_object_get(v, "media");
        if (media && !json_is_array(media) && !json_is_null(media))
            return error_field(err, ERR_INVALID, "variants",
                               "variants[%zu].media: expected an array", i);
        json_t *cols = json_copy(v);
        json_object_del(cols, "media");
        int bad = entity_validate(&entity_variant, cols, true, db, workspace_id, err);
        json_decref(cols);
        if (bad) {
            char why[sizeof err->msg];
            snprintf(why, sizeof why, "%s", err->msg);
            error_field(err, ERR_INVALID, "variants", "variants[%zu]: %s", i, why);
            return -1;
        }
        json_t *body = json_object_get(v, "body"), *status = json_object_get(v, "status"),
               *sched = json_object_get(v, "scheduled_at");
        int64_t now = time_now(), t = 0;
        struct db_stmt *st = db_prepare(db,
                                        "INSERT INTO post_variants (post_id, channel_id, body, "
                                        "status, scheduled_at, created_at, updated_at, title, "
                                        "first_comment, media) "
                                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                        err);
        if (!st)
            return -1;
        db_bind_int(st, 1, post_id);
        db_bind_int(st, 2, json_integer_value(json_object_get(v, "channel_id")));
        db_bind_text(st, 3, json_is_string(body) ? json_string_value(body) : NULL);
        db_bind_text(st, 4, json_is_string(status) ? json_string_value(status) : "draft");
        if (json_is_string(sched) && !time_parse_iso(json_string_value(sched), &t))
            db_bind_int(st, 5, t);
        else
            db_bind_null(st, 5);
        db_bind_int(st, 6, now);
        db_bind_int(st, 7, now);
        json_t *title = json_object_get(v, "title"), *fc = json_object_get(v, "first_comment");
        db_bind_text(st, 8, json_is_string(title) ? json_string_value(title) : NULL);
        db_bind_text(st, 9, json_is_string(fc) ? json_string_value(fc) : NULL);
        char *m = json_is_array(media) ? json_dumps(media, JSON_COMPACT) : NULL;
        db_bind_text(st, 10, m ? m : "[]");
        int rc = db_step(st, err);
        free(m);
        db_finalize(st);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* Splits the members that are not plain columns off a post object. */
static json_t *post_columns(json_t *in, json_t **variants, json_t **tag_ids)
{
    json_t *cols = json_deep_copy(in);
    *variants = json_incref(json_object_get(cols, "variants"));
    *tag_ids = json_incref(json_object_get(cols, "tag_ids"));
    json_object_del(cols, "variants");
    json_object_del(cols, "tag_ids");
    return cols;
}

json_t *post_create(struct db *db, int64_t workspace_id, json_t *in, const struct actor *who,
                    struct error *err)
{
    if (!json_is_object(in)) {
        error_set(err, ERR_INVALID, "expected a JSON object for a post");
        return NULL;
    }
    json_t *variants, *tag_ids, *out = NULL;
    json_t *cols = post_columns(in, &variants, &tag_ids);
    int64_t id = 0, now = time_now();
    if (entity_validate(&entity_post, cols, true, db, workspace_id, err))
        goto done;
    if (db_begin(db, err))
        goto done;
    int64_t head[] = {workspace_id, who ? who->user_id : 0, now}; /* 0: no author */
    if (entity_insert(db, &entity_post, "workspace_id, created_by, at, ", head, 3, cols, now, &id,
                      err))
        goto rollback;
    if (variants && insert_variants(db, workspace_id, id, variants, err))
        goto rollback;
    if (tag_ids && set_tags(db, workspace_id, id, tag_ids, err))
        goto rollback;
    if (post_refresh_at(db, id, err))
        goto rollback;
    if (audit_record_json(db, workspace_id, who ? who->user_id : 0, "create", "post", id,
                          json_incref(in), err) ||
        db_commit(db, err))
        goto rollback;
    out = post_get(db, workspace_id, id, err);
    goto done;
rollback:
    db_rollback(db);
done:
    json_decref(cols);
    json_decref(variants);
    json_decref(tag_ids);
    return out;
}

/* Statuses an author may set and work in; the rest belong to the desk. */
static bool author_status(const char *status)
{
    return status && (str_eq(status, "draft") || str_eq(status, "in_review"));
}

/* What an author may not do to post id with patch: 0 if allowed (or if there
 * is no such post, which the update reports), else ERR_DENIED. Inside the
 * update's transaction, so the status read is the one changed. */
static int author_may_change(struct db *db, int64_t workspace_id, int64_t id, json_t *patch,
                             const struct actor *who, struct error *err)
{
    json_t *status = json_object_get(patch, "status");
    if (status && !author_status(json_string_value(status)))
        return error_field(err, ERR_DENIED, "status",
                           "an author may set status 'draft' or 'in_review' only");
    struct db_stmt *st =
        db_query(db, err, "SELECT created_by, status FROM posts WHERE id = ? AND workspace_id = ?",
                 "ii", id, workspace_id);
    if (!st)
        return -1;
    bool found = db_has_row(st);
    bool own = found && !db_col_null(st, 0) && db_col_int(st, 0) == who->user_id;
    bool in_work = found && author_status(db_col_text(st, 1));
    db_finalize(st);
    if (found && !(own && in_work))
        return error_set(err, ERR_DENIED,
                         "an author may change only their own posts, and only while they are "
                         "drafts or in review");
    return 0;
}

json_t *post_update(struct db *db, int64_t workspace_id, int64_t id, json_t *patch,
                    const struct actor *who, struct error *err)
{
    if (!json_is_object(patch)) {
        error_set(err, ERR_INVALID, "expected a JSON object");
        return NULL;
    }
    if (json_object_get(patch, "variants")) {
        error_field(err, ERR_INVALID, "variants",
                    "variants cannot be replaced by a post update; change them one by one");
        return NULL;
    }
    json_t *variants, *tag_ids, *updated = NULL;
    json_t *cols = post_columns(patch, &variants, &tag_ids);
    int rc = db_begin(db, err);
    if (rc == 0) {
        rc = (who && who->role == ROLE_AUTHOR &&
              author_may_change(db, workspace_id, id, patch, who, err)) ||
             !(updated = entity_update(db, &entity_post, workspace_id, id, cols, who, err)) ||
             (tag_ids && set_tags(db, workspace_id, id, tag_ids, err));
        rc = db_end(db, rc, err);
    }
    json_decref(updated);
    json_decref(cols);
    json_decref(variants);
    json_decref(tag_ids);
    return rc ? NULL : post_get(db, workspace_id, id, err);
}

int post_delete(struct db *db, int64_t workspace_id, int64_t id, const struct actor *who,
                struct error *err)
{
    if (who && who->role == ROLE_AUTHOR)
        return error_set(err, ERR_DENIED, "an author may not delete posts");
    return entity_delete(db, &entity_post, workspace_id, id, who, err);
}

/* ---- writing from the platforms ------------------------------------------------------------ */

static bool same_text(const char *a, const char *b)
{
    return str_eq(a ? a : "", b ? b : "");
}

static const int64_t *opt(const int64_t *v)
{
    return *v >= 0 ? v : NULL;
}

static int insert_snapshot(struct db *db, int64_t variant_id, int64_t taken_at,
                           const int64_t v[PM_COUNT], struct error *err)
{
    return db_do(db, err,
                 "INSERT INTO post_metrics (variant_id, taken_at, reach, impressions, reactions, "
                 "comments, shares, saves, clicks, video_views) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 "iiIIIIIIII", variant_id, taken_at, opt(&v[0]), opt(&v[1]), opt(&v[2]), opt(&v[3]),
                 opt(&v[4]), opt(&v[5]), opt(&v[6]), opt(&v[7]));
}

int post_upsert_platform(struct db *db, int64_t workspace_id, const struct platform_post *p,
                         int64_t *variant_id, int64_t *post_id, bool *with_metrics,
                         struct error *err)
{
    assert(db && p);
    if (with_metrics)
        *with_metrics = false;
    if (!p->platform_id || !*p->platform_id)
        return error_field(err, ERR_INVALID, "platform_id",
                           "a platform post needs its platform id");
    const char *format = p->format ? p->format : "status";
    if (str_index(post_formats, format) < 0)
        return error_field(err, ERR_INVALID, "format", "unknown post format '%.40s'", format);
    if (!p->channel_checked && channel_in_workspace(db, workspace_id, p->channel_id, err))
        return -1;
    struct db_stmt *st = db_query(db, err,
                                  "SELECT v.id, v.post_id, p.body, v.permalink, v.published_at, "
                                  "p.format, p.lang, p.link_url, p.campaign_id "
                                  "FROM post_variants v JOIN posts p ON p.id = v.post_id "
                                  "WHERE v.channel_id = ? AND v.platform_id = ?",
                                  "it", p->channel_id, p->platform_id);
    if (!st)
        return -1;
    int64_t now = time_now();
    int64_t *campaign = p->campaign_id ? (int64_t *)&p->campaign_id : NULL;
    if (db_has_row(st)) {
        int64_t vid = db_col_int(st, 0), pid = db_col_int(st, 1);
        bool same =
            same_text(db_col_text(st, 2), p->body) && same_text(db_col_text(st, 3), p->permalink) &&
            db_col_int(st, 4) == p->published_at && same_text(db_col_text(st, 5), format) &&
            same_text(db_col_text(st, 6), p->lang) && same_text(db_col_text(st, 7), p->link_url) &&
            db_col_int(st, 8) == p->campaign_id;
        db_finalize(st);
        if (variant_id)
            *variant_id = vid;
        if (post_id)
            *post_id = pid;
        if (same)
            return UPSERT_UNCHANGED;
        if (db_run(
                db, err,
                "UPDATE posts SET body = ?, format = ?, lang = ?, link_url = ?, campaign_id = ?, "
                "updated_at = ? WHERE id = ?",
                "ttttIii", p->body ? p->body : "", format, p->lang, p->link_url, campaign, now,
                pid) < 0 ||
            db_run(db, err,
                   "UPDATE post_variants SET permalink = ?, published_at = ?, updated_at = ? "
                   "WHERE id = ?",
                   "tiii", p->permalink, p->published_at, now, vid) < 0 ||
            post_refresh_at(db, pid, err))
            return -1;
        return UPSERT_UPDATED;
    }
    db_finalize(st);
    /* A new post: its snapshot is also its variant's latest numbers, so
     * both are written here rather than read back and updated. */
    int64_t none[PM_COUNT];
    for (int i = 0; i < PM_COUNT; i++)
        none[i] = -1;
    const int64_t *v = p->metrics ? p->metrics : none;
    const int64_t *m_at = p->metrics ? &p->taken_at : NULL;
    int64_t pid = 0, vid = 0;
    if (db_insert(db, err, &pid,
                  "INSERT INTO posts (workspace_id, campaign_id, body, format, link_url, lang, "
                  "status, at, created_at, updated_at) "
                  "VALUES (?, ?, ?, ?, ?, ?, 'published', ?, ?, ?)",
                  "iIttttiii", workspace_id, campaign, p->body ? p->body : "", format, p->link_url,
                  p->lang, p->published_at, now, now) ||
        db_insert(db, err, &vid,
                  "INSERT INTO post_variants (post_id, channel_id, platform_id, permalink, status, "
                  "published_at, created_at, updated_at, m_at, m_reach, m_impressions, "
                  "m_reactions, m_comments, m_shares, m_saves, m_clicks, m_video_views) "
                  "VALUES (?, ?, ?, ?, 'published', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  "iittiiiIIIIIIIII", pid, p->channel_id, p->platform_id, p->permalink,
                  p->published_at, now, now, m_at, opt(&v[0]), opt(&v[1]), opt(&v[2]), opt(&v[3]),
                  opt(&v[4]), opt(&v[5]), opt(&v[6]), opt(&v[7])))
        return -1;
    if (p->metrics && insert_snapshot(db, vid, p->taken_at, v, err))
        return -1;
    if (variant_id)
        *variant_id = vid;
    if (post_id)
        *post_id = pid;
    if (with_metrics)
        *with_metrics = p->metrics != NULL;
    return UPSERT_INSERTED;
}

/* Keeps the variant's latest numbers (what reports read) when the snapshot
 * at `taken_at` is at least as new as the one they came from. */
static int refresh_latest(struct db *db, int64_t variant_id, int64_t taken_at,
                          const int64_t v[PM_COUNT], struct error *err)
{
    return db_do(db, err,
                 "UPDATE post_variants SET m_at = ?, m_reach = ?, m_impressions = ?, "
                 "m_reactions = ?, m_comments = ?, m_shares = ?, m_saves = ?, m_clicks = ?, "
                 "m_video_views = ? WHERE id = ? AND (m_at IS NULL OR m_at <= ?)",
                 "iIIIIIIIIii", taken_at, opt(&v[0]), opt(&v[1]), opt(&v[2]), opt(&v[3]),
                 opt(&v[4]), opt(&v[5]), opt(&v[6]), opt(&v[7]), variant_id, taken_at);
}

int post_metrics_add(struct db *db, int64_t variant_id, int64_t taken_at,
                     const int64_t values[PM_COUNT], struct error *err)
{
    assert(db && variant_id > 0 && values);
    struct db_stmt *st = db_query(db, err,
                                  "SELECT reach, impressions, reactions, comments, shares, saves, "
                                  "clicks, video_views FROM post_metrics "
                                  "WHERE variant_id = ? AND taken_at = ?",
                                  "ii", variant_id, taken_at);
    if (!st)
        return -1;
    bool exists = db_has_row(st), same = exists;
    for (int i = 0; exists && i < PM_COUNT; i++)
        same = same && (db_col_null(st, i) ? values[i] < 0 : db_col_int(st, i) == values[i]);
    db_finalize(st);
    if (same)
        return UPSERT_UNCHANGED;
    const int64_t *v = values;
    if (refresh_latest(db, variant_id, taken_at, values, err))
        return -1;
    if (exists)
        return db_run(db, err,
                      "UPDATE post_metrics SET reach = ?, impressions = ?, reactions = ?, "
                      "comments = ?, shares = ?, saves = ?, clicks = ?, video_views = ? "
                      "WHERE variant_id = ? AND taken_at = ?",
                      "IIIIIIIIii", opt(&v[0]), opt(&v[1]), opt(&v[2]), opt(&v[3]), opt(&v[4]),
                      opt(&v[5]), opt(&v[6]), opt(&v[7]), variant_id, taken_at) < 0
                   ? -1
                   : UPSERT_UPDATED;
    return insert_snapshot(db, variant_id, taken_at, v, err) ? -1 : UPSERT_INSERTED;
}

int channel_metrics_add(struct db *db, int64_t channel_id, int64_t taken_at, int64_t followers,
                        int64_t reach, int64_t impressions, struct error *err)
{
    struct db_stmt *st = db_query(db, err,
                                  "SELECT followers, reach, impressions FROM channel_metrics "
                                  "WHERE channel_id = ? AND taken_at = ?",
                                  "ii", channel_id, taken_at);
    if (!st)
        return -1;
    int64_t v[3] = {followers, reach, impressions};
    /* A figure this reading does not report keeps the one stored: two files
     * of one day (TikTok's overview and follower exports) each give their
     * own figures, and neither erases the other's. */
    bool exists = db_has_row(st), same = exists;
    for (int i = 0; exists && i < 3; i++)
        same = same && (v[i] < 0 || (!db_col_null(st, i) && db_col_int(st, i) == v[i]));
    db_finalize(st);
    if (same)
        return UPSERT_UNCHANGED;
    if (exists)
        return db_run(db, err,
                      "UPDATE channel_metrics SET followers = COALESCE(?, followers), "
                      "reach = COALESCE(?, reach), impressions = COALESCE(?, impressions) "
                      "WHERE channel_id = ? AND taken_at = ?",
                      "IIIii", opt(&v[0]), opt(&v[1]), opt(&v[2]), channel_id, taken_at) < 0
                   ? -1
                   : UPSERT_UPDATED;
    return db_run(db, err,
                  "INSERT INTO channel_metrics (channel_id, taken_at, followers, reach, "
                  "impressions) VALUES (?, ?, ?, ?, ?)",
                  "iiIII", channel_id, taken_at, opt(&v[0]), opt(&v[1]), opt(&v[2])) < 0
               ? -1
               : UPSERT_INSERTED;
}

int post_variant_find(struct db *db, int64_t channel_id, const char *platform_id, int64_t *id,
                      struct error *err)
{
    return db_scalar(db, err, id,
                     "SELECT id FROM post_variants WHERE channel_id = ? AND platform_id = ?", "it",
                     channel_id, platform_id);
}

int post_variant_post(struct db *db, int64_t variant_id, int64_t *post_id, struct error *err)
{
    return db_scalar(db, err, post_id, "SELECT post_id FROM post_variants WHERE id = ?", "i",
                     variant_id);
}

int post_variant_set_platform_status(struct db *db, int64_t channel_id, const char *platform_id,
                                     const char *status, struct error *err)
{
    const char *to = str_eq(status, "open") ? "published" : "archived";
    int64_t id = 0;
    if (platform_found(post_variant_find(db, channel_id, platform_id, &id, err), "post",
                       platform_id, err))
        return -1;
    int64_t n = db_run(db, err,
                       "UPDATE post_variants SET status = ?, updated_at = ? "
                       "WHERE id = ? AND status <> ?",
                       "tiit", to, time_now(), id, to);
    return upsert_of_changes(n);
}

int post_edit_platform(struct db *db, int64_t channel_id, const char *platform_id, const char *body,
                       struct error *err)
{
    int64_t vid = 0;
    int found = post_variant_find(db, channel_id, platform_id, &vid, err);
    return platform_edit_body(db, "post", found, vid,
                              "UPDATE posts SET body = ?, updated_at = ? WHERE id = "
                              "(SELECT post_id FROM post_variants WHERE id = ?) AND body <> ?",
                              platform_id, body, err);
}
