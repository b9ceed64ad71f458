/* event: who an event on a post concerns and what each of them gets: a row
 * in their in-app list, an e-mail queued (unless they turned it off) and
 * one webhook call for the workspace. Also the in-app list itself, the
 * people's e-mail choices and the workspace's webhook. */
#include "notify/notify.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const notify_event_names[NOTIFY_EVENT_COUNT + 1] = {
    "review_requested", "approved", "rejected", "post_failed", "mentioned", NULL};

/* ---- what is said ------------------------------------------------------------------ */

struct post_facts {
    int64_t author;
    char title[128]; /* the post's title, else the start of its text, on one line */
    char workspace[128];
    char actor[128]; /* who did it, by name (or e-mail); "kanal" for kanal itself */
};

/* Up to `max` bytes of s on one line, cut between characters. */
static void one_line(char *out, size_t size, const char *s, size_t max)
{
    size_t n = 0;
    const char *p = s, *end = s + strlen(s);
    while (p < end && n + 4 < size) {
        const char *at = p;
        int32_t cp = utf8_decode(&p, end);
        size_t len = (size_t)(p - at);
        if (cp < 0 || n + len > max || n + len + 1 >= size) {
            if (n + 4 < size && n + len > max)
                memcpy(out + n, "...", 3), n += 3;
            break;
        }
        for (size_t i = 0; i < len; i++)
            out[n++] = (at[i] == '\n' || at[i] == '\r' || at[i] == '\t') ? ' ' : at[i];
    }
    out[n] = '\0';
}

/* Who did something, as the words a notification names them by: their name,
 * else their e-mail, on one line. out keeps what the caller put there for no
 * user (0: kanal itself, or someone through a link) and for one not found. */
static int user_words(struct db *db, int64_t user, char *out, size_t size, struct error *err)
{
    if (!user)
        return 0;
    struct db_stmt *st = db_query(db, err, "SELECT name, email FROM users WHERE id = ?", "i", user);
    if (!st)
        return -1;
    if (db_has_row(st))
        one_line(out, size, *db_col_text(st, 0) ? db_col_text(st, 0) : db_col_text(st, 1), 100);
    db_finalize(st);
    return 0;
}

static int post_facts(struct db *db, int64_t ws, int64_t post_id, int64_t actor, bool is_decision,
                      struct post_facts *f, struct error *err)
{
    memset(f, 0, sizeof *f);
    struct db_stmt *st = model_row(db, "post", post_id, err,
                                   "SELECT p.created_by, p.title, p.body, w.name FROM posts p "
                                   "JOIN workspaces w ON w.id = p.workspace_id "
                                   "WHERE p.id = ? AND p.workspace_id = ?",
                                   "ii", post_id, ws);
    if (!st)
        return -1;
    f->author = db_col_null(st, 0) ? 0 : db_col_int(st, 0);
    const char *title = db_col_text(st, 1);
    one_line(f->title, sizeof f->title, *title ? title : db_col_text(st, 2), 80);
    if (!*f->title)
        snprintf(f->title, sizeof f->title, "post %lld", (long long)post_id);
    one_line(f->workspace, sizeof f->workspace, db_col_text(st, 3), 100);
    db_finalize(st);
    /* No user: an approver through a link, or kanal itself (a failure). */
    snprintf(f->actor, sizeof f->actor, "%s", is_decision ? "An external approver" : "kanal");
    return user_words(db, actor, f->actor, sizeof f->actor, err);
}

/* The notification's title (also the e-mail's subject) and text. */
static void words(const struct notify_in *in, const struct post_facts *f, struct buf *title,
                  struct buf *text)
{
    const char *reason = in->reason && *in->reason ? in->reason : NULL;
    switch (in->event) {
    case NOTIFY_REVIEW_REQUESTED:
        buf_printf(title, "Review requested: %s", f->title);
        buf_printf(text, "%s asks you to review \"%s\" in %s.\n", f->actor, f->title, f->workspace);
        break;
    case NOTIFY_APPROVED:
        buf_printf(title, "Approved: %s", f->title);
        buf_printf(text, "\"%s\" in %s is approved (last approval by %s). It can be scheduled.\n",
                   f->title, f->workspace, f->actor);
        break;
    case NOTIFY_REJECTED:
        buf_printf(title, "Rejected: %s", f->title);
        buf_printf(text, "%s sent \"%s\" in %s back to draft.\n\nWhy:\n%s\n", f->actor, f->title,
                   f->workspace, reason ? reason : "(no reason given)");
        break;
    case NOTIFY_POST_FAILED:
        buf_printf(title, "Post failed: %s", f->title);
        buf_printf(text, "\"%s\" in %s could not be posted.\n\nError:\n%s\n", f->title,
                   f->workspace, reason ? reason : "(no error given)");
        break;
    case NOTIFY_MENTIONED: /* notify_note_add's words */
    case NOTIFY_EVENT_COUNT:
        assert(!"not an event");
    }
    buf_printf(text, "\nPost %lld. This message was sent by kanal.\n", (long long)in->post_id);
}

