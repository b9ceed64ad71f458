/* message: every comment, reply, mention, DM and review in one inbox, with
 * its moderation state (status, owning team, assignee, sentiment). */
#include "model/internal.h"
#include "text/text.h"

#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kinds[] = {"comment", "reply", "mention", "dm", "review", NULL};
static const char *const statuses[] = {"open",   "assigned", "answered", "closed",
                                       "hidden", "removed",  NULL};
static const char *const sentiments[] = {"pos", "neu", "neg", NULL};
const char *const message_priorities[] = {"low", "normal", "high", "urgent", NULL};
static const char *const langs[] = {"sv", "fi", "en", "other", NULL};

static const struct field message_fields[] = {
    {"channel_id", FT_INT, F_RO, 0, NULL, NULL, NULL},
    {"variant_id", FT_INT, F_RO | F_NULL, 0, NULL, NULL, NULL},
    {"parent_id", FT_INT, F_RO | F_NULL, 0, NULL, NULL, NULL},
    {"kind", FT_ENUM, F_RO, 0, kinds, NULL, NULL},
    {"platform_id", FT_TEXT, F_RO | F_NULL, 0, NULL, NULL, NULL},
    {"author_name", FT_TEXT, F_RO, 0, NULL, NULL, NULL},
    {"author_handle", FT_TEXT, F_RO, 0, NULL, NULL, NULL},
    {"is_own", FT_BOOL, F_RO, 0, NULL, NULL, NULL},
    {"body", FT_TEXT, F_RO, 0, NULL, NULL, NULL},
    {"lang", FT_TEXT, F_RO | F_NULL, 0, NULL, NULL, NULL},
    {"sentiment", FT_ENUM, F_NULL, 0, sentiments, NULL, NULL},
    {"sentiment_score", FT_REAL, F_RO | F_NULL, 0, NULL, NULL, NULL},
    {"status", FT_ENUM, 0, 0, statuses, NULL, NULL},
    {"team_id", FT_REF, F_NULL, 0, NULL, "teams", NULL},
    {"assigned_user_id", FT_INT, F_NULL, 0, NULL, NULL, NULL},
    {"priority", FT_ENUM, 0, 0, message_priorities, NULL, NULL},
    {"routed_rule_id", FT_INT, F_RO | F_NULL, 0, NULL, NULL, NULL},
    {"received_at", FT_TIME, F_RO, 0, NULL, NULL, NULL},
    /* when the organisation first answered it (its own reply's time) */
    {"first_response_at", FT_TIME, F_RO | F_NULL, 0, NULL, NULL, NULL},
    {"answered_elsewhere_at", FT_TIME, F_RO | F_NULL, 0, NULL, NULL, NULL},
    {"answered_elsewhere_via", FT_TEXT, F_RO | F_NULL, 0, NULL, NULL, NULL},
    /* the listening item a person sent to a team as this task (listen/desk.c) */
    {"listen_item_id", FT_INT, F_RO | F_NULL, 0, NULL, NULL, NULL},
};
/* created_at here is when the message was written at the platform. */
static const struct entity entity_message = {
    "message", "messages", true, message_fields, ARRAY_LEN(message_fields), NULL, NULL};

/* What every message the model answers carries beyond its row, set on each
 * message of `items`: its "tag_ids" and its service level as it stands at
 * `now`. A get, a list and the conversation's rows all answer with both.
 * 0, or -1 and err. */
static int message_extras(struct db *db, json_t *items, int64_t now, struct error *err)
{
    if (attach_tag_ids(db, items, "message_tags", "message_id", err) ||
        sla_annotate(db, items, now, err))
        return -1;
    return 0;
}

json_t *message_get(struct db *db, int64_t workspace_id, int64_t id, struct error *err)
{
    json_t *m = entity_get(db, &entity_message, workspace_id, id, err);
    if (!m)
        return NULL;
    json_t *one = json_pack("[O]", m);
    int rc = message_extras(db, one, time_now(), err);
    json_decref(one);
    if (rc) {
        json_decref(m);
        return NULL;
    }
    return m;
}

