/* conversation: a message with what is around it, to answer it on one
 * screen (its post, its thread, the organisation's answers, the author's
 * earlier messages), the moderators' private notes on it with their
 * @mentions, and who else has it open (presence, kept in the store with the
 * time each person was last seen, so every node on one store agrees). */
#include "model/internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- mentions (pure) ------------------------------------------------------------ */

static bool mention_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-' || c == '+' || c >= 0x80;
}

int note_mentions_scan(const char *body, struct note_mention *out, int max)
{
    int n = 0;
    for (const char *p = body; *p && n < max; p++) {
        if (*p != '@')
            continue;
        /* "anna@example.se" is an address, not a mention. */
        if (p > body && mention_char((unsigned char)p[-1]))
            continue;
        const char *s = p + 1;
        if (*s == '"') {
            const char *end = s + 1;
            while (*end && *end != '"' && *end != '\n' && end - s <= NOTE_MENTION_MAX)
                end++;
            if (*end != '"' || end == s + 1)
                continue;
            out[n++] = (struct note_mention){s + 1, (size_t)(end - s - 1), true};
            p = end;
            continue;
        }
        const char *end = s;
        while (mention_char((unsigned char)*end) && end - s < NOTE_MENTION_MAX)
            end++;
        /* A sentence's full stop or a dash after the name is not part of it. */
        while (end > s && (end[-1] == '.' || end[-1] == '-'))
            end--;
        if (end == s)
            continue;
        out[n++] = (struct note_mention){s, (size_t)(end - s), false};
        p = end - 1;
    }
    return n;
}

/* A code point folded for comparing names: ASCII and Latin-1 letters
 * (Å, Ä, Ö, Ü, ...) in lower case. */
static int32_t fold_cp(int32_t c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7))
        return c + 0x20;
    return c;
}

/* a (n bytes) and b (NUL-terminated, only its first bn bytes) alike,
 * ignoring case and, with skip_space, the spaces of b. */
static bool same_name(const char *a, size_t n, const char *b, size_t bn, bool skip_space)
{
    const char *pa = a, *ea = a + n, *pb = b, *eb = b + bn;
    for (;;) {
        while (skip_space && pb < eb && *pb == ' ')
            pb++;
        if (pa == ea || pb == eb)
            return pa == ea && pb == eb;
        int32_t ca = utf8_decode(&pa, ea), cb = utf8_decode(&pb, eb);
        if (ca < 0 || cb < 0 || fold_cp(ca) != fold_cp(cb))
            return false;
    }
}

/* Which of users match by `how`: 0 the e-mail's local part, 1 the name
 * whole (spaces left out unless quoted), 2 the name's first word. The
 * index of the only one, -1 for none, -2 for more than one. */
static int match_by(const struct note_mention *m, const struct note_user *users, int n, int how)
{
    int found = -1;
    for (int i = 0; i < n; i++) {
        const char *name = users[i].name ? users[i].name : "";
        bool hit = false;
        if (how == 0) {
            const char *at = strchr(users[i].email, '@');
            size_t local = at ? (size_t)(at - users[i].email) : strlen(users[i].email);
            hit = same_name(m->text, m->len, users[i].email, local, false);
        } else if (how == 1) {
            hit = *name && same_name(m->text, m->len, name, strlen(name), !m->quoted);
        } else if (!m->quoted) {
            size_t first = strcspn(name, " ");
            hit = first && same_name(m->text, m->len, name, first, false);
        }
        if (hit)
            found = found == -1 ? i : -2;
        if (found == -2)
            return -2;
    }
    return found;
}

int note_mention_match(const struct note_mention *m, const struct note_user *users, int n)
{
    for (int how = 0; how < 3; how++) {
        int i = match_by(m, users, n, how);
        if (i != -1)
            return i;
    }
    return -1;
}

/* ---- the conversation ------------------------------------------------------------ */

static int message_in_ws(struct db *db, int64_t ws, int64_t id, struct error *err)
{
    return model_in_workspace(db, "messages", "message", NULL, id, ws, err);
}

