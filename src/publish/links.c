/* links: approval links for approvers without an account (a client, a
 * lawyer). The link names its row and carries an HMAC over what the row
 * says, so it can be neither guessed nor made from a copy of the database;
 * the row makes it single-use and revocable. */
#include "connect/connect.h"
#include "publish/publish.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAC_B64 43 /* 32 bytes, URL-safe base64 without padding */

static void link_mac(const struct vault_key *key, int64_t id, int64_t post, int64_t round,
                     int64_t expires, const char *nonce, char out[MAC_B64 + 1])
{
    unsigned char k[VAULT_KEY_BYTES], mac[crypto_auth_hmacsha256_BYTES];
    vault_key_derive(key, "kanal approval links v1", k);
    char msg[256];
    int n = snprintf(msg, sizeof msg, "%lld:%lld:%lld:%lld:%s", (long long)id, (long long)post,
                     (long long)round, (long long)expires, nonce);
    crypto_auth_hmacsha256(mac, (const unsigned char *)msg, (unsigned long long)n, k);
    sodium_memzero(k, sizeof k);
    sodium_bin2base64(out, MAC_B64 + 1, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

json_t *approval_link_create(struct db *db, const struct vault_key *key, int64_t ws,
                             int64_t post_id, const char *name, int64_t ttl,
                             const struct actor *who, struct error *err)
{
    if (!key) {
        error_set(err, ERR_INVALID,
                  "approval links need kanal's secret key (--secret-key-file or "
                  "KANAL_SECRET_KEY; `kanal secret-key` makes one)");
        return NULL;
    }
    if (ttl < 3600 || ttl > APPROVAL_TTL_MAX) {
        error_field(err, ERR_INVALID, "ttl", "ttl: from 3600 seconds (an hour) to %d (30 days)",
                    APPROVAL_TTL_MAX);
        return NULL;
    }
    if (name && !utf8_text(name, 0, 200)) {
        error_field(err, ERR_INVALID, "name", "name: at most 200 bytes of text");
        return NULL;
    }
    if (db_begin(db, err))
        return NULL;
    struct db_stmt *st =
        model_row(db, "post", post_id, err,
                  "SELECT status, review_round FROM posts WHERE id = ? AND workspace_id = ?", "ii",
                  post_id, ws);
    if (!st)
        goto fail;
    bool review = str_eq(db_col_text(st, 0), "in_review");
    int64_t round = db_col_int(st, 1);
    db_finalize(st);
    if (!review) {
        error_set(err, ERR_CONFLICT, "post %lld is not in review: there is nothing to approve",
                  (long long)post_id);
        goto fail;
    }
    unsigned char rnd[16];
    char nonce[33], mac[MAC_B64 + 1];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(nonce, sizeof nonce, rnd, sizeof rnd);
    int64_t now = time_now(), expires = now + ttl, id;
    if (db_insert(db, err, &id,
                  "INSERT INTO approval_links (post_id, round, name, nonce, expires_at, "
                  "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                  "iittiIi", post_id, round, name ? name : "", nonce, expires,
                  who->user_id ? &who->user_id : NULL, now))
        goto fail;
    link_mac(key, id, post_id, round, expires, nonce, mac);
    char token[APPROVAL_LINK_MAX + 1];
    int tn = snprintf(token, sizeof token, "%lld-%s", (long long)id, mac);
    if (tn < 0 || tn > APPROVAL_LINK_MAX) {
        error_set(err, ERR_INTERNAL, "approval link %lld does not fit its length", (long long)id);
        goto fail;
    }
    json_t *d = json_pack("{s:I, s:s, s:o}", "link_id", (json_int_t)id, "name", name ? name : "",
                          "expires_at", json_time(expires));
    if (audit_record_json(db, ws, who->user_id, "link_create", "post", post_id, d, err) ||
        db_commit(db, err))
        goto fail;
    return json_pack("{s:I, s:s, s:o, s:I}", "id", (json_int_t)id, "token", token, "expires_at",
                     json_time(expires), "post_id", (json_int_t)post_id);
fail:
    db_rollback(db);
    return NULL;
}

int approval_link_revoke(struct db *db, int64_t ws, int64_t link_id, const struct actor *who,
                         struct error *err)
{
    if (db_begin(db, err))
        return -1;
    int64_t post = 0;
    int found = db_scalar(db, err, &post,
                          "SELECT l.post_id FROM approval_links l JOIN posts p ON p.id = "
                          "l.post_id WHERE l.id = ? AND p.workspace_id = ?",
                          "ii", link_id, ws);
    if (found <= 0)
        model_no_row(found, "approval link", link_id, err);
    char detail[64];
    snprintf(detail, sizeof detail, "{\"link_id\":%lld}", (long long)link_id);
    return db_end(db,
                  found <= 0 ||
                      db_run(db, err,
                             "UPDATE approval_links SET revoked_at = ? WHERE id = ? AND "
                             "revoked_at IS NULL",
                             "ii", time_now(), link_id) < 0 ||
                      audit_record(db, ws, who->user_id, "link_revoke", "post", post, detail, err),
                  err);
}

struct link_row {
    int64_t id, post_id, ws, round, post_round, expires, created_by;
    bool used, revoked, in_review;
    char name[201];
};

/* Reads and verifies the link; every failure is one of the documented kinds. */
static int link_resolve(struct db *db, const struct vault_key *key, const char *token,
                        struct link_row *l, struct error *err)
{
    static const char bad[] = "this approval link is not valid: ask for a new one";
    if (!key)
        return error_set(err, ERR_NOT_FOUND, "%s", bad);
    const char *dash = token ? strchr(token, '-') : NULL;
    if (!dash || strlen(dash + 1) != MAC_B64 || dash - token > 19)
        return error_set(err, ERR_NOT_FOUND, "%s", bad);
    char idpart[20];
    snprintf(idpart, sizeof idpart, "%.*s", (int)(dash - token), token);
    int64_t id;
    if (str_to_i64(idpart, &id) || id <= 0)
        return error_set(err, ERR_NOT_FOUND, "%s", bad);
    struct db_stmt *st;
    int found =
        db_row(db, err, &st,
               "SELECT l.post_id, p.workspace_id, l.round, p.review_round, l.expires_at, l.nonce, "
               "CASE WHEN l.used_at IS NULL THEN 0 ELSE 1 END, "
               "CASE WHEN l.revoked_at IS NULL THEN 0 ELSE 1 END, "
               "CASE WHEN p.status = 'in_review' THEN 1 ELSE 0 END, l.name, "
               "COALESCE(p.created_by, 0) FROM approval_links l JOIN posts p ON p.id = l.post_id "
               "WHERE l.id = ?",
               "i", id);
    if (found <= 0)
        return found < 0 ? -1 : error_set(err, ERR_NOT_FOUND, "%s", bad);
    l->id = id;
    l->post_id = db_col_int(st, 0);
    l->ws = db_col_int(st, 1);
    l->round = db_col_int(st, 2);
    l->post_round = db_col_int(st, 3);
    l->expires = db_col_int(st, 4);
    char mac[MAC_B64 + 1];
    link_mac(key, id, l->post_id, l->round, l->expires, db_col_text(st, 5), mac);
    l->used = db_col_int(st, 6) != 0;
    l->revoked = db_col_int(st, 7) != 0;
    l->in_review = db_col_int(st, 8) != 0;
    snprintf(l->name, sizeof l->name, "%s", db_col_text(st, 9));
    l->created_by = db_col_int(st, 10);
    db_finalize(st);
    if (sodium_memcmp(mac, dash + 1, MAC_B64) != 0)
        return error_set(err, ERR_NOT_FOUND, "%s", bad);
    if (l->revoked)
        return error_set(err, ERR_DENIED, "this approval link was revoked");
    if (l->expires <= time_now())
        return error_set(err, ERR_DENIED, "this approval link expired");
    if (l->used)
        return error_set(err, ERR_CONFLICT, "this approval link was already used");
    if (l->round != l->post_round || !l->in_review)
        return error_set(err, ERR_CONFLICT,
                         "the post changed since this link was made: ask for a new link");
    return 0;
}

/* The link's post as its approver sees it, before and after deciding: the
 * text and the variants, not who wrote them. */
static json_t *approver_view(struct db *db, const struct link_row *l, struct error *err)
{
    json_t *post = post_get(db, l->ws, l->post_id, err);
    if (post)
        json_object_del(post, "created_by");
    return post;
}

json_t *approval_link_open(struct db *db, const struct vault_key *key, const char *token,
                           struct error *err)
{
    struct link_row l;
    if (link_resolve(db, key, token, &l, err))
        return NULL;
    json_t *post = approver_view(db, &l, err);
    if (!post)
        return NULL;
    return json_pack("{s:o, s:s, s:o, s:I}", "post", post, "name", l.name, "expires_at",
                     json_time(l.expires), "round", (json_int_t)l.round);
}

json_t *approval_link_decide(struct db *db, const struct vault_key *key, const char *token,
                             bool approve, const char *comment, struct error *err)
{
    if (comment && !utf8_text(comment, 0, 4000)) {
        error_field(err, ERR_INVALID, "comment", "comment: at most 4000 bytes of text");
        return NULL;
    }
    struct link_row l;
    if (db_begin(db, err))
        return NULL;
    /* The post's lock first, so that two uses at once are serialised and the
     * second reads the link as used. */
    if (db_run(db, err,
               "UPDATE posts SET updated_at = updated_at WHERE id = "
               "(SELECT post_id FROM approval_links WHERE id = ?)",
               "i", (int64_t)strtoll(token ? token : "0", NULL, 10)) < 0)
        goto fail;
    if (link_resolve(db, key, token, &l, err))
        goto fail;
    int64_t n = db_run(db, err,
                       "UPDATE approval_links SET used_at = ? WHERE id = ? AND used_at IS NULL "
                       "AND revoked_at IS NULL",
                       "ii", time_now(), l.id);
    if (n < 0)
        goto fail;
    if (n == 0) {
        error_set(err, ERR_CONFLICT, "this approval link was already used");
        goto fail;
    }
    if (publish_decide_link(db, l.ws, l.post_id, l.id, approve, comment, err))
        goto fail;
    if (db_commit(db, err))
        goto fail;
    json_t *post = approver_view(db, &l, err);
    if (!post)
        return NULL;
    return json_pack("{s:s, s:o}", "decision", approve ? "approve" : "reject", "post", post);
fail:
    db_rollback(db);
    return NULL;
}