struct msg_fact msg_fact_read(struct db_stmt *st, int col, int64_t channel, int64_t variant,
                              int64_t created)
{
    struct msg_fact f = {.counted = db_col_int(st, col) == 0,
                         .answered = !db_col_null(st, col + 1),
                         .channel_id = channel,
                         .variant_id = variant,
                         .created_at = created,
                         .first_response_at = db_col_int(st, col + 1),
                         .held = !db_col_null(st, col + 2),
                         .has_work = !db_col_null(st, col + 3),
                         .work_wait = db_col_int(st, col + 3)};
    f.within = f.answered && f.held && f.first_response_at <= db_col_int(st, col + 2);
    f.elsewhere =
        f.answered && !db_col_null(st, col + 4) && db_col_int(st, col + 4) == f.first_response_at;
    return f;
}

/* The service-level facts of message `id` of workspace ws, as
 * message_refigure takes them: db_row's 1 (found, *out filled), 0 (no such
 * message) or -1 and err. */
static int message_fact(struct db *db, int64_t ws, int64_t id, struct msg_fact *out,
                        struct error *err)
{
    struct db_stmt *st;
    int found =
        db_row(db, err, &st,
               "SELECT m.channel_id, COALESCE(m.variant_id, 0), m.created_at, " MSG_FACT_COLUMNS
               " FROM messages m "
               "WHERE m.id = ? AND m.workspace_id = ?",
               "ii", id, ws);
    if (found <= 0)
        return found;
    *out = msg_fact_read(st, 3, db_col_int(st, 0), db_col_int(st, 1), db_col_int(st, 2));
    db_finalize(st);
    return 1;
}

/* An own reply at `at` to message `parent`: its first response, if no
 * earlier one is known. */
static int answer(struct db *db, int64_t ws, int64_t parent, int64_t at, struct error *err)
{
    struct msg_fact before;
    int found = message_fact(db, ws, parent, &before, err);
    if (found <= 0)
        return found;
    if (!before.counted || (before.answered && before.first_response_at <= at))
        return 0;
    /* The working-time wait and whether it was within the level follow. */
    return db_run(db, err, "UPDATE messages SET first_response_at = ? WHERE id = ?", "ii", at,
                  parent) < 0
               ? -1
               : message_refigure(db, ws, parent, &before, err);
}

/* Replies stored before the message they answer (reply_to its platform id)
 * become its replies now; the earliest own one is its first response. */
static int adopt_replies(struct db *db, int64_t ws, const struct message_in *m, int64_t mid,
                         struct error *err)
{
    struct db_stmt *st = db_query(db, err,
                                  "SELECT COUNT(*), MIN(CASE WHEN is_own <> 0 THEN created_at END) "
                                  "FROM messages WHERE channel_id = ? AND reply_to = ?",
                                  "it", m->channel_id, m->platform_id);
    if (!st)
        return -1;
    int64_t waiting = db_has_row(st) ? db_col_int(st, 0) : 0;
    bool own = waiting && !db_col_null(st, 1);
    int64_t first = own ? db_col_int(st, 1) : 0;
    db_finalize(st);
    if (!waiting)
        return 0;
    if (db_run(db, err,
               "UPDATE messages SET parent_id = ?, reply_to = NULL "
               "WHERE channel_id = ? AND reply_to = ?",
               "iit", mid, m->channel_id, m->platform_id) < 0)
        return -1;
    return own ? answer(db, ws, mid, first, err) : 0;
}

/* The message's words into message_terms, each once, as its language's
 * stem: what the `q` filter looks up. Read from the row, so that it follows
 * every change of body or language. */
static int index_terms(struct db *db, int64_t mid, struct error *err)
{
    struct db_stmt *st;
    int found = db_row(db, err, &st, "SELECT lang, body FROM messages WHERE id = ?", "i", mid);
    if (found <= 0)
        return found;
    int lang = db_col_null(st, 0) ? -1 : text_lang_parse(db_col_text(st, 0));
    if (lang < 0 || lang >= LANG_COUNT)
        lang = LANG_OTHER;
    char *body = xstrdup(db_col_text(st, 1));
    db_finalize(st);
    struct text_tokens *t = xmalloc(sizeof *t);
    text_tokenize(t, body, strlen(body));
    int rc = db_run(db, err, "DELETE FROM message_terms WHERE message_id = ?", "i", mid) < 0;
    char stem[TEXT_STEM_MAX];
    for (size_t i = 0; !rc && i < t->n; i++) {
        if (!search_token(&t->tok[i]))
            continue;
        text_stem((enum text_lang)lang, text_token_norm(t, i), t->tok[i].nlen, stem, sizeof stem);
        rc = db_run(db, err,
                    "INSERT INTO message_terms (term, message_id) VALUES (?, ?) "
                    "ON CONFLICT DO NOTHING",
                    "ti", stem, mid) < 0;
    }
    if (!rc)
        rc = db_run(db, err, "UPDATE messages SET terms_indexed = 1 WHERE id = ?", "i", mid) < 0;
    free(t);
    free(body);
    return rc ? -1 : 0;
}

