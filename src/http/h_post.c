/* h_post: the API of posts and their per-channel variants. Authors may
 * draft and send for review; publishing states need an editor. */
#include "http/internal.h"
#include "publish/publish.h"

/* Statuses an author may set; the rest belong to the approving desk. */
static bool author_may_set(json_t *in)
{
    json_t *s = json_object_get(in, "status");
    if (s && !str_eq(json_string_value(s), "draft") && !str_eq(json_string_value(s), "in_review"))
        return false;
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get(in, "variants"), i, v) {
        json_t *vs = json_object_get(v, "status");
        if (vs && !str_eq(json_string_value(vs), "draft") &&
            !str_eq(json_string_value(vs), "in_review"))
            return false;
    }
    return true;
}

void h_post_list(struct request *r)
{
    struct error err = {0};
    struct page pg;
    struct post_filter f;
    if (!request_page(r, &pg))
        return;
    if (post_filter_parse(&f, r->query, &err)) {
        reply_error(r, &err);
        return;
    }
    json_t *out = post_list(r->db, r->ws, &f, &pg, &err);
    reply_made(r, 200, out, &err);
}

/* POST creates, PATCH updates: the same checks either way. */
static void post_write(struct request *r, bool create)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    struct error err = {0};
    if (r->user.role == ROLE_AUTHOR && !author_may_set(in)) {
        reply_errorf(r, 403, "forbidden", "an author may set status 'draft' or 'in_review' only");
        return;
    }
    struct actor who = request_actor(r);
    /* Each variant meets its platform's rules before anything is stored. */
    if (create ? publish_check_post(r->db, r->ws, in, &err)
               : publish_check_post_edit(r->db, r->ws, r->id, in, &err)) {
        reply_error(r, &err);
        return;
    }
    json_t *out = create ? post_create(r->db, r->ws, in, &who, &err)
                         : post_update(r->db, r->ws, r->id, in, &who, &err);
    reply_made(r, create ? 201 : 200, out, &err);
}

void h_post_create(struct request *r)
{
    post_write(r, true);
}

void h_post_update(struct request *r)
{
    post_write(r, false);
}