/* ---- who is told ---------------------------------------------------------------- */

static bool concerns(const struct notify_in *in, const struct post_facts *f, int64_t user,
                     const char *role)
{
    if (user == in->actor)
        return false; /* nobody is told of what they did themselves */
    switch (in->event) {
    case NOTIFY_REVIEW_REQUESTED:
        return user != f->author &&
               str_listed(in->roles ? in->roles : "admin,editor", role); /* nobody approves
                                                                              their own */
    case NOTIFY_APPROVED:
    case NOTIFY_REJECTED:
        return user == f->author;
    case NOTIFY_POST_FAILED:
        return user == f->author || str_eq(role, "admin") || str_eq(role, "editor");
    case NOTIFY_MENTIONED:
    case NOTIFY_EVENT_COUNT:
        break;
    }
    return false;
}

static int queue_delivery(struct db *db, int64_t ws, int64_t notification, const char *event,
                          const char *via, const char *target, const char *subject,
                          const char *body, int64_t now, struct error *err)
{
    int64_t id;
    if (db_insert(
            db, err, &id,
            "INSERT INTO notify_deliveries (workspace_id, notification_id, event, via, "
            "target, subject, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            "iItttttii", ws, notification ? &notification : NULL, event, via, target, subject, body,
            now, now))
        return -1;
    char payload[48];
    job_payload_put(payload, sizeof payload, "delivery", id);
    /* A relay down for a day is waited out: backoff doubles to an hour. */
    struct job_in j = {.kind = NOTIFY_JOB_KIND, .payload = payload, .max_attempts = 30};
    int64_t job;
    if (job_enqueue(db, &j, now, &job, err) < 0)
        return -1;
    return db_do(db, err, "UPDATE notify_deliveries SET job_id = ? WHERE id = ?", "ii", job, id);
}

/* Tells user `user` of `event`: their notification, about post_id or
 * message_id (0: none), and, when `email` is an address, the same title and
 * text queued to it as an e-mail that names the notification. 0, or -1 and
 * err. */
static int tell_user(struct db *db, int64_t ws, int64_t user, const char *event, int64_t post_id,
                     int64_t message_id, const char *title, const char *text, const char *email,
                     int64_t now, struct error *err)
{
    int64_t nid;
    if (db_insert(db, err, &nid,
                  "INSERT INTO notifications (workspace_id, user_id, event, post_id, message_id, "
                  "title, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                  "iitIItti", ws, user, event, post_id ? &post_id : NULL,
                  message_id ? &message_id : NULL, title, text, now))
        return -1;
    if (!email || !*email)
        return 0;
    return queue_delivery(db, ws, nid, event, "email", email, title, text, now, err);
}

/* The workspace's webhook address into url: 1, 0 when it has none, -1 and
 * err. */
static int webhook_url(struct db *db, int64_t ws, char url[NOTIFY_URL_MAX + 1], struct error *err)
{
    struct db_stmt *st =
        db_query(db, err, "SELECT url FROM notify_webhooks WHERE workspace_id = ?", "i", ws);
    if (!st)
        return -1;
    int found = db_has_row(st) ? 1 : 0;
    if (found)
        snprintf(url, NOTIFY_URL_MAX + 1, "%s", db_col_text(st, 0));
    db_finalize(st);
    return found;
}

/* Queues a call of the workspace's webhook at url with hook (taken) as its
 * body: compact JSON with sorted keys, the bytes the signature is over. */
