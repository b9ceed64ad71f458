/* model: kanal's entities and every query on them. Every way in (API, CLI,
 * imports, demo) writes through these functions and every way out reads
 * through them, so validation and audit happen in one place.
 * JSON in and out is jansson's json_t; the caller owns (json_decref) every
 * json_t returned, and keeps ownership of every json_t passed in. */
#ifndef KANAL_MODEL_H
#define KANAL_MODEL_H

#include <jansson.h>
#include <stdatomic.h>

#include "base/base.h"
#include "base/worktime.h"
#include "db/db.h"

/* Limits on what one request may ask for. */
#define MODEL_PAGE_DEFAULT 50
#define MODEL_PAGE_MAX     200
#define MODEL_TEXT_MAX     65536 /* a post body or message, in bytes */

enum role { ROLE_ADMIN, ROLE_EDITOR, ROLE_AUTHOR, ROLE_MODERATOR, ROLE_ANALYST, ROLE_COUNT };

/* Who is acting: the user for the audit log (0: kanal itself, from the CLI
 * or an import) and their role, for the rules the model keeps itself (what
 * an author may change). A zeroed actor is kanal itself, an admin. */
struct actor {
    int64_t user_id;
    enum role role;
};

int audit_record(struct db *db, int64_t workspace_id, int64_t user_id, const char *action,
                 const char *entity, int64_t entity_id, const char *detail, struct error *err);
/* As audit_record with the detail as JSON (compact, keys sorted), which it
 * takes. */
int audit_record_json(struct db *db, int64_t workspace_id, int64_t user_id, const char *action,
                      const char *entity, int64_t entity_id, json_t *detail, struct error *err);
/* A Unix time as an ISO 8601 UTC JSON string ("2026-03-01T09:00:00Z"). */
json_t *json_time(int64_t t);
/* json_time of column i, or JSON null where the column is NULL. */
json_t *json_time_col(struct db_stmt *st, int i);
/* Column i as a JSON integer or string, or JSON null where it is NULL. */
json_t *json_int_col(struct db_stmt *st, int i);
json_t *json_text_col(struct db_stmt *st, int i);
/* The rows of `st`, db_query's answer (NULL: its error stands), as a JSON
 * array of row(st) for each; finalizes st. NULL and err when a step fails. */
json_t *json_rows(struct db_stmt *st, json_t *(*row)(struct db_stmt *st), struct error *err);
/* json_rows as a list's answer: {"items": [...]}. */
json_t *json_items(struct db_stmt *st, json_t *(*row)(struct db_stmt *st), struct error *err);
/* The first member of object `in` whose name is not in `known`
 * (NULL-terminated), or NULL when all are known. */
const char *json_unknown_member(json_t *in, const char *const *known);
/* What a lookup or change of row `id` in a workspace answers when it
 * found no row (found 0: db_row's or db_scalar's none, an UPDATE or DELETE
 * that changed nothing; ERR_NOT_FOUND "no WHAT ID in this workspace") or
 * failed (found -1: err as the store set it). Returns -1. (model/entity.c) */
int model_no_row(int found, const char *what, int64_t id, struct error *err);
#ifdef __clang_analyzer__
#define model_no_row(...) analyzer_fails(model_no_row(__VA_ARGS__))
#endif
/* db_row for the row `id` of a workspace, which the statement names:
 * the statement on that row (caller finalizes), or NULL with err, as
 * model_no_row says it (no such row) or as the store set it. */
struct db_stmt *model_row(struct db *db, const char *what, int64_t id, struct error *err,
                          const char *sql, const char *types, ...);

/* ---- users, sessions, tokens ------------------------------------------- */

/* -1 for an unknown name. */
int role_parse(const char *name);
const char *role_name(enum role r);

struct user {
    int64_t id;
    char email[256];
    char name[128];
    enum role role;
    bool disabled;
};

#define PASSWORD_MIN 10
#define PASSWORD_MAX 1024
/* Hashes the password with argon2id. ERR_CONFLICT if the email is taken. */
int user_create(struct db *db, const char *email, const char *name, const char *role,
                const char *password, int64_t *id, struct error *err);
/* ERR_AUTH for an unknown email, a wrong password or a disabled user, with
 * the same message for all three so that emails cannot be probed. */
int user_authenticate(struct db *db, const char *email, const char *password, struct user *out,
                      struct error *err);
int user_get(struct db *db, int64_t id, struct user *out, struct error *err);
json_t *user_to_json(const struct user *u);
json_t *user_list(struct db *db, struct error *err);
/* The user id for an email (any case), or ERR_NOT_FOUND. */
int user_find(struct db *db, const char *email, int64_t *id, struct error *err);
/* ERR_INVALID (on field "password") for a password of the wrong length or
 * one on kanal's deny-list of common passwords (data/passwords/). */
int password_check(const char *password, struct error *err);
/* An admin's change to user `id`: {role, disabled, name}, any of them.
 * ERR_CONFLICT when it would leave no active admin. Disabling ends the
 * user's sessions and revokes their tokens in the same transaction. Every
 * change is audited as who->user_id's. */
int user_update(struct db *db, int64_t id, json_t *patch, const struct actor *who,
                struct error *err);
/* Sets a new password. With `old` (a user's own change) it must be the
 * current one (ERR_INVALID on "old_password" otherwise: not ERR_AUTH, which
 * would read as a lost session); without it (an admin's reset) the user's
 * sessions end too, since a reset usually means the old one leaked. */
int user_set_password(struct db *db, int64_t id, const char *old, const char *password,
                      const struct actor *who, struct error *err);
/* Ends every session and revokes every token of user `id`. */
int user_revoke_access(struct db *db, int64_t id, const struct actor *who, struct error *err);

/* Tokens are 32 random bytes as 64 hex characters; only their SHA-256 is
 * stored. */
#define TOKEN_HEX 64
/* A new token, lower-case hex. (Sessions, API tokens, calendar feeds.) */
void token_new(char out[TOKEN_HEX + 1]);
/* The SHA-256 of token in lower-case hex: what the store keeps of it. */
void token_hash(const char *token, char out[65]);
#define SESSION_TTL (12 * 3600)
int session_create(struct db *db, int64_t user_id, char token[TOKEN_HEX + 1],
                   char csrf[TOKEN_HEX + 1], struct error *err);
/* ERR_AUTH if the token is unknown or expired. */
int session_resolve(struct db *db, const char *token, struct user *u, char csrf[TOKEN_HEX + 1],
                    struct error *err);
int session_delete(struct db *db, const char *token, struct error *err);

/* API tokens are shown once as "kanal_" + 64 hex characters. */
#define API_TOKEN_LEN  (6 + TOKEN_HEX)
#define TOKEN_LIFE_MAX (3650 * 86400) /* ten years */
/* expires_at: Unix seconds in the future, or 0 for a token that never
 * expires. */
int api_token_create(struct db *db, int64_t user_id, const char *name, int64_t expires_at,
                     char token[API_TOKEN_LEN + 1], int64_t *id, struct error *err);
/* ERR_AUTH for an unknown, revoked or expired token or a disabled user. */
int api_token_resolve(struct db *db, const char *token, struct user *u, struct error *err);
json_t *api_token_list(struct db *db, int64_t user_id, struct error *err);
int api_token_revoke(struct db *db, int64_t user_id, int64_t id, struct error *err);

/* ---- generic entities -----------------------------------------------------
 * Workspaces, channels, campaigns and tags are plain rows: a table of field
 * descriptions drives their validation, SQL and JSON. */
struct entity;
/* A channel's platforms, NULL-terminated. */
extern const char *const channel_platforms[];
extern const struct entity entity_workspace, entity_channel, entity_campaign, entity_tag,
    entity_team;