int64_t message_terms_refresh(struct db *db, int64_t max, struct error *err)
{
    int64_t done = 0, mid = 0;
    int found = 0;
    /* One id at a time: each is indexed in its own statements, and an open
     * SELECT would span them. */
    while (done < max &&
           (found = db_scalar(db, err, &mid,
                              "SELECT id FROM messages WHERE terms_indexed = 0 AND id > ? "
                              "ORDER BY id LIMIT 1",
                              "i", mid)) == 1) {
        if (index_terms(db, mid, err))
            return -1;
        done++;
    }
    return done < max && found < 0 ? -1 : done;
}

int message_upsert(struct db *db, int64_t workspace_id, const struct message_in *m, int64_t *id,
                   struct error *err)
{
    if (!m->platform_id || !*m->platform_id)
        return error_field(err, ERR_INVALID, "platform_id", "a message needs its platform id");
    if (!m->kind || str_index(kinds, m->kind) < 0)
        return error_field(err, ERR_INVALID, "kind", "unknown message kind '%.40s'",
                           m->kind ? m->kind : "");
    if (m->sentiment && str_index(sentiments, m->sentiment) < 0)
        return error_field(err, ERR_INVALID, "sentiment", "unknown sentiment '%.10s'",
                           m->sentiment);
    if (m->status && str_index(statuses, m->status) < 0)
        return error_field(err, ERR_INVALID, "status", "unknown message status '%.20s'", m->status);
    const char *body = m->body ? m->body : "";
    if (strlen(body) > MODEL_TEXT_MAX)
        return error_field(err, ERR_INVALID, "body", "a message body is at most %d bytes",
                           MODEL_TEXT_MAX);
    if (model_in_workspace(db, "channels", "channel", "channel_id", m->channel_id, workspace_id,
                           err))
        return -1;
    const int64_t *variant = m->variant_id ? &m->variant_id : NULL;
    const int64_t *parent = m->parent_id ? &m->parent_id : NULL;
    const char *reply_to = !parent && m->reply_to && *m->reply_to ? m->reply_to : NULL;
    struct db_stmt *st = db_query(db, err,
                                  "SELECT m.id, m.body, m.author_name, m.author_handle, "
                                  "m.variant_id, m.parent_id, m.created_at, " MSG_FACT_COLUMNS
                                  ", m.reply_to FROM messages m WHERE m.channel_id = ? AND "
                                  "m.platform_id = ?",
                                  "it", m->channel_id, m->platform_id);
    if (!st)
        return -1;
    int64_t now = time_now();
    if (db_has_row(st)) {
        /* What the platform says about a message can change (an edit); what
         * the desk decided about it (status, team, sentiment) is kept. */
        int64_t mid = db_col_int(st, 0), old_parent = db_col_int(st, 5);
        bool is_own = db_col_int(st, 7) != 0;
        bool same =
            str_eq(db_col_text(st, 1), body) &&
            str_eq(db_col_text(st, 2), m->author_name ? m->author_name : "") &&
            str_eq(db_col_text(st, 3), m->author_handle ? m->author_handle : "") &&
            db_col_int(st, 4) == m->variant_id && db_col_int(st, 5) == m->parent_id &&
            db_col_int(st, 6) == m->created_at && is_own == m->is_own &&
            str_eq(db_col_null(st, 12) ? "" : db_col_text(st, 12), reply_to ? reply_to : "");
        struct msg_fact before =
            msg_fact_read(st, 7, m->channel_id, db_col_int(st, 4), db_col_int(st, 6));
        db_finalize(st);
        if (id)
            *id = mid;
        if (same)
            return UPSERT_UNCHANGED;
        struct msg_fact after = before;
        after.variant_id = m->variant_id;
        after.created_at = m->created_at;
        /* Whose a message is can be learnt late: an X direct message
         * imported before kanal knew the channel's account id. */
        after.counted = !m->is_own;
        bool new_parent = parent && (*parent != old_parent || is_own != m->is_own);
        return db_run(db, err,
                      "UPDATE messages SET body = ?, author_name = ?, author_handle = ?, "
                      "variant_id = ?, parent_id = ?, reply_to = ?, created_at = ?, is_own = ?, "
                      "updated_at = ? WHERE id = ?",
                      "tttIItiiii", body, m->author_name ? m->author_name : "",
                      m->author_handle ? m->author_handle : "", variant, parent, reply_to,
                      m->created_at, (int64_t)m->is_own, now, mid) < 0 ||
                       message_stats_change(db, workspace_id, &before, &after, err) ||
                       index_terms(db, mid, err) ||
                       (m->is_own && new_parent &&
                        answer(db, workspace_id, *parent, m->created_at, err))
                   ? -1
                   : UPSERT_UPDATED;
    }
    db_finalize(st);
    int64_t mid = 0;
    const double *score = m->sentiment ? &m->sentiment_score : NULL;
    int rc =
        db_insert(db, err, &mid,
                  "INSERT INTO messages (workspace_id, channel_id, variant_id, parent_id, "
                  "reply_to, kind, platform_id, author_name, author_handle, is_own, body, lang, "
                  "sentiment, sentiment_score, status, created_at, received_at, updated_at) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  "iiIItttttitttDtiii", workspace_id, m->channel_id, variant, parent, reply_to,
                  m->kind, m->platform_id, m->author_name ? m->author_name : "",
                  m->author_handle ? m->author_handle : "", (int64_t)m->is_own, body, m->lang,
                  m->sentiment, score, m->status ? m->status : "open", m->created_at, now, now);
    if (rc == 0 && id)
        *id = mid;
    if (rc < 0)
        return -1;
    struct msg_fact fact = {.counted = !m->is_own,
                            .channel_id = m->channel_id,
                            .variant_id = m->variant_id,
                            .created_at = m->created_at};
    if (message_stats_change(db, workspace_id, NULL, &fact, err) || index_terms(db, mid, err))
        return -1;
    /* An answer from the organisation: the question's first response time
     * is what response-time reports read. */
    return (m->is_own && parent && answer(db, workspace_id, *parent, m->created_at, err)) ||
                   adopt_replies(db, workspace_id, m, mid, err)
               ? -1
               : UPSERT_INSERTED;
}