static int queue_hook(struct db *db, int64_t ws, const char *event, const char *url, json_t *hook,
                      int64_t now, struct error *err)
{
    char *body = json_dumps(hook, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(hook);
    int rc = queue_delivery(db, ws, 0, event, "webhook", url, "", body, now, err);
    free(body);
    return rc;
}

int notify_event(struct db *db, int64_t ws, const struct notify_in *in, struct error *err)
{
    assert(db && in && in->event >= 0 && in->event < NOTIFY_EVENT_COUNT &&
           in->event != NOTIFY_MENTIONED);
    const char *event = notify_event_names[in->event];
    int64_t now = time_now();
    struct post_facts f;
    struct buf title = {0}, text = {0};
    int told = 0;
    struct db_stmt *st = NULL;
    if (post_facts(db, ws, in->post_id, in->actor,
                   in->event == NOTIFY_APPROVED || in->event == NOTIFY_REJECTED, &f, err))
        goto fail;
    words(in, &f, &title, &text);
    /* Users are the installation's; their role says what they do in any
     * workspace. A NULL email choice is "on". */
    st = db_query(db, err,
                  "SELECT u.id, u.role, u.email, COALESCE(p.email, 1) FROM users u "
                  "LEFT JOIN notify_prefs p ON p.user_id = u.id AND p.event = ? "
                  "WHERE u.disabled = 0 ORDER BY u.id",
                  "t", event);
    if (!st)
        goto fail;
    /* Collected first: the statement stays open on neither store while
     * others run on the same connection. */
    struct who {
        int64_t id;
        bool email;
        char address[256];
    } *people = NULL;
    size_t n = 0, cap = 0;
    int rc;
    for (rc = db_has_row(st) ? 1 : 0; rc == 1; rc = db_step(st, err)) {
        if (!concerns(in, &f, db_col_int(st, 0), db_col_text(st, 1)))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            people = xrealloc(people, cap * sizeof *people);
        }
        people[n].id = db_col_int(st, 0);
        people[n].email = db_col_int(st, 3) != 0;
        snprintf(people[n].address, sizeof people[n].address, "%s", db_col_text(st, 2));
        n++;
    }
    db_finalize(st);
    st = NULL;
    if (rc < 0) {
        free(people);
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        if (tell_user(db, ws, people[i].id, event, in->post_id, 0, title.data, text.data,
                      people[i].email ? people[i].address : NULL, now, err)) {
            free(people);
            goto fail;
        }
        told++;
    }
    free(people);
    /* The workspace's webhook hears of every event, once. */
    char url[NOTIFY_URL_MAX + 1], at[21];
    int hooked = webhook_url(db, ws, url, err);
    if (hooked < 0)
        goto fail;
    if (hooked) {
        time_format_iso(now, at);
        json_t *hook =
            json_pack("{s:s, s:I, s:s, s:I, s:s, s:s, s:s, s:s?, s:s}", "event", event,
                      "workspace_id", (json_int_t)ws, "workspace", f.workspace, "post_id",
                      (json_int_t)in->post_id, "title", title.data, "text", text.data, "by",
                      f.actor, "reason", in->reason && *in->reason ? in->reason : NULL, "at", at);
        if (queue_hook(db, ws, event, url, hook, now, err))
            goto fail;
    }
    buf_free(&title);
    buf_free(&text);
    return told;
fail:
    db_finalize(st);
    buf_free(&title);
    buf_free(&text);
    return -1;
}

int notify_post_failed(struct db *db, int64_t ws, int64_t post_id, int64_t variant_id,
                       const char *reason, struct error *err)
{
    struct buf why = {0};
    struct db_stmt *st = db_query(db, err,
                                  "SELECT c.name, c.platform FROM post_variants v "
                                  "JOIN channels c ON c.id = v.channel_id "
                                  "WHERE v.id = ? AND v.post_id = ?",
                                  "ii", variant_id, post_id);
    if (!st)
        return -1;
    if (db_has_row(st))
        buf_printf(&why, "on %s (%s): ", db_col_text(st, 0), db_col_text(st, 1));
    db_finalize(st);
    buf_puts(&why, reason && *reason ? reason : "no error given");
    struct notify_in in = {.event = NOTIFY_POST_FAILED, .post_id = post_id, .reason = why.data};
    int rc = notify_event(db, ws, &in, err);
    buf_free(&why);
    return rc < 0 ? -1 : 0;
}

/* ---- mentions in a note on a message ------------------------------------------------ */