static int64_t int_of(json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

/* The post variant the thread is under: {post_id, variant_id, channel_id,
 * title, body, permalink, published_at}, or JSON null. */
static json_t *post_of(struct db *db, int64_t ws, int64_t variant_id, struct error *err)
{
    if (!variant_id)
        return json_null();
    struct db_stmt *st = db_query(
        db, err,
        "SELECT p.id, v.id, v.channel_id, COALESCE(v.title, p.title), COALESCE(v.body, p.body), "
        "v.permalink, v.published_at FROM post_variants v JOIN posts p ON p.id = v.post_id "
        "WHERE v.id = ? AND p.workspace_id = ?",
        "ii", variant_id, ws);
    if (!st)
        return NULL;
    json_t *out = json_null();
    if (db_has_row(st)) {
        json_decref(out);
        out = json_pack("{s:I, s:I, s:I, s:s, s:s, s:o, s:o}", "post_id",
                        (json_int_t)db_col_int(st, 0), "variant_id", (json_int_t)db_col_int(st, 1),
                        "channel_id", (json_int_t)db_col_int(st, 2), "title",
                        db_col_null(st, 3) ? "" : db_col_text(st, 3), "body",
                        db_col_null(st, 4) ? "" : db_col_text(st, 4), "permalink",
                        json_text_col(st, 5), "published_at", json_time_col(st, 6));
    }
    db_finalize(st);
    return out;
}

static json_t *pending_answer_json(struct db_stmt *st)
{
    json_t *body = json_loads(db_col_text(st, 2), 0, NULL);
    json_t *text = json_object_get(body, "text");
    json_t *out =
        json_pack("{s:I, s:s, s:s, s:s, s:o, s:o}", "action_id", (json_int_t)db_col_int(st, 0),
                  "state", db_col_text(st, 1), "text",
                  json_is_string(text) ? json_string_value(text) : "", "error", db_col_text(st, 3),
                  "requested_by", json_int_col(st, 4), "created_at", json_time(db_col_int(st, 5)));
    json_decref(body);
    return out;
}

/* Replies kanal queued for the message that are not stored as its answers
 * yet (queued, being sent, or failed): {action_id, state, text, error,
 * requested_by, created_at}. */
static json_t *pending_answers(struct db *db, int64_t ws, int64_t id, struct error *err)
{
    return json_rows(db_query(db, err,
                              "SELECT a.id, a.state, a.body, a.error, a.requested_by, "
                              "a.created_at FROM connect_actions a JOIN messages m ON "
                              "m.channel_id = a.channel_id AND m.platform_id = a.target WHERE "
                              "m.id = ? AND m.workspace_id = ? AND a.kind = 'reply' AND "
                              "a.state <> 'done' ORDER BY a.id LIMIT 20",
                              "ii", id, ws),
                     pending_answer_json, err);
}

/* Sets key to rows (stolen); false when rows is NULL (the failure). */
static bool put(json_t *out, const char *key, json_t *rows)
{
    if (!rows)
        return false;
    json_object_set_new(out, key, rows);
    return true;
}

json_t *message_conversation(struct db *db, int64_t ws, int64_t id, int64_t me, int history,
                             int64_t now, struct error *err)
{
    if (history <= 0 || history > CONV_HISTORY_MAX)
        history = CONV_HISTORY_DEFAULT;
    json_t *m = message_get(db, ws, id, err);
    if (!m)
        return NULL;
    json_t *out = json_pack("{s:O}", "message", m);
    struct qb q;
    /* The thread upwards, nearest first while walking, oldest first shown. */
    json_t *up = json_array();
    json_object_set_new(out, "ancestors", up);
    int64_t variant = int_of(m, "variant_id"), parent = int_of(m, "parent_id");
    for (int64_t at = parent; at && json_array_size(up) < CONV_ANCESTORS_MAX;) {
        json_t *a = message_get(db, ws, at, err);
        if (!a)
            goto fail;
        json_array_insert_new(up, 0, a);
        if (!variant)
            variant = int_of(a, "variant_id");
        at = int_of(a, "parent_id");
    }
    /* A reply that came before the message it answers names it only by its
     * platform id until that message comes (0006). */
    char reply_to[201] = "";
    struct db_stmt *st =
        db_query(db, err, "SELECT COALESCE(reply_to, '') FROM messages WHERE id = ?", "i", id);
    if (!st)
        goto fail;
    if (db_has_row(st))
        snprintf(reply_to, sizeof reply_to, "%s", db_col_text(st, 0));
    db_finalize(st);
    json_object_set_new(out, "reply_to",
                        !parent && *reply_to ? json_string(reply_to) : json_null());
    if (!put(out, "post", post_of(db, ws, variant, err)))
        goto fail;

    /* Beside it: the other replies to its parent, or the other comments on
     * its post when it is one, in time order. */
    message_select_start(&q, ws);
    if (parent)
        qb_and(&q, "m.parent_id = ?", "i", parent);
    else if (variant)
        qb_and(&q, "m.variant_id = ? AND m.parent_id IS NULL AND m.reply_to IS NULL", "i", variant);
    else
        qb_and(&q, "1 = 0", "");
    qb_and(&q, "m.id <> ?", "i", id);
    qb_append(&q, " ORDER BY m.created_at, m.id LIMIT ?", "i", (int64_t)CONV_SIBLINGS_MAX);
    if (!put(out, "siblings", message_select_rows(db, &q, now, err)))
        goto fail;

    /* Below it: the replies to it, the organisation's own among them. */
    const char *platform_id = json_string_value(json_object_get(m, "platform_id"));
    message_select_start(&q, ws);
    if (platform_id)
        qb_and(&q, "(m.parent_id = ? OR (m.channel_id = ? AND m.reply_to = ?))", "iit", id,
               int_of(m, "channel_id"), platform_id);
    else
        qb_and(&q, "m.parent_id = ?", "i", id);
    qb_append(&q, " ORDER BY m.created_at, m.id LIMIT ?", "i", (int64_t)CONV_CHILDREN_MAX);
    json_t *children = message_select_rows(db, &q, now, err);
    if (!put(out, "children", children))
        goto fail;
    json_t *answers = json_array();
    json_object_set_new(out, "answers", answers);
    size_t i;
    json_t *c;
    json_array_foreach (children, i, c)
        if (json_is_true(json_object_get(c, "is_own")))
            json_array_append(answers, c);
    if (!put(out, "pending_answers", pending_answers(db, ws, id, err)))
        goto fail;

    /* Before it: the same person's earlier messages on any channel, by
     * handle (or by name when the platform gave none), newest first. */
    const char *handle = json_string_value(json_object_get(m, "author_handle"));
    const char *name = json_string_value(json_object_get(m, "author_name"));
    int64_t created = 0;
    time_parse_iso(json_string_value(json_object_get(m, "created_at")), &created);
    message_select_start(&q, ws);
    if (handle && *handle)
        qb_and(&q, "m.author_handle = ?", "t", handle);
    else if (name && *name)
        qb_and(&q, "m.author_handle = '' AND m.author_name = ?", "t", name);
    else
        qb_and(&q, "1 = 0", "");
    qb_and(&q, "m.is_own = 0 AND (m.created_at < ? OR (m.created_at = ? AND m.id < ?))", "iii",
           created, created, id);
    qb_append(&q, " ORDER BY m.created_at DESC, m.id DESC LIMIT ?", "i", (int64_t)history + 1);
    json_t *earlier = message_select_rows(db, &q, now, err);
    if (!earlier)
        goto fail;
    bool more = json_array_size(earlier) > (size_t)history;
    if (more)
        json_array_remove(earlier, (size_t)history);
    json_object_set_new(out, "author_history",
                        json_pack("{s:o, s:b}", "items", earlier, "more", more));

    if (!put(out, "notes", note_list(db, ws, id, err)) ||
        !put(out, "presence", presence_others(db, id, me, now, err)))
        goto fail;
    json_decref(m);
    return out;
fail:
    json_decref(m);
    json_decref(out);
    return NULL;
}

/* ---- notes ------------------------------------------------------------------------- */

/* A note without its mentions (filled in by note_list). */
static json_t *note_json(struct db_stmt *st)
{
    return json_pack("{s:I, s:I, s:o, s:s, s:s, s:o, s:[]}", "id", (json_int_t)db_col_int(st, 0),
                     "message_id", (json_int_t)db_col_int(st, 6), "user_id", json_int_col(st, 1),
                     "author", *db_col_text(st, 2) ? db_col_text(st, 2) : db_col_text(st, 3),
                     "body", db_col_text(st, 4), "created_at", json_time(db_col_int(st, 5)),
                     "mentions");
}

json_t *note_list(struct db *db, int64_t ws, int64_t message_id, struct error *err)
{
    json_t *out = json_rows(
        db_query(db, err,
                 "SELECT n.id, n.user_id, COALESCE(u.name, ''), COALESCE(u.email, ''), n.body, "
                 "n.created_at, n.message_id FROM message_notes n LEFT JOIN users u ON "
                 "u.id = n.user_id WHERE n.message_id = ? AND n.workspace_id = ? ORDER BY n.id "
                 "LIMIT ?",
                 "iii", message_id, ws, (int64_t)NOTE_LIST_MAX),
        note_json, err);
    if (!out || !json_array_size(out))
        return out;
    /* Each note's mentions, in one query for the message. */
    struct db_stmt *st =
        db_query(db, err,
                 "SELECT k.note_id, k.user_id, u.name, u.email FROM message_note_mentions k "
                 "JOIN message_notes n ON n.id = k.note_id JOIN users u ON u.id = k.user_id "
                 "WHERE n.message_id = ? ORDER BY k.note_id, k.user_id",
                 "i", message_id);
    if (!st)
        goto fail;
    int rc;
    for (rc = db_has_row(st) ? 1 : 0; rc == 1; rc = db_step(st, err)) {
        size_t i;
        json_t *note;
        json_array_foreach (out, i, note)
            if (int_of(note, "id") == db_col_int(st, 0))
                json_array_append_new(
                    json_object_get(note, "mentions"),
                    json_pack("{s:I, s:s}", "user_id", (json_int_t)db_col_int(st, 1), "name",
                              *db_col_text(st, 2) ? db_col_text(st, 2) : db_col_text(st, 3)));
    }
    db_finalize(st);
    if (rc < 0)
        goto fail;
    return out;
fail:
    json_decref(out);
    return NULL;
}

/* The active users, for matching mentions; *n of them. Caller frees with
 * users_free. */
static struct note_user *active_users(struct db *db, int *n, struct error *err)
{
    struct db_stmt *st =
        db_query(db, err, "SELECT id, email, name FROM users WHERE disabled = 0 ORDER BY id", "");
    if (!st)
        return NULL;
    struct note_user *u = NULL;
    int cap = 0, rc;
    *n = 0;
    for (rc = db_has_row(st) ? 1 : 0; rc == 1; rc = db_step(st, err)) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            u = xrealloc(u, (size_t)cap * sizeof *u);
        }
        u[*n] = (struct note_user){db_col_int(st, 0), xstrdup(db_col_text(st, 1)),
                                   xstrdup(db_col_text(st, 2))};
        (*n)++;
    }
    db_finalize(st);
    if (rc < 0) {
        for (int i = 0; i < *n; i++)
            free((char *)u[i].email), free((char *)u[i].name);
        free(u);
        return NULL;
    }
    if (!u)
        u = xrealloc(NULL, sizeof *u); /* none: still a list to free */
    return u;
}

