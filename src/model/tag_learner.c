/* tag_learner: the store of each workspace's tag learner (text/tag_learn.c):
 * its bytes, kept under a row lock while a tag correction teaches it, what
 * it said of each corrected tag before it learned (so how much it agrees
 * with the moderators is measured on corrections it had not seen), and the
 * tags it suggests for a message. It never sets a tag. */
#include "model/internal.h"
#include "text/text.h"

#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define SUGGEST_MAX 5

/* The stored learner (new when there is none), or NULL and err. *pending
 * and *corrections as stored (0 without a row). */
static struct tag_learner *load(struct db *db, int64_t ws, bool lock, int64_t *pending,
                                int64_t *corrections, struct error *err)
{
    struct db_stmt *st =
        learner_row(db, "tag_learners", "model, pending_message_id, corrections", ws, lock, err);
    if (!st)
        return NULL;
    struct tag_learner *m = NULL;
    *pending = *corrections = 0;
    const char *b64 = db_has_row(st) ? db_col_text(st, 0) : "";
    size_t len = strlen(b64);
    if (db_has_row(st)) {
        *pending = db_col_null(st, 1) ? 0 : db_col_int(st, 1);
        *corrections = db_col_int(st, 2);
    }
    if (len == 0) {
        m = tag_learner_new();
    } else {
        size_t max = len / 4 * 3 + 3, n = 0;
        unsigned char *bin = xmalloc(max);
        if (sodium_base642bin(bin, max, b64, len, NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL))
            error_set(err, ERR_INTERNAL, "the stored tag learner is not valid base64");
        else
            m = tag_learner_deserialize(bin, n, err);
        free(bin);
    }
    db_finalize(st);
    return m;
}