/* What the mentioned are told: the title, and a text with the note and the
 * start of the message it is on. */
static int mention_words(struct db *db, int64_t ws, int64_t message_id, int64_t actor,
                         const char *note, struct buf *title, struct buf *text, char *by,
                         size_t bysize, struct error *err)
{
    struct db_stmt *st = model_row(db, "message", message_id, err,
                                   "SELECT m.author_name, m.author_handle, m.body, c.name, w.name "
                                   "FROM messages m JOIN channels c ON c.id = m.channel_id "
                                   "JOIN workspaces w ON w.id = m.workspace_id "
                                   "WHERE m.id = ? AND m.workspace_id = ?",
                                   "ii", message_id, ws);
    if (!st)
        return -1;
    char author[128], excerpt[256], channel[128], workspace[128], line[256];
    one_line(author, sizeof author, *db_col_text(st, 0) ? db_col_text(st, 0) : db_col_text(st, 1),
             80);
    one_line(excerpt, sizeof excerpt, db_col_text(st, 2), 160);
    one_line(channel, sizeof channel, db_col_text(st, 3), 80);
    one_line(workspace, sizeof workspace, db_col_text(st, 4), 100);
    db_finalize(st);
    snprintf(by, bysize, "A colleague");
    if (user_words(db, actor, by, bysize, err))
        return -1;
    one_line(line, sizeof line, note, 200);
    buf_printf(title, "%s mentioned you: %s", by, line);
    buf_printf(text, "%s mentioned you in a note on a message from %s on %s in %s.\n\n%s\n\n", by,
               *author ? author : "someone", channel, workspace, note);
    buf_printf(text, "The message: \"%s\"\n\nMessage %lld. This message was sent by kanal.\n",
               excerpt, (long long)message_id);
    return 0;
}

static int tell_mentioned(struct db *db, int64_t ws, int64_t message_id, int64_t actor,
                          int64_t note_id, const char *note, const int64_t *users, int n,
                          json_t *notified, struct error *err)
{
    const char *event = notify_event_names[NOTIFY_MENTIONED];
    int64_t now = time_now();
    struct buf title = {0}, text = {0};
    char by[128];
    int rc = -1;
    if (mention_words(db, ws, message_id, actor, note, &title, &text, by, sizeof by, err))
        goto done;
    for (int i = 0; i < n; i++) {
        if (users[i] == actor)
            continue; /* nobody is told of what they did themselves */
        char address[256] = "";
        bool email = true;
        struct db_stmt *st =
            db_query(db, err,
                     "SELECT u.email, COALESCE(p.email, 1) FROM users u LEFT JOIN notify_prefs p "
                     "ON p.user_id = u.id AND p.event = ? WHERE u.id = ? AND u.disabled = 0",
                     "ti", event, users[i]);
        if (!st)
            goto done;
        bool found = db_has_row(st);
        if (found) {
            snprintf(address, sizeof address, "%s", db_col_text(st, 0));
            email = db_col_int(st, 1) != 0;
        }
        db_finalize(st);
        if (!found)
            continue;
        if (tell_user(db, ws, users[i], event, 0, message_id, title.data, text.data,
                      email ? address : NULL, now, err))
            goto done;
        json_array_append_new(notified, json_integer(users[i]));
    }
    /* The workspace's webhook hears of the note once, when it told anyone. */
    char url[NOTIFY_URL_MAX + 1] = "";
    int hooked = json_array_size(notified) ? webhook_url(db, ws, url, err) : 0;
    if (hooked < 0)
        goto done;
    rc = 0;
    if (hooked && *url) {
        char at[21];
        time_format_iso(now, at);
        rc = queue_hook(db, ws, event, url,
                        json_pack("{s:s, s:I, s:I, s:I, s:O, s:s, s:s, s:s, s:s}", "event", event,
                                  "workspace_id", (json_int_t)ws, "message_id",
                                  (json_int_t)message_id, "note_id", (json_int_t)note_id,
                                  "mentioned", notified, "title", title.data, "text", text.data,
                                  "by", by, "at", at),
                        now, err);
    }
done:
    buf_free(&title);
    buf_free(&text);
    return rc;
}

