/* model internals: the field engine (field.c) that drives validation, SQL
 * and JSON for rows, the query builder and paging (query.c), and the helpers
 * the entity, post and message files share. Not for other parts. */
#ifndef KANAL_MODEL_INTERNAL_H
#define KANAL_MODEL_INTERNAL_H

#include "model/model.h"

enum ftype {
    FT_TEXT, /* string */
    FT_INT,  /* integer */
    FT_BOOL, /* true/false, stored 0/1 */
    FT_TIME, /* ISO 8601 string, stored as Unix seconds */
    FT_ENUM, /* one of `values` */
    FT_REF,  /* id of a row in `ref`, in the same workspace */
    FT_REAL, /* number */
};

#define F_REQ     1  /* required on create */
#define F_RO      2  /* output only: set by kanal */
#define F_NULL    4  /* may be null */
#define F_FILTER  8  /* usable as a list filter */
#define F_NOEMPTY 16 /* a string that may not be empty or blank */

struct field {
    const char *name;
    enum ftype type;
    int flags;
    size_t max_len;                                     /* FT_TEXT: bytes */
    const char *const *values;                          /* FT_ENUM: NULL-terminated */
    const char *ref;                                    /* FT_REF: table, which has workspace_id */
    int (*check)(const char *value, struct error *err); /* extra FT_TEXT rule */
};

struct entity {
    const char *name; /* singular, for messages and the audit log */
    const char *table;
    bool scoped; /* has workspace_id */
    const struct field *fields;
    size_t nfields;
    /* Whole-object rule after field checks (e.g. ends after starts). */
    int (*check)(json_t *merged, struct error *err);
    /* Refuses a delete that would take stored data with it (ERR_CONFLICT,
     * saying what is stored); NULL: nothing to keep. */
    int (*keeps)(struct db *db, int64_t workspace_id, int64_t id, struct error *err);
};

extern const char *const post_statuses[];
/* An http(s) URL without spaces or control characters. */
int model_check_url(const char *s, struct error *err);
/* A worker's or platform's message as text the store takes: invalid UTF-8
 * becomes '?', and it is cut at a character to max bytes; NULL is "".
 * Caller frees. (model/job.c) */
char *model_store_text(const char *msg, size_t max);
/* The query on a learner's row (`table`: sentiment_learners or
 * tag_learners; `cols` read from it) of workspace ws. With `lock` the row is
 * made first when there is none and, on PostgreSQL, held FOR UPDATE so two
 * corrections do not both start from the same learner (SQLite's BEGIN
 * IMMEDIATE holds the write lock already); NULL and err when the store
 * fails. (model/learner.c) */
struct db_stmt *learner_row(struct db *db, const char *table, const char *cols, int64_t ws,
                            bool lock, struct error *err);
/* 0 when row `id` of `table` (a constant name; the table has workspace_id)
 * is in workspace ws. Else ERR_NOT_FOUND "no WHAT ID in this workspace",
 * or, with `field`, ERR_INVALID naming that input field; -1 and err when
 * the store fails. (model/entity.c) */
int model_in_workspace(struct db *db, const char *table, const char *what, const char *field,
                       int64_t id, int64_t ws, struct error *err);
/* 0 when user `id` is there and not disabled (users are the
 * installation's, not a workspace's). Else ERR_INVALID on input `field`,
 * "LABEL: no active user ID", or -1 and err when the store fails: a
 * message's assignee, a team's member, a routing rule's user.
 * (model/user.c) */
int model_active_user(struct db *db, int64_t id, const char *field, const char *label,
                      struct error *err);

/* Inserts `in`'s members (fields of e, validated) into e's table after the
 * columns named in `head` (each followed by ", "), whose nvals values are
 * bound from vals (0 binds NULL), with created_at and updated_at `now`; *id
 * is the new row's. 0, or -1 and err. */
int entity_insert(struct db *db, const struct entity *e, const char *head, const int64_t *vals,
                  int nvals, json_t *in, int64_t now, int64_t *id, struct error *err);
const struct field *field_find(const struct entity *e, const char *name);
/* Checks one input value against its field; ERR_INVALID names the field. */
int field_validate(const struct entity *e, const struct field *f, json_t *v, struct db *db,
                   int64_t workspace_id, struct error *err);
/* Checks every member of `in`: known, writable, valid; on create also that
 * required fields are present. */
int entity_validate(const struct entity *e, json_t *in, bool creating, struct db *db,
                    int64_t workspace_id, struct error *err);