int note_add(struct db *db, int64_t ws, int64_t message_id, const char *body,
             const struct actor *who, int64_t now, struct note_added *out, struct error *err)
{
    assert(db && who && out);
    memset(out, 0, sizeof *out);
    size_t len = body ? strlen(body) : 0;
    const char *p = body;
    while (p && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
        p++;
    if (!p || !*p)
        return error_field(err, ERR_INVALID, "body", "field 'body': write the note's text");
    if (len > NOTE_BODY_MAX)
        return error_field(err, ERR_INVALID, "body",
                           "field 'body': a note has at most %d bytes, this one %zu", NOTE_BODY_MAX,
                           len);
    if (message_in_ws(db, ws, message_id, err))
        return -1;
    if (db_insert(db, err, &out->note_id,
                  "INSERT INTO message_notes (workspace_id, message_id, user_id, body, created_at) "
                  "VALUES (?, ?, ?, ?, ?)",
                  "iiIti", ws, message_id, who->user_id ? &who->user_id : NULL, body, now))
        return -1;
    struct note_mention found[NOTE_MENTIONS_MAX];
    int nm = note_mentions_scan(body, found, NOTE_MENTIONS_MAX);
    if (!nm)
        return 0;
    int nu = 0;
    struct note_user *users = active_users(db, &nu, err);
    if (!users)
        return -1;
    int rc = 0;
    for (int i = 0; i < nm && rc == 0; i++) {
        int u = note_mention_match(&found[i], users, nu);
        if (u < 0) {
            if (out->nunmatched < NOTE_MENTIONS_MAX) {
                out->ambiguous[out->nunmatched] = u == -2;
                snprintf(out->unmatched[out->nunmatched++], sizeof out->unmatched[0], "%.*s",
                         (int)found[i].len, found[i].text);
            }
            continue;
        }
        bool seen = false;
        for (int k = 0; k < out->nmentioned; k++)
            seen = seen || out->mentioned[k] == users[u].id;
        if (seen)
            continue;
        out->mentioned[out->nmentioned++] = users[u].id;
        rc = db_do(db, err, "INSERT INTO message_note_mentions (note_id, user_id) VALUES (?, ?)",
                   "ii", out->note_id, users[u].id);
    }
    for (int i = 0; i < nu; i++)
        free((char *)users[i].email), free((char *)users[i].name);
    free(users);
    return rc;
}

int note_delete(struct db *db, int64_t ws, int64_t message_id, int64_t note_id,
                const struct actor *who, struct error *err)
{
    struct db_stmt *st;
    int found = db_row(db, err, &st,
                       "SELECT user_id FROM message_notes WHERE id = ? AND message_id = ? "
                       "AND workspace_id = ?",
                       "iii", note_id, message_id, ws);
    if (found <= 0)
        return found < 0 ? -1
                         : error_set(err, ERR_NOT_FOUND, "no note %lld on message %lld",
                                     (long long)note_id, (long long)message_id);
    bool mine = !db_col_null(st, 0) && db_col_int(st, 0) == who->user_id;
    db_finalize(st);
    if (!mine)
        return error_set(err, ERR_DENIED, "note %lld is a colleague's: only its writer deletes it",
                         (long long)note_id);
    return db_do(db, err, "DELETE FROM message_notes WHERE id = ?", "i", note_id);
}

/* ---- presence --------------------------------------------------------------------- */

static json_t *presence_json(struct db_stmt *st)
{
    return json_pack("{s:I, s:s, s:s, s:o, s:o}", "user_id", (json_int_t)db_col_int(st, 0), "name",
                     *db_col_text(st, 1) ? db_col_text(st, 1) : db_col_text(st, 2), "state",
                     db_col_text(st, 3), "since", json_time(db_col_int(st, 4)), "seen_at",
                     json_time(db_col_int(st, 5)));
}

json_t *presence_others(struct db *db, int64_t message_id, int64_t me, int64_t now,
                        struct error *err)
{
    return json_rows(db_query(db, err,
                              "SELECT p.user_id, u.name, u.email, p.state, p.since, p.seen_at "
                              "FROM message_presence p JOIN users u ON u.id = p.user_id "
                              "WHERE p.message_id = ? AND p.user_id <> ? AND p.seen_at > ? "
                              "ORDER BY p.since, p.user_id",
                              "iii", message_id, me, now - PRESENCE_TTL),
                     presence_json, err);
}

json_t *presence_beat(struct db *db, int64_t ws, int64_t message_id, int64_t me, const char *state,
                      int64_t now, struct error *err)
{
    if (!state || !(str_eq(state, "viewing") || str_eq(state, "typing"))) {
        error_field(err, ERR_INVALID, "state", "field 'state': viewing or typing");
        return NULL;
    }
    if (message_in_ws(db, ws, message_id, err))
        return NULL;
    /* Whoever beats sweeps away everyone's expired rows (an index range). */
    if (db_run(db, err, "DELETE FROM message_presence WHERE seen_at <= ?", "i",
               now - PRESENCE_TTL) < 0 ||
        db_run(db, err,
               "INSERT INTO message_presence (message_id, user_id, state, since, seen_at) "
               "VALUES (?, ?, ?, ?, ?) ON CONFLICT (message_id, user_id) DO UPDATE SET "
               "state = excluded.state, seen_at = excluded.seen_at",
               "iitii", message_id, me, state, now, now) < 0)
        return NULL;
    json_t *others = presence_others(db, message_id, me, now, err);
    if (!others)
        return NULL;
    return json_pack("{s:I, s:s, s:i, s:o}", "message_id", (json_int_t)message_id, "state", state,
                     "ttl_seconds", PRESENCE_TTL, "others", others);
}

int presence_leave(struct db *db, int64_t ws, int64_t message_id, int64_t me, struct error *err)
{
    if (message_in_ws(db, ws, message_id, err))
        return -1;
    return db_do(db, err, "DELETE FROM message_presence WHERE message_id = ? AND user_id = ?", "ii",
                 message_id, me);
}
