/* h_listen: the listening desk's API: the stream of items read from the
 * workspace's sources (filtered), an item marked relevant or not, an item
 * sent to a team as an inbox task, and the period's analytics. */
#include "http/internal.h"
#include "listen/listen.h"

void h_listen_items(struct request *r)
{
    struct error err = {0};
    struct page pg;
    struct listen_filter f;
    if (!request_page(r, &pg))
        return;
    if (listen_filter_parse(r->db, r->ws, r->query, false, &f, &err)) {
        reply_error(r, &err);
        return;
    }
    if (f.n_compare) {
        error_field(&err, ERR_INVALID, "compare", "'compare' is a parameter of the analytics");
        reply_error(r, &err);
        return;
    }
    reply_made(r, 200, listen_items_list(r->db, r->ws, &f, pg.limit, pg.cursor, &err), &err);
}

void h_listen_item_task(struct request *r)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    struct error err = {0};
    struct actor who = request_actor(r);
    bool created = false;
    json_t *out = listen_item_task(r->db, r->ws, r->id, in, &who, &created, &err);
    reply_made(r, created ? 201 : 200, out, &err);
}

void h_listen_analytics(struct request *r)
{
    struct error err = {0};
    struct listen_filter f;
    if (listen_filter_parse(r->db, r->ws, r->query, true, &f, &err)) {
        reply_error(r, &err);
        return;
    }
    reply_made(r, 200, listen_analytics(r->db, r->ws, &f, &err), &err);
}

/* ---- sources ---------------------------------------------------------------------- */

/* 201 {"id": ID} for the row an add made (rc 0), else its error. */
static void reply_added(struct request *r, int rc, int64_t id, const struct error *err)
{
    reply_made(r, 201, rc < 0 ? NULL : json_pack("{s:I}", "id", (json_int_t)id), err);
}

/* A string member or NULL; false (and a 400) when it is there and not one. */
static bool opt_string(struct request *r, json_t *o, const char *key, const char **out)
{
    json_t *v = json_object_get(o, key);
    *out = json_string_value(v);
    if (v && !json_is_null(v) && !json_is_string(v)) {
        reply_errorf(r, 400, "invalid", "%s: expected a string", key);
        return false;
    }
    return true;
}

void h_listen_source_add(struct request *r)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    struct listen_source_in s = {.interval_s = 900};
    json_t *interval = json_object_get(in, "interval");
    if (interval && !json_is_integer(interval)) {
        reply_errorf(r, 400, "invalid", "interval: expected seconds (60 to 604800)");
        return;
    }
    if (interval)
        s.interval_s = json_integer_value(interval);
    json_t *sel = json_object_get(in, "selectors");
    if (sel && !json_is_null(sel) && !json_is_object(sel)) {
        reply_errorf(r, 400, "invalid",
                     "selectors: expected an object {item, title, link, time, author}");
        return;
    }
    if (!opt_string(r, in, "url", &s.url) || !opt_string(r, in, "kind", &s.format) ||
        !opt_string(r, sel, "item", &s.selectors.item) ||
        !opt_string(r, sel, "title", &s.selectors.title) ||
        !opt_string(r, sel, "link", &s.selectors.link) ||
        !opt_string(r, sel, "time", &s.selectors.time) ||
        !opt_string(r, sel, "author", &s.selectors.author))
        return;
    struct error err = {0};
    int64_t id = 0;
    int rc = listen_source_add(r->db, r->ws, &s, &id, &err);
    reply_added(r, rc, id, &err);
}

/* ---- alerts ------------------------------------------------------------------------ */

void h_listen_alert_add(struct request *r)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    struct listen_alert_in a = {0};
    if (!opt_string(r, in, "tag", &a.tag) || !opt_string(r, in, "mode", &a.mode) ||
        !opt_string(r, in, "via", &a.via) || !opt_string(r, in, "email_to", &a.email_to))
        return;
    struct error err = {0};
    int64_t id = 0;
    int rc = listen_alert_add(r->db, r->ws, &a, r->user.id, &id, &err);
    reply_added(r, rc, id, &err);
}

/* {muted: bool} and/or {snoozed_until: "ISO time" | null}. */
void h_listen_alert_set(struct request *r)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    int muted = -1;
    int64_t until = -1;
    json_t *m = json_object_get(in, "muted");
    if (m && !json_is_boolean(m)) {
        reply_errorf(r, 400, "invalid", "muted: expected true or false");
        return;
    }
    if (m)
        muted = json_is_true(m);
    json_t *s = json_object_get(in, "snoozed_until");
    if (s && json_is_null(s))
        until = 0;
    else if (s &&
             (!json_is_string(s) || time_parse_iso(json_string_value(s), &until) || until < 1)) {
        reply_errorf(r, 400, "invalid",
                     "snoozed_until: expected a time as 2026-01-31T08:00:00Z, or null");
        return;
    }
    if (!m && !s) {
        reply_errorf(r, 400, "invalid", "give muted and/or snoozed_until");
        return;
    }
    struct error err = {0};
    if (listen_alert_set(r->db, r->ws, r->id, muted, until, &err) < 0)
        reply_error(r, &err);
    else
        reply_made(r, 200, listen_alerts_list(r->db, r->ws, &err), &err);
}

void h_listen_alert_events(struct request *r)
{
    static const char *const known[] = {"alert", "limit", NULL};
    if (!request_params(r, known))
        return;
    struct error err = {0};
    int64_t alert = 0, limit = 50;
    const char *a = json_string_value(json_object_get(r->query, "alert"));
    const char *l = json_string_value(json_object_get(r->query, "limit"));
    if ((a && (str_to_i64(a, &alert) || alert < 1)) ||
        (l && (str_to_i64(l, &limit) || limit < 1 || limit > 200))) {
        reply_errorf(r, 400, "invalid", "alert: an alert's id; limit: 1 to 200");
        return;
    }
    reply_made(r, 200, listen_alert_events(r->db, r->ws, alert, (int)limit, &err), &err);
}
