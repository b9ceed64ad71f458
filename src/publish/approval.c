/* approval: the desk's workflow on posts and their variants. A variant goes
 * draft -> in_review -> approved -> scheduled -> published | failed, and
 * back to draft with a reason when rejected; a post's status is derived
 * from its variants. Approvals count per review round, by the rules of the
 * workspace and of each channel, and every transition is audited. */
#include "publish/publish.h"
#include "notify/notify.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the state machine ------------------------------------------------------ */

static const char *const statuses[] = {"draft",     "in_review", "approved", "scheduled",
                                       "published", "failed",    "archived"};

struct move {
    const char *from;
    enum publish_event ev;
    const char *to;
};

/* Every move a variant may make; anything else is refused. */
static const struct move moves[] = {
    {"draft", EV_SUBMIT, "in_review"},        {"draft", EV_EDIT, "draft"},
    {"in_review", EV_APPROVE, "approved"},    {"in_review", EV_REJECT, "draft"},
    {"in_review", EV_EDIT, "in_review"},      {"approved", EV_SCHEDULE, "scheduled"},
    {"approved", EV_EDIT, "in_review"},       {"approved", EV_REJECT, "draft"},
    {"scheduled", EV_PUBLISHED, "published"}, {"scheduled", EV_FAILED, "failed"},
    {"scheduled", EV_EDIT, "in_review"},      {"scheduled", EV_UNSCHEDULE, "approved"},
    {"scheduled", EV_SCHEDULE, "scheduled"},  {"failed", EV_SCHEDULE, "scheduled"},
    {"failed", EV_EDIT, "in_review"},
};

const char *publish_next(const char *from, enum publish_event ev)
{
    for (size_t i = 0; i < ARRAY_LEN(moves); i++)
        if (moves[i].ev == ev && str_eq(moves[i].from, from))
            return moves[i].to;
    return NULL;
}

static int rank(const char *s)
{
    for (size_t i = 0; i < ARRAY_LEN(statuses); i++)
        if (str_eq(statuses[i], s))
            return (int)i;
    return -1;
}

const char *publish_post_status(const char *const *variants, size_t n)
{
    /* A failed variant is what the desk must see first; otherwise the post
     * is as far as its least advanced variant; archived ones do not count
     * unless every one is. */
    int least = -1;
    for (size_t i = 0; i < n; i++) {
        int r = rank(variants[i]);
        assert(r >= 0);
        if (str_eq(variants[i], "failed"))
            return "failed";
        if (str_eq(variants[i], "archived"))
            continue;
        if (least < 0 || r < least)
            least = r;
    }
    if (least >= 0)
        return statuses[least];
    return n ? "archived" : NULL;
}

/* ---- helpers ------------------------------------------------------------------ */

static int audit(struct db *db, int64_t ws, int64_t user, const char *action, int64_t post,
                 json_t *detail, struct error *err)
{
    return audit_record_json(db, ws, user, action, "post", post, detail, err);
}

struct locked_post {
    int64_t id, round, created_by;
    char status[16];
};

/* Takes the post's row lock for this transaction (an UPDATE: the form both
 * stores understand), so that two decisions at once are serialised and the
 * second sees what the first did. ERR_NOT_FOUND for no such post. */
static int lock_post(struct db *db, int64_t ws, int64_t id, struct locked_post *p,
                     struct error *err)
{
    int64_t n = db_run(db, err, "UPDATE posts SET updated_at = ? WHERE id = ? AND workspace_id = ?",
                       "iii", time_now(), id, ws);
    if (n <= 0)
        return model_no_row((int)n, "post", id, err);
    struct db_stmt *st = db_query(
        db, err, "SELECT review_round, created_by, status FROM posts WHERE id = ?", "i", id);
    if (!st)
        return -1;
    bool found = db_has_row(st);
    assert(found); /* locked above */
    p->id = id;
    p->round = db_col_int(st, 0);
    p->created_by = db_col_null(st, 1) ? 0 : db_col_int(st, 1);
    snprintf(p->status, sizeof p->status, "%s", db_col_text(st, 2));
    db_finalize(st);
    return found ? 0 : -1;
}

/* Opens the transaction every change of a post's review or schedule runs
 * in and locks the post in it (lock_post). On failure nothing is left
 * open: the transaction is rolled back. */
static int begin_on_post(struct db *db, int64_t ws, int64_t id, struct locked_post *p,
                         struct error *err)
{
    if (db_begin(db, err))
        return -1;
    if (lock_post(db, ws, id, p, err)) {
        db_rollback(db);
        return -1;
    }
    return 0;
}

/* Stores the post's status as its variants make it. */
static int refresh_status(struct db *db, int64_t post_id, struct error *err)
{
    struct db_stmt *st =
        db_query(db, err, "SELECT status FROM post_variants WHERE post_id = ?", "i", post_id);
    if (!st)
        return -1;
    const char *seen[64];
    size_t n = 0;
    int rc;
    for (rc = db_has_row(st) ? 1 : 0; rc == 1 && n < ARRAY_LEN(seen); rc = db_step(st, err)) {
        int r = rank(db_col_text(st, 0));
        seen[n++] = statuses[r < 0 ? 0 : r];
    }
    db_finalize(st);
    if (rc < 0)
        return -1;
    const char *s = publish_post_status(seen, n);
    if (!s)
        return 0; /* no variants: the post keeps its own */
    return db_do(db, err, "UPDATE posts SET status = ?, updated_at = ? WHERE id = ?", "tii", s,
                 time_now(), post_id);
}