json_t *notify_note_add(struct db *db, int64_t ws, int64_t message_id, json_t *in,
                        const struct actor *who, struct error *err)
{
    json_t *body = json_object_get(in, "body");
    if (!json_is_object(in) || json_object_size(in) != 1 || !json_is_string(body)) {
        error_field(err, ERR_INVALID, "body", "send {\"body\": \"the note's text\"}");
        return NULL;
    }
    struct note_added added;
    json_t *notified = json_array(), *out = NULL;
    if (db_begin(db, err))
        goto fail;
    int rc =
        note_add(db, ws, message_id, json_string_value(body), who, time_now(), &added, err) ||
        tell_mentioned(db, ws, message_id, who->user_id, added.note_id, json_string_value(body),
                       added.mentioned, added.nmentioned, notified, err);
    if (db_end(db, rc, err))
        goto fail;
    json_t *notes = note_list(db, ws, message_id, err);
    size_t i;
    json_t *n;
    json_array_foreach (notes, i, n)
        if (json_integer_value(json_object_get(n, "id")) == added.note_id)
            out = json_incref(n);
    json_decref(notes);
    if (!out) {
        if (!notes)
            goto fail;
        error_set(err, ERR_INTERNAL, "note %lld was stored but cannot be read back",
                  (long long)added.note_id);
        goto fail;
    }
    json_t *unmatched = json_array();
    for (int k = 0; k < added.nunmatched; k++)
        json_array_append_new(unmatched, json_pack("{s:s, s:b}", "mention", added.unmatched[k],
                                                   "ambiguous", added.ambiguous[k]));
    json_object_set_new(out, "notified", notified);
    json_object_set_new(out, "unmatched", unmatched);
    return out;
fail:
    json_decref(notified);
    return NULL;
}

/* ---- the in-app list -------------------------------------------------------------- */

static json_t *notification_json(struct db_stmt *st)
{
    return json_pack("{s:I, s:I, s:s, s:o, s:o, s:s, s:s, s:b, s:o, s:o}", "id",
                     (json_int_t)db_col_int(st, 0), "workspace_id", (json_int_t)db_col_int(st, 1),
                     "event", db_col_text(st, 2), "post_id", json_int_col(st, 3), "message_id",
                     json_int_col(st, 8), "title", db_col_text(st, 4), "body", db_col_text(st, 5),
                     "read", !db_col_null(st, 6), "read_at", json_time_col(st, 6), "created_at",
                     json_time_col(st, 7));
}

json_t *notify_list(struct db *db, int64_t user_id, bool unread_only, int limit, struct error *err)
{
    if (limit <= 0 || limit > NOTIFY_LIST_MAX)
        limit = NOTIFY_LIST_MAX;
    int64_t unread = 0;
    if (db_scalar(db, err, &unread,
                  "SELECT COUNT(*) FROM notifications WHERE user_id = ? AND read_at IS NULL", "i",
                  user_id) < 0)
        return NULL;
    struct db_stmt *st = db_query(db, err,
                                  "SELECT id, workspace_id, event, post_id, title, body, read_at, "
                                  "created_at, message_id FROM notifications WHERE user_id = ? "
                                  "AND (? = 0 OR read_at IS NULL) ORDER BY id DESC LIMIT ?",
                                  "iii", user_id, (int64_t)unread_only, (int64_t)limit);
    json_t *items = json_rows(st, notification_json, err);
    if (!items)
        return NULL;
    return json_pack("{s:I, s:o}", "unread", (json_int_t)unread, "items", items);
}

int64_t notify_mark_read(struct db *db, int64_t user_id, int64_t id, struct error *err)
{
    int64_t now = time_now();
    if (!id)
        return db_run(db, err,
                      "UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL",
                      "ii", now, user_id);
    int64_t found;
    int rc = db_scalar(db, err, &found,
                       "SELECT COUNT(*) FROM notifications WHERE id = ? AND user_id = ?", "ii", id,
                       user_id);
    if (rc < 0)
        return -1;
    if (!found)
        return error_set(err, ERR_NOT_FOUND, "no notification %lld of yours", (long long)id);
    return db_run(db, err,
                  "UPDATE notifications SET read_at = ? WHERE id = ? AND user_id = ? "
                  "AND read_at IS NULL",
                  "iii", now, id, user_id);
}

/* ---- preferences ---------------------------------------------------------------- */

