/* tag_rule: trying a tag's rule on the messages already stored, before it
 * is saved, so that whoever writes it sees what it would catch (and what it
 * would miss) instead of finding out on the next import. Reads only. */
#include "model/internal.h"
#include "text/query.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define TEST_MAX      100000 /* messages a test reads, newest first */
#define TEST_EXAMPLES 50

json_t *tag_rule_test(struct db *db, int64_t workspace_id, json_t *in, struct error *err)
{
    json_t *v = json_object_get(in, "rule");
    if (!json_is_object(in) || !json_is_string(v) || !json_string_value(v)[0]) {
        error_field(err, ERR_INVALID, "rule", "field 'rule' is required: the query to try");
        return NULL;
    }
    const char *key;
    json_t *ignored;
    json_object_foreach (in, key, ignored)
        if (!str_eq(key, "rule")) {
            error_field(err, ERR_INVALID, key, "unknown field '%s' for a rule test", key);
            return NULL;
        }
    struct query *q = query_compile(json_string_value(v), err);
    if (!q) {
        snprintf(err->field, sizeof err->field, "rule");
        return NULL;
    }
    json_t *out = NULL, *examples = json_array();
    struct text_tokens *t = xmalloc(sizeof *t);
    struct db_stmt *st =
        db_query(db, err,
                 "SELECT id, channel_id, kind, author_name, author_handle, body, created_at "
                 "FROM messages WHERE workspace_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
                 "ii", workspace_id, (int64_t)TEST_MAX);
    if (!st)
        goto done;
    int64_t examined = 0, matched = 0, oldest = 0;
    int rc = db_has_row(st) ? 1 : 0;
    while (rc == 1) {
        examined++;
        const char *body = db_col_text(st, 5);
        oldest = db_col_int(st, 6);
        text_tokenize(t, body, strlen(body));
        if (query_match(q, t) && matched++ < TEST_EXAMPLES)
            json_array_append_new(examples,
                                  json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:o}", "id",
                                            (json_int_t)db_col_int(st, 0), "channel_id",
                                            (json_int_t)db_col_int(st, 1), "kind",
                                            db_col_text(st, 2), "author_name", db_col_text(st, 3),
                                            "author_handle", db_col_text(st, 4), "body", body,
                                            "created_at", json_time(oldest)));
        rc = db_step(st, err);
    }
    db_finalize(st);
    if (rc < 0)
        goto done;
    assert(matched <= examined);
    out = json_pack("{s:I, s:I, s:o, s:b, s:O}", "matched", (json_int_t)matched, "examined",
                    (json_int_t)examined, "oldest", examined ? json_time(oldest) : json_null(),
                    "complete", examined < TEST_MAX, "messages", examples);
done:
    json_decref(examples);
    free(t);
    query_free(q);
    return out;
}
