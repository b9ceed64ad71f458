/* h_listen: the listening desk's API: the stream of items read from the
 * workspace's sources, with the tag queries each matched. */
#include "http/internal.h"
#include "listen/listen.h"

void h_listen_items(struct request *r)
{
    struct error err = {0};
    struct page pg;
    if (!request_page(r, &pg))
        return;
    int64_t source = 0;
    const char *s = json_string_value(json_object_get(r->query, "source"));
    if (s && (str_to_i64(s, &source) || source < 1)) {
        error_field(&err, ERR_INVALID, "source", "parameter 'source' must be a source's id");
        reply_error(r, &err);
        return;
    }
    reply_made(r, 200, listen_items_list(r->db, r->ws, source, pg.limit, pg.cursor, &err), &err);
}
