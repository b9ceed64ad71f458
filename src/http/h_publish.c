/* h_publish: the desk's workflow over HTTP: submit, approve, reject,
 * comments, schedule, approval rules and links, the calendar and its
 * iCalendar feeds. Each handler parses, calls one publish/ function and
 * replies; a variant's edit is answered by the call its route names
 * (server.c). */
#include "http/internal.h"
#include "publish/publish.h"

#include <stdio.h>
#include <string.h>

/* A string member of the body, or NULL; replies 400 when it is not text. */
static bool opt_string(struct request *r, json_t *in, const char *name, const char **out)
{
    json_t *v = json_object_get(in, name);
    *out = json_string_value(v);
    if (v && !json_is_null(v) && !json_is_string(v)) {
        struct error err = {0};
        error_field(&err, ERR_INVALID, name, "field '%s': expected text", name);
        reply_error(r, &err);
        return false;
    }
    return true;
}

static bool opt_id(struct request *r, json_t *in, const char *name, int64_t *out)
{
    json_t *v = json_object_get(in, name);
    *out = v ? json_integer_value(v) : 0;
    if (v && !json_is_null(v) && (!json_is_integer(v) || *out <= 0)) {
        struct error err = {0};
        error_field(&err, ERR_INVALID, name, "field '%s': expected a positive whole number", name);
        reply_error(r, &err);
        return false;
    }
    return true;
}

void h_post_submit(struct request *r)
{
    struct error err = {0};
    struct actor who = request_actor(r);
    reply_made(r, 200, publish_submit(r->db, r->ws, r->id, &who, &err), &err);
}

static void decide(struct request *r, bool approve)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    const char *comment;
    int64_t round;
    if (!opt_string(r, in, "comment", &comment) || !opt_id(r, in, "round", &round))
        return;
    struct error err = {0};
    struct actor who = request_actor(r);
    json_t *out = publish_decide(r->db, r->ws, r->id, &who, approve, comment, round, &err);
    reply_made(r, 200, out, &err);
}

void h_post_approve(struct request *r)
{
    decide(r, true);
}

void h_post_reject(struct request *r)
{
    decide(r, false);
}

void h_post_comment(struct request *r)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    const char *body;
    if (!opt_string(r, in, "body", &body))
        return;
    struct error err = {0};
    struct actor who = request_actor(r);
    reply_made(r, 201, publish_comment(r->db, r->ws, r->id, &who, body, &err), &err);
}

void h_post_schedule(struct request *r)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    const char *at;
    int64_t vid;
    if (!opt_string(r, in, "at", &at) || !opt_id(r, in, "variant_id", &vid))
        return;
    struct error err = {0};
    struct actor who = request_actor(r);
    reply_made(r, 200, publish_schedule(r->db, r->ws, r->id, vid, at, &who, &err), &err);
}

void h_post_unschedule(struct request *r)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    int64_t vid;
    if (!opt_id(r, in, "variant_id", &vid))
        return;
    struct error err = {0};
    struct actor who = request_actor(r);
    reply_made(r, 200, publish_unschedule(r->db, r->ws, r->id, vid, &who, &err), &err);
}

void h_approval_rule_set(struct request *r)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    int64_t channel;
    if (!opt_id(r, in, "channel_id", &channel))
        return;
    struct error err = {0};
    struct actor who = request_actor(r);
    reply_made(r, 200, publish_rule_set(r->db, r->ws, channel, in, &who, &err), &err);
}

void h_approval_link_create(struct request *r)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    const char *name;
    if (!opt_string(r, in, "name", &name))
        return;
    json_t *ttl = json_object_get(in, "ttl");
    if (ttl && !json_is_integer(ttl)) {
        reply_errorf(r, 400, "invalid", "field 'ttl': expected seconds as a whole number");
        return;
    }
    struct error err = {0};
    struct actor who = request_actor(r);
    json_t *out = approval_link_create(r->db, r->cfg->secret_key, r->ws, r->id, name,
                                       ttl ? json_integer_value(ttl) : 7 * 86400, &who, &err);
    if (out) {
        /* Where the approver opens it: the API path; the web desk's page
         * for it is not built yet. */
        char path[128];
        snprintf(path, sizeof path, "/api/v1/approval-links/%s",
                 json_string_value(json_object_get(out, "token")));
        json_object_set_new(out, "path", json_string(path));
    }
    reply_made(r, 201, out, &err);
}

void h_approval_link_open(struct request *r)
{
    struct error err = {0};
    reply_made(r, 200, approval_link_open(r->db, r->cfg->secret_key, r->code, &err), &err);
}

void h_approval_link_decide(struct request *r)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    const char *decision, *comment;
    if (!opt_string(r, in, "decision", &decision) || !opt_string(r, in, "comment", &comment))
        return;
    if (!str_eq(decision, "approve") && !str_eq(decision, "reject")) {
        struct error err = {0};
        error_field(&err, ERR_INVALID, "decision", "field 'decision': 'approve' or 'reject'");
        reply_error(r, &err);
        return;
    }
    struct error err = {0};
    json_t *out = approval_link_decide(r->db, r->cfg->secret_key, r->code,
                                       str_eq(decision, "approve"), comment, &err);
    reply_made(r, 200, out, &err);
}

void h_calendar(struct request *r)
{
    struct error err = {0};
    struct calendar_filter f;
    if (calendar_filter_parse(&f, r->query, &err)) {
        reply_error(r, &err);
        return;
    }
    reply_made(r, 200, publish_calendar(r->db, r->ws, &f, &err), &err);
}

void h_calendar_feed_create(struct request *r)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    int64_t channel, campaign;
    if (!opt_id(r, in, "channel_id", &channel) || !opt_id(r, in, "campaign_id", &campaign))
        return;
    struct error err = {0};
    struct actor who = request_actor(r);
    reply_made(r, 201, calendar_feed_create(r->db, r->ws, channel, campaign, &who, &err), &err);
}

void h_calendar_ics(struct request *r)
{
    struct error err = {0};
    struct calendar_filter f;
    int64_t ws = 0;
    char name[512];
    if (calendar_feed_resolve(r->db, r->code, &f, &ws, name, sizeof name, &err)) {
        reply_error(r, &err);
        return;
    }
    struct buf out = {0};
    if (publish_ics(r->db, ws, &f, name, &out, &err)) {
        buf_free(&out);
        reply_error(r, &err);
        return;
    }
    r->status = 200;
    r->content_type = "text/calendar; charset=utf-8";
    buf_reset(&r->out);
    buf_append(&r->out, out.data, out.len);
    buf_free(&out);
}

/* ---- the scheduler's settings and the crisis switch ---------------------------- */

void h_publish_pauses(struct request *r)
{
    if (!request_params(r, NULL))
        return;
    struct error err = {0};
    reply_made(r, 200, publish_pauses(r->db, r->ws, time_now(), &err), &err);
}