int publish_refresh_status(struct db *db, int64_t post_id, struct error *err)
{
    return refresh_status(db, post_id, err);
}

/* Moves every variant of the post in status `from` by `ev`; the number moved. */
static int64_t move_all(struct db *db, int64_t post_id, const char *from, enum publish_event ev,
                        struct error *err)
{
    const char *to = publish_next(from, ev);
    assert(to);
    return db_run(db, err,
                  "UPDATE post_variants SET status = ?, updated_at = ? "
                  "WHERE post_id = ? AND status = ?",
                  "tiit", to, time_now(), post_id, from);
}

static bool is_desk(const struct actor *who)
{
    return who->role == ROLE_ADMIN || who->role == ROLE_EDITOR;
}

/* begin_on_post for what the desk, and an author on their own post, may
 * do: ERR_DENIED "an author may DOING only their own posts" otherwise,
 * with nothing begun. */
static int begin_on_own_post(struct db *db, int64_t ws, int64_t id, const struct actor *who,
                             const char *doing, struct locked_post *p, struct error *err)
{
    if (begin_on_post(db, ws, id, p, err))
        return -1;
    if (!is_desk(who) && p->created_by != who->user_id) {
        db_rollback(db);
        return error_set(err, ERR_DENIED, "an author may %s only their own posts", doing);
    }
    return 0;
}

/* ---- checking a variant against its channel --------------------------------------- */

struct channel_facts {
    char platform[16];
    int64_t text_limit;
    bool peer;
};

static int channel_facts(struct db *db, int64_t ws, int64_t channel_id, struct channel_facts *c,
                         const char *field, struct error *err)
{
    struct db_stmt *st;
    int found = db_row(db, err, &st,
                       "SELECT platform, COALESCE(text_limit, 0), is_peer "
                       "FROM channels WHERE id = ? AND workspace_id = ?",
                       "ii", channel_id, ws);
    if (found < 0)
        return -1;
    if (!found)
        return error_field(err, ERR_INVALID, field, "%s: no channel %lld in this workspace", field,
                           (long long)channel_id);
    snprintf(c->platform, sizeof c->platform, "%s", db_col_text(st, 0));
    c->text_limit = db_col_int(st, 1);
    c->peer = db_col_int(st, 2) != 0;
    db_finalize(st);
    if (c->peer)
        return error_field(err, ERR_INVALID, field,
                           "%s: channel %lld is a peer's (another organisation's): kanal "
                           "does not post there",
                           field, (long long)channel_id);
    return 0;
}

int publish_future_time(const char *field, const char *s, int64_t now, int64_t *t,
                        struct error *err)
{
    if (!s || time_parse_iso(s, t))
        return error_field(err, ERR_INVALID, field,
                           "%s: expected an ISO 8601 time such as 2026-03-01T09:00:00Z", field);
    if (*t <= now)
        return error_field(err, ERR_INVALID, field, "%s: %s is in the past", field, s);
    return 0;
}

/* Checks a variant object as it will be stored ({channel_id, body, title,
 * first_comment, media, scheduled_at}); `base` is the post's body, posted
 * when the variant has none. `prefix` names the variant in errors. */
static int check_variant(struct db *db, int64_t ws, json_t *v, const char *base, const char *prefix,
                         bool complete, struct error *err)
{
    char field[64];
    json_t *ch = json_object_get(v, "channel_id");
    snprintf(field, sizeof field, "%schannel_id", prefix);
    if (!json_is_integer(ch))
        return error_field(err, ERR_INVALID, field, "%s: expected a channel id", field);
    struct channel_facts c;
    if (channel_facts(db, ws, json_integer_value(ch), &c, field, err))
        return -1;
    const char *types[PUBLISH_MEDIA_MAX];
    json_t *media = json_object_get(v, "media");
    size_t nmedia = 0;
    if (media && !json_is_null(media)) {
        snprintf(field, sizeof field, "%smedia", prefix);
        if (!json_is_array(media) || json_array_size(media) > PUBLISH_MEDIA_MAX)
            return error_field(err, ERR_INVALID, field, "%s: expected an array of at most %d media",
                               field, PUBLISH_MEDIA_MAX);
        size_t i;
        json_t *m;
        json_array_foreach (media, i, m) {
            json_t *t = json_object_get(m, "type"), *u = json_object_get(m, "url");
            snprintf(field, sizeof field, "%smedia[%zu]", prefix, i);
            if (!json_is_string(t) || (u && !json_is_string(u)) ||
                (u && strlen(json_string_value(u)) > 2000))
                return error_field(err, ERR_INVALID, field,
                                   "%s: expected {\"type\": \"image\"|\"video\"|\"gif\", "
                                   "\"url\": \"...\"}",
                                   field);
            types[nmedia++] = json_string_value(t);
        }
    }
    json_t *sched = json_object_get(v, "scheduled_at");
    if (sched && !json_is_null(sched)) {
        int64_t t;
        snprintf(field, sizeof field, "%sscheduled_at", prefix);
        if (publish_future_time(field, json_string_value(sched), time_now(), &t, err))
            return -1;
    }
    for (const char *const *k = (const char *const[]){"body", "title", "first_comment", NULL}; *k;
         k++) {
        json_t *s = json_object_get(v, *k);
        snprintf(field, sizeof field, "%s%s", prefix, *k);
        if (s && !json_is_null(s) && (!json_is_string(s) || json_string_length(s) > 65536))
            return error_field(err, ERR_INVALID, field, "%s: expected text of at most 65536 bytes",
                               field);
    }
    json_t *body = json_object_get(v, "body");
    struct variant_check vc = {
        .platform = c.platform,
        .body = json_is_string(body) ? json_string_value(body) : base,
        .title = json_string_value(json_object_get(v, "title")),
        .first_comment = json_string_value(json_object_get(v, "first_comment")),
        .media = types,
        .nmedia = nmedia,
        .text_limit = c.text_limit,
        .complete = complete,
    };
    if (publish_check(&vc, err)) {
        char why[sizeof err->msg], f[64];
        snprintf(why, sizeof why, "%s", err->msg);
        snprintf(f, sizeof f, "%s%s", prefix, err->field);
        return error_field(err, ERR_INVALID, f, "%s%s (channel %lld, %s)", prefix, why,
                           (long long)json_integer_value(ch), c.platform);
    }
    return 0;
}

