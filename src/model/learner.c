/* learner: the store of each workspace's sentiment learner: its bytes, kept
 * safely under a row lock while a correction changes them, and the log of
 * the corrections it learned from (sentiment and tags), with how much the
 * model agrees with the moderators. What the bytes mean is text/'s business. */
#include "model/internal.h"
#include "text/text.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int decode(const char *b64, struct buf *b, struct error *err)
{
    size_t len = strlen(b64), max = len / 4 * 3 + 3, n = 0;
    if (len == 0)
        return 0;
    buf_reserve(b, max);
    if (sodium_base642bin((unsigned char *)b->data + b->len, max, b64, len, NULL, &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL))
        return error_set(err, ERR_INTERNAL, "the stored sentiment learner is not valid base64");
    b->len += n;
    return 0;
}

struct db_stmt *learner_row(struct db *db, const char *table, const char *cols, int64_t ws,
                            bool lock, struct error *err)
{
    char sql[160];
    snprintf(sql, sizeof sql,
             "INSERT INTO %s (workspace_id, updated_at) VALUES (?, ?) "
             "ON CONFLICT (workspace_id) DO NOTHING",
             table);
    if (lock && db_run(db, err, sql, "ii", ws, time_now()) < 0)
        return NULL;
    snprintf(sql, sizeof sql, "SELECT %s FROM %s WHERE workspace_id = ?%s", cols, table,
             lock && db_backend(db) == DB_POSTGRES ? " FOR UPDATE" : "");
    return db_query(db, err, sql, "i", ws);
}

static int read_blob(struct db *db, int64_t workspace_id, struct buf *b, int64_t *corrections,
                     bool lock, struct error *err)
{
    assert(db && workspace_id > 0 && b && corrections);
    struct db_stmt *st =
        learner_row(db, "sentiment_learners", "model, corrections", workspace_id, lock, err);
    if (!st)
        return -1;
    int rc = 0;
    *corrections = 0;
    if (db_has_row(st)) {
        *corrections = db_col_int(st, 1);
        rc = decode(db_col_text(st, 0), b, err);
    }
    db_finalize(st);
    return rc;
}

int learner_blob_lock(struct db *db, int64_t workspace_id, struct buf *b, int64_t *corrections,
                      struct error *err)
{
    return read_blob(db, workspace_id, b, corrections, true, err);
}

int learner_blob_get(struct db *db, int64_t workspace_id, struct buf *b, int64_t *corrections,
                     struct error *err)
{
    return read_blob(db, workspace_id, b, corrections, false, err);
}

int learner_blob_store(struct db *db, int64_t workspace_id, const void *p, size_t n,
                       int64_t corrections, struct error *err)
{
    assert(db && workspace_id > 0 && (p || n == 0) && corrections >= 0);
    size_t len = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = xmalloc(len);
    sodium_bin2base64(b64, len, p, n, sodium_base64_VARIANT_ORIGINAL);
    int64_t rc = db_run(db, err,
                        "INSERT INTO sentiment_learners (workspace_id, model, corrections, "
                        "updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (workspace_id) DO UPDATE "
                        "SET model = excluded.model, corrections = excluded.corrections, "
                        "updated_at = excluded.updated_at",
                        "itii", workspace_id, b64, corrections, time_now());
    free(b64);
    return rc < 0 ? -1 : 0;
}

int sentiment_correction_record(struct db *db, int64_t workspace_id, int64_t message_id,
                                const char *body, const char *previous, const char *label,
                                double score, int64_t user_id, struct error *err)
{
    assert(db && workspace_id > 0 && message_id > 0 && body && label);
    int64_t *uid = user_id ? &user_id : NULL;
    int64_t now = time_now();
    if (db_run(db, err,
               "INSERT INTO sentiment_corrections (workspace_id, message_id, body, previous, "
               "label, user_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
               "iitttIi", workspace_id, message_id, body, previous, label, uid, now) < 0)
        return -1;
    int64_t n = db_run(db, err,
                       "UPDATE messages SET sentiment = ?, sentiment_score = ?, updated_at = ? "
                       "WHERE id = ? AND workspace_id = ?",
                       "tdiii", label, score, now, message_id, workspace_id);
    if (n <= 0)
        return model_no_row((int)n, "message", message_id, err);
    char detail[64];
    snprintf(detail, sizeof detail, "sentiment %s -> %s", previous ? previous : "none", label);
    return audit_record(db, workspace_id, user_id, "correct", "message", message_id, detail, err);
}

