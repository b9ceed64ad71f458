/* h_conversation: one message as the desk works it: its conversation, the
 * moderators' private notes on it (mentions notify), and who else has it
 * open (presence heartbeats). */
#include "http/internal.h"
#include "notify/notify.h"

void h_message_conversation(struct request *r)
{
    static const char *const known[] = {"history", NULL};
    if (!request_params(r, known))
        return;
    int64_t history = CONV_HISTORY_DEFAULT;
    const char *h = json_string_value(json_object_get(r->query, "history"));
    if (h && (str_to_i64(h, &history) || history < 1 || history > CONV_HISTORY_MAX)) {
        reply_errorf(r, 400, "invalid", "history: a whole number from 1 to %d, not '%s'",
                     CONV_HISTORY_MAX, h);
        return;
    }
    struct error err = {0};
    json_t *out =
        message_conversation(r->db, r->ws, r->id, r->user.id, (int)history, time_now(), &err);
    if (out && tag_learner_annotate(r->db, r->ws, json_object_get(out, "message"), &err)) {
        json_decref(out);
        out = NULL;
    }
    reply_made(r, 200, out, &err);
}

void h_note_list(struct request *r)
{
    if (!request_params(r, NULL))
        return;
    struct error err = {0};
    json_t *out = NULL;
    int found =
        db_scalar(r->db, &err, NULL, "SELECT 1 FROM messages WHERE id = ? AND workspace_id = ?",
                  "ii", r->id, r->ws);
    if (found <= 0)
        model_no_row(found, "message", r->id, &err);
    else
        out = note_list(r->db, r->ws, r->id, &err);
    if (out)
        out = json_pack("{s:o}", "items", out);
    reply_made(r, 200, out, &err);
}

void h_presence_beat(struct request *r)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    json_t *state = json_object_get(in, "state");
    if (json_object_size(in) > 1 || (json_object_size(in) == 1 && !state)) {
        reply_errorf(r, 400, "invalid", "send {\"state\": \"viewing\" | \"typing\"}");
        return;
    }
    struct error err = {0};
    json_t *out = presence_beat(r->db, r->ws, r->id, r->user.id,
                                state ? json_string_value(state) : "viewing", time_now(), &err);
    reply_made(r, 200, out, &err);
}

void h_presence_leave(struct request *r)
{
    struct error err = {0};
    reply_done(r, presence_leave(r->db, r->ws, r->id, r->user.id, &err), "left", &err);
}
