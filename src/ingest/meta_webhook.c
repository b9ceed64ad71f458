/* meta_webhook: Meta's webhook envelope, {object, entry[{id, time,
 * changes[{field, value}]}]}, for Page feed, mention and ratings changes and
 * Instagram comments, live comments and mentions. Adds and edits become
 * upserts, hide/unhide/remove become status changes; reactions and likes
 * are not messages and are skipped. */
#include "ingest/internal.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

bool ingest_meta_signature_ok(const char *header, const char *secret, const char *body, size_t len)
{
    if (!header || !secret || !*secret || !str_starts_with(header, "sha256="))
        return false;
    const char *hex = header + strlen("sha256=");
    unsigned char given[crypto_auth_hmacsha256_BYTES], mac[crypto_auth_hmacsha256_BYTES];
    size_t n = 0;
    if (strlen(hex) != 2 * sizeof given ||
        sodium_hex2bin(given, sizeof given, hex, strlen(hex), NULL, &n, NULL) != 0 ||
        n != sizeof given)
        return false;
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    return sodium_memcmp(given, mac, sizeof mac) == 0;
}

/* What a verb does to the thing it names: NULL for an upsert. */
static const char *verb_status(const char *verb)
{
    if (str_eq(verb, "hide") || str_eq(verb, "block"))
        return "hidden";
    if (str_eq(verb, "unhide") || str_eq(verb, "unblock"))
        return "open";
    if (str_eq(verb, "remove") || str_eq(verb, "delete"))
        return "removed";
    return NULL;
}

static const char *item_format(const char *item)
{
    if (str_eq(item, "photo"))
        return "photo";
    if (str_eq(item, "video"))
        return "video";
    if (str_eq(item, "share"))
        return "link";
    if (str_eq(item, "album"))
        return "carousel";
    return "status";
}

static void sender(struct pctx *pc, json_t *v, struct ingest_record *r)
{
    json_t *from = json_object_get(v, "from");
    r->author_name = from ? jstr(pc, from, "name") : jstr(pc, v, "sender_name");
    r->author_handle = from ? jstr(pc, from, "id") : jstr(pc, v, "sender_id");
    if (!r->author_name)
        r->author_name = jstr(pc, v, "reviewer_name");
    if (!r->author_handle)
        r->author_handle = jstr(pc, v, "reviewer_id");
}

static int message_change(struct pctx *pc, struct ingest_record *r, json_t *v, const char *verb)
{
    r->text_only = true;
    const char *status = verb_status(verb);
    /* A hide carries the text too: store it, so the hidden message is in the
     * inbox even if kanal never saw it added. */
    if (!status || (r->body && !str_eq(status, "removed"))) {
        if (!r->msg_id)
            return rec_reject(pc, r->where, "the change names no comment or post id");
        if (rec_emit(pc, r))
            return -1;
    }
    if (status) {
        r->kind = REC_MESSAGE_STATUS;
        r->status = status;
        return rec_emit(pc, r);
    }
    return 0;
}

static int page_change(struct pctx *pc, const char *page, int64_t time, const char *field,
                       json_t *v, const char *where)
{
    const char *item = json_string_value(json_object_get(v, "item"));
    const char *verb = json_string_value(json_object_get(v, "verb"));
    if (!item || !verb)
        return rec_reject(pc, where, "a %s change needs 'item' and 'verb'", field);
    if (str_eq(item, "reaction") || str_eq(item, "like") || str_eq(item, "event") ||
        str_eq(verb, "mute") || str_eq(verb, "unmute"))
        return 0; /* not posts or messages; counts come from insights */
    struct ingest_record r;
    rec_start(&r, REC_MESSAGE, "facebook", where);
    r.account_id = page;
    r.created_at = jtime(v, "created_time");
    if (!r.created_at)
        r.created_at = time;
    r.body = jstr(pc, v, "message");
    sender(pc, v, &r);
    r.post_id = jstr(pc, v, "post_id");
    if (str_eq(field, "ratings")) {
        if (str_eq(item, "rating")) {
            r.msg_kind = "review";
            r.msg_id = jstr(pc, v, "open_graph_story_id");
            r.body = jstr(pc, v, "review_text");
            r.post_id = NULL;
        } else {
            r.msg_kind = "reply";
            r.msg_id = jstr(pc, v, "comment_id");
            r.parent_msg_id = jstr(pc, v, "open_graph_story_id");
            r.post_id = NULL;
        }
        return message_change(pc, &r, v, verb);
    }
    if (str_eq(field, "mention")) {
        r.msg_kind = "mention";
        r.msg_id = str_eq(item, "comment") ? jstr(pc, v, "comment_id") : r.post_id;
        r.post_id = NULL; /* the mention is on someone else's post */
        return message_change(pc, &r, v, verb);
    }
    if (!str_eq(field, "feed"))
        return 0;
    if (str_eq(item, "comment") || str_eq(item, "reply")) {
        r.msg_id = jstr(pc, v, "comment_id");
        const char *parent = jstr(pc, v, "parent_id");
        /* A comment's parent is the post; a reply's parent is a comment. */
        if (parent && !(r.post_id && str_eq(parent, r.post_id)))
            r.parent_msg_id = parent;
        r.msg_kind = r.parent_msg_id ? "reply" : "comment";
        r.is_own = r.author_handle && str_eq(r.author_handle, page);
        return message_change(pc, &r, v, verb);
    }
    /* A post on the page: the page's own, or a visitor's (then a message). */
    if (!r.post_id) {
        char key[32];
        snprintf(key, sizeof key, "%s_id", item);
        const char *id = jstr(pc, v, key);
        if (id)
            r.post_id = arena_printf(&pc->arena, "%s_%s", page, id);
    }
    if (!r.post_id)
        return rec_reject(pc, where, "a %s change names no post_id", item);
    if (r.author_handle && !str_eq(r.author_handle, page)) {
        r.msg_kind = "mention";
        r.msg_id = r.post_id;
        r.post_id = NULL;
        return message_change(pc, &r, v, verb);
    }
    const char *status = verb_status(verb);
    r.kind = status ? REC_POST_STATUS : REC_POST;
    r.status = status;
    r.text_only = true;
    r.published_at = r.created_at;
    r.format = item_format(item);
    r.link_url = jstr(pc, v, "link");
    if (r.link_url && !str_starts_with(r.link_url, "http"))
        r.link_url = NULL;
    if (!str_eq(r.format, "link"))
        r.link_url = NULL;
    return rec_emit(pc, &r);
}