/* Paging: items after `cursor` (an opaque string from a previous page's
 * next_cursor, NULL for the first page), at most `limit` of them. */
struct page {
    int limit;
    const char *cursor;
};
/* Checks a query string: every parameter is one of the n names of `takes`
 * (n < 0: up to a NULL; takes NULL: none) and a string. Else ERR_INVALID on
 * the first that is not, an unknown one answered with the names taken. */
int query_params_check(json_t *query, const char *const *takes, int n, struct error *err);
/* Parses the query-string values; ERR_INVALID names the parameter. */
int page_parse(struct page *p, const char *limit, const char *cursor, struct error *err);

/* workspace_id is ignored for entity_workspace itself. */
json_t *entity_get(struct db *db, const struct entity *e, int64_t workspace_id, int64_t id,
                   struct error *err);
json_t *entity_create(struct db *db, const struct entity *e, int64_t workspace_id, json_t *in,
                      const struct actor *who, struct error *err);
json_t *entity_update(struct db *db, const struct entity *e, int64_t workspace_id, int64_t id,
                      json_t *patch, const struct actor *who, struct error *err);
int entity_delete(struct db *db, const struct entity *e, int64_t workspace_id, int64_t id,
                  const struct actor *who, struct error *err);
/* `filters` maps field names to query-string values (may be NULL); only
 * fields marked filterable are accepted. Returns {"items": [...],
 * "next_cursor": "..." | null}. */
json_t *entity_list(struct db *db, const struct entity *e, int64_t workspace_id, json_t *filters,
                    const struct page *pg, struct error *err);
const char *entity_name(const struct entity *e);
/* The time zone of workspace `ws` (tz_free it), or NULL and err. */
struct tz *workspace_tz(struct db *db, int64_t ws, struct error *err);

/* ---- audit log ---------------------------------------------------------------- */

struct audit_filter {
    int64_t workspace_id, user_id; /* 0: any */
    const char *action, *entity;   /* NULL: any */
    int64_t since, until;          /* on `at`; 0: open */
};
/* Parses workspace, user, action, entity, since, until (and lets limit and
 * cursor through) from a query-string object; ERR_INVALID names the
 * parameter. The strings point into `query`. */
int audit_filter_parse(struct audit_filter *f, json_t *query, struct error *err);
/* Newest first: {"items": [{id, at, workspace_id, user_id, user_email,
 * action, entity, entity_id, detail}], "next_cursor"}. */
json_t *audit_list(struct db *db, const struct audit_filter *f, const struct page *pg,
                   struct error *err);

/* ---- posts ------------------------------------------------------------------ */

/* Input: {title, body, format, campaign_id, link_url, lang, status,
 * tag_ids: [..], variants: [{channel_id, body, status, scheduled_at}]}. */
json_t *post_create(struct db *db, int64_t workspace_id, json_t *in, const struct actor *who,
                    struct error *err);
json_t *post_get(struct db *db, int64_t workspace_id, int64_t id, struct error *err);
/* An author (who->role) may change only their own posts while they are
 * drafts or in review, and set no other status: ERR_DENIED otherwise. */
json_t *post_update(struct db *db, int64_t workspace_id, int64_t id, json_t *patch,
                    const struct actor *who, struct error *err);
/* ERR_DENIED for an author: deleting is the desk's. */
int post_delete(struct db *db, int64_t workspace_id, int64_t id, const struct actor *who,
                struct error *err);
/* Sets the post's `at` (where the lists and the calendar place it) again
 * after a variant's time changed: the earliest publish or schedule time
 * among its variants, else its creation time. */
int post_refresh_at(struct db *db, int64_t post_id, struct error *err);

struct post_filter {
    int64_t channel_id, campaign_id, tag_id; /* 0: any */
    const char *status, *format;             /* NULL: any */
    int64_t since, until;                    /* on `at`; 0: open */
};
/* Parses channel, campaign, tag, status, format, since, until from a
 * query-string object; ERR_INVALID names the parameter. */
int post_filter_parse(struct post_filter *f, json_t *query, struct error *err);
json_t *post_list(struct db *db, int64_t workspace_id, const struct post_filter *f,
                  const struct page *pg, struct error *err);

/* Writes keyed on (channel, platform id) from imports and the demo: the same
 * input twice changes nothing. Return one of these, or -1. */
enum upsert { UPSERT_INSERTED, UPSERT_UPDATED, UPSERT_UNCHANGED };

struct platform_post {
    int64_t channel_id;
    const char *platform_id; /* required */
    const char *body, *format, *permalink, *lang, *link_url;
    int64_t published_at;
    int64_t campaign_id; /* 0: none */
    /* A metric snapshot read with the post (NULL: none). A new post is
     * stored with it in the same statements (post_upsert_platform then sets
     * *with_metrics); a known one leaves it to post_metrics_add. */
    const int64_t *metrics; /* [PM_COUNT] */
    int64_t taken_at;
    /* The caller has checked, in this transaction, that the channel is the
     * workspace's (an import checks its channel once, not once a row). */
    bool channel_checked;
};
/* *variant_id and *post_id (either may be NULL) get the rows written. */
int post_upsert_platform(struct db *db, int64_t workspace_id, const struct platform_post *p,
                         int64_t *variant_id, int64_t *post_id, bool *with_metrics,
                         struct error *err);
int post_tag(struct db *db, int64_t post_id, int64_t tag_id, struct error *err);

/* A metric a platform did not report is -1 and stored as NULL. */
/* The formats a post can have (photo, video, ...), NULL-terminated: the
 * values of its `format` field, and the rows of a report by format. */
extern const char *const post_formats[];

enum post_metric {
    PM_REACH,
    PM_IMPRESSIONS,
    PM_REACTIONS,
    PM_COMMENTS,
    PM_SHARES,
    PM_SAVES,
    PM_CLICKS,
    PM_VIDEO_VIEWS,
    PM_COUNT
};
extern const char *const post_metric_names[PM_COUNT];
int post_metrics_add(struct db *db, int64_t variant_id, int64_t taken_at,
                     const int64_t values[PM_COUNT], struct error *err);
/* A channel's figures at taken_at; -1 is not reported, and keeps what an
 * earlier reading of the same time stored. */
int channel_metrics_add(struct db *db, int64_t channel_id, int64_t taken_at, int64_t followers,
                        int64_t reach, int64_t impressions, struct error *err);

/* ---- messages ------------------------------------------------------------------ */

struct message_in {
    int64_t channel_id, variant_id, parent_id; /* 0: none */
    const char *kind;                          /* comment, reply, mention, dm, review */
    const char *platform_id;                   /* required for upsert */
    const char *author_name, *author_handle, *body, *lang;
    const char *sentiment; /* pos, neu, neg or NULL */
    double sentiment_score;
    const char *status; /* NULL: open */
    bool is_own;
    int64_t created_at;
    /* The platform id of the message this one answers when kanal does not
     * have it yet (parent_id 0): kept, and the two are joined when it comes. */
    const char *reply_to;
};
/* Inserts or updates a message by (channel, platform id). A new message
 * also becomes the parent of replies stored before it (their reply_to). */
int message_upsert(struct db *db, int64_t workspace_id, const struct message_in *m, int64_t *id,
                   struct error *err);
json_t *message_get(struct db *db, int64_t workspace_id, int64_t id, struct error *err);
/* A moderator's changes: {status, team_id, assigned_user_id, priority,
 * sentiment}. */
json_t *message_update(struct db *db, int64_t workspace_id, int64_t id, json_t *patch,
                       const struct actor *who, struct error *err);