int publish_check_post(struct db *db, int64_t ws, json_t *post, struct error *err)
{
    json_t *variants = json_object_get(post, "variants");
    if (!variants)
        return 0;
    if (!json_is_array(variants))
        return error_field(err, ERR_INVALID, "variants", "variants: expected an array");
    const char *base = json_string_value(json_object_get(post, "body"));
    size_t i;
    json_t *v;
    json_array_foreach (variants, i, v) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "variants[%zu].", i);
        if (!json_is_object(v))
            return error_field(err, ERR_INVALID, "variants", "variants[%zu]: expected an object",
                               i);
        if (check_variant(db, ws, v, base ? base : "", prefix, false, err))
            return -1;
    }
    return 0;
}

/* ---- rules --------------------------------------------------------------------- */

/* The rule for the post's variants in review: the largest number of
 * approvals any applies, from the roles every one allows. */
struct rule {
    int64_t approvals;
    char roles[128];
};

static int rule_for(struct db *db, int64_t ws, int64_t post_id, struct rule *r, struct error *err)
{
    r->approvals = 1;
    snprintf(r->roles, sizeof r->roles, "%s", PUBLISH_DEFAULT_ROLES);
    struct db_stmt *st =
        db_query(db, err,
                 "SELECT COALESCE(c.approvals, w.approvals, 1), "
                 "COALESCE(c.roles, w.roles, '" PUBLISH_DEFAULT_ROLES "') "
                 "FROM post_variants v "
                 "LEFT JOIN approval_rules c ON c.workspace_id = ? AND c.channel_id = v.channel_id "
                 "LEFT JOIN approval_rules w ON w.workspace_id = ? AND w.channel_id = 0 "
                 "WHERE v.post_id = ? AND v.status IN ('in_review', 'draft')",
                 "iii", ws, ws, post_id);
    if (!st)
        return -1;
    int rc;
    bool first = true;
    for (rc = db_has_row(st) ? 1 : 0; rc == 1; rc = db_step(st, err)) {
        if (db_col_int(st, 0) > r->approvals)
            r->approvals = db_col_int(st, 0);
        const char *roles = db_col_text(st, 1);
        if (first) {
            snprintf(r->roles, sizeof r->roles, "%s", roles);
            first = false;
            continue;
        }
        /* Keep the roles both lists allow. */
        char kept[128] = "";
        const char *p = r->roles;
        while (*p) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            char one[32];
            snprintf(one, sizeof one, "%.*s", (int)(len < 31 ? len : 31), p);
            if (str_listed(roles, one))
                snprintf(kept + strlen(kept), sizeof kept - strlen(kept), "%s%s",
                         kept[0] ? "," : "", one);
            p += len + (comma ? 1 : 0);
        }
        snprintf(r->roles, sizeof r->roles, "%s", kept);
    }
    db_finalize(st);
    return rc < 0 ? -1 : 0;
}

json_t *publish_rule_set(struct db *db, int64_t ws, int64_t channel_id, json_t *in,
                         const struct actor *who, struct error *err)
{
    json_t *a = json_object_get(in, "approvals"), *roles = json_object_get(in, "roles");
    if (!json_is_integer(a) || json_integer_value(a) < 1 || json_integer_value(a) > 10) {
        error_field(err, ERR_INVALID, "approvals", "approvals: expected a number from 1 to 10");
        return NULL;
    }
    struct buf list = {0};
    if (!json_is_array(roles) || json_array_size(roles) == 0 || json_array_size(roles) > 8) {
        error_field(err, ERR_INVALID, "roles",
                    "roles: expected a list of roles (admin, editor, author, moderator, "
                    "analyst) and 'external' for approval links");
        return NULL;
    }
    size_t i;
    json_t *r;
    json_array_foreach (roles, i, r) {
        const char *s = json_string_value(r);
        if (!s || (role_parse(s) < 0 && !str_eq(s, "external"))) {
            buf_free(&list);
            error_field(err, ERR_INVALID, "roles", "roles[%zu]: '%.32s' is no role", i, s ? s : "");
            return NULL;
        }
        buf_printf(&list, "%s%s", i ? "," : "", s);
    }
    json_t *out = NULL;
    struct channel_facts c;
    if (channel_id && channel_facts(db, ws, channel_id, &c, "channel", err))
        goto done;
    if (db_begin(db, err))
        goto done;
    int rc = db_run(db, err,
                    "INSERT INTO approval_rules (workspace_id, channel_id, approvals, roles, "
                    "updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (workspace_id, channel_id) "
                    "DO UPDATE SET approvals = excluded.approvals, roles = excluded.roles, "
                    "updated_at = excluded.updated_at",
                    "iiiti", ws, channel_id, (int64_t)json_integer_value(a), list.data,
                    time_now()) < 0 ||
             audit_record(db, ws, who->user_id, "set", "approval_rule", channel_id, list.data, err);
    if (db_end(db, rc, err))
        goto done;
    out = json_pack("{s:I, s:I, s:O}", "channel_id", (json_int_t)channel_id, "approvals",
                    (json_int_t)json_integer_value(a), "roles", roles);
done:
    buf_free(&list);
    return out;
}

