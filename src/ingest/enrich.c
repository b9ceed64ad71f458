/* enrich: language, sentiment and topic tags for incoming texts, and
 * learning from corrections. The learner lives in the store as bytes; it is
 * read once per batch and written back inside the correcting transaction. */
#include "ingest/enrich.h"
#include "text/query.h"
#include "text/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct enricher {
    struct learner *learner; /* NULL: the rules alone */
    int nrules;
    int64_t *tag_ids;
    struct query **rules;
    struct arena arena;
    struct text_tokens tokens; /* large: one per enricher, reused */
};

static struct learner *learner_from_store(struct buf *blob, struct error *err)
{
    if (blob->len == 0)
        return learner_new();
    return learner_deserialize(blob->data, blob->len, err);
}

struct enricher *enricher_open(struct db *db, int64_t workspace_id, struct error *err)
{
    struct enricher *e = xcalloc(1, sizeof *e);
    struct buf blob = {0};
    int64_t corrections = 0;
    char **sources = NULL;
    if (learner_blob_get(db, workspace_id, &blob, &corrections, err))
        goto fail;
    if (blob.len && !(e->learner = learner_from_store(&blob, err)))
        goto fail;
    int n = tag_rules_load(db, workspace_id, &e->arena, &e->tag_ids, &sources, err);
    if (n < 0)
        goto fail;
    e->rules = arena_alloc(&e->arena, sizeof *e->rules * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        struct error qerr = {0};
        struct query *q = query_compile(sources[i], &qerr);
        if (!q) {
            /* Rules are checked when written; one that fails now was
             * written by an older kanal. Skip it rather than stop intake. */
            log_warn("tag %lld: rule skipped: %s", (long long)e->tag_ids[i], qerr.msg);
            continue;
        }
        e->tag_ids[e->nrules] = e->tag_ids[i];
        e->rules[e->nrules++] = q;
    }
    buf_free(&blob);
    return e;
fail:
    buf_free(&blob);
    enricher_close(e);
    return NULL;
}

void enricher_close(struct enricher *e)
{
    if (!e)
        return;
    for (int i = 0; i < e->nrules; i++)
        query_free(e->rules[i]);
    learner_free(e->learner);
    arena_free(&e->arena);
    free(e);
}

void enricher_apply(struct enricher *e, const char *s, size_t n, struct enrichment *out)
{
    text_tokenize(&e->tokens, s, n);
    struct sentiment sent;
    learner_score(e->learner, &e->tokens, LANG_AUTO, &sent);
    out->lang = text_lang_name(sent.lang);
    out->sentiment = sentiment_label_name(sent.label);
    out->score = sent.score;
    out->ntags = 0;
    for (int i = 0; i < e->nrules && out->ntags < ENRICH_MAX_TAGS; i++)
        if (query_match(e->rules[i], &e->tokens))
            out->tags[out->ntags++] = e->tag_ids[i];
}

/* Teaches the workspace's learner one correction and stores it; inside the
 * caller's transaction. */
static int learn(struct db *db, int64_t workspace_id, int64_t message_id, const char *label,
                 const struct actor *who, struct error *err)
{
    int gold = sentiment_label_parse(label);
    if (gold < 0)
        return error_field(err, ERR_INVALID, "sentiment",
                           "field 'sentiment' must be 'pos', 'neu' or 'neg'");
    json_t *msg = message_get(db, workspace_id, message_id, err);
    if (!msg)
        return -1;
    const char *body = json_string_value(json_object_get(msg, "body"));
    const char *prev = json_string_value(json_object_get(msg, "sentiment"));
    struct buf blob = {0};
    int64_t corrections = 0;
    struct learner *m = NULL;
    struct text_tokens *t = xmalloc(sizeof *t);
    int rc = -1;
    if (learner_blob_lock(db, workspace_id, &blob, &corrections, err))
        goto done;
    if (!(m = learner_from_store(&blob, err)))
        goto done;
    text_tokenize(t, body, strlen(body));
    learner_train(m, t, LANG_AUTO, (enum sentiment_label)gold);
    struct sentiment after;
    learner_score(m, t, LANG_AUTO, &after);
    buf_reset(&blob);
    learner_serialize(m, &blob);
    if (learner_blob_store(db, workspace_id, blob.data, blob.len, corrections + 1, err))
        goto done;
    /* The message keeps the moderator's label; its score is the learner's
     * score after learning, clamped to the label's side. */
    double score = after.score;
    if ((gold == SENT_POS && score < 0) || (gold == SENT_NEG && score > 0) || gold == SENT_NEU)
        score = gold == SENT_NEU ? 0 : -score;
    rc = sentiment_correction_record(db, workspace_id, message_id, body, prev, label, score,
                                     who ? who->user_id : 0, err);
done:
    free(t);
    learner_free(m);
    buf_free(&blob);
    json_decref(msg);
    return rc;
}