static int instagram_change(struct pctx *pc, const char *account, int64_t time, const char *field,
                            json_t *v, const char *where)
{
    struct ingest_record r;
    rec_start(&r, REC_MESSAGE, "instagram", where);
    r.account_id = account;
    r.created_at = time;
    static const char *const media_path[] = {"media", "id", NULL};
    json_t *media = jpath(v, media_path);
    r.post_id = json_is_string(media) ? json_string_value(media) : NULL;
    if (str_eq(field, "comments") || str_eq(field, "live_comments")) {
        r.msg_id = jstr(pc, v, "id");
        r.body = jstr(pc, v, "text");
        r.msg_kind = jstr(pc, v, "parent_id") ? "reply" : "comment";
        r.parent_msg_id = jstr(pc, v, "parent_id");
        json_t *from = json_object_get(v, "from");
        r.author_handle = jstr(pc, from, "username");
        r.author_name = r.author_handle;
    } else if (str_eq(field, "mentions")) {
        r.msg_kind = "mention";
        r.msg_id = jstr(pc, v, "comment_id");
        if (!r.msg_id)
            r.msg_id = jstr(pc, v, "media_id");
        r.post_id = NULL;
    } else {
        return 0;
    }
    if (!r.msg_id)
        return rec_reject(pc, where, "an Instagram %s change needs an id", field);
    r.text_only = true;
    return rec_emit(pc, &r);
}

int read_meta_webhook(struct pctx *pc, json_t *j, struct error *err)
{
    int rc = 0;
    const char *object = json_string_value(json_object_get(j, "object"));
    json_t *entries = json_object_get(j, "entry"), *e;
    if (!object || !json_is_array(entries)) {
        rc = error_set(err, ERR_INVALID, "$: a Meta webhook has 'object' and an 'entry' array");
        goto done;
    }
    bool ig = str_eq(object, "instagram");
    if (!ig && !str_eq(object, "page")) {
        rc = error_set(err, ERR_INVALID,
                       "$.object: '%.40s' is not a page or instagram subscription", object);
        goto done;
    }
    size_t i, k;
    json_array_foreach (entries, i, e) {
        const char *account = jstr(pc, e, "id");
        int64_t time = jtime(e, "time");
        json_t *changes = json_object_get(e, "changes"), *c;
        char where[96];
        snprintf(where, sizeof where, "$.entry[%zu]", i);
        if (!account) {
            if ((rc = rec_reject(pc, where, "an entry needs the page or account 'id'")))
                break;
            continue;
        }
        json_array_foreach (changes, k, c) {
            snprintf(where, sizeof where, "$.entry[%zu].changes[%zu]", i, k);
            const char *field = json_string_value(json_object_get(c, "field"));
            json_t *v = json_object_get(c, "value");
            /* A change of a page's settings (parking, payment_options,
             * hours, ...) says only which field changed, or its new value:
             * nothing kanal keeps. */
            bool settings = field && !ig && !str_eq(field, "feed") && !str_eq(field, "mention") &&
                            !str_eq(field, "ratings");
            if (field && (settings || !v || json_is_null(v)))
                continue;
            if (!field || !json_is_object(v))
                rc = rec_reject(pc, where, "a change needs 'field' and an object 'value'");
            else if (ig)
                rc = instagram_change(pc, account, time, field, v, where);
            else
                rc = page_change(pc, account, time, field, v, where);
            if (rc)
                goto done;
        }
    }
done:
    return rc;
}
