/* enrich: what kanal works out about a text as it comes in: its language,
 * its sentiment (the workspace's learner on top of the rules) and the topic
 * tags whose rules match; and how a moderator's correction teaches the
 * workspace's learner. The one place where text/ and the store meet. */
#ifndef KANAL_INGEST_ENRICH_H
#define KANAL_INGEST_ENRICH_H

#include "model/model.h"

#define ENRICH_MAX_TAGS 64

struct enricher;

struct enrichment {
    const char *lang;      /* "sv", "fi", "en", "other" (static) */
    const char *sentiment; /* "pos", "neu", "neg" (static) */
    double score;          /* [-1, 1] */
    int ntags;
    int64_t tags[ENRICH_MAX_TAGS];
};

/* Loads the workspace's learner and compiles its tag rules once, for a
 * batch of texts (an import, a webhook call). Caller frees with
 * enricher_close. NULL and err on failure; a tag whose stored rule no
 * longer compiles is skipped with a warning, not fatal. */
struct enricher *enricher_open(struct db *db, int64_t workspace_id, struct error *err);
void enricher_close(struct enricher *e);
/* Fills out for text s[0..n). Never fails. Not thread-safe per enricher. */
void enricher_apply(struct enricher *e, const char *s, size_t n, struct enrichment *out);

/* A moderator's PATCH of a message. A "sentiment" in it is a correction:
 * recorded, taught to the workspace's learner and stored, in the same
 * transaction as the rest of the patch. Returns the updated message. */
json_t *enrich_message_update(struct db *db, int64_t workspace_id, int64_t id, json_t *patch,
                              const struct actor *who, struct error *err);

/* Scores one text as the workspace would score an incoming message:
 * {"lang", "sentiment", "score", "tag_ids", "corrections"}. */
json_t *enrich_preview(struct db *db, int64_t workspace_id, const char *text, struct error *err);

#endif
