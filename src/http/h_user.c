/* h_user: users (admins only) and each user's own API tokens. A token's
 * secret is in the answer to its creation and nowhere else, ever. */
#include "http/internal.h"

#include <string.h>

void h_user_list(struct request *r)
{
    struct error err = {0};
    json_t *out = user_list(r->db, &err);
    out ? reply_json(r, 200, out) : reply_error(r, &err);
}

void h_user_create(struct request *r)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    static const char *const known[] = {"email", "name", "role", "password", NULL};
    struct error err = {0};
    const char *key;
    json_t *v;
    json_object_foreach (in, key, v) {
        bool ok = false;
        for (const char *const *k = known; *k; k++)
            ok |= str_eq(*k, key);
        if (!ok) {
            error_field(&err, ERR_INVALID, key, "unknown field '%s' for a user", key);
            goto fail;
        }
        if (!json_is_string(v)) {
            error_field(&err, ERR_INVALID, key, "field '%s': expected a string", key);
            goto fail;
        }
    }
    int64_t id = 0;
    if (user_create(r->db, json_string_value(json_object_get(in, "email")),
                    json_string_value(json_object_get(in, "name")),
                    json_string_value(json_object_get(in, "role")),
                    json_string_value(json_object_get(in, "password")), &id, &err))
        goto fail;
    struct user u;
    if (user_get(r->db, id, &u, &err))
        goto fail;
    json_decref(in);
    reply_json(r, 201, user_to_json(&u));
    return;
fail:
    json_decref(in);
    reply_error(r, &err);
}

void h_token_list(struct request *r)
{
    struct error err = {0};
    json_t *out = api_token_list(r->db, r->user.id, &err);
    out ? reply_json(r, 200, out) : reply_error(r, &err);
}

void h_token_create(struct request *r)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    struct error err = {0};
    json_t *name = json_object_get(in, "name");
    if (json_object_size(in) != 1 || !json_is_string(name)) {
        json_decref(in);
        reply_errorf(r, 400, "invalid", "send {\"name\": \"...\"} to name the token");
        return;
    }
    char token[API_TOKEN_LEN + 1];
    int64_t id = 0;
    if (api_token_create(r->db, r->user.id, json_string_value(name), token, &id, &err)) {
        json_decref(in);
        reply_error(r, &err);
        return;
    }
    reply_json(r, 201,
               json_pack("{s:I, s:O, s:s}", "id", (json_int_t)id, "name", name, "token", token));
    json_decref(in);
}

void h_token_revoke(struct request *r)
{
    struct error err = {0};
    if (api_token_revoke(r->db, r->user.id, r->id, &err))
        reply_error(r, &err);
    else
        reply_json(r, 200, json_pack("{s:b}", "revoked", 1));
}