/* ---- the workflow ---------------------------------------------------------------- */

/* Those whom the post's rule lets approve hear that it waits for them, in
 * the caller's transaction. */
static int tell_reviewers(struct db *db, int64_t ws, int64_t post_id, int64_t actor,
                          struct error *err)
{
    struct rule r;
    if (rule_for(db, ws, post_id, &r, err))
        return -1;
    struct notify_in in = {
        .event = NOTIFY_REVIEW_REQUESTED, .post_id = post_id, .actor = actor, .roles = r.roles};
    return notify_event(db, ws, &in, err) < 0 ? -1 : 0;
}

json_t *publish_submit(struct db *db, int64_t ws, int64_t post_id, const struct actor *who,
                       struct error *err)
{
    struct locked_post p;
    if (begin_on_own_post(db, ws, post_id, who, "submit", &p, err))
        return NULL;
    /* Every draft variant is checked again: a channel's limit may have changed. */
    struct db_stmt *st = db_query(db, err,
                                  "SELECT v.channel_id, COALESCE(v.body, p.body), v.title, "
                                  "v.first_comment, v.media FROM post_variants v "
                                  "JOIN posts p ON p.id = v.post_id "
                                  "WHERE v.post_id = ? AND v.status = 'draft' ORDER BY v.id",
                                  "i", post_id);
    if (!st)
        goto fail;
    int rc, n = 0;
    for (rc = db_has_row(st) ? 1 : 0; rc == 1; rc = db_step(st, err)) {
        json_t *v =
            json_pack("{s:I, s:s, s:s?, s:s?}", "channel_id", (json_int_t)db_col_int(st, 0), "body",
                      db_col_text(st, 1), "title", db_col_null(st, 2) ? NULL : db_col_text(st, 2),
                      "first_comment", db_col_null(st, 3) ? NULL : db_col_text(st, 3));
        json_object_set_new(v, "media", json_loads(db_col_text(st, 4), 0, NULL));
        char prefix[32];
        snprintf(prefix, sizeof prefix, "variants[%d].", n++);
        int bad = check_variant(db, ws, v, "", prefix, true, err);
        json_decref(v);
        if (bad) {
            db_finalize(st);
            goto fail;
        }
    }
    db_finalize(st);
    if (rc < 0)
        goto fail;
    if (n == 0) {
        error_set(err, ERR_CONFLICT, "post %lld has no draft variant to submit (it is %s)",
                  (long long)post_id, p.status);
        goto fail;
    }
    if (move_all(db, post_id, "draft", EV_SUBMIT, err) < 0 ||
        db_run(db, err,
               "UPDATE posts SET review_round = review_round + 1, reject_reason = '' WHERE id = ?",
               "i", post_id) < 0 ||
        refresh_status(db, post_id, err) ||
        audit(db, ws, who->user_id, "submit", post_id,
              json_pack("{s:I, s:i}", "round", (json_int_t)(p.round + 1), "variants", n), err))
        goto fail;
    if (tell_reviewers(db, ws, post_id, who->user_id, err) || db_commit(db, err))
        goto fail;
    return post_get(db, ws, post_id, err);
fail:
    db_rollback(db);
    return NULL;
}

/* Stores a comment on the review, by a user or through an approval link
 * (the other 0), and sets *id unless id is NULL. 0, or -1 and err. */
static int add_comment(struct db *db, int64_t post_id, int64_t user_id, int64_t link_id,
                       const char *body, int64_t *id, struct error *err)
{
    int64_t made;
    return db_insert(db, err, id ? id : &made,
                     "INSERT INTO post_comments (post_id, user_id, link_id, body, at) "
                     "VALUES (?, ?, ?, ?, ?)",
                     "iIIti", post_id, user_id ? &user_id : NULL, link_id ? &link_id : NULL, body,
                     time_now());
}

/* Records one decision of the round (user_id or link_id), with its comment
 * among the review's, and moves the variants in review when it settles the
 * round. Inside the caller's transaction, with the post locked. */
