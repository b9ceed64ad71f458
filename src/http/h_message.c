/* h_message: the inbox API: list and filter messages, and the moderator's
 * changes to one (status, team, assignee, sentiment and tag corrections,
 * answered elsewhere), and how much the model agrees with the moderators. */
#include "http/internal.h"
#include "ingest/enrich.h"

void h_message_list(struct request *r)
{
    struct error err = {0};
    struct page pg;
    struct message_filter f;
    if (!request_page(r, &pg))
        return;
    if (message_filter_parse(&f, r->query, r->user.id, &err)) {
        reply_error(r, &err);
        return;
    }
    json_t *out = message_list(r->db, r->ws, &f, &pg, &err);
    reply_made(r, 200, out, &err);
}

void h_message_get(struct request *r)
{
    if (!request_params(r, NULL))
        return;
    struct error err = {0};
    json_t *out = message_get(r->db, r->ws, r->id, &err);
    if (out && tag_learner_annotate(r->db, r->ws, out, &err)) {
        json_decref(out);
        out = NULL;
    }
    reply_made(r, 200, out, &err);
}

void h_sentiment_preview(struct request *r)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    json_t *text = json_object_get(in, "text");
    if (json_object_size(in) != 1 || !json_is_string(text) ||
        json_string_length(text) > MODEL_TEXT_MAX) {
        reply_errorf(r, 400, "invalid", "send {\"text\": \"...\"} with at most %d bytes",
                     MODEL_TEXT_MAX);
        return;
    }
    struct error err = {0};
    json_t *out = enrich_preview(r->db, r->ws, json_string_value(text), &err);
    reply_made(r, 200, out, &err);
}

void h_learner_agreement(struct request *r)
{
    static const char *const known[] = {"days", NULL};
    const char *days = json_string_value(json_object_get(r->query, "days"));
    int64_t n = 30;
    if (!request_params(r, known))
        return;
    if (days && (str_to_i64(days, &n) || n < 1 || n > 365)) {
        reply_errorf(r, 400, "invalid", "parameter 'days': 1 to 365, not '%.20s'", days);
        return;
    }
    struct error err = {0};
    reply_made(r, 200, learner_agreement(r->db, r->ws, time_now(), (int)n, &err), &err);
}