/* A moderator answered message `id` outside kanal: {via: phone | email |
 * other, at: ISO 8601 (default now)}. The figures count it answered at
 * `at` (unless kanal has an earlier answer) and as answered elsewhere; its
 * status becomes answered when it was open or assigned. ERR_INVALID names
 * the field (an own message, or a time before the message or in the
 * future). Caller owns the message returned. */
json_t *message_answered_elsewhere(struct db *db, int64_t ws, int64_t id, json_t *in,
                                   const struct actor *who, struct error *err);

extern const char *const message_priorities[]; /* low normal high urgent, NULL-ended */

struct message_filter {
    int64_t channel_id, variant_id, tag_id, team_id, assigned_user_id; /* 0: any */
    const char *kind, *status, *sentiment, *lang, *author, *priority;
    const char *own; /* "true": the organisation's own replies, "false": to it */
    const char *q;   /* full text: every word, stemmed (message_terms) */
    const char *sla; /* ok, at_risk, breached, met (model/sla.c) */
    int64_t since, until;
};
/* Parses the list's query string; `me` is the asking user (0: none), which
 * assigned_user=me stands for. */
int message_filter_parse(struct message_filter *f, json_t *query, int64_t me, struct error *err);
json_t *message_list(struct db *db, int64_t workspace_id, const struct message_filter *f,
                     const struct page *pg, struct error *err);
/* The ids of the newest `max` messages the filter finds (and, when `also`
 * is given, that SQL condition on the messages row, without values), newest
 * first, into ids[0..*n); *more when it found more than max. */
int message_select(struct db *db, int64_t workspace_id, const struct message_filter *f,
                   const char *also, int max, int64_t *ids, int *n, bool *more, struct error *err);
/* Indexes the words of at most `max` messages stored before kanal indexed
 * them (the migration that added search); returns how many, or -1. */
int64_t message_terms_refresh(struct db *db, int64_t max, struct error *err);

/* ---- teams (model/team.c) ------------------------------------------------------
 * A team (entity_team) has members, each on duty or away. */
/* Adds user_id to the team, or changes whether they are on duty. ERR_NOT_FOUND
 * for a team not in the workspace, ERR_INVALID for no such active user. */
int team_member_set(struct db *db, int64_t ws, int64_t team_id, int64_t user_id, bool on_duty,
                    const struct actor *who, struct error *err);
int team_member_remove(struct db *db, int64_t ws, int64_t team_id, int64_t user_id,
                       const struct actor *who, struct error *err);
/* {"items": [{user_id, email, name, on_duty}]}; caller owns. */
json_t *team_member_list(struct db *db, int64_t ws, int64_t team_id, struct error *err);
/* Round-robin: the team's next member on duty after the one last given a
 * message (and remembers them). 1 and *user_id, 0 when nobody is on duty,
 * -1 and err. Inside the writer's transaction. */
int team_next_member(struct db *db, int64_t team_id, int64_t *user_id, struct error *err);

/* ---- routing rules (model/routing.c) -------------------------------------------
 * Per workspace, in `position` order: {id, name, position, enabled, stop,
 * conditions: {channel_ids, platforms, kinds, langs, sentiments, query,
 * tag_ids, authors}, actions: {team_id, user_id, priority, add_tag_ids}}
 * (docs/inbox.md). Saving checks every reference and refuses a rule that
 * would loop (adds a tag that it needs, itself or through other rules). */
json_t *routing_rule_list(struct db *db, int64_t ws, struct error *err);
json_t *routing_rule_get(struct db *db, int64_t ws, int64_t id, struct error *err);
json_t *routing_rule_create(struct db *db, int64_t ws, json_t *in, const struct actor *who,
                            struct error *err);
json_t *routing_rule_update(struct db *db, int64_t ws, int64_t id, json_t *patch,
                            const struct actor *who, struct error *err);
int routing_rule_delete(struct db *db, int64_t ws, int64_t id, const struct actor *who,
                        struct error *err);
/* The rule `in` (as for create, not saved) tried on the workspace's
 * messages to it of the 30 days before now: {matched, examined, since,
 * until, message_ids (the newest 20 matched), complete}. */
json_t *routing_rule_test(struct db *db, int64_t ws, json_t *in, int64_t now, struct error *err);

/* An incoming message as the rules see it; strings may be NULL. */
struct route_message {
    int64_t channel_id;
    const char *platform, *kind, *lang, *sentiment, *author_name, *author_handle, *body;
    const int64_t *tags; /* the tags it has already (the tag rules') */
    size_t ntags;
};
struct route_result {
    int64_t rule_id;          /* the last rule that matched; 0: none */
    int64_t team_id, user_id; /* what it was assigned to (user by round-robin too) */
    const char *priority;     /* NULL: unchanged */
    int tags_added;
};
/* A workspace's enabled rules compiled once, for a batch of messages. */
struct router;
struct router *router_open(struct db *db, int64_t ws, struct error *err);
void router_close(struct router *r);
size_t router_rules(const struct router *r);
/* Evaluates the rules on stored message message_id (described by m) and
 * applies what they decide, inside the writer's transaction. 1 when a rule
 * matched (res says what was done), 0 when none did, -1 and err. */
int router_route(struct router *r, struct db *db, int64_t message_id, const struct route_message *m,
                 struct route_result *res, struct error *err);

/* ---- service levels (model/sla.c) -------------------------------------------------
 * A team's promise per priority: a first answer within so much working
 * time (the workspace's office_hours and holidays, in its time zone), at
 * risk when at_risk_percent of it is used. An incoming message with a team
 * is held to its team's level for its priority; the clock stops outside
 * office hours and on holidays. */
enum sla_state { SLA_NONE, SLA_OK, SLA_AT_RISK, SLA_BREACHED, SLA_MET, SLA_STATE_COUNT };
extern const char *const sla_state_names[SLA_STATE_COUNT]; /* none ok at_risk breached met */
/* When a message created at `created`, held to `seconds` of working time,
 * is at risk (pct percent of it used) and due. INT64_MAX for hours with no
 * open day. */
void sla_times(const struct worktime *w, int64_t created, int64_t seconds, int pct, int64_t *risk,
               int64_t *due);
/* A message's state at `now`: due 0 is none (not held); first_response 0
 * is not answered yet; `open` is its status open or assigned (a message
 * closed without an answer is off the clock). */
enum sla_state sla_state_at(int64_t risk, int64_t due, int64_t first_response, bool open,
                            int64_t now);
/* {"items": [{id, team_id, priority, first_answer_seconds, at_risk_percent}]}. */
json_t *service_level_list(struct db *db, int64_t ws, struct error *err);
/* Sets the team's level for `priority` from {first_answer_minutes |
 * first_answer_seconds, at_risk_percent} and holds the team's messages that
 * wait for a first answer to it. ERR_INVALID names the field; ERR_NOT_FOUND
 * for a team not in the workspace. Caller owns the level's JSON. */
json_t *service_level_set(struct db *db, int64_t ws, int64_t team_id, const char *priority,
                          json_t *in, const struct actor *who, struct error *err);
int service_level_delete(struct db *db, int64_t ws, int64_t team_id, const char *priority,
                         const struct actor *who, struct error *err);
/* Sets "sla" (a sla_state name), "sla_due_at" and "sla_at_risk_at" on each
 * message object of `items`, as they stand at `now`. */
int sla_annotate(struct db *db, json_t *items, int64_t now, struct error *err);

/* ---- saved replies (model/saved_reply.c) --------------------------------------------
 * A workspace's saved replies are plain entities {name, lang (sv, fi, en),
 * body}; a body's variables are {first_name}, {name}, {handle} and
 * {channel}, and '{{' and '}}' are the braces themselves. */
