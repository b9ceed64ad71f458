/* h_notify: a person's notifications over HTTP (the in-app list, marking
 * read, their e-mail choices) and a workspace's webhook and deliveries.
 * Each handler parses, calls one notify/ function and replies. */
#include "http/internal.h"
#include "notify/notify.h"

#include <string.h>

void h_notify_list(struct request *r)
{
    static const char *const known[] = {"unread", "limit", NULL};
    if (!request_params(r, known))
        return;
    const char *unread = json_string_value(json_object_get(r->query, "unread"));
    const char *limit_s = json_string_value(json_object_get(r->query, "limit"));
    int64_t limit = 50;
    if (limit_s && (str_to_i64(limit_s, &limit) || limit < 1 || limit > NOTIFY_LIST_MAX)) {
        reply_errorf(r, 400, "invalid", "limit: expected a number from 1 to %d", NOTIFY_LIST_MAX);
        return;
    }
    if (unread && !str_eq(unread, "0") && !str_eq(unread, "1") && !str_eq(unread, "true") &&
        !str_eq(unread, "false")) {
        reply_errorf(r, 400, "invalid", "unread: expected 1 or 0");
        return;
    }
    bool only = unread && (str_eq(unread, "1") || str_eq(unread, "true"));
    struct error err = {0};
    reply_made(r, 200, notify_list(r->db, r->user.id, only, (int)limit, &err), &err);
}

static void mark(struct request *r, int64_t id)
{
    struct error err = {0};
    int64_t n = notify_mark_read(r->db, r->user.id, id, &err);
    reply_made(r, 200, n < 0 ? NULL : json_pack("{s:I}", "marked", (json_int_t)n), &err);
}

void h_notify_read(struct request *r)
{
    mark(r, r->id);
}

void h_notify_read_all(struct request *r)
{
    mark(r, 0);
}

void h_notify_prefs_get(struct request *r)
{
    if (!request_params(r, NULL))
        return;
    struct error err = {0};
    reply_made(r, 200, notify_prefs_get(r->db, r->user.id, &err), &err);
}

void h_notify_prefs_set(struct request *r)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    struct error err = {0};
    reply_made(r, 200, notify_prefs_set(r->db, r->user.id, in, &err), &err);
}

void h_notify_webhook_set(struct request *r)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    json_t *url = json_object_get(in, "url");
    if (!json_is_string(url)) {
        reply_errorf(r, 400, "invalid", "url: expected the webhook's http(s) address");
        return;
    }
    struct error err = {0};
    struct actor who = request_actor(r);
    reply_made(r, 200, notify_webhook_set(r->db, r->ws, json_string_value(url), &who, &err), &err);
}

void h_notify_webhook_delete(struct request *r)
{
    struct error err = {0};
    struct actor who = request_actor(r);
    reply_done(r, notify_webhook_delete(r->db, r->ws, &who, &err), "deleted", &err);
}

void h_notify_deliveries(struct request *r)
{
    static const char *const known[] = {"state", NULL};
    if (!request_params(r, known))
        return;
    const char *state = json_string_value(json_object_get(r->query, "state"));
    struct error err = {0};
    reply_made(r, 200, notify_deliveries(r->db, r->ws, state, 100, &err), &err);
}
