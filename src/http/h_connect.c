/* h_connect: a connected channel's side of the API: its connection (state,
 * the platform's words when it needs reconnecting, when it last synced, the
 * last error; never a token) and the actions done on its platform in its
 * name (publish, reply, hide, ...), queued for the connectors' worker. */
#include "connect/connect.h"
#include "http/internal.h"

/* The channel named by the route, in the route's workspace; false (and
 * replied 404) when there is none. */
static bool channel_of_route(struct request *r)
{
    struct channel_ref ch;
    struct error err = {0};
    if (channel_ref_get(r->db, r->id, &ch, &err)) {
        reply_error(r, &err);
        return false;
    }
    if (ch.workspace_id != r->ws) {
        reply_errorf(r, 404, "not_found", "no channel %lld in workspace %lld", (long long)r->id,
                     (long long)r->ws);
        return false;
    }
    return true;
}

void h_connection_get(struct request *r)
{
    if (!request_params(r, NULL))
        return;
    if (!channel_of_route(r))
        return;
    struct error err = {0};
    struct connection c;
    int got = connection_get(r->db, r->id, &c, &err);
    json_t *out = got < 0 ? NULL : connection_to_json(got ? &c : NULL);
    reply_made(r, 200, out, &err);
}

void h_action_list(struct request *r)
{
    static const char *const known[] = {"limit", "cursor", NULL};
    if (!request_params(r, known))
        return;
    if (!channel_of_route(r))
        return;
    struct page pg;
    if (!request_page(r, &pg))
        return;
    struct error err = {0};
    json_t *out = action_list(r->db, r->id, pg.limit, &err);
    reply_made(r, 200, out, &err);
}

void h_action_create(struct request *r)
{
    json_t *in = request_json(r);
    if (!in || !channel_of_route(r))
        return;
    json_t *kind = json_object_get(in, "kind"), *target = json_object_get(in, "target");
    static const char *const known[] = {"kind", "target", "text", "link", "media_id", "key", NULL};
    const char *unknown = json_unknown_member(in, known);
    if (unknown) {
        reply_errorf(r, 400, "invalid",
                     "%s: not a field of an action (kind, target, text, link, media_id, key)",
                     unknown);
        return;
    }
    if (!json_is_string(kind) || (target && !json_is_null(target) && !json_is_string(target))) {
        reply_errorf(r, 400, "invalid", "kind (and target, when given) must be strings");
        return;
    }
    /* Publishing speaks for the organisation: an editor's right, as
     * approving a post is; answering and moderating are the inbox's. */
    const char *kn = json_string_value(kind);
    if ((str_eq(kn, "publish") || str_eq(kn, "delete-post")) &&
        !access_allows(ACC_EDIT, r->user.role)) {
        reply_errorf(r, 403, "denied", "only an editor or an admin may %s", kn);
        return;
    }
    json_t *body = json_object();
    if (json_object_get(in, "text"))
        json_object_set(body, "text", json_object_get(in, "text"));
    if (json_object_get(in, "link"))
        json_object_set(body, "link", json_object_get(in, "link"));
    if (json_object_get(in, "media_id"))
        json_object_set(body, "media_id", json_object_get(in, "media_id"));
    json_t *key = json_object_get(in, "key");
    struct action_in a = {.channel_id = r->id,
                          .kind = kn,
                          .target = json_is_string(target) ? json_string_value(target) : NULL,
                          .body = body,
                          .key = json_is_string(key) ? json_string_value(key) : NULL,
                          .requested_by = r->user.id};
    struct error err = {0};
    int64_t id;
    int made = connect_queue_action(r->db, &a, time_now(), &id, &err);
    json_decref(body);
    if (made < 0) {
        reply_error(r, &err);
        return;
    }
    struct action got;
    if (action_get(r->db, id, &got, &err)) {
        reply_error(r, &err);
        return;
    }
    reply_json(r, made == 0 ? 201 : 200, action_to_json(&got));
    action_clear(&got);
}