json_t *notify_prefs_get(struct db *db, int64_t user_id, struct error *err)
{
    json_t *email = json_object();
    for (int i = 0; i < NOTIFY_EVENT_COUNT; i++)
        json_object_set_new(email, notify_event_names[i], json_true());
    struct db_stmt *st =
        db_query(db, err, "SELECT event, email FROM notify_prefs WHERE user_id = ?", "i", user_id);
    if (!st) {
        json_decref(email);
        return NULL;
    }
    int rc;
    for (rc = db_has_row(st) ? 1 : 0; rc == 1; rc = db_step(st, err))
        if (str_index(notify_event_names, db_col_text(st, 0)) >= 0)
            json_object_set_new(email, db_col_text(st, 0), json_boolean(db_col_int(st, 1)));
    db_finalize(st);
    if (rc < 0) {
        json_decref(email);
        return NULL;
    }
    return json_pack("{s:o}", "email", email);
}

json_t *notify_prefs_set(struct db *db, int64_t user_id, json_t *in, struct error *err)
{
    json_t *email = json_object_get(in, "email");
    if (!json_is_object(email)) {
        error_field(err, ERR_INVALID, "email",
                    "email: expected {\"review_requested\": true, \"approved\": false, ...}");
        return NULL;
    }
    const char *k;
    json_t *v;
    json_object_foreach (email, k, v) {
        char field[64];
        snprintf(field, sizeof field, "email.%.40s", k);
        if (str_index(notify_event_names, k) < 0) {
            error_field(err, ERR_INVALID, field,
                        "%s: no such event (review_requested, approved, rejected, post_failed, "
                        "mentioned)",
                        field);
            return NULL;
        }
        if (!json_is_boolean(v)) {
            error_field(err, ERR_INVALID, field, "%s: expected true or false", field);
            return NULL;
        }
    }
    if (db_begin(db, err))
        return NULL;
    json_object_foreach (email, k, v)
        if (db_run(db, err,
                   "INSERT INTO notify_prefs (user_id, event, email) VALUES (?, ?, ?) "
                   "ON CONFLICT (user_id, event) DO UPDATE SET email = excluded.email",
                   "iti", user_id, k, (int64_t)json_is_true(v)) < 0) {
            db_rollback(db);
            return NULL;
        }
    if (db_commit(db, err)) {
        db_rollback(db);
        return NULL;
    }
    return notify_prefs_get(db, user_id, err);
}

/* ---- the workspace's webhook ------------------------------------------------------- */

json_t *notify_webhook_set(struct db *db, int64_t ws, const char *url, const struct actor *who,
                           struct error *err)
{
    if (!url || (!str_starts_with(url, "http://") && !str_starts_with(url, "https://")) ||
        !utf8_text(url, 11, NOTIFY_URL_MAX) || strpbrk(url, " \r\n\t")) {
        error_field(err, ERR_INVALID, "url",
                    "url: expected an http:// or https:// address of at most %d bytes",
                    NOTIFY_URL_MAX);
        return NULL;
    }
    unsigned char raw[32];
    char secret[2 * sizeof raw + 1];
    randombytes_buf(raw, sizeof raw);
    str_hex(raw, sizeof raw, secret);
    int64_t now = time_now();
    if (db_begin(db, err))
        return NULL;
    int rc =
        db_run(db, err,
               "INSERT INTO notify_webhooks (workspace_id, url, secret, created_at, updated_at) "
               "VALUES (?, ?, ?, ?, ?) ON CONFLICT (workspace_id) DO UPDATE SET "
               "url = excluded.url, secret = excluded.secret, updated_at = excluded.updated_at",
               "ittii", ws, url, secret, now, now) < 0 ||
        audit_record(db, ws, who ? who->user_id : 0, "set", "notify_webhook", ws, url, err);
    if (db_end(db, rc, err))
        return NULL;
    sodium_memzero(raw, sizeof raw);
    return json_pack("{s:s, s:s}", "url", url, "secret", secret);
}

json_t *notify_webhook_get(struct db *db, int64_t ws, struct error *err)
{
    struct db_stmt *st =
        db_query(db, err, "SELECT url FROM notify_webhooks WHERE workspace_id = ?", "i", ws);
    if (!st)
        return NULL;
    json_t *out = json_pack("{s:s?}", "url", db_has_row(st) ? db_col_text(st, 0) : NULL);
    db_finalize(st);
    return out;
}