/* Binds a validated JSON value for field f at parameter i. */
void field_bind(struct db_stmt *st, int i, const struct field *f, json_t *v);
/* Builds {"id":..,"workspace_id":..,fields..,"created_at","updated_at"}
 * from a row selected with entity_columns(). */
json_t *entity_row(const struct entity *e, struct db_stmt *st);
/* "id, workspace_id, f1, f2, ..., created_at, updated_at" for SELECTs. */
void entity_columns(const struct entity *e, struct buf *b, const char *alias);
/* Adds "name": value for column i of st, typed by f. */
void field_to_json(json_t *obj, const struct field *f, struct db_stmt *st, int i);
/* The page's JSON shell; next_cursor is set by the caller. */
json_t *page_result(json_t *items, const char *next_cursor);
/* "AT.ID" cursors for lists ordered by a time and then id, newest first. */
int cursor_parse_at_id(const char *cursor, int64_t *at, int64_t *id, struct error *err);
/* A WHERE clause built from optional filters: each condition is added with
 * its values, and they are bound in the order they were added, so the SQL
 * and its parameters cannot drift apart. */
#define QB_MAX 64
struct qb {
    struct buf sql;
    int n, nheld;
    char *held[QB_MAX]; /* texts the builder made (stems), freed with it */
    char types[QB_MAX];
    int64_t ints[QB_MAX];
    const char *texts[QB_MAX];
};
/* Starts with `head` ("SELECT ... WHERE workspace_id = ?") and its values. */
void qb_start(struct qb *q, const char *head, const char *types, ...);
/* Starts a list of one workspace's rows of e: checks the page's "AT.ID"
 * cursor into cat and cid (0 without one), then "SELECT e's columns FROM
 * table alias WHERE alias.workspace_id = ?" (alias may be NULL). Returns -1
 * and err for a bad cursor, with nothing to free. */
int qb_start_list(struct qb *q, const struct entity *e, const char *table, const char *alias,
                  int64_t workspace_id, const struct page *pg, int64_t *cat, int64_t *cid,
                  struct error *err);
/* Appends " AND " clause with one value per '?' ('i' int64_t, 't' text). */
void qb_and(struct qb *q, const char *clause, const char *types, ...);
void qb_append(struct qb *q, const char *sql, const char *types, ...);
/* The tail of a list ordered by the time column `at` then `id`, newest
 * first: the period [since, until) (0: open), the page's cursor (already
 * parsed into cat, cid), the order and LIMIT limit + 1. */
void qb_time_page(struct qb *q, const char *at, const char *id, int64_t since, int64_t until,
                  const struct page *pg, int64_t cat, int64_t cid);
/* Prepares and binds; frees the builder. */
struct db_stmt *qb_prepare(struct qb *q, struct db *db, struct error *err);
/* Steps st (ordered by a time column at index at_col, then id, newest first,
 * with LIMIT limit + 1) into entity rows and the next "AT.ID" cursor; at_col
 * -1: ordered by id alone, and the cursor is the last id. */
json_t *page_collect(struct db_stmt *st, const struct entity *e, int limit, int at_col,
                     struct error *err);
/* page_collect for rows that are not an entity's: each item is row(st). */
json_t *page_rows(struct db_stmt *st, json_t *(*row)(struct db_stmt *st), int limit, int at_col,
                  struct error *err);
/* Sets "tag_ids" on each object in `items` from `table` (post_tags,
 * message_tags), whose column `key` holds the object's id: one query for
 * the whole page. */
int attach_tag_ids(struct db *db, json_t *items, const char *table, const char *key,
                   struct error *err);

/* A list's query-string filters, each declared once: its parameter, how
 * the value is read, where it is kept in the list's filter struct, and the
 * condition it adds to the list's WHERE clause. A table of them, ended by
 * {0}, drives both the parsing and the SQL, so the two cannot drift apart. */