static int decide(struct db *db, int64_t ws, const struct locked_post *p, int64_t user_id,
                  int64_t link_id, const char *role, bool approve, const char *comment,
                  struct error *err)
{
    if (!str_eq(p->status, "in_review"))
        return error_set(err, ERR_CONFLICT, "post %lld is not in review (it is %s): nothing to %s",
                         (long long)p->id, p->status, approve ? "approve" : "reject");
    if (!approve && (!comment || !*comment))
        return error_field(err, ERR_INVALID, "comment",
                           "comment: say why the post is rejected, for its author");
    if (comment && strlen(comment) > 4000)
        return error_field(err, ERR_INVALID, "comment", "comment: at most 4000 bytes");
    struct rule r;
    if (rule_for(db, ws, p->id, &r, err))
        return -1;
    if (!str_listed(r.roles, role))
        return error_set(err, ERR_DENIED, "the rule for this post lets %s decide, not %s",
                         r.roles[0] ? r.roles : "nobody", role);
    int64_t aid;
    if (db_insert(db, err, &aid,
                  "INSERT INTO post_approvals (post_id, round, user_id, link_id, decision, "
                  "comment, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                  "iiIItti", p->id, p->round, user_id ? &user_id : NULL, link_id ? &link_id : NULL,
                  approve ? "approve" : "reject", comment ? comment : "", time_now())) {
        if (err->kind == ERR_CONFLICT)
            error_set(err, ERR_CONFLICT, "you have already decided round %lld of post %lld",
                      (long long)p->round, (long long)p->id);
        return -1;
    }
    if (comment && *comment && add_comment(db, p->id, user_id, link_id, comment, NULL, err))
        return -1;
    json_t *detail =
        json_pack("{s:I, s:s}", "round", (json_int_t)p->round, "comment", comment ? comment : "");
    if (link_id)
        json_object_set_new(detail, "link_id", json_integer(link_id));
    if (!approve) {
        if (move_all(db, p->id, "in_review", EV_REJECT, err) < 0 ||
            db_run(db, err, "UPDATE posts SET reject_reason = ? WHERE id = ?", "ti", comment,
                   p->id) < 0 ||
            refresh_status(db, p->id, err)) {
            json_decref(detail);
            return -1;
        }
        if (notify_event(db, ws,
                         &(struct notify_in){.event = NOTIFY_REJECTED,
                                             .post_id = p->id,
                                             .actor = user_id,
                                             .reason = comment},
                         err) < 0) {
            json_decref(detail);
            return -1;
        }
        return audit(db, ws, user_id, "reject", p->id, detail, err);
    }
    int64_t given = 0;
    if (db_scalar(db, err, &given,
                  "SELECT COUNT(*) FROM post_approvals WHERE post_id = ? AND round = ? "
                  "AND decision = 'approve'",
                  "ii", p->id, p->round) < 0) {
        json_decref(detail);
        return -1;
    }
    json_object_set_new(detail, "approvals", json_integer(given));
    json_object_set_new(detail, "needed", json_integer(r.approvals));
    if (audit(db, ws, user_id, "approve", p->id, detail, err))
        return -1;
    if (given < r.approvals)
        return 0;
    if (move_all(db, p->id, "in_review", EV_APPROVE, err) < 0 || refresh_status(db, p->id, err) ||
        notify_event(
            db, ws,
            &(struct notify_in){.event = NOTIFY_APPROVED, .post_id = p->id, .actor = user_id},
            err) < 0)
        return -1;
    return audit(
        db, ws, user_id, "approved", p->id,
        json_pack("{s:I, s:I}", "round", (json_int_t)p->round, "approvals", (json_int_t)given),
        err);
}

json_t *publish_decide(struct db *db, int64_t ws, int64_t post_id, const struct actor *who,
                       bool approve, const char *comment, int64_t round, struct error *err)
{
    struct locked_post p;
    if (begin_on_post(db, ws, post_id, &p, err))
        return NULL;
    if (who->user_id && p.created_by == who->user_id && approve) {
        error_set(err, ERR_DENIED, "nobody approves their own post");
        goto fail;
    }
    if (round && round != p.round) {
        error_set(err, ERR_CONFLICT,
                  "post %lld changed since you read it (review round %lld, not %lld): "
                  "read it again",
                  (long long)post_id, (long long)p.round, (long long)round);
        goto fail;
    }
    if (decide(db, ws, &p, who->user_id, 0, role_name(who->role), approve, comment, err) ||
        db_commit(db, err))
        goto fail;
    return post_get(db, ws, post_id, err);
fail:
    db_rollback(db);
    return NULL;
}

int publish_decide_link(struct db *db, int64_t ws, int64_t post_id, int64_t link_id, bool approve,
                        const char *comment, struct error *err)
{
    struct locked_post p;
    if (lock_post(db, ws, post_id, &p, err) ||
        decide(db, ws, &p, 0, link_id, "external", approve, comment, err))
        return -1;
    return 0;
}

json_t *publish_comment(struct db *db, int64_t ws, int64_t post_id, const struct actor *who,
                        const char *body, struct error *err)
{
    if (!utf8_text(body, 1, 4000)) {
        error_field(err, ERR_INVALID, "body", "body: expected a comment of 1 to 4000 bytes");
        return NULL;
    }
    struct locked_post p;
    if (begin_on_post(db, ws, post_id, &p, err))
        return NULL;
    if (!str_eq(p.status, "in_review")) {
        error_set(err, ERR_CONFLICT,
                  "post %lld is not in review (it is %s): comments are for "
                  "the review",
                  (long long)post_id, p.status);
        goto fail;
    }
    int64_t id;
    if (add_comment(db, post_id, who->user_id, 0, body, &id, err) ||
        audit(db, ws, who->user_id, "comment", post_id,
              json_pack("{s:I, s:s}", "comment_id", (json_int_t)id, "body", body), err) ||
        db_commit(db, err))
        goto fail;
    return publish_review(db, ws, post_id, err);
fail:
    db_rollback(db);
    return NULL;
}

