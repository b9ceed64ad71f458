/* h_inbox: the API of the inbox's teamwork: a team's members (who is on
 * duty), saved replies filled in for a message, and a dry run of a routing
 * rule on the last 30 days before it is saved. Teams and saved replies
 * themselves are plain entities (h_entity.c); a team's service levels per
 * priority and the routing rules are answered by the model calls their
 * routes name (server.c). */
#include "http/internal.h"

#include <stdio.h>

void h_team_member_put(struct request *r)
{
    int64_t uid;
    json_t *in = request_json(r);
    if (!in || !request_code_id(r, "a user's", &uid))
        return;
    json_t *duty = json_object_get(in, "on_duty");
    if (json_object_size(in) > (duty ? 1u : 0u) || (duty && !json_is_boolean(duty))) {
        reply_errorf(r, 400, "invalid", "send {} or {\"on_duty\": true|false}");
        return;
    }
    struct error err = {0};
    struct actor who = request_actor(r);
    if (team_member_set(r->db, r->ws, r->id, uid, !duty || json_is_true(duty), &who, &err))
        reply_error(r, &err);
    else
        reply_json(r, 200, team_member_list(r->db, r->ws, r->id, &err));
}

void h_reply_render(struct request *r)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    json_t *mid = json_object_get(in, "message_id");
    if (json_object_size(in) != 1 || !json_is_integer(mid) || json_integer_value(mid) < 1) {
        reply_errorf(r, 400, "invalid", "send {\"message_id\": N}");
        return;
    }
    struct error err = {0};
    json_t *out = saved_reply_render(r->db, r->ws, r->id, json_integer_value(mid), &err);
    reply_made(r, 200, out, &err);
}

void h_rule_test(struct request *r)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    struct error err = {0};
    json_t *out = routing_rule_test(r->db, r->ws, in, time_now(), &err);
    reply_made(r, 200, out, &err);
}
