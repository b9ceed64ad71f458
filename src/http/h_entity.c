/* h_entity: the API of workspaces, channels, campaigns and tags. The route
 * names the entity; the model's field tables do the rest. */
#include "http/internal.h"
#include "listen/listen.h"

#include <assert.h>

static int64_t scope(const struct request *r)
{
    assert(r->entity); /* only routes that name an entity lead here */
    return r->entity == &entity_workspace ? 0 : r->ws;
}

static int64_t target(const struct request *r)
{
    assert(r->entity && r->ws > 0);
    return r->entity == &entity_workspace ? r->ws : r->id;
}

void h_entity_list(struct request *r)
{
    struct error err = {0};
    struct page pg;
    if (!request_page(r, &pg))
        return;
    json_t *out = entity_list(r->db, r->entity, scope(r), r->query, &pg, &err);
    if (out && r->entity == &entity_channel) {
        size_t i;
        json_t *ch;
        json_array_foreach (json_object_get(out, "items"), i, ch)
            if (connection_annotate(r->db, ch, &err)) {
                json_decref(out);
                out = NULL;
                break;
            }
    }
    reply_made(r, 200, out, &err);
}

void h_entity_get(struct request *r)
{
    struct error err = {0};
    json_t *out = entity_get(r->db, r->entity, scope(r), target(r), &err);
    if (out && r->entity == &entity_channel && connection_annotate(r->db, out, &err)) {
        json_decref(out);
        out = NULL;
    }
    reply_made(r, 200, out, &err);
}

/* A tag's rule is also a listening query: a new or changed one is run over
 * the items already stored, so the stream shows what it means now. The
 * tag is saved either way; a store failure here is logged. */
static void rematch(struct request *r, const json_t *in, const json_t *out)
{
    if (r->entity != &entity_tag || !out || !json_object_get(in, "rule"))
        return;
    struct error err = {0};
    int64_t tag = (int64_t)json_integer_value(json_object_get(out, "id"));
    if (listen_query_rematch(r->db, r->ws, tag, &err) < 0)
        log_warn("tag %lld: its query was not run over the stored items: %s", (long long)tag,
                 err.msg);
}

/* A new row from the body (201), or the body's changes to the path's row. */
static void entity_write(struct request *r, bool update)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    struct error err = {0};
    struct actor who = request_actor(r);
    json_t *out = update ? entity_update(r->db, r->entity, scope(r), target(r), in, &who, &err)
                         : entity_create(r->db, r->entity, scope(r), in, &who, &err);
    rematch(r, in, out);
    reply_made(r, update ? 200 : 201, out, &err);
}

void h_entity_create(struct request *r)
{
    entity_write(r, false);
}

void h_entity_update(struct request *r)
{
    entity_write(r, true);
}

void h_entity_delete(struct request *r)
{
    struct error err = {0};
    struct actor who = request_actor(r);
    reply_done(r, entity_delete(r->db, r->entity, scope(r), target(r), &who, &err), "deleted",
               &err);
}

void h_tag_rule_test(struct request *r)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    struct error err = {0};
    reply_made(r, 200, tag_rule_test(r->db, r->ws, in, &err), &err);
}