json_t *message_update(struct db *db, int64_t workspace_id, int64_t id, json_t *patch,
                       const struct actor *who, struct error *err)
{
    json_t *uid = json_object_get(patch, "assigned_user_id");
    if (json_is_integer(uid) &&
        model_active_user(db, (int64_t)json_integer_value(uid), "assigned_user_id",
                          "field 'assigned_user_id'", err))
        return NULL;
    json_t *out = entity_update(db, &entity_message, workspace_id, id, patch, who, err);
    if (!out)
        return NULL;
    json_decref(out);
    /* A new team or priority holds the message to another level. */
    return message_refigure(db, workspace_id, id, NULL, err)
               ? NULL
               : message_get(db, workspace_id, id, err);
}

static const char *const sla_filters[] = {"ok", "at_risk", "breached", "met", NULL};

/* The conditions of sla_filters, in order, with the time ('?') bound as
 * many times as they name it: what sla_state_at says, in SQL. */
static const struct {
    const char *where;
    int nows;
} sla_where[] = {
    {"first_response_at IS NULL AND status IN ('open', 'assigned') AND sla_risk_at > ?", 1},
    {"first_response_at IS NULL AND status IN ('open', 'assigned') AND sla_risk_at <= ? AND "
     "sla_due_at > ?",
     2},
    {"sla_due_at IS NOT NULL AND ((first_response_at IS NULL AND status IN ('open', 'assigned') "
     "AND sla_due_at <= ?) OR first_response_at > sla_due_at)",
     1},
    {"first_response_at <= sla_due_at", 0},
};