static int store(struct db *db, int64_t ws, const struct tag_learner *m, int64_t pending,
                 int64_t corrections, struct error *err)
{
    struct buf b = {0};
    tag_learner_serialize(m, &b);
    size_t len = sodium_base64_encoded_len(b.len, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = xmalloc(len);
    sodium_bin2base64(b64, len, (const unsigned char *)b.data, b.len,
                      sodium_base64_VARIANT_ORIGINAL);
    int64_t *pend = pending ? &pending : NULL;
    int64_t rc = db_run(db, err,
                        "UPDATE tag_learners SET model = ?, pending_message_id = ?, "
                        "corrections = ?, updated_at = ? WHERE workspace_id = ?",
                        "tIiii", b64, pend, corrections, time_now(), ws);
    free(b64);
    buf_free(&b);
    return rc < 0 ? -1 : 0;
}

/* Teaches m what a moderator's corrections of message id said of the tags
 * they did not touch: a tag with a model that the message carries (a rule
 * set it, and the moderator left it) is a yes, one it does not carry a no.
 * Done once the moderators moved on to another message, so that adding two
 * tags in one go does not first teach the second one's absence. */
static int learn_rest(struct db *db, int64_t ws, int64_t id, struct tag_learner *m,
                      struct text_tokens *t, struct error *err)
{
    struct db_stmt *st;
    int found = db_row(db, err, &st, "SELECT body FROM messages WHERE id = ? AND workspace_id = ?",
                       "ii", id, ws);
    if (found <= 0)
        return found;
    const char *body = db_col_text(st, 0);
    text_tokenize(t, body, strlen(body));
    db_finalize(st);
    st = db_query(db, err,
                  "SELECT g.id, EXISTS (SELECT 1 FROM message_tags x WHERE x.message_id = ? AND "
                  "x.tag_id = g.id) FROM tags g WHERE g.workspace_id = ? AND NOT EXISTS (SELECT 1 "
                  "FROM message_tag_corrections c WHERE c.message_id = ? AND c.tag_id = g.id) "
                  "ORDER BY g.id",
                  "iii", id, ws, id);
    if (!st)
        return -1;
    int rc = 0;
    for (bool row = db_has_row(st); row;) {
        int64_t tag = db_col_int(st, 0);
        if (tag_learner_has(m, tag))
            tag_learner_train(m, t, tag, db_col_int(st, 1) != 0);
        int s = db_step(st, err);
        if (s < 0)
            rc = -1;
        row = s > 0;
    }
    db_finalize(st);
    return rc;
}

int tag_learner_learn(struct db *db, int64_t ws, int64_t message_id, const char *body,
                      int64_t tag_id, bool added, double *p, struct error *err)
{
    assert(db && ws > 0 && message_id > 0 && tag_id > 0 && p);
    int64_t pending, corrections;
    struct text_tokens *t = xmalloc(sizeof *t);
    struct tag_learner *m = load(db, ws, true, &pending, &corrections, err);
    int rc = -1;
    if (!m)
        goto done;
    if (pending && pending != message_id && learn_rest(db, ws, pending, m, t, err))
        goto done;
    text_tokenize(t, body ? body : "", body ? strlen(body) : 0);
    /* What it would have said, before it hears the answer. */
    *p = tag_learner_p(m, t, tag_id);
    tag_learner_train(m, t, tag_id, added);
    rc = store(db, ws, m, message_id, corrections + 1, err);
done:
    tag_learner_free(m);
    free(t);
    return rc;
}

int tag_learner_annotate(struct db *db, int64_t ws, json_t *msg, struct error *err)
{
    assert(db && ws > 0 && json_is_object(msg));
    int64_t id = json_integer_value(json_object_get(msg, "id"));
    const char *body = json_string_value(json_object_get(msg, "body"));
    json_t *out = json_array();
    int64_t pending, corrections, *skip = NULL;
    struct text_tokens *t = NULL;
    struct db_stmt *st = NULL;
    struct tag_learner *m = load(db, ws, false, &pending, &corrections, err);
    int rc = -1;
    if (!m)
        goto done;
    /* Only what the rules did not set and no moderator decided on. */
    st = db_query(db, err,
                  "SELECT tag_id FROM message_tags WHERE message_id = ? UNION SELECT tag_id "
                  "FROM message_tag_corrections WHERE message_id = ?",
                  "ii", id, id);
    if (!st)
        goto done;
    size_t nskip = 0, cap = 0;
    for (bool row = db_has_row(st); row;) {
        if (nskip == cap)
            skip = xrealloc(skip, sizeof *skip * (cap = cap ? 2 * cap : 8));
        skip[nskip++] = db_col_int(st, 0);
        int s = db_step(st, err);
        if (s < 0)
            goto done;
        row = s > 0;
    }
    db_finalize(st);
    st = NULL;
    t = xmalloc(sizeof *t);
    text_tokenize(t, body ? body : "", body ? strlen(body) : 0);
    struct tag_guess g[SUGGEST_MAX];
    size_t n = tag_learner_suggest(m, t, skip, nskip, g, SUGGEST_MAX);
    for (size_t i = 0; i < n; i++) {
        st = db_query(db, err, "SELECT name FROM tags WHERE id = ? AND workspace_id = ?", "ii",
                      g[i].tag_id, ws);
        if (!st)
            goto done;
        if (db_has_row(st)) /* a tag deleted since is not suggested */
            json_array_append_new(out,
                                  json_pack("{s:I, s:s, s:f}", "tag_id", (json_int_t)g[i].tag_id,
                                            "name", db_col_text(st, 0), "p", g[i].p));
        db_finalize(st);
        st = NULL;
    }
    rc = 0;
done:
    db_finalize(st);
    if (rc == 0)
        json_object_set(msg, "suggested_tags", out);
    json_decref(out);
    free(t);
    free(skip);
    tag_learner_free(m);
    return rc;
}

json_t *tag_learner_agreement(struct db *db, int64_t ws, int64_t since, int64_t until,
                              struct error *err)
{
    assert(db && ws > 0);
    struct db_stmt *st =
        db_query(db, err,
                 "SELECT count(*), COALESCE(SUM(CASE WHEN p IS NOT NULL THEN 1 ELSE 0 END), 0), "
                 "COALESCE(SUM(CASE WHEN suggested = added THEN 1 ELSE 0 END), 0), "
                 "COALESCE(SUM(CASE WHEN suggested = 1 AND added = 1 THEN 1 ELSE 0 END), 0), "
                 "COALESCE(SUM(CASE WHEN suggested = 1 THEN 1 ELSE 0 END), 0) "
                 "FROM message_tag_corrections WHERE workspace_id = ? AND at >= ? AND at <= ?",
                 "iii", ws, since, until);
    if (!st)
        return NULL;
    int64_t n = db_col_int(st, 0), judged = db_col_int(st, 1), agreed = db_col_int(st, 2),
            accepted = db_col_int(st, 3), suggested = db_col_int(st, 4);
    db_finalize(st);
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:o, s:i, s:f}", "corrections", (json_int_t)n,
                     "judged", (json_int_t)judged, "agreed", (json_int_t)agreed, "suggested",
                     (json_int_t)suggested, "accepted", (json_int_t)accepted, "agreement",
                     judged ? json_real((double)agreed / (double)judged) : json_null(),
                     "min_corrections", TAG_LEARNER_MIN, "threshold", TAG_LEARNER_P);
}