extern const struct entity entity_saved_reply;
enum { REPLY_VAR_FIRST_NAME, REPLY_VAR_NAME, REPLY_VAR_HANDLE, REPLY_VAR_CHANNEL, REPLY_VAR_COUNT };
/* Fills tmpl's variables from vars (by the enum; NULL vars: only checks)
 * into out. ERR_INVALID on field "body" naming the byte and the unknown
 * variable or unpaired brace. */
int reply_render(const char *tmpl, const char *const vars[REPLY_VAR_COUNT], struct buf *out,
                 struct error *err);
/* Saved reply reply_id filled in for message message_id: {saved_reply_id,
 * message_id, lang, text}. The first name is the first word of the
 * author's name (else the handle). ERR_NOT_FOUND for no such reply,
 * ERR_INVALID on "message_id" for no such message. Caller owns. */
json_t *saved_reply_render(struct db *db, int64_t ws, int64_t reply_id, int64_t message_id,
                           struct error *err);

/* ---- a message's conversation, notes and presence (model/conversation.c) ---------- */

#define CONV_ANCESTORS_MAX   20  /* the thread upwards */
#define CONV_SIBLINGS_MAX    50  /* the other replies beside it */
#define CONV_CHILDREN_MAX    100 /* the replies to it */
#define CONV_HISTORY_DEFAULT 20  /* the author's earlier messages */
#define CONV_HISTORY_MAX     100
/* Message id with what is around it: {message, ancestors (its parent
 * chain, oldest first), reply_to (the platform id of a parent not stored
 * yet, or null), post (the variant the thread is under, or null), siblings,
 * children, answers (the organisation's own among children),
 * pending_answers (replies queued through kanal, not done yet),
 * author_history {items (the same handle's, or name's, earlier messages on
 * any channel, newest first, at most `history`), more}, notes, presence
 * (who else has it open, without `me`)}. Caller owns. */
json_t *message_conversation(struct db *db, int64_t ws, int64_t id, int64_t me, int history,
                             int64_t now, struct error *err);

#define NOTE_BODY_MAX     4000
#define NOTE_LIST_MAX     500
#define NOTE_MENTIONS_MAX 20  /* mentions read in one note */
#define NOTE_MENTION_MAX  100 /* bytes of one mention's name */
/* "@name" in a note's text (docs/inbox.md): text (len bytes, within the
 * note, without "@" and quotes) and whether it was written @"Like This". */
struct note_mention {
    const char *text;
    size_t len;
    bool quoted;
};
/* The mentions in body, at most max, in order. Pure. */
int note_mentions_scan(const char *body, struct note_mention *out, int max);
struct note_user {
    int64_t id;
    const char *email, *name;
};
/* Whom m names among users: the one whose e-mail's local part is m, else
 * whose name is m (spaces left out when unquoted), else whose name's first
 * word is m (unquoted only); case is ignored (ASCII and Latin-1). The
 * index, -1 for nobody, -2 when a step matches more than one. Pure. */
int note_mention_match(const struct note_mention *m, const struct note_user *users, int n);

/* A message's notes, oldest first: [{id, message_id, user_id, author, body,
 * created_at, mentions: [{user_id, name}]}]. Caller owns. */
json_t *note_list(struct db *db, int64_t ws, int64_t message_id, struct error *err);
struct note_added {
    int64_t note_id;
    int64_t mentioned[NOTE_MENTIONS_MAX]; /* user ids, each once */
    int nmentioned;
    char unmatched[NOTE_MENTIONS_MAX][NOTE_MENTION_MAX + 1]; /* mentions naming nobody */
    bool ambiguous[NOTE_MENTIONS_MAX]; /* ... because they fit more than one person */
    int nunmatched;
};
/* Stores who's note on message_id and its mentions. Neither begins nor
 * commits. ERR_INVALID on "body" (empty, over NOTE_BODY_MAX), ERR_NOT_FOUND
 * for no such message. 0 or -1. */
int note_add(struct db *db, int64_t ws, int64_t message_id, const char *body,
             const struct actor *who, int64_t now, struct note_added *out, struct error *err);
/* Deletes note_id on message_id if `who` wrote it (ERR_DENIED else). */
int note_delete(struct db *db, int64_t ws, int64_t message_id, int64_t note_id,
                const struct actor *who, struct error *err);

#define PRESENCE_TTL 30 /* seconds a heartbeat counts */
/* `me` has message_id open (state "viewing" or "typing") at now: stored
 * with the time, expired rows of anyone swept. {message_id, state,
 * ttl_seconds, others: presence_others}. Caller owns. */
json_t *presence_beat(struct db *db, int64_t ws, int64_t message_id, int64_t me, const char *state,
                      int64_t now, struct error *err);
/* Who else has message_id open at now: [{user_id, name, state, since,
 * seen_at}], the first to come first. */
json_t *presence_others(struct db *db, int64_t message_id, int64_t me, int64_t now,
                        struct error *err);
/* `me` closed it. */
int presence_leave(struct db *db, int64_t ws, int64_t message_id, int64_t me, struct error *err);

/* ---- response figures kept as messages arrive (model/message_stats.c) ------------
 * Per channel and local day (table message_days) and per post variant
 * (post_variants.msg_incoming, msg_answered, msg_waits): incoming messages,
 * answered ones and a histogram of first-response times, stored as text
 * "bin:count ...". Bins are exact below 256 s, then within 0.4%. */
int64_t wait_bin(int64_t seconds);
double wait_bin_value(int64_t bin); /* the middle of the bin */
/* Adds a stored histogram's counts to h (bin -> count); -1 if malformed. */
int wait_hist_parse(struct imap *h, const char *text);
/* The median of the histogram's values; false if it is empty. */
bool wait_hist_median(const struct imap *h, double *median);
/* One group's response figures: incoming, answered, the first-response
 * histogram (bin -> count), held to a service level, answered within it,
 * answered elsewhere, and the working-time first-response histogram. */
struct response_figures {
    int64_t incoming, answered, held, within, elsewhere;
    struct imap waits, work_waits;
};
/* The figures of the messages to workspace ws written in [since, until),
 * per team (the message's team now; 0: none) and channel, counted as the
 * channel-day rows count them: fn is called once per (team, channel) with
 * messages, f valid during the call. 0 or -1 and err. */
int message_figures_by_team(struct db *db, int64_t ws, int64_t since, int64_t until,
                            void (*fn)(int64_t team, int64_t channel,
                                       const struct response_figures *f, void *arg),
                            void *arg, struct error *err);
/* Builds the figures again for each workspace (0: every one) whose figures
 * were not cut in its current time zone. */
int message_stats_refresh(struct db *db, int64_t workspace_id, struct error *err);

/* ---- what the text engine needs kept -----------------------------------------
 * The model stores the per-workspace sentiment learner as opaque bytes and
 * knows nothing of how it works; ingest/enrich.c joins the two. The tag
 * learner is taught where tag corrections are recorded, here, so its store
 * (model/tag_learner.c) calls text/'s public tag learner itself. */

/* Inside a transaction: the workspace's learner bytes (b left empty if it
 * has none yet) and its correction count, with the row locked against
 * concurrent corrections until commit. */
int learner_blob_lock(struct db *db, int64_t workspace_id, struct buf *b, int64_t *corrections,
                      struct error *err);
/* The same without a lock, for scoring. */
int learner_blob_get(struct db *db, int64_t workspace_id, struct buf *b, int64_t *corrections,
                     struct error *err);
int learner_blob_store(struct db *db, int64_t workspace_id, const void *p, size_t n,
                       int64_t corrections, struct error *err);
/* Records a moderator's correction and sets the message's sentiment. */
int sentiment_correction_record(struct db *db, int64_t workspace_id, int64_t message_id,
                                const char *body, const char *previous, const char *label,
                                double score, int64_t user_id, struct error *err);
