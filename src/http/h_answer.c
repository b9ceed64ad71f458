/* /messages/{id}/reply and /messages/{id}/moderate: the inbox acting on the
 * platforms. Each queues an action for the message's channel's connector
 * and answers it (201, or 200 when its key was seen before); the worker in
 * `kanal serve` does it, and the message learns the outcome then. */
#include "http/internal.h"
#include "publish/publish.h"

static void reply_action(struct request *r, int made, int64_t id, struct error *err)
{
    struct action a;
    if (made < 0 || action_get(r->db, id, &a, err)) {
        reply_error(r, err);
        return;
    }
    reply_json(r, made == 0 ? 201 : 200, action_to_json(&a));
    action_clear(&a);
}

static bool only(struct request *r, json_t *in, const char *const *known, const char *list)
{
    const char *k;
    json_t *v;
    json_object_foreach (in, k, v) {
        bool ok = str_index(known, k) >= 0;
        if (!ok || (!json_is_string(v) && !json_is_null(v))) {
            reply_errorf(r, 400, "invalid", "%s: %s (%s, as strings)", k,
                         ok ? "must be a string" : "not a field here", list);
            return false;
        }
    }
    return true;
}

/* A reply's or a moderation's body: two members as strings, `known` (their
 * names, NULL-terminated, listed as `list` in the error), handed to `queue`. */
typedef int queue_fn(struct db *db, int64_t ws, int64_t message_id, const char *a, const char *b,
                     const struct actor *who, int64_t now, int64_t *action_id, struct error *err);

static void act_on_message(struct request *r, const char *const *known, const char *list,
                           queue_fn *queue)
{
    json_t *in = request_json(r);
    if (!in || !only(r, in, known, list))
        return;
    struct error err = {0};
    struct actor who = request_actor(r);
    int64_t id = 0;
    int made = queue(r->db, r->ws, r->id, json_string_value(json_object_get(in, known[0])),
                     json_string_value(json_object_get(in, known[1])), &who, time_now(), &id, &err);
    reply_action(r, made, id, &err);
}

void h_message_reply(struct request *r)
{
    static const char *const known[] = {"text", "key", NULL};
    act_on_message(r, known, "text, key", publish_answer);
}

void h_message_moderate(struct request *r)
{
    static const char *const known[] = {"action", "reason", NULL};
    act_on_message(r, known, "action, reason", publish_moderate);
}

/* Bulk moderation: a spam wave hidden at once (publish/bulk.c), and undone. */
void h_bulk_create(struct request *r)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    struct error err = {0};
    struct actor who = request_actor(r);
    json_t *out = publish_bulk_moderate(r->db, r->ws, in, &who, time_now(), &err);
    reply_made(r, json_is_true(json_object_get(in, "dry_run")) ? 200 : 201, out, &err);
}

void h_bulk_undo(struct request *r)
{
    struct error err = {0};
    struct actor who = request_actor(r);
    reply_made(r, 200, publish_bulk_undo(r->db, r->ws, r->id, &who, time_now(), &err), &err);
}
