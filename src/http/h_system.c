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