int notify_webhook_delete(struct db *db, int64_t ws, const struct actor *who, struct error *err)
{
    if (db_begin(db, err))
        return -1;
    int64_t n = db_run(db, err, "DELETE FROM notify_webhooks WHERE workspace_id = ?", "i", ws);
    if (n == 0)
        error_set(err, ERR_NOT_FOUND, "this workspace has no webhook");
    return db_end(db,
                  n <= 0 || audit_record(db, ws, who ? who->user_id : 0, "delete", "notify_webhook",
                                         ws, "", err),
                  err);
}

static json_t *delivery_json(struct db_stmt *st)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:s?, s:o, s:o, s:o}", "id",
                     (json_int_t)db_col_int(st, 0), "event", db_col_text(st, 1), "via",
                     db_col_text(st, 2), "target", db_col_text(st, 3), "subject",
                     db_col_text(st, 4), "state", db_col_text(st, 5), "attempts",
                     (json_int_t)db_col_int(st, 6), "last_error",
                     db_col_null(st, 7) ? NULL : db_col_text(st, 7), "next_attempt_at",
                     str_eq(db_col_text(st, 5), "queued") ? json_time_col(st, 8) : json_null(),
                     "created_at", json_time_col(st, 9), "sent_at", json_time_col(st, 10));
}

json_t *notify_deliveries(struct db *db, int64_t ws, const char *state, int limit,
                          struct error *err)
{
    if (state && !str_eq(state, "queued") && !str_eq(state, "sent") && !str_eq(state, "failed")) {
        error_field(err, ERR_INVALID, "state", "state: expected queued, sent or failed");
        return NULL;
    }
    if (limit <= 0 || limit > NOTIFY_LIST_MAX)
        limit = NOTIFY_LIST_MAX;
    /* The next attempt is when its job may be claimed again. */
    struct db_stmt *st =
        db_query(db, err,
                 "SELECT d.id, d.event, d.via, d.target, d.subject, d.state, d.attempts, "
                 "d.last_error, (SELECT j.run_after FROM jobs j WHERE j.id = d.job_id "
                 "AND j.state = 'queued'), "
                 "d.created_at, d.sent_at FROM notify_deliveries d WHERE d.workspace_id = ? "
                 "AND d.state = COALESCE(?, d.state) ORDER BY d.id DESC LIMIT ?",
                 "iti", ws, state, (int64_t)limit);
    return json_items(st, delivery_json, err);
}

int notify_message(struct db *db, int64_t ws, const struct notify_message_in *m, struct error *err)
{
    assert(db && m && m->event && m->title && m->text);
    int64_t now = time_now();
    int queued = 0;
    for (size_t i = 0; i < m->n_users; i++) {
        /* In-app rows only: the e-mails go to m->emails, below, with the whole text. */
        if (tell_user(db, ws, m->users[i], m->event, 0, 0, m->title,
                      m->summary ? m->summary : m->text, NULL, now, err))
            return -1;
        queued++;
    }
    for (size_t i = 0; i < m->n_emails; i++) {
        if (!m->emails[i] || !*m->emails[i])
            continue;
        if (queue_delivery(db, ws, 0, m->event, "email", m->emails[i], m->title, m->text, now, err))
            return -1;
        queued++;
    }
    if (!m->webhook)
        return queued;
    struct db_stmt *st;
    int found = db_row(
        db, err, &st,
        "SELECT h.url, w.name FROM notify_webhooks h JOIN workspaces w ON w.id = h.workspace_id "
        "WHERE h.workspace_id = ?",
        "i", ws);
    if (found <= 0)
        return found < 0 ? -1 : queued;
    char url[NOTIFY_URL_MAX + 1], name[128], at[21];
    snprintf(url, sizeof url, "%s", db_col_text(st, 0));
    one_line(name, sizeof name, db_col_text(st, 1), 100);
    db_finalize(st);
    time_format_iso(now, at);
    json_t *hook =
        json_pack("{s:s, s:I, s:s, s:s, s:s, s:s}", "event", m->event, "workspace_id",
                  (json_int_t)ws, "workspace", name, "title", m->title, "text", m->text, "at", at);
    if (m->extra)
        json_object_update(hook, m->extra);
    return queue_hook(db, ws, m->event, url, hook, now, err) ? -1 : queued + 1;
}