/* A decision on the post, by a user or through a link. */
static json_t *decision_json(struct db_stmt *st)
{
    json_t *d = json_pack("{s:I, s:s, s:s, s:o}", "round", (json_int_t)db_col_int(st, 0),
                          "decision", db_col_text(st, 5), "comment", db_col_text(st, 6), "at",
                          json_time(db_col_int(st, 7)));
    if (!db_col_null(st, 1)) {
        json_object_set_new(d, "user_id", json_integer(db_col_int(st, 1)));
        json_object_set_new(d, "user_email", json_string(db_col_text(st, 2)));
    }
    if (!db_col_null(st, 3)) {
        json_object_set_new(d, "link_id", json_integer(db_col_int(st, 3)));
        json_object_set_new(d, "link_name", json_string(db_col_text(st, 4)));
    }
    return d;
}

static json_t *comment_json(struct db_stmt *st)
{
    json_t *c = json_pack("{s:I, s:s, s:o}", "id", (json_int_t)db_col_int(st, 0), "body",
                          db_col_text(st, 4), "at", json_time(db_col_int(st, 5)));
    if (!db_col_null(st, 1))
        json_object_set_new(c, "user_email", json_string(db_col_text(st, 2)));
    if (!db_col_null(st, 3))
        json_object_set_new(c, "link_id", json_integer(db_col_int(st, 3)));
    return c;
}

json_t *publish_review(struct db *db, int64_t ws, int64_t post_id, struct error *err)
{
    struct db_stmt *st = model_row(db, "post", post_id, err,
                                   "SELECT review_round, reject_reason, status FROM posts "
                                   "WHERE id = ? AND workspace_id = ?",
                                   "ii", post_id, ws);
    if (!st)
        return NULL;
    int64_t round = db_col_int(st, 0);
    json_t *out = json_pack("{s:I, s:s, s:s}", "round", (json_int_t)round, "reject_reason",
                            db_col_text(st, 1), "status", db_col_text(st, 2));
    db_finalize(st);
    struct rule r;
    if (rule_for(db, ws, post_id, &r, err))
        goto fail;
    json_object_set_new(out, "needed", json_integer(r.approvals));
    json_object_set_new(out, "roles", json_string(r.roles));
    json_t *decisions = json_rows(
        db_query(db, err,
                 "SELECT a.round, a.user_id, u.email, a.link_id, l.name, a.decision, a.comment, "
                 "a.at FROM post_approvals a LEFT JOIN users u ON u.id = a.user_id "
                 "LEFT JOIN approval_links l ON l.id = a.link_id WHERE a.post_id = ? "
                 "ORDER BY a.id",
                 "i", post_id),
        decision_json, err);
    if (!decisions)
        goto fail;
    json_object_set_new(out, "decisions", decisions);
    json_t *comments = json_rows(
        db_query(db, err,
                 "SELECT c.id, c.user_id, u.email, c.link_id, c.body, c.at FROM post_comments c "
                 "LEFT JOIN users u ON u.id = c.user_id WHERE c.post_id = ? ORDER BY c.id",
                 "i", post_id),
        comment_json, err);
    if (!comments)
        goto fail;
    json_object_set_new(out, "comments", comments);
    return out;
fail:
    json_decref(out);
    return NULL;
}

/* ---- editing and scheduling a variant ----------------------------------------------- */

static const char *const content_fields[] = {"body", "title", "first_comment", "media", NULL};