/* Gives a message a tag (a tag or routing rule's), unless a moderator took
 * that tag off it (message_tag_corrections). */
int message_tag(struct db *db, int64_t message_id, int64_t tag_id, struct error *err);
/* A moderator's correction of a message's tags, inside the caller's
 * transaction: adds (added) or takes off tag_id, and keeps the correction
 * (who, when, the text) as the latest word on that message and tag, which
 * the rules then keep to. ERR_INVALID on field `field` for a tag not in
 * the workspace. */
int tag_correction_record(struct db *db, int64_t workspace_id, int64_t message_id, int64_t tag_id,
                          bool added, const char *body, int64_t user_id, const char *field,
                          struct error *err);
/* How much the workspace's model agrees with its moderators: of the
 * messages to it written in the `days` days before now, {days, since,
 * messages, sentiment: {corrected, agreement}, tags: {corrected,
 * agreement}, tag_suggestions: tag_learner_agreement's} where corrected
 * counts the messages a moderator corrected and agreement is the share not
 * corrected (null with no message).
 * Caller owns. */
json_t *learner_agreement(struct db *db, int64_t workspace_id, int64_t now, int days,
                          struct error *err);
/* The workspace's tag learner (text/tag_learn.c) takes a moderator's tag
 * correction of message_id (whose text is body), inside the caller's
 * transaction, with the row locked: first what the moderators' earlier
 * corrections of another message said of the tags they left alone, then
 * this one. *p: its probability of the tag before it learned, -1 when the
 * tag's model was not ready. */
int tag_learner_learn(struct db *db, int64_t ws, int64_t message_id, const char *body,
                      int64_t tag_id, bool added, double *p, struct error *err);
/* Sets msg's (a message_get) "suggested_tags": [{tag_id, name, p}] the tag
 * learner suggests that the message does not carry and no moderator decided
 * on, likeliest first, at most 5; [] when it has none. 0, or -1 and err. */
int tag_learner_annotate(struct db *db, int64_t ws, json_t *msg, struct error *err);
/* How the tag learner's word agreed with the tag corrections made in
 * [since, until]: {corrections, judged (its model of the tag was ready),
 * agreed (it suggested the tag that was added, or not the tag taken off),
 * suggested, accepted (suggested and added), agreement: agreed / judged,
 * null with none; min_corrections and threshold: when a tag's model speaks
 * and suggests}. Caller owns. */
json_t *tag_learner_agreement(struct db *db, int64_t ws, int64_t since, int64_t until,
                              struct error *err);
/* An edited incoming message read again: its language and sentiment as
 * kanal reads them now, unless a moderator corrected its sentiment (that
 * label stays). */
int message_reread(struct db *db, int64_t message_id, const char *lang, const char *sentiment,
                   double score, struct error *err);

/* Tries a tag rule ({rule}) on the workspace's stored messages, newest
 * first (at most 100,000): {matched, examined, oldest, complete, messages:
 * [the first 50 matches]}. ERR_INVALID naming "rule" and its column for a
 * rule that does not compile. Caller owns. */
json_t *tag_rule_test(struct db *db, int64_t workspace_id, json_t *in, struct error *err);

/* The workspace's tag rules: fills ids[] and rules[] (strings owned by the
 * arena) for tags with a non-empty rule; returns how many, or -1. */
int tag_rules_load(struct db *db, int64_t workspace_id, struct arena *a, int64_t **ids,
                   char ***rules, struct error *err);

/* ---- writes keyed on platform ids (model/post.c, message.c, entity.c) ----------
 * What imports and webhooks need beyond the rows above: finding rows by
 * their platform ids, the channel a page or account id belongs to, and the
 * status changes platforms report (hide, unhide, remove). All of them keyed
 * on platform ids and idempotent. */

/* 1 and *id when found, 0 when not, -1 and err. */
int post_variant_find(struct db *db, int64_t channel_id, const char *platform_id, int64_t *id,
                      struct error *err);
int message_find_platform(struct db *db, int64_t channel_id, const char *platform_id, int64_t *id,
                          struct error *err);
/* The post a variant belongs to: 1 and *post_id, 0 when there is no such
 * variant, -1 and err. */
int post_variant_post(struct db *db, int64_t variant_id, int64_t *post_id, struct error *err);

/* The channel of `platform` whose platform_id is `platform_id`, in the
 * workspace (workspace_id 0: any workspace, for webhooks; then *workspace_id
 * tells which). 1 found, 0 not, -1 error. */
int channel_find_platform(struct db *db, int64_t *workspace_id, const char *platform,
                          const char *platform_id, int64_t *channel_id, struct error *err);
/* Finds or creates the channel for an account seen in an import: a channel
 * with the same platform and handle but no platform id yet is adopted (its
 * platform id is set) rather than duplicated. A channel it creates is a
 * peer's (is_peer) when peer says the account is another organisation's;
 * one it finds keeps its own flag. A new channel is called `name` when the
 * payload gives one, else by its handle (else its id). Returns an enum upsert. */
int channel_upsert_platform(struct db *db, int64_t workspace_id, const char *platform,
                            const char *platform_id, const char *handle, const char *name,
                            bool peer, int64_t *channel_id, struct error *err);
/* Gives a channel `name` if it is still called by its platform id, as an
 * import that knew no better named it; a name a person chose is kept.
 * 1 renamed, 0 not, -1 error. */
int channel_name_unnamed(struct db *db, int64_t channel_id, const char *name, struct error *err);
/* 0 when the channel is the workspace's, else -1 with ERR_INVALID on field
 * channel_id (the check post_upsert_platform makes unless told it is done). */
int channel_in_workspace(struct db *db, int64_t workspace_id, int64_t channel_id,
                         struct error *err);
/* A channel's platform, platform id and handle (caller's buffers). */
int channel_platform_info(struct db *db, int64_t workspace_id, int64_t channel_id,
                          char platform[16], char platform_id[201], char handle[201],
                          struct error *err);

/* Status changes from the platform. A message goes to "hidden", "removed",
 * or back to "open" on unhide (only if it is hidden: the desk's own states
 * stay). A post variant goes to "archived" (hidden or removed) or back to
 * "published". Returns UPSERT_UPDATED or UPSERT_UNCHANGED; ERR_NOT_FOUND
 * if kanal does not have the row. */
int message_set_platform_status(struct db *db, int64_t channel_id, const char *platform_id,
                                const char *status, struct error *err);
int post_variant_set_platform_status(struct db *db, int64_t channel_id, const char *platform_id,
                                     const char *status, struct error *err);

/* A platform's edit of a post's text: the post behind the variant gets the
 * new body. Returns UPSERT_UPDATED or UPSERT_UNCHANGED; ERR_NOT_FOUND if
 * kanal does not have the post. */
int post_edit_platform(struct db *db, int64_t channel_id, const char *platform_id, const char *body,
                       struct error *err);

/* The same for a message's text (a platform's edit). */
int message_edit_platform(struct db *db, int64_t channel_id, const char *platform_id,
                          const char *body, struct error *err);

/* The only workspace, for commands that are not told one: 1 with *id, 0 if
 * there are none, -1 with ERR_INVALID naming them (the first five slugs) if
 * there are several. */
int workspace_only(struct db *db, int64_t *id, struct error *err);
/* workspace_only for an import: when there are none, one named "Imported"
 * is created, and 0 with its *id. */
int workspace_default(struct db *db, int64_t *id, struct error *err);

/* The workspace a person names, as the API's paths and the CLI's --workspace
 * take it: a number without leading zeros is the id, anything else the slug
 * (so a slug of digits alone is reached by its id). 0 with *id;
 * ERR_NOT_FOUND if there is no such workspace. */