static const char *const elsewhere_vias[] = {"phone", "email", "other", NULL};

/* The writes of message_answered_elsewhere, in its transaction. */
static int mark_elsewhere(struct db *db, int64_t ws, int64_t id, const char *via, int64_t at,
                          const struct actor *who, struct error *err)
{
    struct msg_fact before;
    int found = message_fact(db, ws, id, &before, err);
    if (found <= 0)
        return model_no_row(found, "message", id, err);
    if (!before.counted)
        return error_set(err, ERR_INVALID,
                         "message %lld is the organisation's own: only "
                         "messages to it are answered",
                         (long long)id);
    if (at < before.created_at)
        return error_field(err, ERR_INVALID, "at",
                           "field 'at': the answer cannot come before the message (written %lld)",
                           (long long)before.created_at);
    char detail[80];
    snprintf(detail, sizeof detail, "answered by %s at %lld", via, (long long)at);
    /* An earlier answer in kanal stays the first; the status follows only
     * from the desk's waiting states. */
    return db_run(db, err,
                  "UPDATE messages SET answered_elsewhere_at = ?, answered_elsewhere_via = ?, "
                  "answered_elsewhere_by = ?, first_response_at = CASE WHEN first_response_at "
                  "IS NULL OR first_response_at > ? OR first_response_at = answered_elsewhere_at "
                  "THEN ? ELSE first_response_at END, status = CASE WHEN status IN ('open', "
                  "'assigned') THEN 'answered' ELSE status END, updated_at = ? WHERE id = ?",
                  "itIiiii", at, via, who && who->user_id ? &who->user_id : NULL, at, at,
                  time_now(), id) < 0 ||
                   message_refigure(db, ws, id, &before, err) ||
                   audit_record(db, ws, who ? who->user_id : 0, "answered_elsewhere", "message", id,
                                detail, err)
               ? -1
               : 0;
}

json_t *message_answered_elsewhere(struct db *db, int64_t ws, int64_t id, json_t *body,
                                   const struct actor *who, struct error *err)
{
    json_t *via = json_object_get(body, "via"), *jat = json_object_get(body, "at");
    if (!json_is_object(body) || json_object_size(body) != 1u + (jat ? 1u : 0u) || !via) {
        error_set(err, ERR_INVALID,
                  "send {\"via\": \"phone\"|\"email\"|\"other\"} and \"at\" (ISO 8601, "
                  "default now) if it was earlier");
        return NULL;
    }
    if (!json_is_string(via) || str_index(elsewhere_vias, json_string_value(via)) < 0) {
        error_field(err, ERR_INVALID, "via", "field 'via': one of phone, email, other");
        return NULL;
    }
    int64_t now = time_now(), at = now;
    if (jat && (!json_is_string(jat) || time_parse_iso(json_string_value(jat), &at))) {
        error_field(err, ERR_INVALID, "at",
                    "field 'at': an ISO 8601 time, like "
                    "2026-03-30T09:30:00+02:00");
        return NULL;
    }
    if (at > now + 60) {
        error_field(err, ERR_INVALID, "at", "field 'at': the answer cannot be in the future");
        return NULL;
    }
    if (db_begin(db, err))
        return NULL;
    if (db_end(db, mark_elsewhere(db, ws, id, json_string_value(via), at, who, err), err))
        return NULL;
    return message_get(db, ws, id, err);
}