json_t *publish_variant_update(struct db *db, int64_t ws, int64_t post_id, int64_t vid,
                               json_t *patch, const struct actor *who, struct error *err)
{
    if (!json_is_object(patch)) {
        error_set(err, ERR_INVALID, "expected a JSON object");
        return NULL;
    }
    const char *key;
    json_t *val;
    bool content = false;
    json_object_foreach (patch, key, val) {
        bool known = str_eq(key, "scheduled_at");
        for (const char *const *f = content_fields; *f && !known; f++)
            known = str_eq(*f, key) && (content = true);
        if (!known) {
            error_field(err, ERR_INVALID, key,
                        "field '%s' cannot be changed here (body, title, first_comment, media, "
                        "scheduled_at; the status changes by submit, approve, reject, schedule)",
                        key);
            return NULL;
        }
    }
    struct locked_post p;
    if (begin_on_own_post(db, ws, post_id, who, "change", &p, err))
        return NULL;
    struct db_stmt *st;
    int found = db_row(db, err, &st,
                       "SELECT v.channel_id, v.body, v.title, v.first_comment, v.media, v.status, "
                       "v.scheduled_at, p.body FROM post_variants v JOIN posts p ON p.id = "
                       "v.post_id WHERE v.id = ? AND v.post_id = ?",
                       "ii", vid, post_id);
    if (found <= 0) {
        if (found == 0)
            error_set(err, ERR_NOT_FOUND, "post %lld has no variant %lld", (long long)post_id,
                      (long long)vid);
        goto fail;
    }
    /* The variant as it will be: what is stored, with the patch over it. */
    json_t *v = json_pack("{s:I}", "channel_id", (json_int_t)db_col_int(st, 0));
    if (!db_col_null(st, 1))
        json_object_set_new(v, "body", json_string(db_col_text(st, 1)));
    if (!db_col_null(st, 2))
        json_object_set_new(v, "title", json_string(db_col_text(st, 2)));
    if (!db_col_null(st, 3))
        json_object_set_new(v, "first_comment", json_string(db_col_text(st, 3)));
    json_object_set_new(v, "media", json_loads(db_col_text(st, 4), 0, NULL));
    char status[16], *base = xstrdup(db_col_text(st, 7));
    snprintf(status, sizeof status, "%s", db_col_text(st, 5));
    db_finalize(st);
    json_object_update(v, patch);
    /* A time that stays as it was is not checked for the past again. */
    json_t *sched = json_object_get(patch, "scheduled_at");
    if (!sched)
        json_object_del(v, "scheduled_at");
    int bad = check_variant(db, ws, v, base, "", !str_eq(status, "draft"), err);
    free(base);
    const char *to = content ? publish_next(status, EV_EDIT) : status;
    if (!bad && !to)
        bad = error_set(err, ERR_CONFLICT, "variant %lld is %s: it can no longer be changed",
                        (long long)vid, status);
    if (!bad && sched && json_is_null(sched) && str_eq(status, "scheduled"))
        bad = error_field(err, ERR_INVALID, "scheduled_at",
                          "scheduled_at: a scheduled variant needs a time");
    /* Handed over to the connector already: taken back before the change,
     * or refused when it is being sent. */
    if (!bad && str_eq(status, "scheduled") && (content || sched))
        bad = publish_withdraw(db, vid, content ? "edited on the desk" : "rescheduled on the desk",
                               time_now(), err);
    if (bad) {
        json_decref(v);
        goto fail;
    }
    char *media = json_dumps(
        json_object_get(v, "media") ? json_object_get(v, "media") : json_array(), JSON_COMPACT);
    json_t *b = json_object_get(v, "body"), *t = json_object_get(v, "title"),
           *fc = json_object_get(v, "first_comment");
    int64_t when = 0;
    bool has_when =
        sched && json_is_string(sched) && !time_parse_iso(json_string_value(sched), &when);
    int64_t n = db_run(db, err,
                       "UPDATE post_variants SET body = ?, title = ?, first_comment = ?, "
                       "media = ?, status = ?, scheduled_at = CASE WHEN ? = 1 THEN ? "
                       "WHEN ? = 1 THEN NULL ELSE scheduled_at END, updated_at = ? WHERE id = ?",
                       "tttttiiiii", json_string_value(b), json_string_value(t),
                       json_string_value(fc), media ? media : "[]", to, (int64_t)has_when, when,
                       (int64_t)(sched && json_is_null(sched)), time_now(), vid);
    free(media);
    json_t *detail = json_pack("{s:I, s:O, s:s, s:s}", "variant_id", (json_int_t)vid, "patch",
                               patch, "from", status, "to", to);
    json_decref(v);
    bool back = content && !str_eq(status, to) && str_eq(to, "in_review");
    bool new_round = content && str_eq(to, "in_review");
    if (n < 0 ||
        (new_round &&
         db_run(db, err, "UPDATE posts SET review_round = review_round + 1 WHERE id = ?", "i",
                post_id) < 0) ||
        /* Approvals were for the text as it was: every variant in review
         * waits for the new round's. */
        (back && move_all(db, post_id, "approved", EV_EDIT, err) < 0) ||
        post_refresh_at(db, post_id, err) || refresh_status(db, post_id, err) ||
        audit(db, ws, who->user_id, back ? "edit_after_approval" : "edit", post_id, detail, err) ||
        (back && tell_reviewers(db, ws, post_id, who->user_id, err)) || db_commit(db, err))
        goto fail;
    return post_get(db, ws, post_id, err);
fail:
    db_rollback(db);
    return NULL;
}

#define VARIANTS_MOVED_MAX 64

/* The variants that scheduling or unscheduling moves: `vid` alone, or the
 * post's variants in the status the whole post's move takes (vid 0), in id
 * order, with status and scheduled time (0: none). */
struct moving {
    size_t n;
    int64_t ids[VARIANTS_MOVED_MAX], times[VARIANTS_MOVED_MAX];
    char sts[VARIANTS_MOVED_MAX][16];
};

/* Begins the transaction of a (un)schedule, locks the post and reads the
 * variants to move: `vid`, or those of the post in status `whole`. 0, or -1
 * and err with nothing begun: ERR_NOT_FOUND when the post has no such
 * variant, ERR_CONFLICT "post ID has no NONE (it is STATUS)" when none of
 * its variants is in status `whole`. */