int tag_correction_record(struct db *db, int64_t workspace_id, int64_t message_id, int64_t tag_id,
                          bool added, const char *body, int64_t user_id, const char *field,
                          struct error *err)
{
    assert(db && workspace_id > 0 && message_id > 0 && field);
    int found = db_scalar(db, err, NULL, "SELECT 1 FROM tags WHERE id = ? AND workspace_id = ?",
                          "ii", tag_id, workspace_id);
    if (found < 0)
        return -1;
    if (!found)
        return error_field(err, ERR_INVALID, field, "%s: no tag %lld in this workspace", field,
                           (long long)tag_id);
    /* The tag learner learns from it, and says what it thought before. */
    double p;
    if (tag_learner_learn(db, workspace_id, message_id, body, tag_id, added, &p, err))
        return -1;
    int64_t suggested = p >= TAG_LEARNER_P;
    int64_t *uid = user_id ? &user_id : NULL;
    int64_t now = time_now();
    if (db_run(
            db, err,
            "INSERT INTO message_tag_corrections (workspace_id, message_id, tag_id, added, body, "
            "user_id, at, p, suggested) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT "
            "(message_id, tag_id) DO UPDATE SET added = excluded.added, body = excluded.body, "
            "user_id = excluded.user_id, at = excluded.at, p = excluded.p, suggested = "
            "excluded.suggested",
            "iiiitIiDI", workspace_id, message_id, tag_id, (int64_t)added, body ? body : "", uid,
            now, p < 0 ? NULL : &p, p < 0 ? NULL : &suggested) < 0)
        return -1;
    int64_t n =
        added ? db_run(db, err,
                       "INSERT INTO message_tags (message_id, tag_id) VALUES (?, ?) "
                       "ON CONFLICT DO NOTHING",
                       "ii", message_id, tag_id)
              : db_run(db, err, "DELETE FROM message_tags WHERE message_id = ? AND tag_id = ?",
                       "ii", message_id, tag_id);
    if (n < 0)
        return -1;
    char detail[64];
    snprintf(detail, sizeof detail, "tag %lld %s", (long long)tag_id, added ? "added" : "removed");
    return audit_record(db, workspace_id, user_id, "correct", "message", message_id, detail, err);
}

/* One figure: {corrected, agreement} of `messages`. */
static json_t *agreement_of(int64_t corrected, int64_t messages)
{
    return json_pack("{s:I, s:o}", "corrected", (json_int_t)corrected, "agreement",
                     messages ? json_real(1.0 - (double)corrected / (double)messages)
                              : json_null());
}

json_t *learner_agreement(struct db *db, int64_t workspace_id, int64_t now, int days,
                          struct error *err)
{
    assert(db && workspace_id > 0 && days > 0);
    int64_t since = now - (int64_t)days * 86400;
    struct db_stmt *st = db_query(
        db, err,
        "SELECT count(*), "
        "COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM sentiment_corrections c WHERE "
        "c.message_id = m.id) THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM message_tag_corrections c WHERE "
        "c.message_id = m.id) THEN 1 ELSE 0 END), 0) "
        "FROM messages m WHERE m.workspace_id = ? AND m.is_own = 0 AND m.created_at >= ? AND "
        "m.created_at <= ?",
        "iii", workspace_id, since, now);
    if (!st)
        return NULL;
    int64_t n = db_col_int(st, 0), sent = db_col_int(st, 1), tags = db_col_int(st, 2);
    db_finalize(st);
    json_t *learned = tag_learner_agreement(db, workspace_id, since, now, err);
    if (!learned)
        return NULL;
    return json_pack("{s:i, s:I, s:I, s:o, s:o, s:o}", "days", days, "since", (json_int_t)since,
                     "messages", (json_int_t)n, "sentiment", agreement_of(sent, n), "tags",
                     agreement_of(tags, n), "tag_suggestions", learned);
}
