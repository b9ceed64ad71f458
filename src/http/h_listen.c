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

void h_listen_item_get(struct request *r)
{
    struct error err = {0};
    reply_made(r, 200, listen_item_get(r->db, r->ws, r->id, &err), &err);
}

void h_listen_item_mark(struct request *r)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    struct error err = {0};
    struct actor who = request_actor(r);
    reply_made(r, 200, listen_item_mark(r->db, r->ws, r->id, in, &who, &err), &err);
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