enum qf_type {
    QF_ID,    /* a positive whole number: an int64_t, 0 when absent */
    QF_TIME,  /* an ISO 8601 date or time: an int64_t, 0 when absent */
    QF_ENUM,  /* one of `values`: a const char *, NULL when absent */
    QF_BOOL,  /* "true" or "false": a const char *, bound as 1 or 0 */
    QF_WORD,  /* 1 to 40 characters: a const char * */
    QF_TEXT,  /* any string: a const char * */
    QF_USER,  /* a user's id or "me" (QF_USER_ME until the list's parser knows who) */
    QF_TERMS, /* words to search (QF_TERMS_MAX): a const char *; the condition, with
                 four '?' (the word's sv, fi and en stems and its folded form), is
                 added once per word */
};
#define QF_USER_ME    (-1)
#define QF_TERMS_MAX  8
#define QF_TERM_BYTES 128
struct query_filter {
    const char *param;
    enum qf_type type;
    size_t offset;             /* of the value in the filter struct */
    const char *where;         /* the condition, one '?'; NULL: read, not added (since, until) */
    const char *const *values; /* QF_ENUM */
};
/* The most parameters one list takes: its filters, its extras and paging. */
#define QUERY_PARAMS_MAX 32
/* Zeroes the filter struct f, refuses any parameter of q that is not in
 * `defs`, "limit", "cursor" or `extra` (NULL-terminated, may be NULL), and
 * reads each that is there into f; ERR_INVALID names the parameter. The
 * strings point into q. */
int query_filters_parse(void *f, size_t size, const struct query_filter *defs,
                        const char *const *extra, json_t *q, struct error *err);
/* The words full-text search looks at (words, numbers, hashtags' words):
 * their folded forms into words[0..max), cut to QF_TERM_BYTES - 1 bytes;
 * returns how many s has (words may be NULL with max 0, to count). */
struct token;
size_t search_words(const char *s, char (*words)[QF_TERM_BYTES], size_t max);
bool search_token(const struct token *t);
/* Adds the condition of every filter of `defs` that f holds. */
void qb_filters(struct qb *q, const void *f, const struct query_filter *defs);

/* For writes keyed on a platform id: 0 when lookup result `found` found the
 * row, else -1 (with ERR_NOT_FOUND naming `what` when it was not there). */
int platform_found(int found, const char *what, const char *platform_id, struct error *err);
/* An UPDATE's changed-row count as an enum upsert, or -1. */
int upsert_of_changes(int64_t n);
/* A platform's edit of a text: `sql` sets (body, updated_at) of row id when
 * the body differs ("tiit"); found is the lookup's result for id. Returns an
 * enum upsert or -1. */
int platform_edit_body(struct db *db, const char *what, int found, int64_t id, const char *sql,
                       const char *platform_id, const char *body, struct error *err);

/* What one message counts for in the response figures (message_stats.c):
 * counted when it is written to the organisation (not its own). */
struct msg_fact {
    bool counted, answered;
    int64_t channel_id, variant_id; /* variant 0: on no post */
    int64_t created_at, first_response_at;
    /* held to a service level (model/sla.c); answered within it; its
     * working-time first answer known (work_wait) */
    bool held, within, has_work;
    int64_t work_wait;
    bool elsewhere; /* its first answer was outside kanal (phone, e-mail) */
};
/* The columns msg_fact_read reads, from `col` on, of messages m. */
#define MSG_FACT_COLUMNS                                                                           \
    "m.is_own, m.first_response_at, m.sla_due_at, m.first_response_work, m.answered_elsewhere_at"
/* What a stored message counts for, from MSG_FACT_COLUMNS at col. */
struct msg_fact msg_fact_read(struct db_stmt *st, int col, int64_t channel, int64_t variant,
                              int64_t created);
/* Moves the figures from what the message counted as before to after (NULL:
 * it did not exist); inside the writer's transaction. */
/* The zone called `name`, loaded once per process and never freed (a
 * writer may hold it while another thread loads the next). */
struct tz *model_zone(const char *name, struct error *err);
/* Recomputes the service level message mid is held to (model/sla.c), from
 * its team, priority, creation and the workspace's office hours; inside the
 * writer's transaction. */
int message_sla_refresh(struct db *db, int64_t ws, int64_t mid, struct error *err);
/* The same after a change that the figures have not followed yet, `before`
 * being what the message counted for before it (NULL: as stored now): the
 * level and the working-time first answer are computed again and the
 * figures moved from before to what the message is now. */
int message_refigure(struct db *db, int64_t ws, int64_t mid, const struct msg_fact *before,
                     struct error *err);

int message_stats_change(struct db *db, int64_t workspace_id, const struct msg_fact *before,
                         const struct msg_fact *after, struct error *err);

/* Messages for the conversation view (message.c): start q as "SELECT the
 * message columns FROM messages m WHERE m.workspace_id = ?", add conditions
 * on m and a tail, then read the rows: an array of message objects with
 * their tag_ids and sla at `now` (NULL and err on failure). Frees q. */
void message_select_start(struct qb *q, int64_t ws);
json_t *message_select_rows(struct db *db, struct qb *q, int64_t now, struct error *err);

#endif