int workspace_resolve(struct db *db, const char *ref, int64_t *id, struct error *err);

/* ---- short links and their clicks (model/link.c) ----------------------------------
 * Inserting a link whose target links/ has built, reading links back, the
 * lookup behind the redirect, and click statistics (per link, campaign,
 * channel, day, post with its click-through rate, and the advocates'
 * leaderboard). */

struct link_in {
    const char *code, *url, *target_url;
    int64_t campaign_id, channel_id, post_id; /* 0: none */
    const char *advocate;
    const char *utm[5]; /* source, medium, campaign, term, content; never NULL */
};

/* Inserts and audits one link. ERR_CONFLICT when the code, or one that
 * differs from it only in case, is taken (the caller picks another). */
int link_insert(struct db *db, int64_t workspace_id, const struct link_in *l,
                const struct actor *who, int64_t *id, struct error *err);
/* Rewrites a link's target and what it is counted with (never its code,
 * which printed QR codes carry) and audits it. ERR_NOT_FOUND. */
int link_update(struct db *db, int64_t workspace_id, int64_t id, const struct link_in *l,
                const struct actor *who, struct error *err);
/* Retires a link (its redirect answers 410 Gone; its clicks stay counted)
 * or, with retired false, brings it back. Audited. ERR_NOT_FOUND. */
int link_retire(struct db *db, int64_t workspace_id, int64_t id, bool retired,
                const struct actor *who, struct error *err);
/* {id, code, url, target_url, ..., clicks, retired_at}; caller owns. */
json_t *link_get(struct db *db, int64_t workspace_id, int64_t id, struct error *err);

struct link_filter {
    int64_t campaign_id, channel_id, post_id; /* 0: any */
    const char *advocate;                     /* NULL: any */
    int64_t since, until;                     /* clicks in [since, until); 0: open */
    const char *retired;                      /* "true", "false"; NULL: both */
};
/* Parses campaign, channel, post, advocate, since, until (and allows limit,
 * cursor, by) from a query-string object. */
int link_filter_parse(struct link_filter *f, json_t *query, struct error *err);
json_t *link_list(struct db *db, int64_t workspace_id, const struct link_filter *f,
                  const struct page *pg, struct error *err);

/* The redirect's lookup: 1 and the link's id and target, 2 and its id for
 * a retired link (target left empty), 0 for no such code, -1 on error. */
int link_target(struct db *db, const char *code, int64_t *id, struct buf *target,
                struct error *err);

/* Clicks grouped `by` "link", "campaign", "channel", "day", "post" or
 * "advocate" (the leaderboard) for the links and time the filter selects. Bots are counted apart
 * and left out of clicks and visitors. Returns {"by": .., "items": [..]}; caller owns. */
json_t *link_stats(struct db *db, int64_t workspace_id, const char *by, const struct link_filter *f,
                   struct error *err);

/* ---- the job table (model/job.c) ---------------------------------------------------
 * Durable background work (sync, publishing, listening): a worker claims a
 * due job with a lease, runs it, and finishes or fails it. A lease that runs
 * out (a crashed worker) is taken back by job_reclaim. On PostgreSQL several
 * processes claim at once and never get the same job; on SQLite claims are
 * serialised. Every function takes `now` (Unix seconds) so that the caller,
 * and a test, owns the clock. */

enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_FAILED, JOB_STATE_COUNT };
extern const char *const job_state_names[JOB_STATE_COUNT + 1]; /* NULL-terminated */

#define JOB_KIND_MAX         32
#define JOB_KEY_MAX          200
#define JOB_PAYLOAD_MAX      65536
#define JOB_ERROR_MAX        1000 /* a longer last error is cut (at a character) */
#define JOB_ATTEMPTS_MAX     100
#define JOB_BACKOFF_BASE     30   /* seconds before the second attempt */
#define JOB_BACKOFF_CAP      3600 /* the longest wait between attempts */
#define JOB_ATTEMPTS_DEFAULT 8

struct job_in {
    const char *kind;    /* required: [a-z_] */
    int64_t channel_id;  /* 0: none */
    const char *key;     /* NULL: none; else at most one queued or running job has it */
    const char *payload; /* JSON object or NULL ({}) */
    int64_t run_after;   /* 0: now */
    int max_attempts;    /* 0: JOB_ATTEMPTS_DEFAULT */
};
/* Queues a job and sets *id. With a key that a queued or running job
 * holds, queues nothing and sets *id to that job's (returns 1 then, 0 for
 * a new job, -1 and err). ERR_INVALID names the bad field. */
int job_enqueue(struct db *db, const struct job_in *in, int64_t now, int64_t *id,
                struct error *err);

struct job {
    int64_t id, channel_id; /* channel_id 0: none */
    char kind[JOB_KIND_MAX + 1];
    char *payload; /* JSON text; owned by the job: job_clear frees it */
    int attempts;  /* including this one */
    int max_attempts;
    int64_t lease_until;
};
void job_clear(struct job *j);
/* A payload naming one row, {"MEMBER": ID}: what the workers' own jobs
 * carry (an action, a listening source, a delivery), read back with
 * job_payload_id, so its shape is written once. */
void job_payload_put(char *out, size_t size, const char *member, int64_t id);
/* Sets *id to the integer `member` of j's payload and returns true; false
 * and *id 0 when the payload is not JSON or has no integer there. */
bool job_payload_id(const struct job *j, const char *member, int64_t *id);
/* Takes the oldest due queued job (run_after <= now; of `kind` unless it is
 * NULL), leases it to `owner` until now + lease seconds and counts the
 * attempt. Jobs of a channel that needs reconnecting (or is paused) are
 * passed over until it is connected again. 1 and *out, 0 when none is due, -1 and err. Must be
 * called outside a transaction: it runs its own. */
int job_claim(struct db *db, const char *owner, const char *kind, int64_t lease, int64_t now,
              struct job *out, struct error *err);
/* The owner's lease on a running job ends at now + lease. ERR_CONFLICT when
 * the job is no longer the owner's (its lease ran out and it was taken
 * back): the worker must stop, since another may be running it. */
int job_extend(struct db *db, int64_t id, const char *owner, int64_t lease, int64_t now,
               struct error *err);
/* The job is done. ERR_CONFLICT as for job_extend. */
int job_finish(struct db *db, int64_t id, const char *owner, int64_t now, struct error *err);
/* The attempt failed with `message`. Unless `permanent` or the attempts are
 * used up, the job is queued again after a backoff (job_backoff), or at
 * not_before when one is given (a platform's Retry-After: the time it
 * named, not later; at least a second on); else it stays
 * failed. Returns the job's new state (JOB_QUEUED or JOB_FAILED), or -1 and
 * err (ERR_CONFLICT as for job_extend). */
int job_fail(struct db *db, int64_t id, const char *owner, const char *message, int64_t not_before,
             bool permanent, int64_t now, struct error *err);
/* The job could not run yet (another holds what it needs, e.g. a host
 * a politeness delay keeps waiting): queued again for run_after, its
 * attempt not counted. ERR_CONFLICT as for job_extend. */
int job_defer(struct db *db, int64_t id, const char *owner, int64_t run_after, int64_t now,
              struct error *err);
/* Seconds to wait after failed attempt number `attempts` (1, 2, ...):
 * JOB_BACKOFF_BASE doubled each time, at most JOB_BACKOFF_CAP. */
int64_t job_backoff(int attempts);
/* Takes back running jobs whose lease ended before now: queued again (their
 * attempt counted, with last error "lease expired: worker W stopped"), or
 * failed when that was their last attempt. Returns how many, or -1. */