static const struct query_filter message_filters[] = {
    {"channel", QF_ID, offsetof(struct message_filter, channel_id), "channel_id = ?", NULL},
    {"post_variant", QF_ID, offsetof(struct message_filter, variant_id), "variant_id = ?", NULL},
    {"kind", QF_ENUM, offsetof(struct message_filter, kind), "kind = ?", kinds},
    {"status", QF_ENUM, offsetof(struct message_filter, status), "status = ?", statuses},
    {"sentiment", QF_ENUM, offsetof(struct message_filter, sentiment), "sentiment = ?", sentiments},
    {"own", QF_BOOL, offsetof(struct message_filter, own), "is_own = ?", NULL},
    {"tag", QF_ID, offsetof(struct message_filter, tag_id),
     "EXISTS (SELECT 1 FROM message_tags t WHERE t.message_id = messages.id AND t.tag_id = ?)",
     NULL},
    {"since", QF_TIME, offsetof(struct message_filter, since), NULL, NULL},
    {"until", QF_TIME, offsetof(struct message_filter, until), NULL, NULL},
    {"team", QF_ID, offsetof(struct message_filter, team_id), "team_id = ?", NULL},
    {"assigned_user", QF_USER, offsetof(struct message_filter, assigned_user_id),
     "assigned_user_id = ?", NULL},
    {"lang", QF_ENUM, offsetof(struct message_filter, lang), "lang = ?", langs},
    {"author", QF_TEXT, offsetof(struct message_filter, author),
     "? IN (author_handle, author_name)", NULL},
    {"priority", QF_ENUM, offsetof(struct message_filter, priority), "priority = ?",
     message_priorities},
    /* Needs the time: message_list adds its condition. */
    {"sla", QF_ENUM, offsetof(struct message_filter, sla), NULL, sla_filters},
    /* Each word of q, stemmed as the message's own language stems it. */
    {"q", QF_TERMS, offsetof(struct message_filter, q),
     "EXISTS (SELECT 1 FROM message_terms mt WHERE mt.message_id = messages.id AND mt.term = "
     "CASE messages.lang WHEN 'sv' THEN ? WHEN 'fi' THEN ? WHEN 'en' THEN ? ELSE ? END)",
     NULL},
    {0},
};

int message_filter_parse(struct message_filter *f, json_t *q, int64_t me, struct error *err)
{
    if (query_filters_parse(f, sizeof *f, message_filters, NULL, q, err))
        return -1;
    if (f->assigned_user_id == QF_USER_ME) {
        if (me <= 0)
            return error_field(err, ERR_INVALID, "assigned_user",
                               "parameter 'assigned_user': 'me' needs a signed-in user");
        f->assigned_user_id = me;
    }
    return 0;
}

/* The filter's conditions but the period (each caller pages its own way). */
static void add_filters(struct qb *q, const struct message_filter *f, int64_t now)
{
    qb_filters(q, f, message_filters);
    for (size_t i = 0; f->sla && sla_filters[i]; i++)
        if (str_eq(f->sla, sla_filters[i])) {
            if (sla_where[i].nows == 2)
                qb_and(q, sla_where[i].where, "ii", now, now);
            else if (sla_where[i].nows == 1)
                qb_and(q, sla_where[i].where, "i", now);
            else
                qb_and(q, sla_where[i].where, "");
        }
}

int message_select(struct db *db, int64_t workspace_id, const struct message_filter *f,
                   const char *also, int max, int64_t *ids, int *n, bool *more, struct error *err)
{
    assert(db && f && ids && n && more && max >= 1);
    struct qb q;
    qb_start(&q, "SELECT id FROM messages WHERE workspace_id = ?", "i", workspace_id);
    add_filters(&q, f, time_now());
    if (also)
        qb_and(&q, also, "");
    if (f->since)
        qb_and(&q, "created_at >= ?", "i", f->since);
    if (f->until)
        qb_and(&q, "created_at < ?", "i", f->until);
    qb_append(&q, " ORDER BY created_at DESC, id DESC LIMIT ?", "i", (int64_t)max + 1);
    struct db_stmt *st = qb_prepare(&q, db, err);
    if (!st)
        return -1;
    int rc;
    *n = 0;
    *more = false;
    while ((rc = db_step(st, err)) == 1) {
        if (*n == max) {
            *more = true;
            break;
        }
        ids[(*n)++] = db_col_int(st, 0);
    }
    db_finalize(st);
    return rc < 0 ? -1 : 0;
}

