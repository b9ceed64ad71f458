/* h_system: what operators and browsers fetch that is not the API: health,
 * Prometheus metrics and the embedded web UI. */
#include "http/internal.h"
#include "base/asset.h"
#include "links/links.h"

#include <stdio.h>
#include <string.h>

void h_healthz(struct request *r)
{
    struct error err = {0};
    int v = db_schema_version(r->db, &err);
    if (v < 0) {
        log_error("healthz: %s", err.msg);
        reply_json(r, 503, json_pack("{s:s, s:s}", "status", "unavailable", "db", "error"));
        return;
    }
    /* The version and schema tell an attacker which holes to try: only
     * for the operator. */
    if (!r->operator) {
        reply_json(r, 200, json_pack("{s:s, s:s}", "status", "ok", "db", "ok"));
        return;
    }
    reply_json(r, 200,
               json_pack("{s:s, s:s, s:i, s:s}", "status", "ok", "db", "ok", "schema", v, "version",
                         KANAL_VERSION));
}

/* A Prometheus label value: backslash, quote and line feed escaped, cut at
 * a character to about max bytes (a platform's message can be long). */
static void label_escape(struct buf *out, const char *s, size_t max)
{
    size_t n = 0;
    for (const char *p = s; *p; p++, n++) {
        if (n >= max && ((unsigned char)*p & 0xC0) != 0x80)
            break; /* at a character's start: never split one */
        if (*p == '\\' || *p == '"')
            buf_putc(out, '\\');
        if (*p == '\n') {
            buf_puts(out, "\\n");
            continue;
        }
        buf_putc(out, *p);
    }
}

void h_metrics(struct request *r)
{
    struct buf *out = &r->out;
    buf_reset(out);
    buf_printf(out,
               "# HELP kanal_build_info The running kanal's version.\n"
               "# TYPE kanal_build_info gauge\nkanal_build_info{version=\"%s\"} 1\n",
               KANAL_VERSION);
    metrics_render(r->srv->metrics, out);
    buf_printf(out,
               "# HELP kanal_clicks_lost_total Redirects answered whose click could not be "
               "logged.\n# TYPE kanal_clicks_lost_total counter\nkanal_clicks_lost_total %llu\n",
               (unsigned long long)clicklog_lost(r->srv->clicks));
    buf_printf(out,
               "# HELP kanal_clicks_pending Clicks logged and answered but not yet stored "
               "(they are stored in the background, behind the redirects).\n"
               "# TYPE kanal_clicks_pending gauge\nkanal_clicks_pending %lld\n",
               (long long)clicklog_pending(r->srv->clicks));
    int64_t counts[6];
    struct error err = {0};
    if (model_counts(r->db, counts, &err) == 0) {
        buf_puts(out, "# HELP kanal_rows Rows stored, by table.\n# TYPE kanal_rows gauge\n");
        for (int i = 0; i < 6; i++)
            buf_printf(out, "kanal_rows{table=\"%s\"} %lld\n", model_count_names[i],
                       (long long)counts[i]);
    }
    int64_t jobs[JOB_STATE_COUNT];
    if (job_counts(r->db, jobs, &err) == 0) {
        buf_puts(out, "# HELP kanal_jobs Background jobs, by state.\n# TYPE kanal_jobs gauge\n");
        for (int i = 0; i < JOB_STATE_COUNT; i++)
            buf_printf(out, "kanal_jobs{state=\"%s\"} %lld\n", job_state_names[i],
                       (long long)jobs[i]);
    }
    json_t *conns = connection_errors(r->db, &err);
    if (conns) {
        buf_puts(out, "# HELP kanal_channel_connected Connected channels, by state "
                      "(needs_reconnect: its jobs wait for a person).\n"
                      "# TYPE kanal_channel_connected gauge\n");
        size_t i;
        json_t *c;
        json_array_foreach (conns, i, c)
            buf_printf(out,
                       "kanal_channel_connected{channel=\"%lld\",platform=\"%s\",state=\"%s\"} 1\n",
                       (long long)json_integer_value(json_object_get(c, "channel_id")),
                       json_string_value(json_object_get(c, "platform")),
                       json_string_value(json_object_get(c, "state")));
        buf_puts(out, "# HELP kanal_channel_last_error_timestamp_seconds When a channel's last "
                      "sync or action failed, labelled with why.\n"
                      "# TYPE kanal_channel_last_error_timestamp_seconds gauge\n");
        json_array_foreach (conns, i, c) {
            const char *msg = json_string_value(json_object_get(c, "last_error"));
            if (!*msg)
                continue;
            buf_printf(
                out,
                "kanal_channel_last_error_timestamp_seconds{channel=\"%lld\",platform=\"%s\","
                "error=\"",
                (long long)json_integer_value(json_object_get(c, "channel_id")),
                json_string_value(json_object_get(c, "platform")));
            label_escape(out, msg, 200);
            buf_printf(out, "\"} %lld\n",
                       (long long)json_integer_value(json_object_get(c, "last_error_at")));
        }
        json_decref(conns);
    }
    r->status = 200;
    r->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

/* ---- the web UI ---------------------------------------------------------------------- */

void h_static(struct request *r)
{
    const char *name = r->url + 1;
    if (!*name)
        name = "index.html";
    else if (str_eq(name, "login"))
        name = "login.html";
    for (const struct asset *a = web_assets; a->name; a++) {
        if (str_eq(a->name, name)) {
            buf_reset(&r->out);
            buf_append(&r->out, a->data, a->len);
            r->status = 200;
            r->content_type = a->content_type;
            return;
        }
    }
    r->status = 404;
    r->content_type = "text/plain; charset=utf-8";
    buf_reset(&r->out);
    buf_puts(&r->out, "not found\n");
}