int64_t job_reclaim(struct db *db, int64_t now, struct error *err);
/* Puts a failed job back in the queue with its attempts reset (an
 * operator's retry). ERR_NOT_FOUND, or ERR_CONFLICT when it is not failed. */
int job_retry(struct db *db, int64_t id, int64_t now, struct error *err);
/* Jobs per state, for /metrics and the desk. */
int job_counts(struct db *db, int64_t counts[JOB_STATE_COUNT], struct error *err);
/* Newest first, at most `limit`, in `state` unless it is NULL:
 * {"items": [{id, kind, channel_id, key, state, attempts, max_attempts,
 * run_after, lease_owner, lease_until, last_error, created_at,
 * finished_at}]}. ERR_INVALID for an unknown state. Caller owns. */
json_t *job_list(struct db *db, const char *state, int limit, struct error *err);
/* Makes the queued jobs of `kind` that wait out a backoff due now (an
 * operator's "try again now", after fixing what they failed on). Returns
 * how many, or -1. */
int64_t job_hasten(struct db *db, const char *kind, int64_t now, struct error *err);

/* ---- the worker loop (model/job_worker.c) ------------------------------------------
 * The one loop every background thread in `kanal serve` runs (connect's
 * sync and actions, listening, notify's deliveries): its own database
 * connection (opened again when it breaks), the leases of dead workers
 * taken back, a part's own chores, then claim a job of its kinds, run it,
 * or nap until polled or woken. What differs between the parts is this data
 * and the two callbacks. The threads take no signals: the server's thread
 * waits for them. */
struct job_worker;
struct job_worker_config {
    const char *name;      /* for the log: "listen worker" */
    const char *db_url;    /* copied */
    const char *owner;     /* the lease's owner (copied); see per_thread */
    bool per_thread;       /* thread I claims as "OWNER:tI", and logs it */
    int threads;           /* 1 or 2 */
    int64_t poll_ms;       /* how often an idle thread looks for due jobs; <= 0: 1000 */
    int64_t lease;         /* seconds a claim holds (> 0) */
    int64_t reclaim_every; /* seconds between job_reclaim on thread 0; 0: 60 */
    bool nap_first;        /* wait a poll before the first round (the store migrates) */
    const char *kinds[2];  /* claimed in order; kinds[1] (NULL: none) by thread 0 only */
    /* Thread 0's work before each claim (queueing due work, alerts): logs
     * its own errors; true when it queued what a napping thread should
     * start on now. NULL: none. */
    bool (*chores)(struct db *db, int64_t now, void *ctx);
    /* Runs a claimed job; `stop` is set when the worker is asked to stop
     * (a long job may end early). -1 and err only for what must be logged. */
    int (*run)(struct db *db, const struct job *j, const char *owner, int64_t now,
               atomic_bool *stop, void *ctx, struct error *err);
    void *ctx; /* the caller's, alive until job_worker_stop returns */
};
/* Starts the threads. NULL and err (ERR_INTERNAL: no thread; ERR_INVALID:
 * a bad config). */
struct job_worker *job_worker_start(const struct job_worker_config *cfg, struct error *err);
/* Asks the threads to stop, waits for the jobs they run to end, frees. */
void job_worker_stop(struct job_worker *w);
/* A lease owner naming this process: "HOST:PID", and ":ROLE" unless role
 * is NULL. */
void job_owner_name(char *out, size_t size, const char *role);

/* ---- connected channels (model/connection.c) ------------------------------------------
 * A channel connected through a platform's OAuth: its state on the desk,
 * the sync's paging cursors, and the actions done in its name. A channel
 * that needs reconnecting has its queued jobs held (job_claim passes them
 * over) until connection_connected is called for it again. */

#define CONNECTION_TEXT_MAX 1000 /* a problem or last error is cut (at a character) */
#define SYNC_RESOURCE_MAX   200
#define SYNC_CURSOR_MAX     4096

struct connection {
    int64_t channel_id;
    char api_url[512];                     /* "": the platform's configured address */
    char state[20];                        /* "connected", "needs_reconnect", "paused" */
    char problem[CONNECTION_TEXT_MAX + 1]; /* why it needs reconnecting, in the platform's words */
    int64_t connected_at, connected_by;
    int64_t synced_at; /* the last sync that ended well; 0 never */
    char last_error[CONNECTION_TEXT_MAX + 1];
    int64_t last_error_at; /* 0: none */
};
/* Who a channel is: its workspace, platform, platform id and handle
 * (caller's buffers). ERR_NOT_FOUND for no such channel. */
struct channel_ref {
    int64_t id, workspace_id;
    char platform[16], platform_id[201], handle[201];
};
int channel_ref_get(struct db *db, int64_t channel_id, struct channel_ref *out, struct error *err);
/* 1 and *out, 0 when the channel is not connected, -1 and err. */
int connection_get(struct db *db, int64_t channel_id, struct connection *out, struct error *err);
/* {channel_id, state, problem, connected_at, synced_at, last_error,
 * last_error_at}; for NULL {state: "not_connected"}. Never a token. */
json_t *connection_to_json(const struct connection *c);
/* Adds "connection" (connection_to_json without channel_id) to a channel's
 * JSON, by its "id". */
int connection_annotate(struct db *db, json_t *channel, struct error *err);
/* Records the channel as connected (a new connection, or a reconnection:
 * the problem and the last error are cleared and its held jobs run again).
 * ERR_NOT_FOUND for no such channel. */
int connection_connected(struct db *db, int64_t channel_id, const char *api_url,
                         int64_t connected_by, int64_t now, struct error *err);
/* Channels with a connection (in workspace_id, or all with 0), for `kanal
 * connect list`: {"items": [{channel_id, workspace_id, platform, handle,
 * name, state, problem, api_url, connected_at, synced_at, last_error,
 * token_expires_at}]}. Caller owns. */
json_t *connection_list(struct db *db, int64_t workspace_id, struct error *err);
/* The platform no longer accepts the channel's tokens: state
 * needs_reconnect with `problem` (the platform's words) shown on the desk;
 * its jobs are held. ERR_NOT_FOUND when the channel is not connected. */
int connection_needs_reconnect(struct db *db, int64_t channel_id, const char *problem, int64_t now,
                               struct error *err);
/* A sync ended well at now: synced_at, and the last error cleared. */
int connection_synced(struct db *db, int64_t channel_id, int64_t now, struct error *err);
/* A sync or action failed with `message` (kept as last_error). */
int connection_error(struct db *db, int64_t channel_id, const char *message, int64_t now,
                     struct error *err);
/* The channel's sync job, queued unless one is already (the job's key is
 * the channel's): 0 new, 1 there was one, -1 and err. */
int connection_queue_sync(struct db *db, int64_t channel_id, int64_t now, struct error *err);
/* Queues a "sync" job (key "sync:CHANNEL") for every connected channel
 * that has none queued or running. Returns how many were queued, or -1. */
int64_t connection_queue_syncs(struct db *db, int64_t now, struct error *err);
/* Every connection's [{channel_id, platform, state, last_error,
 * last_error_at (Unix seconds, 0 none)}], for /metrics. Caller owns. */
json_t *connection_errors(struct db *db, struct error *err);

/* The cursor kept for (channel, resource) into *out (caller frees): 1, 0
 * when none is kept (*out NULL), -1 and err. */
int sync_cursor_get(struct db *db, int64_t channel_id, const char *resource, char **out,
                    struct error *err);
/* Stores it (value NULL forgets it). ERR_INVALID for a resource or value
 * that is empty, too long or not UTF-8. */
int sync_cursor_set(struct db *db, int64_t channel_id, const char *resource, const char *value,
                    int64_t now, struct error *err);

