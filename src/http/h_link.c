/* h_link: short links over HTTP: the public redirect /l/CODE, which logs
 * the click before it answers, and the workspace API to make links, list
 * them, print their QR codes and count their clicks. */
#include "http/internal.h"
#include "links/links.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void h_link_redirect(struct request *r)
{
    assert(r->srv->clicks && r->srv->links); /* made before the daemon starts */
    struct error err = {0};
    struct buf target = {0};
    int64_t id = 0;
    /* dispatch gives this handler no store handle: one is taken only when
     * the link is not in the cache. */
    int found = links_cached(r->srv->links, r->code, &id, &target);
    if (!found) {
        r->db = db_pool_get(r->srv->pool);
        found = links_resolve(r->srv->links, r->db, r->code, &id, &target, &err);
    }
    if (found == 2) { /* retired: no click, since it leads nowhere */
        buf_free(&target);
        reply_errorf(r, 410, "gone", "this link has been retired by the people who made it");
        return;
    }
    if (found <= 0) {
        buf_free(&target);
        if (found < 0)
            reply_error(r, &err);
        else /* the same answer for every unknown code: nothing to probe */
            reply_errorf(r, 404, "not_found", "no such link");
        return;
    }
    const char *ua = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "User-Agent");
    const char *ref = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Referer");
    struct click c = {.link_id = id, .at = time_now()};
    links_classify_ua(ua, &c.device, &c.bot);
    links_referrer_host(ref, c.referrer_host);
    links_visitor_hash(r->client, ua, c.at, c.visitor);
    /* Logged before answering, so an answered click survives a crash. If the
     * log cannot be written the reader still gets where they were going,
     * and the click log counts and reports the loss. */
    clicklog_append(r->srv->clicks, &c, &err);
    assert(id > 0 && target.len > 0);
    r->status = 302;
    r->content_type = "text/plain";
    buf_reset(&r->out);
    r->location = buf_steal(&target);
}

/* After an edit or a retirement the redirect must not serve this server's
 * cached target. */
static void reply_changed(struct request *r, json_t *out, struct error *err)
{
    if (out)
        links_cache_forget(r->srv->links, json_string_value(json_object_get(out, "code")));
    reply_made(r, 200, out, err);
}

void h_link_update(struct request *r)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    struct error err = {0};
    struct actor who = request_actor(r);
    reply_changed(r, links_update(r->db, r->ws, r->id, in, &who, &err), &err);
}

static void retire(struct request *r, bool retired)
{
    struct error err = {0};
    struct actor who = request_actor(r);
    json_t *out = NULL;
    if (link_retire(r->db, r->ws, r->id, retired, &who, &err) == 0)
        out = link_get(r->db, r->ws, r->id, &err);
    reply_changed(r, out, &err);
}

void h_link_retire(struct request *r)
{
    retire(r, true);
}

void h_link_restore(struct request *r)
{
    retire(r, false);
}

void h_link_preview(struct request *r)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    struct error err = {0};
    reply_made(r, 200, links_preview(r->db, r->ws, in, &err), &err);
}

void h_link_list(struct request *r)
{
    struct error err = {0};
    struct page pg;
    struct link_filter f;
    if (!request_page(r, &pg))
        return;
    json_t *out = NULL;
    if (link_filter_parse(&f, r->query, &err) == 0)
        out = link_list(r->db, r->ws, &f, &pg, &err);
    reply_made(r, 200, out, &err);
}

void h_link_stats(struct request *r)
{
    struct error err = {0};
    struct link_filter f;
    json_t *out = NULL;
    if (link_filter_parse(&f, r->query, &err) == 0)
        out =
            link_stats(r->db, r->ws, json_string_value(json_object_get(r->query, "by")), &f, &err);
    reply_made(r, 200, out, &err);
}

/* The absolute short URL a QR code must hold: the configured public URL,
 * else this request's Host. */
static bool short_url(struct request *r, struct buf *url)
{
    struct error err = {0};
    json_t *link = link_get(r->db, r->ws, r->id, &err);
    if (!link) {
        reply_error(r, &err);
        return false;
    }
    const char *base = r->cfg->public_url;
    const char *host = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Host");
    bool ok = base || (host && *host && strlen(host) < 256 &&
                       strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789.-:[]") == strlen(host));
    if (ok) {
        if (base)
            buf_puts(url, base);
        else
            buf_printf(url, "http://%s", host);
        while (url->len && url->data[url->len - 1] == '/')
            url->data[--url->len] = '\0';
        buf_puts(url, json_string_value(json_object_get(link, "short_path")));
    } else {
        reply_errorf(r, 400, "invalid",
                     "no usable Host header; start kanal with --public-url for QR codes");
    }
    json_decref(link);
    return ok;
}

static void reply_qr(struct request *r, bool png)
{
    static const char *const known[] = {"scale", NULL};
    if (!request_params(r, known))
        return;
    struct buf url = {0}, img = {0};
    struct error err = {0};
    int64_t scale = 10;
    const char *s = json_string_value(json_object_get(r->query, "scale"));
    if (s && (str_to_i64(s, &scale) || scale < 1 || scale > 40)) {
        reply_errorf(r, 400, "invalid", "parameter 'scale' must be from 1 to 40 pixels");
        return;
    }
    if (!short_url(r, &url))
        goto done;
    if ((png ? links_qr_png(url.data, (int)scale, &img, &err)
             : links_qr_svg(url.data, &img, &err))) {
        reply_error(r, &err);
        goto done;
    }
    r->status = 200;
    r->content_type = png ? "image/png" : "image/svg+xml";
    buf_reset(&r->out);
    buf_append(&r->out, img.data, img.len);
done:
    buf_free(&url);
    buf_free(&img);
}

void h_link_qr_svg(struct request *r)
{
    reply_qr(r, false);
}

void h_link_qr_png(struct request *r)
{
    reply_qr(r, true);
}