/* The ids of a tag correction's list (add_tag_ids, remove_tag_ids). */
static int tag_list(json_t *patch, const char *name, struct error *err)
{
    json_t *list = json_object_get(patch, name);
    if (!list)
        return 0;
    if (!json_is_array(list) || json_array_size(list) > 100)
        return error_field(err, ERR_INVALID, name, "%s: a list of at most 100 tag ids", name);
    size_t i;
    json_t *v;
    json_array_foreach (list, i, v)
        if (!json_is_integer(v) || json_integer_value(v) < 1)
            return error_field(err, ERR_INVALID, name, "%s[%zu]: not a tag id", name, i);
    return 0;
}

/* A moderator's tag corrections, inside the caller's transaction. */
static int correct_tags(struct db *db, int64_t ws, int64_t id, json_t *patch,
                        const struct actor *who, struct error *err)
{
    json_t *add = json_object_get(patch, "add_tag_ids"),
           *del = json_object_get(patch, "remove_tag_ids");
    json_t *msg = message_get(db, ws, id, err);
    if (!msg)
        return -1;
    const char *body = json_string_value(json_object_get(msg, "body"));
    int rc = 0;
    size_t i, k;
    json_t *v, *w;
    json_array_foreach (del, i, v)
        json_array_foreach (add, k, w)
            if (json_integer_value(v) == json_integer_value(w))
                rc = error_field(err, ERR_INVALID, "remove_tag_ids",
                                 "remove_tag_ids[%zu]: tag %lld is also in add_tag_ids", i,
                                 (long long)json_integer_value(v));
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        json_t *list = pass ? del : add;
        const char *name = pass ? "remove_tag_ids" : "add_tag_ids";
        json_array_foreach (list, i, v) {
            char field[40];
            snprintf(field, sizeof field, "%s[%zu]", name, i);
            if ((rc = tag_correction_record(db, ws, id, json_integer_value(v), pass == 0, body,
                                            who ? who->user_id : 0, field, err)))
                break;
        }
    }
    /* The field names the list, the message the member. */
    if (rc && err->field[0] && strchr(err->field, '['))
        *strchr(err->field, '[') = 0;
    json_decref(msg);
    return rc;
}

json_t *enrich_message_update(struct db *db, int64_t workspace_id, int64_t id, json_t *patch,
                              const struct actor *who, struct error *err)
{
    json_t *label = json_object_get(patch, "sentiment");
    bool tags = json_object_get(patch, "add_tag_ids") || json_object_get(patch, "remove_tag_ids");
    if ((!label || json_is_null(label)) && !tags)
        return message_update(db, workspace_id, id, patch, who, err);
    if (label && !json_is_null(label) && !json_is_string(label)) {
        error_field(err, ERR_INVALID, "sentiment",
                    "field 'sentiment' must be 'pos', 'neu' or 'neg'");
        return NULL;
    }
    if (tag_list(patch, "add_tag_ids", err) || tag_list(patch, "remove_tag_ids", err))
        return NULL;
    if (db_begin(db, err))
        return NULL;
    json_t *rest = json_deep_copy(patch), *out = NULL, *updated = NULL;
    if (json_is_string(label))
        json_object_del(rest, "sentiment");
    json_object_del(rest, "add_tag_ids");
    json_object_del(rest, "remove_tag_ids");
    /* Only corrections: the message must be there all the same. */
    updated = json_object_size(rest) ? message_update(db, workspace_id, id, rest, who, err)
                                     : message_get(db, workspace_id, id, err);
    if (updated &&
        (!json_is_string(label) ||
         learn(db, workspace_id, id, json_string_value(label), who, err) == 0) &&
        (!tags || correct_tags(db, workspace_id, id, patch, who, err) == 0) &&
        db_commit(db, err) == 0)
        out = message_get(db, workspace_id, id, err);
    else
        db_rollback(db);
    json_decref(updated);
    json_decref(rest);
    return out;
}

json_t *enrich_preview(struct db *db, int64_t workspace_id, const char *text, struct error *err)
{
    struct enricher *e = enricher_open(db, workspace_id, err);
    if (!e)
        return NULL;
    struct enrichment r;
    enricher_apply(e, text, strlen(text), &r);
    json_t *tags = json_array();
    for (int i = 0; i < r.ntags; i++)
        json_array_append_new(tags, json_integer(r.tags[i]));
    json_t *out = json_pack("{s:s, s:s, s:f, s:o, s:I}", "lang", r.lang, "sentiment", r.sentiment,
                            "score", r.score, "tag_ids", tags, "corrections",
                            (json_int_t)(e->learner ? learner_count(e->learner) : 0));
    enricher_close(e);
    return out;
}