/* An action's life: queued -> sent -> done, or failed (the platform
 * refused it), or unknown (sent, and the answer was lost: it is looked up
 * at the platform before it is ever sent again). A failed action may be
 * queued again by a person. */
enum action_state {
    ACTION_QUEUED,
    ACTION_SENT,
    ACTION_UNKNOWN,
    ACTION_DONE,
    ACTION_FAILED,
    ACTION_STATE_COUNT
};
extern const char *const action_state_names[ACTION_STATE_COUNT + 1]; /* NULL-terminated */

struct action_in {
    int64_t channel_id;
    const char *kind;     /* publish, delete-post, reply, hide, unhide, delete-message, like */
    const char *target;   /* the platform's id of the post or message; required but for publish */
    json_t *body;         /* {text, link}: text required for publish and reply; NULL: {} */
    const char *key;      /* NULL: a new random one; the same key twice is one action */
    int64_t requested_by; /* 0: kanal itself */
};
/* Stores an action (state queued) and sets *id: 0 new, 1 an action with
 * this key already existed (*id is it), -1 and err (ERR_INVALID names the
 * field; ERR_NOT_FOUND for no such channel). */
int action_create(struct db *db, const struct action_in *in, int64_t now, int64_t *id,
                  struct error *err);

/* ---- media: images for posts and actions --------------------------------- */
#define MEDIA_MAX_BYTES (16 << 20) /* Mastodon's default for images; others take less */
#define MEDIA_ALT_MAX   6000       /* bytes: 1,500 characters of four bytes */
struct media_in {
    int64_t workspace_id;
    const void *data;
    size_t len;
    const char *content_type; /* what the sender says; NULL: take what the bytes say */
    const char *alt;          /* NULL: none */
    int64_t created_by;       /* 0: kanal itself */
};
/* Stores an image after checking its bytes are the type they claim (JPEG,
 * PNG, GIF, WebP) and its size; 0 and *id, or -1 and err naming the field
 * (image, content_type, alt). */
int media_create(struct db *db, const struct media_in *in, int64_t now, int64_t *id,
                 struct error *err);
/* The image type its first bytes say, with its width and height where the
 * header gives them (else 0); NULL for none kanal takes. Pure. */
const char *media_sniff(const void *data, size_t n, int64_t *w, int64_t *h);
struct media {
    int64_t id, size, width, height, created_at;
    char content_type[32], sha256[65];
    char *alt;            /* owned */
    unsigned char *bytes; /* owned; NULL unless asked for */
    size_t len;
};
/* 0 and *out (media_clear it), or -1 and err (ERR_NOT_FOUND when not in ws). */
int media_get(struct db *db, int64_t ws, int64_t id, bool with_bytes, struct media *out,
              struct error *err);
void media_clear(struct media *m);
json_t *media_to_json(const struct media *m);

struct action {
    int64_t id, channel_id;
    char kind[16];
    char *target; /* NULL: none */
    char *body;   /* JSON text */
    char key[201];
    enum action_state state;
    char *platform_id, *permalink; /* what the platform made; NULL: nothing yet */
    char *error;                   /* "" none */
    int64_t requested_by, first_sent_at, created_at, updated_at;
};
/* 0 and *out (caller clears), or -1 and err (ERR_NOT_FOUND). */
int action_get(struct db *db, int64_t id, struct action *out, struct error *err);
void action_clear(struct action *a);
json_t *action_to_json(const struct action *a);
/* Newest first: {"items": [action JSON]}. */
json_t *action_list(struct db *db, int64_t channel_id, int limit, struct error *err);

struct action_outcome {
    const char *platform_id, *permalink; /* done: what the platform made; NULL keeps */
    const char *error;                   /* failed, unknown, queued again: why; NULL "" */
};
/* Moves action `id` to `to` (sent also stamps first_sent_at the first
 * time). ERR_CONFLICT for a move its state does not allow (a done action
 * is never sent again) or a change made meanwhile. */
int action_move(struct db *db, int64_t id, enum action_state to, const struct action_outcome *o,
                int64_t now, struct error *err);

/* Takes back a queued action that was never sent, with its queued job (key
 * "action:ID"), before a worker claims it: both end failed with `why`. The
 * job's state in the WHERE is the race with job_claim: of the two, one
 * wins. Inside the caller's transaction. 1 taken back, 0 too late (the job
 * runs, or the action was sent, is done or failed), -1 and err. */
int action_withdraw(struct db *db, int64_t id, const char *why, int64_t now, struct error *err);

/* Rows in the main tables, for /metrics. */
int model_counts(struct db *db, int64_t counts[6], struct error *err);
extern const char *const model_count_names[6];

/* ---- OAuth consents and connected channels (model/oauth.c) ---------------------------
 * The rows behind connecting an account (connect/oauth.c does the rest): a
 * consent in progress (oauth_states: one use, short-lived), the apps kanal
 * registered per server (oauth_apps), finding or making the channel an
 * account stands for, and marking it connected. Sealed values arrive here
 * sealed; nothing here sees a secret in the clear. */

#define OAUTH_STATE_TTL  600 /* seconds a consent may take */
#define OAUTH_STATE_MAX  64  /* the longest state text accepted from outside */
#define OAUTH_SEALED_MAX 1024

struct oauth_state {
    char state[OAUTH_STATE_MAX + 1];
    char platform[16];
    int64_t workspace_id;
    int64_t user_id;                         /* who started it; 0: the command line */
    int64_t channel_id;                      /* reconnecting this channel; 0: none */
    char api_url[512];                       /* the server (per-instance platforms); "" */
    char verifier[OAUTH_SEALED_MAX];         /* the PKCE verifier, sealed; "" none */
    int64_t created_at, expires_at, used_at; /* used_at 0: not yet */
};

/* Stores a new consent. ERR_INVALID for a state of the wrong form. */
int oauth_state_insert(struct db *db, const struct oauth_state *s, struct error *err);
/* The consent `state` names into *out: 1, 0 none (or a state of the wrong
 * form, which no consent has), -1. */
int oauth_state_get(struct db *db, const char *state, struct oauth_state *out, struct error *err);
/* Uses the consent up, once: 0 and *out (the row, used_at set). Otherwise
 * -1 and err: ERR_NOT_FOUND for a state kanal never gave out, ERR_CONFLICT
 * for one already used, ERR_INVALID for one that expired. Of two claims
 * racing with one state, one wins. */
int oauth_state_claim(struct db *db, const char *state, int64_t now, struct oauth_state *out,
                      struct error *err);
/* Forgets consents that expired more than a day before now; how many, -1. */
int64_t oauth_states_purge(struct db *db, int64_t now, struct error *err);

/* The app kanal registered on (platform, api_url): 1 with client_id, the
 * sealed secret and the id of the key that sealed it (buffers of 256,
 * OAUTH_SEALED_MAX and 17), 0 none, -1. */
int oauth_app_get(struct db *db, const char *platform, const char *api_url, char *client_id,
                  char *sealed_secret, char *key_id, struct error *err);
/* Keeps a registered app. Unless `replace` (the kept one was registered
 * for another redirect URI), an app already kept for (platform, api_url)
 * wins: two consents that registered at once keep the first. */
int oauth_app_put(struct db *db, const char *platform, const char *api_url, const char *client_id,
                  const char *sealed_secret, const char *key_id, bool replace, int64_t now,
                  struct error *err);

/* The workspace's channel for an account at a platform: the one with that
 * platform_id, else one with that handle and no platform_id yet (a channel
 * made by an import, which gets the id), else a new one (`*created`). */
int oauth_channel_for(struct db *db, int64_t workspace_id, const char *platform,
                      const char *platform_id, const char *handle, const char *name,
                      const struct actor *who, int64_t *channel_id, bool *created,
                      struct error *err);

#endif