static int begin_move(struct db *db, int64_t ws, int64_t post_id, int64_t vid, const char *whole,
                      const char *none, struct locked_post *p, struct moving *m, struct error *err)
{
    if (begin_on_post(db, ws, post_id, p, err))
        return -1;
    struct db_stmt *st = db_query(db, err,
                                  "SELECT id, status, scheduled_at FROM post_variants "
                                  "WHERE post_id = ? AND (id = ? OR ? = 0) ORDER BY id",
                                  "iii", post_id, vid, vid);
    if (!st)
        goto fail;
    m->n = 0;
    int rc, read = 0;
    for (rc = db_has_row(st) ? 1 : 0; rc == 1 && read < VARIANTS_MOVED_MAX;
         rc = db_step(st, err), read++) {
        if (!vid && !str_eq(db_col_text(st, 1), whole))
            continue;
        m->ids[m->n] = db_col_int(st, 0);
        snprintf(m->sts[m->n], sizeof m->sts[m->n], "%s", db_col_text(st, 1));
        m->times[m->n] = db_col_null(st, 2) ? 0 : db_col_int(st, 2);
        m->n++;
    }
    db_finalize(st);
    if (rc < 0)
        goto fail;
    if (read == 0) {
        error_set(err, ERR_NOT_FOUND, "post %lld has no variant %lld", (long long)post_id,
                  (long long)vid);
        goto fail;
    }
    if (m->n == 0) {
        error_set(err, ERR_CONFLICT, "post %lld has no %s (it is %s)", (long long)post_id, none,
                  p->status);
        goto fail;
    }
    return 0;
fail:
    db_rollback(db);
    return -1;
}

json_t *publish_schedule(struct db *db, int64_t ws, int64_t post_id, int64_t vid, const char *at,
                         const struct actor *who, struct error *err)
{
    int64_t when = 0;
    if (at && publish_future_time("at", at, time_now(), &when, err))
        return NULL;
    struct locked_post p;
    struct moving m;
    if (begin_move(db, ws, post_id, vid, "approved", "approved variant to schedule", &p, &m, err))
        return NULL;
    for (size_t i = 0; i < m.n; i++) {
        if (!publish_next(m.sts[i], EV_SCHEDULE)) {
            error_set(err, ERR_CONFLICT,
                      "variant %lld is %s: only an approved variant is "
                      "scheduled",
                      (long long)m.ids[i], m.sts[i]);
            goto fail;
        }
        int64_t t = at ? when : m.times[i];
        if (!t || t <= time_now()) {
            error_field(err, ERR_INVALID, "at",
                        "at: variant %lld has %s; give a time in the future", (long long)m.ids[i],
                        t ? "a time in the past" : "no time");
            goto fail;
        }
        if (str_eq(m.sts[i], "scheduled") &&
            publish_withdraw(db, m.ids[i], "rescheduled on the desk", time_now(), err))
            goto fail;
        if (db_run(db, err,
                   /* A failed variant scheduled again is a new hand-over to
                    * the scheduler (a new action); a held one is no longer held. */
                   "UPDATE post_variants SET status = 'scheduled', scheduled_at = ?, "
                   "action_id = CASE WHEN status = 'failed' THEN NULL ELSE action_id END, "
                   "hold_reason = '', updated_at = ? WHERE id = ?",
                   "iii", t, time_now(), m.ids[i]) < 0 ||
            audit(db, ws, who->user_id, "schedule", post_id,
                  json_pack("{s:I, s:o}", "variant_id", (json_int_t)m.ids[i], "at", json_time(t)),
                  err))
            goto fail;
    }
    if (post_refresh_at(db, post_id, err) || refresh_status(db, post_id, err) || db_commit(db, err))
        goto fail;
    return post_get(db, ws, post_id, err);
fail:
    db_rollback(db);
    return NULL;
}

json_t *publish_unschedule(struct db *db, int64_t ws, int64_t post_id, int64_t vid,
                           const struct actor *who, struct error *err)
{
    struct locked_post p;
    struct moving m;
    if (begin_move(db, ws, post_id, vid, "scheduled", "scheduled variant", &p, &m, err))
        return NULL;
    for (size_t i = 0; i < m.n; i++) {
        const char *to = publish_next(m.sts[i], EV_UNSCHEDULE);
        if (!to) {
            error_set(err, ERR_CONFLICT,
                      "variant %lld is %s: only a scheduled variant is unscheduled",
                      (long long)m.ids[i], m.sts[i]);
            goto fail;
        }
        if (publish_withdraw(db, m.ids[i], "unscheduled on the desk", time_now(), err) ||
            db_run(db, err, "UPDATE post_variants SET status = ?, updated_at = ? WHERE id = ?",
                   "tii", to, time_now(), m.ids[i]) < 0 ||
            audit(db, ws, who->user_id, "unschedule", post_id,
                  json_pack("{s:I}", "variant_id", (json_int_t)m.ids[i]), err))
            goto fail;
    }
    if (refresh_status(db, post_id, err) || db_commit(db, err))
        goto fail;
    return post_get(db, ws, post_id, err);
fail:
    db_rollback(db);
    return NULL;
}

int publish_check_post_edit(struct db *db, int64_t ws, int64_t post_id, json_t *patch,
                            struct error *err)
{
    if (!json_object_get(patch, "body"))
        return 0;
    /* The base text is what variants without their own text post: changing
     * it under a variant past its draft would skip the review. */
    int64_t vid = 0;
    int found = db_scalar(db, err, &vid,
                          "SELECT v.id FROM post_variants v JOIN posts p ON p.id = v.post_id "
                          "WHERE v.post_id = ? AND p.workspace_id = ? AND v.body IS NULL AND "
                          "v.status IN ('in_review', 'approved', 'scheduled', 'published') "
                          "ORDER BY v.id LIMIT 1",
                          "ii", post_id, ws);
    if (found < 0)
        return -1;
    if (found)
        return error_field(err, ERR_CONFLICT, "body",
                           "body: variant %lld posts this text and is past its draft; change "
                           "it through /posts/%lld/variants/%lld, which sends it back to review",
                           (long long)vid, (long long)post_id, (long long)vid);
    return 0;
}
