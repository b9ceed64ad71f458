/* h_user: users and the audit log (admins only), a user's own password, and
 * each user's own API tokens. A token's secret is in the answer to its
 * creation and nowhere else, ever. */
#include "demo/demo.h"
#include "http/internal.h"

#include <string.h>

void h_user_list(struct request *r)
{
    if (!request_params(r, NULL))
        return;
    struct error err = {0};
    json_t *out = user_list(r->db, &err);
    reply_made(r, 200, out, &err);
}

/* ERR_INVALID unless every member of `in` is one of `known` and, for the
 * first `strings` of them, a string. */
static int fields_known(json_t *in, const char *const *known, size_t strings, struct error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach (in, key, v) {
        int i = str_index(known, key);
        if (i < 0)
            return error_field(err, ERR_INVALID, key, "unknown field '%s'", key);
        if ((size_t)i < strings && !json_is_string(v))
            return error_field(err, ERR_INVALID, key, "field '%s': expected a string", key);
    }
    return 0;
}

void h_user_create(struct request *r)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    static const char *const known[] = {"email", "name", "role", "password", NULL};
    struct error err = {0};
    if (fields_known(in, known, 4, &err))
        goto fail;
    int64_t id = 0;
    if (user_create(r->db, json_string_value(json_object_get(in, "email")),
                    json_string_value(json_object_get(in, "name")),
                    json_string_value(json_object_get(in, "role")),
                    json_string_value(json_object_get(in, "password")), &id, &err))
        goto fail;
    struct user u;
    if (user_get(r->db, id, &u, &err))
        goto fail;
    reply_json(r, 201, user_to_json(&u));
    return;
fail:
    reply_error(r, &err);
}

/* GET /tokens lists your own; GET /users/{id}/tokens (admin) someone's. */
void h_token_list(struct request *r)
{
    if (!request_params(r, NULL))
        return;
    struct error err = {0};
    int64_t whose = r->id ? r->id : r->user.id;
    struct user u;
    json_t *out =
        r->id && user_get(r->db, whose, &u, &err) ? NULL : api_token_list(r->db, whose, &err);
    reply_made(r, 200, out, &err);
}

/* expires_at (ISO 8601) or expires_in_days (a whole number), or neither:
 * a token that never expires. */
static int token_expiry(json_t *in, int64_t *expires_at, struct error *err)
{
    json_t *at = json_object_get(in, "expires_at"), *days = json_object_get(in, "expires_in_days");
    *expires_at = 0;
    if (at && days)
        return error_set(err, ERR_INVALID, "send expires_at or expires_in_days, not both");
    if (at && (!json_is_string(at) || time_parse_iso(json_string_value(at), expires_at)))
        return error_field(err, ERR_INVALID, "expires_at",
                           "expires_at must be an ISO 8601 date or time");
    if (days) {
        json_int_t n = json_is_integer(days) ? json_integer_value(days) : 0;
        if (n < 1 || n > TOKEN_LIFE_MAX / 86400)
            return error_field(err, ERR_INVALID, "expires_in_days",
                               "expires_in_days must be a whole number from 1 to %d",
                               TOKEN_LIFE_MAX / 86400);
        *expires_at = time_now() + (int64_t)n * 86400;
    }
    return 0;
}

void h_token_create(struct request *r)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    struct error err = {0};
    json_t *name = json_object_get(in, "name");
    static const char *const known[] = {"name", "expires_at", "expires_in_days", NULL};
    if (fields_known(in, known, 1, &err))
        goto fail;
    if (!json_is_string(name)) {
        error_field(&err, ERR_INVALID, "name", "send {\"name\": \"...\"} to name the token");
        goto fail;
    }
    char token[API_TOKEN_LEN + 1];
    int64_t id = 0, expires_at = 0;
    if (token_expiry(in, &expires_at, &err) ||
        api_token_create(r->db, r->user.id, json_string_value(name), expires_at, token, &id, &err))
        goto fail;
    char expires[21] = "";
    if (expires_at)
        time_format_iso(expires_at, expires);
    reply_json(r, 201,
               json_pack("{s:I, s:O, s:s, s:o}", "id", (json_int_t)id, "name", name, "token", token,
                         "expires_at", expires_at ? json_string(expires) : json_null()));
    return;
fail:
    reply_error(r, &err);
}

void h_token_revoke(struct request *r)
{
    struct error err = {0};
    reply_done(r, api_token_revoke(r->db, r->user.id, r->id, &err), "revoked", &err);
}

/* ---- an admin's changes to users, and the audit log ------------------------------------ */

/* Replies with user r->id as it now is, or the error. */
static void reply_user(struct request *r, int rc, struct error *err)
{
    struct user u;
    if (rc == 0 && user_get(r->db, r->id, &u, err) == 0)
        reply_json(r, 200, user_to_json(&u));
    else
        reply_error(r, err);
}

void h_user_update(struct request *r)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    struct error err = {0};
    struct actor who = request_actor(r);
    int rc = user_update(r->db, r->id, in, &who, &err);
    reply_user(r, rc, &err);
}

/* The string member `key` of `in` (whose members must be `keys`, all
 * strings), or NULL after replying 400. */
static const char *only_string(struct request *r, json_t *in, const char *const *keys,
                               const char *key)
{
    struct error err = {0};
    size_t n = 0;
    while (keys[n])
        n++;
    if (fields_known(in, keys, n, &err)) {
        reply_error(r, &err);
        return NULL;
    }
    const char *s = json_string_value(json_object_get(in, key));
    if (!s)
        reply_errorf(r, 400, "invalid", "field '%s' is required", key);
    return s;
}

void h_user_password_reset(struct request *r)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    static const char *const keys[] = {"password", NULL};
    const char *password = only_string(r, in, keys, "password");
    struct error err = {0};
    struct actor who = request_actor(r);
    if (password)
        reply_user(r, user_set_password(r->db, r->id, NULL, password, &who, &err), &err);
}

void h_session_password(struct request *r)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    static const char *const keys[] = {"password", "old_password", NULL};
    const char *password = only_string(r, in, keys, "password");
    const char *old = password ? only_string(r, in, keys, "old_password") : NULL;
    struct error err = {0};
    struct actor who = request_actor(r);
    if (old) {
        if (user_set_password(r->db, r->user.id, old, password, &who, &err))
            reply_error(r, &err);
        else
            reply_json(r, 200, json_pack("{s:b}", "changed", 1));
    }
}

void h_user_revoke(struct request *r)
{
    struct error err = {0};
    struct actor who = request_actor(r);
    reply_user(r, user_revoke_access(r->db, r->id, &who, &err), &err);
}

void h_audit_list(struct request *r)
{
    struct error err = {0};
    struct page pg;
    struct audit_filter f;
    if (!request_page(r, &pg))
        return;
    json_t *out = audit_filter_parse(&f, r->query, &err) ? NULL : audit_list(r->db, &f, &pg, &err);
    reply_made(r, 200, out, &err);
}

void user_warn_demo_password(struct db *db)
{
    struct user u;
    if (user_authenticate(db, DEMO_EMAIL, DEMO_PASSWORD, &u, NULL) == 0)
        log_warn("the demo admin %s still has the demo's published password: anyone who has "
                 "read the README can sign in as admin; change it (kanal user reset-password "
                 "--email %s --password-stdin) or disable the user",
                 DEMO_EMAIL, DEMO_EMAIL);
}