json_t *message_list(struct db *db, int64_t workspace_id, const struct message_filter *f,
                     const struct page *pg, struct error *err)
{
    int64_t cat, cid;
    struct qb q;
    if (qb_start_list(&q, &entity_message, "messages", NULL, workspace_id, pg, &cat, &cid, err))
        return NULL;
    int64_t now = time_now();
    add_filters(&q, f, now);
    qb_time_page(&q, "created_at", "id", f->since, f->until, pg, cat, cid);
    struct db_stmt *st = qb_prepare(&q, db, err);
    if (!st)
        return NULL;
    /* created_at follows id, workspace_id and the fields */
    json_t *out =
        page_collect(st, &entity_message, pg->limit, 2 + (int)entity_message.nfields, err);
    if (out && message_extras(db, json_object_get(out, "items"), now, err)) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* ---- writes from the platforms and the enricher ------------------------------ */

int message_find_platform(struct db *db, int64_t channel_id, const char *platform_id, int64_t *id,
                          struct error *err)
{
    return db_scalar(db, err, id,
                     "SELECT id FROM messages WHERE channel_id = ? AND platform_id = ?", "it",
                     channel_id, platform_id);
}

int message_set_platform_status(struct db *db, int64_t channel_id, const char *platform_id,
                                const char *status, struct error *err)
{
    if (!str_eq(status, "hidden") && !str_eq(status, "removed") && !str_eq(status, "open"))
        return error_set(err, ERR_INVALID, "unknown platform status '%.20s'", status);
    int64_t id = 0;
    if (platform_found(message_find_platform(db, channel_id, platform_id, &id, err), "message",
                       platform_id, err))
        return -1;
    /* Unhide restores "open" only from "hidden": a message the desk has
     * answered or closed meanwhile keeps that state. */
    int64_t n = str_eq(status, "open")
                    ? db_run(db, err,
                             "UPDATE messages SET status = 'open', updated_at = ? "
                             "WHERE id = ? AND status = 'hidden'",
                             "ii", time_now(), id)
                    : db_run(db, err,
                             "UPDATE messages SET status = ?, updated_at = ? "
                             "WHERE id = ? AND status <> ?",
                             "tiit", status, time_now(), id, status);
    return upsert_of_changes(n);
}

int message_edit_platform(struct db *db, int64_t channel_id, const char *platform_id,
                          const char *body, struct error *err)
{
    int64_t mid = 0;
    int found = message_find_platform(db, channel_id, platform_id, &mid, err);
    int rc = platform_edit_body(
        db, "message", found, mid,
        "UPDATE messages SET body = ?, updated_at = ? WHERE id = ? AND body <> ?", platform_id,
        body, err);
    return rc == UPSERT_UPDATED && index_terms(db, mid, err) ? -1 : rc;
}

int message_tag(struct db *db, int64_t message_id, int64_t tag_id, struct error *err)
{
    /* A tag a moderator took off is not given back by a rule. */
    return db_do(db, err,
                 "INSERT INTO message_tags (message_id, tag_id) SELECT ?, ? WHERE NOT EXISTS "
                 "(SELECT 1 FROM message_tag_corrections WHERE message_id = ? AND tag_id = ? AND "
                 "added = 0) ON CONFLICT DO NOTHING",
                 "iiii", message_id, tag_id, message_id, tag_id);
}

int message_reread(struct db *db, int64_t message_id, const char *lang, const char *sentiment,
                   double score, struct error *err)
{
    return db_run(db, err,
                  "UPDATE messages SET lang = ?, sentiment = ?, sentiment_score = ? WHERE id = ? "
                  "AND NOT EXISTS (SELECT 1 FROM sentiment_corrections WHERE message_id = ?)",
                  "ttdii", lang, sentiment, score, message_id, message_id) < 0 ||
                   index_terms(db, message_id, err)
               ? -1
               : 0;
}

/* ---- rows for the conversation (model/conversation.c) -------------------------- */

void message_select_start(struct qb *q, int64_t ws)
{
    struct buf head = {0};
    buf_puts(&head, "SELECT ");
    entity_columns(&entity_message, &head, "m");
    buf_puts(&head, " FROM messages m WHERE m.workspace_id = ?");
    qb_start(q, head.data, "i", ws);
    buf_free(&head);
}

json_t *message_select_rows(struct db *db, struct qb *q, int64_t now, struct error *err)
{
    struct db_stmt *st = qb_prepare(q, db, err);
    if (!st)
        return NULL;
    json_t *items = json_array();
    int rc;
    for (rc = db_step(st, err); rc == 1; rc = db_step(st, err))
        json_array_append_new(items, entity_row(&entity_message, st));
    db_finalize(st);
    if (rc < 0 || message_extras(db, items, now, err)) {
        json_decref(items);
        return NULL;
    }
    return items;
}
