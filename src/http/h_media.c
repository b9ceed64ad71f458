/* /workspaces/{ws}/media: images uploaded for posts and actions. The body is
 * the image itself (Content-Type image/jpeg, png, gif or webp), not JSON or a
 * form, so that a 10 MB photo is not made a third larger; its description
 * comes as ?alt=. */
#include "http/internal.h"

#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

void h_media_create(struct request *r)
{
    const char *ctype = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type");
    if (!ctype || strncmp(ctype, "image/", 6) != 0) {
        reply_errorf(r, 415, "unsupported_media_type",
                     "send the image itself as the body, with Content-Type image/jpeg, "
                     "image/png, image/gif or image/webp (the description as ?alt=)");
        return;
    }
    char type[32];
    size_t n = strcspn(ctype, "; \t"); /* parameters such as charset say nothing here */
    snprintf(type, sizeof type, "%.*s", (int)(n < sizeof type ? n : sizeof type - 1), ctype);
    json_t *alt = json_object_get(r->query, "alt");
    struct media_in in = {.workspace_id = r->ws,
                          .data = r->body.data,
                          .len = r->body.len,
                          .content_type = type,
                          .alt = json_string_value(alt),
                          .created_by = r->user.id};
    struct error err = {0};
    int64_t id;
    struct media m;
    if (media_create(r->db, &in, time_now(), &id, &err) ||
        media_get(r->db, r->ws, id, false, &m, &err)) {
        reply_error(r, &err);
        return;
    }
    reply_json(r, 201, media_to_json(&m));
    media_clear(&m);
}

void h_media_get(struct request *r)
{
    struct media m;
    struct error err = {0};
    if (media_get(r->db, r->ws, r->id, false, &m, &err)) {
        reply_error(r, &err);
        return;
    }
    reply_json(r, 200, media_to_json(&m));
    media_clear(&m);
}
