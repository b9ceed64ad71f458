/* hooks: Meta's webhooks at /hooks/meta. GET answers the subscription
 * handshake; POST takes Page and Instagram changes, signed with the app
 * secret (X-Hub-Signature-256 over the raw body), and applies them to the
 * channel whose platform id is the entry's page or account id. */
#include "http/internal.h"
#include "ingest/ingest.h"

#include <sodium.h>
#include <string.h>

static const char *query(struct request *r, const char *name)
{
    return json_string_value(json_object_get(r->query, name));
}

void h_hooks_meta_verify(struct request *r)
{
    const char *want = r->cfg->meta_verify_token;
    if (!want || !*want) {
        reply_errorf(r, 503, "unavailable",
                     "Meta webhooks are not set up: start kanal serve with --meta-verify-token "
                     "(and --meta-app-secret)");
        return;
    }
    const char *mode = query(r, "hub.mode"), *token = query(r, "hub.verify_token"),
               *challenge = query(r, "hub.challenge");
    if (!mode || !str_eq(mode, "subscribe") || !challenge) {
        reply_errorf(r, 400, "invalid",
                     "expected hub.mode=subscribe, hub.verify_token and hub.challenge");
        return;
    }
    size_t n = strlen(want);
    if (!token || strlen(token) != n || sodium_memcmp(token, want, n) != 0) {
        log_warn("hooks/meta: subscription handshake with a wrong verify token");
        reply_errorf(r, 403, "denied", "hub.verify_token does not match kanal's");
        return;
    }
    /* Meta expects the challenge back verbatim, as plain text. */
    r->status = 200;
    r->content_type = "text/plain; charset=utf-8";
    buf_reset(&r->out);
    buf_puts(&r->out, challenge);
}

void h_hooks_meta_receive(struct request *r)
{
    const char *secret = r->cfg->meta_app_secret;
    if (!secret || !*secret) {
        reply_errorf(r, 503, "unavailable",
                     "Meta webhooks are not set up: start kanal serve with --meta-app-secret");
        return;
    }
    const char *sig = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Hub-Signature-256");
    if (!sig) {
        reply_errorf(r, 401, "unauthorized", "the X-Hub-Signature-256 header is missing");
        return;
    }
    if (!ingest_meta_signature_ok(sig, secret, r->body.data ? r->body.data : "", r->body.len)) {
        log_warn("hooks/meta: a request with a wrong signature was refused");
        reply_errorf(r, 403, "denied", "X-Hub-Signature-256 does not match the body");
        return;
    }
    struct import_job job = {
        .db = r->db,
        .target = {.workspace_id = 0, .channel_id = 0, .create_channels = false},
        .format = INGEST_META_WEBHOOK,
        .filename = "webhook"};
    struct ingest_counts c = {0};
    struct error err = {0};
    if (ingest_import(&job, r->body.data ? r->body.data : "", r->body.len, &c, &err)) {
        /* A payload kanal cannot read will not get better when Meta sends
         * it again: 400. A database failure might: 500, and Meta retries. */
        if (err.kind == ERR_INVALID) {
            log_warn("hooks/meta: %s", err.msg);
            reply_errorf(r, 400, "invalid", "%s", err.msg);
        } else {
            reply_error(r, &err);
        }
        return;
    }
    int64_t changed = 0, rejected = c.rejects;
    for (int e = 0; e < IE_COUNT; e++) {
        changed += c.inserted[e] + c.updated[e];
        rejected += c.rejected[e];
    }
    if (c.unknown_account || rejected)
        log_warn("hooks/meta: %lld entries for unknown pages, %lld changes not readable",
                 (long long)c.unknown_account, (long long)rejected);
    reply_json(r, 200,
               json_pack("{s:I, s:I, s:I}", "applied", (json_int_t)changed, "unknown_account",
                         (json_int_t)c.unknown_account, "rejected", (json_int_t)rejected));
}
