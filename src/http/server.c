/* server: the libmicrohttpd daemon, the request lifecycle, the route table
 * with the access each route demands, authentication (session cookie with
 * CSRF token, or Bearer API token) and the reply helpers. */
#include "http/internal.h"
#include "analytics/analytics.h"
#include "connect/connect.h"
#include "ingest/enrich.h"
#include "links/links.h"
#include "listen/listen.h"
#include "notify/notify.h"
#include "publish/publish.h"

#include <arpa/inet.h>
#include <assert.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- routes --------------------------------------------------------------------- */

struct route {
    const char *method;
    const char *pattern; /* ":id" matches a positive integer, ":ws" an id or slug */
    handler_fn fn;
    enum access access;
    const struct route_call *call; /* h_entity.c's resource, or the model call of a row below */
};

/* The five routes of a resource that h_entity.c serves: whoever is signed
 * in reads it, `write` may make, change and delete. */
#define WS "/api/v1/workspaces/:ws"
/* clang-format off */
#define ENTITY_ROUTES(list, item, res, write)                                             \
    {"GET", list, h_entity_list, ACC_SIGNED, &(const struct route_call){.entity = &res}}, \
    {"POST", list, h_entity_create, write, &(const struct route_call){.entity = &res}},   \
    {"GET", item, h_entity_get, ACC_SIGNED, &(const struct route_call){.entity = &res}},  \
    {"PATCH", item, h_entity_update, write, &(const struct route_call){.entity = &res}},  \
    {"DELETE", item, h_entity_delete, write, &(const struct route_call){.entity = &res}}
/* A route answered by one model call and nothing else: a read of the
 * workspace's or its row's (200 with the answer), a body handed to the
 * call as the request's actor (`status` with the answer; CODE_ and VID_
 * also hand over the route's :code or :vid under the row), or a removal
 * (200 {KEY: true}; CODE_ID_DONE's :code is an id, WHO's as the 404 says
 * when it is not one; ROW_REMOVE's call takes no actor). */
#define WS_GET(path, fn, access) \
    {"GET", path, h_call_read, access, &(const struct route_call){.ws_get = fn}}
#define ROW_GET(path, fn, access) \
    {"GET", path, h_call_read, access, &(const struct route_call){.row_get = fn}}
#define WS_CALL(method, path, fn, st, access) \
    {method, path, h_call_write, access, &(const struct route_call){.ws_call = fn, .status = st}}
#define ROW_CALL(method, path, fn, st, access) \
    {method, path, h_call_write, access, &(const struct route_call){.row_call = fn, .status = st}}
#define CODE_CALL(method, path, fn, st, access) \
    {method, path, h_call_write, access, &(const struct route_call){.code_call = fn, .status = st}}
#define VID_CALL(method, path, fn, st, access) \
    {method, path, h_call_write, access, &(const struct route_call){.vid_call = fn, .status = st}}
#define ROW_DONE(method, path, fn, k, access) \
    {method, path, h_call_done, access, &(const struct route_call){.row_done = fn, .key = k}}
#define CODE_DONE(method, path, fn, k, access) \
    {method, path, h_call_done, access, &(const struct route_call){.code_done = fn, .key = k}}
#define CODE_ID_DONE(method, path, fn, who, k, access) \
    {method, path, h_call_done, access, \
     &(const struct route_call){.code_id_done = fn, .whose = who, .key = k}}
#define ROW_REMOVE(method, path, fn, k, access) \
    {method, path, h_call_done, access, &(const struct route_call){.row_remove = fn, .key = k}}
/* clang-format on */

static const struct route routes[] = {
    {"GET", "/healthz", h_healthz, ACC_PUBLIC, NULL},
    {"GET", "/metrics", h_metrics, ACC_OPERATOR, NULL},
    {"POST", "/api/v1/session", h_session_create, ACC_PUBLIC, NULL},
    {"GET", "/api/v1/session", h_session_get, ACC_SIGNED, NULL},
    {"DELETE", "/api/v1/session", h_session_delete, ACC_SIGNED, NULL},
    {"GET", "/api/v1/users", h_user_list, ACC_ADMIN, NULL},
    {"POST", "/api/v1/users", h_user_create, ACC_ADMIN, NULL},
    {"PATCH", "/api/v1/users/:id", h_user_update, ACC_ADMIN, NULL},
    {"POST", "/api/v1/users/:id/password", h_user_password_reset, ACC_ADMIN, NULL},
    {"POST", "/api/v1/users/:id/revoke", h_user_revoke, ACC_ADMIN, NULL},
    {"GET", "/api/v1/users/:id/tokens", h_token_list, ACC_ADMIN, NULL},
    {"POST", "/api/v1/session/password", h_session_password, ACC_SIGNED, NULL},
    {"GET", "/api/v1/audit", h_audit_list, ACC_ADMIN, NULL},
    {"GET", "/api/v1/tokens", h_token_list, ACC_SIGNED, NULL},
    {"POST", "/api/v1/tokens", h_token_create, ACC_SIGNED, NULL},
    {"DELETE", "/api/v1/tokens/:id", h_token_revoke, ACC_SIGNED, NULL},
    ENTITY_ROUTES("/api/v1/workspaces", "/api/v1/workspaces/:ws", entity_workspace, ACC_ADMIN),
    ENTITY_ROUTES(WS "/channels", WS "/channels/:id", entity_channel, ACC_EDIT),
    {"GET", "/api/v1/workspaces/:ws/channels/:id/connection", h_connection_get, ACC_SIGNED, NULL},
    {"GET", "/api/v1/workspaces/:ws/channels/:id/actions", h_action_list, ACC_SIGNED, NULL},
    {"POST", "/api/v1/workspaces/:ws/channels/:id/actions", h_action_create, ACC_MODERATE, NULL},
    {"POST", "/api/v1/workspaces/:ws/media", h_media_create, ACC_MODERATE, NULL},
    {"GET", "/api/v1/workspaces/:ws/media/:id", h_media_get, ACC_SIGNED, NULL},
    ENTITY_ROUTES(WS "/campaigns", WS "/campaigns/:id", entity_campaign, ACC_EDIT),
    {"POST", "/api/v1/workspaces/:ws/tags/test", h_tag_rule_test, ACC_SIGNED, NULL},
    ENTITY_ROUTES(WS "/tags", WS "/tags/:id", entity_tag, ACC_EDIT),
    ENTITY_ROUTES(WS "/teams", WS "/teams/:id", entity_team, ACC_EDIT),
    ROW_GET(WS "/teams/:id/members", team_member_list, ACC_SIGNED),
    /* Moderators say who of them is on duty; :code is the member's user id. */
    {"PUT", "/api/v1/workspaces/:ws/teams/:id/members/:code", h_team_member_put, ACC_MODERATE,
     NULL},
    CODE_ID_DONE("DELETE", WS "/teams/:id/members/:code", team_member_remove, "a user's", "deleted",
                 ACC_MODERATE),
    ENTITY_ROUTES(WS "/saved-replies", WS "/saved-replies/:id", entity_saved_reply, ACC_MODERATE),
    {"POST", "/api/v1/workspaces/:ws/saved-replies/:id/render", h_reply_render, ACC_SIGNED, NULL},
    /* Service levels: :code is the priority the level is for. */
    WS_GET(WS "/service-levels", service_level_list, ACC_SIGNED),
    CODE_CALL("PUT", WS "/teams/:id/service-levels/:code", service_level_set, 200, ACC_EDIT),
    CODE_DONE("DELETE", WS "/teams/:id/service-levels/:code", service_level_delete, "deleted",
              ACC_EDIT),
    WS_GET(WS "/routing-rules", routing_rule_list, ACC_SIGNED),
    WS_CALL("POST", WS "/routing-rules", routing_rule_create, 201, ACC_EDIT),
    {"POST", "/api/v1/workspaces/:ws/routing-rules/test", h_rule_test, ACC_MODERATE, NULL},
    ROW_GET(WS "/routing-rules/:id", routing_rule_get, ACC_SIGNED),
    ROW_CALL("PATCH", WS "/routing-rules/:id", routing_rule_update, 200, ACC_EDIT),
    ROW_DONE("DELETE", WS "/routing-rules/:id", routing_rule_delete, "deleted", ACC_EDIT),
    {"GET", "/api/v1/workspaces/:ws/posts", h_post_list, ACC_SIGNED, NULL},
    {"POST", "/api/v1/workspaces/:ws/posts", h_post_create, ACC_AUTHOR, NULL},
    ROW_GET(WS "/posts/:id", post_get, ACC_SIGNED),
    {"PATCH", "/api/v1/workspaces/:ws/posts/:id", h_post_update, ACC_AUTHOR, NULL},
    ROW_DONE("DELETE", WS "/posts/:id", post_delete, "deleted", ACC_EDIT),
    {"GET", "/api/v1/workspaces/:ws/messages", h_message_list, ACC_SIGNED, NULL},
    {"GET", "/api/v1/workspaces/:ws/messages/:id", h_message_get, ACC_SIGNED, NULL},
    ROW_CALL("PATCH", WS "/messages/:id", enrich_message_update, 200, ACC_MODERATE),
    {"POST", "/api/v1/workspaces/:ws/messages/:id/reply", h_message_reply, ACC_MODERATE, NULL},
    {"POST", "/api/v1/workspaces/:ws/messages/:id/moderate", h_message_moderate, ACC_MODERATE,
     NULL},
    {"POST", "/api/v1/workspaces/:ws/moderation/bulk", h_bulk_create, ACC_MODERATE, NULL},
    WS_GET(WS "/moderation/bulk", publish_bulk_list, ACC_MODERATE),
    ROW_GET(WS "/moderation/bulk/:id", publish_bulk_get, ACC_MODERATE),
    {"POST", "/api/v1/workspaces/:ws/moderation/bulk/:id/undo", h_bulk_undo, ACC_MODERATE, NULL},
    ROW_CALL("POST", WS "/messages/:id/answered-elsewhere", message_answered_elsewhere, 200,
             ACC_MODERATE),
    {"GET", "/api/v1/workspaces/:ws/messages/:id/conversation", h_message_conversation, ACC_SIGNED,
     NULL},
    {"GET", "/api/v1/workspaces/:ws/messages/:id/notes", h_note_list, ACC_SIGNED, NULL},
    ROW_CALL("POST", WS "/messages/:id/notes", notify_note_add, 201, ACC_MODERATE),
    /* :code is the note's id; only its writer deletes it (model/conversation.c). */
    CODE_ID_DONE("DELETE", WS "/messages/:id/notes/:code", note_delete, "a note's", "deleted",
                 ACC_MODERATE),
    /* Anyone who can see a message can be seen looking at it. */
    {"POST", "/api/v1/workspaces/:ws/messages/:id/presence", h_presence_beat, ACC_SIGNED, NULL},
    {"DELETE", "/api/v1/workspaces/:ws/messages/:id/presence", h_presence_leave, ACC_SIGNED, NULL},
    {"POST", "/api/v1/workspaces/:ws/sentiment", h_sentiment_preview, ACC_SIGNED, NULL},
    {"GET", "/api/v1/workspaces/:ws/learner/agreement", h_learner_agreement, ACC_SIGNED, NULL},
    {"GET", "/api/v1/workspaces/:ws/analytics", h_analytics, ACC_SIGNED, NULL},
    {"GET", "/api/v1/workspaces/:ws/analytics/insights", h_insights, ACC_SIGNED, NULL},
    {"GET", "/api/v1/workspaces/:ws/analytics/toplist", h_toplist, ACC_SIGNED, NULL},
    {"GET", "/api/v1/workspaces/:ws/reports/monthly", h_report_monthly, ACC_SIGNED, NULL},
    {"GET", "/api/v1/workspaces/:ws/campaigns/:id/comparison", h_campaign_comparison, ACC_SIGNED,
     NULL},
    {"GET", "/l/:code", h_link_redirect, ACC_PUBLIC, NULL},
    {"GET", "/api/v1/workspaces/:ws/links", h_link_list, ACC_SIGNED, NULL},
    WS_CALL("POST", WS "/links", links_create, 201, ACC_AUTHOR),
    {"GET", "/api/v1/workspaces/:ws/links/stats", h_link_stats, ACC_SIGNED, NULL},
    {"POST", "/api/v1/workspaces/:ws/links/preview", h_link_preview, ACC_AUTHOR, NULL},
    ROW_GET(WS "/links/:id", link_get, ACC_SIGNED),
    {"PATCH", "/api/v1/workspaces/:ws/links/:id", h_link_update, ACC_AUTHOR, NULL},
    {"POST", "/api/v1/workspaces/:ws/links/:id/retire", h_link_retire, ACC_AUTHOR, NULL},
    {"POST", "/api/v1/workspaces/:ws/links/:id/restore", h_link_restore, ACC_AUTHOR, NULL},
    {"GET", "/api/v1/workspaces/:ws/links/:id/qr.svg", h_link_qr_svg, ACC_SIGNED, NULL},
    {"GET", "/api/v1/workspaces/:ws/links/:id/qr.png", h_link_qr_png, ACC_SIGNED, NULL},
    VID_CALL("PATCH", WS "/posts/:id/variants/:vid", publish_variant_update, 200, ACC_AUTHOR),
    {"POST", "/api/v1/workspaces/:ws/posts/:id/submit", h_post_submit, ACC_AUTHOR, NULL},
    /* Whose approval counts is the approval rule's to say (publish/). */
    {"POST", "/api/v1/workspaces/:ws/posts/:id/approve", h_post_approve, ACC_SIGNED, NULL},
    {"POST", "/api/v1/workspaces/:ws/posts/:id/reject", h_post_reject, ACC_SIGNED, NULL},
    {"POST", "/api/v1/workspaces/:ws/posts/:id/comments", h_post_comment, ACC_SIGNED, NULL},
    ROW_GET(WS "/posts/:id/review", publish_review, ACC_SIGNED),
    {"POST", "/api/v1/workspaces/:ws/posts/:id/schedule", h_post_schedule, ACC_EDIT, NULL},
    {"POST", "/api/v1/workspaces/:ws/posts/:id/unschedule", h_post_unschedule, ACC_EDIT, NULL},
    {"POST", "/api/v1/workspaces/:ws/posts/:id/approval-links", h_approval_link_create, ACC_EDIT,
     NULL},
    ROW_DONE("DELETE", WS "/approval-links/:id", approval_link_revoke, "revoked", ACC_EDIT),
    {"POST", "/api/v1/workspaces/:ws/approval-rules", h_approval_rule_set, ACC_ADMIN, NULL},
    {"GET", "/api/v1/approval-links/:code", h_approval_link_open, ACC_PUBLIC, NULL},
    {"POST", "/api/v1/approval-links/:code", h_approval_link_decide, ACC_PUBLIC, NULL},
    {"GET", "/api/v1/workspaces/:ws/calendar", h_calendar, ACC_SIGNED, NULL},
    {"GET", "/api/v1/workspaces/:ws/listen/items", h_listen_items, ACC_SIGNED, NULL},
    WS_GET(WS "/listen/sources", listen_sources_list, ACC_SIGNED),
    {"POST", "/api/v1/workspaces/:ws/listen/sources", h_listen_source_add, ACC_EDIT, NULL},
    ROW_REMOVE("DELETE", WS "/listen/sources/:id", listen_source_remove, "deleted", ACC_EDIT),
    WS_GET(WS "/listen/alerts", listen_alerts_list, ACC_SIGNED),
    {"POST", "/api/v1/workspaces/:ws/listen/alerts", h_listen_alert_add, ACC_EDIT, NULL},
    {"GET", "/api/v1/workspaces/:ws/listen/alerts/events", h_listen_alert_events, ACC_SIGNED, NULL},
    {"PATCH", "/api/v1/workspaces/:ws/listen/alerts/:id", h_listen_alert_set, ACC_EDIT, NULL},
    ROW_REMOVE("DELETE", WS "/listen/alerts/:id", listen_alert_remove, "deleted", ACC_EDIT),
    ROW_GET(WS "/listen/items/:id", listen_item_get, ACC_SIGNED),
    ROW_CALL("PATCH", WS "/listen/items/:id", listen_item_mark, 200, ACC_MODERATE),
    {"POST", "/api/v1/workspaces/:ws/listen/items/:id/task", h_listen_item_task, ACC_MODERATE,
     NULL},
    {"GET", "/api/v1/workspaces/:ws/listen/analytics", h_listen_analytics, ACC_SIGNED, NULL},
    {"POST", "/api/v1/workspaces/:ws/calendar-feeds", h_calendar_feed_create, ACC_EDIT, NULL},
    ROW_DONE("DELETE", WS "/calendar-feeds/:id", calendar_feed_revoke, "revoked", ACC_EDIT),
    {"GET", "/ics/:code.ics", h_calendar_ics, ACC_PUBLIC, NULL},
    {"GET", "/api/v1/notifications", h_notify_list, ACC_SIGNED, NULL},
    {"POST", "/api/v1/notifications/read", h_notify_read_all, ACC_SIGNED, NULL},
    {"POST", "/api/v1/notifications/:id/read", h_notify_read, ACC_SIGNED, NULL},
    {"GET", "/api/v1/notification-preferences", h_notify_prefs_get, ACC_SIGNED, NULL},
    {"PUT", "/api/v1/notification-preferences", h_notify_prefs_set, ACC_SIGNED, NULL},
    WS_GET(WS "/notify/webhook", notify_webhook_get, ACC_EDIT),
    {"PUT", "/api/v1/workspaces/:ws/notify/webhook", h_notify_webhook_set, ACC_ADMIN, NULL},
    {"DELETE", "/api/v1/workspaces/:ws/notify/webhook", h_notify_webhook_delete, ACC_ADMIN, NULL},
    {"GET", "/api/v1/workspaces/:ws/notify/deliveries", h_notify_deliveries, ACC_EDIT, NULL},
    /* The crisis switch: everyone sees a pause and its reason; the desk's
     * admins and editors pause and resume. */
    {"GET", "/api/v1/workspaces/:ws/publishing/pause", h_publish_pauses, ACC_SIGNED, NULL},
    WS_CALL("POST", WS "/publishing/pause", publish_pause, 201, ACC_EDIT),
    WS_CALL("POST", WS "/publishing/resume", publish_resume, 200, ACC_EDIT),
    WS_GET(WS "/publishing/settings", publish_settings_get, ACC_SIGNED),
    WS_CALL("PUT", WS "/publishing/settings", publish_settings_set, 200, ACC_ADMIN),
    {"GET", "/hooks/meta", h_hooks_meta_verify, ACC_PUBLIC, NULL},
    {"POST", "/hooks/meta", h_hooks_meta_receive, ACC_PUBLIC, NULL},
    {"GET", "/api/v1/connectors", h_connectors, ACC_SIGNED, NULL},
    {"POST", "/api/v1/connect", h_connect_start, ACC_EDIT, NULL},
    /* Public: it answers a browser that left its Strict session cookie at
     * the platform's site with a page, and checks the session itself. */
    {"GET", "/oauth/callback", h_oauth_callback, ACC_PUBLIC, NULL},
};

/* The reports: they may read months of data, so they are answered on the
 * report threads (offload.c), never on a worker that redirects wait for. */
static bool is_slow(handler_fn fn)
{
    return fn == h_analytics || fn == h_insights || fn == h_toplist ||
           fn == h_campaign_comparison || fn == h_link_stats || fn == h_report_monthly ||
           fn == h_tag_rule_test;
}

bool access_allows(enum access a, enum role r)
{
    switch (a) {
    case ACC_PUBLIC:
    case ACC_SIGNED:
        return true;
    case ACC_AUTHOR:
        return r == ROLE_ADMIN || r == ROLE_EDITOR || r == ROLE_AUTHOR;
    case ACC_MODERATE:
        return r == ROLE_ADMIN || r == ROLE_EDITOR || r == ROLE_MODERATOR;
    case ACC_EDIT:
        return r == ROLE_ADMIN || r == ROLE_EDITOR;
    case ACC_ADMIN:
        return r == ROLE_ADMIN;
    case ACC_OPERATOR:
        return false;
    }
    assert(!"an access level without a rule");
    return false;
}

/* Matches `path` against `pattern`: ":id" takes a positive integer; ":code"
 * a short-link code and ":ws" a workspace's id or slug, each a token of 1-64
 * [A-Za-z0-9_-] that dispatch resolves once the store is at hand. */
static bool route_match(const char *pattern, const char *path, char ws[65], int64_t *id,
                        int64_t *vid, char code[65])
{
    const char *p = pattern, *u = path;
    while (*p && *u) {
        if (*p != ':') {
            if (*p++ != *u++)
                return false;
            continue;
        }
        if (str_starts_with(p, ":code") || str_starts_with(p, ":ws")) {
            char *slot = p[1] == 'w' ? ws : code;
            p += p[1] == 'w' ? 3 : 5;
            size_t n = 0;
            while ((*u >= 'A' && *u <= 'Z') || (*u >= 'a' && *u <= 'z') ||
                   (*u >= '0' && *u <= '9') || *u == '_' || *u == '-') {
                if (n == 64)
                    return false;
                slot[n++] = *u++;
            }
            assert(n <= 64);
            slot[n] = '\0';
            if (n == 0)
                return false;
            continue;
        }
        /* ":vid": a second id, a variant's under its post's. */
        int64_t *slot = id;
        if (str_starts_with(p, ":vid")) {
            slot = vid;
            p += 4;
        } else {
            assert(str_starts_with(p, ":id"));
            p += 3;
        }
        const char *start = u;
        int64_t v = 0;
        while (*u >= '0' && *u <= '9') {
            if (v > (INT64_MAX - 9) / 10)
                return false;
            v = v * 10 + (*u++ - '0');
        }
        if (u == start || v == 0 || (u - start > 1 && *start == '0'))
            return false;
        *slot = v;
    }
    return *p == '\0' && (*u == '\0' || (*u == '/' && u[1] == '\0'));
}

/* ---- replies ------------------------------------------------------------------- */

void reply_json(struct request *r, unsigned status, json_t *json)
{
    assert(status >= 200 && status < 600);
    r->status = status;
    r->content_type = "application/json";
    buf_reset(&r->out);
    char *s = json ? json_dumps(json, JSON_COMPACT) : NULL;
    if (s) {
        buf_puts(&r->out, s);
        free(s);
    }
    buf_putc(&r->out, '\n');
    json_decref(json);
}

static void reply_error_body(struct request *r, unsigned status, const char *code,
                             const char *message, const char *field)
{
    json_t *e = json_pack("{s:s, s:s}", "code", code, "message", message);
    if (field && *field)
        json_object_set_new(e, "field", json_string(field));
    reply_json(r, status, json_pack("{s:o}", "error", e));
}

void reply_errorf(struct request *r, unsigned status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    reply_error_body(r, status, code, msg, NULL);
}

void reply_error(struct request *r, const struct error *err)
{
    static const unsigned status[] = {
        [ERR_NONE] = 500,   [ERR_INVALID] = 400, [ERR_NOT_FOUND] = 404, [ERR_CONFLICT] = 409,
        [ERR_DENIED] = 403, [ERR_AUTH] = 401,    [ERR_LIMIT] = 413,     [ERR_INTERNAL] = 500,
    };
    assert((size_t)err->kind < ARRAY_LEN(status));
    unsigned s = status[err->kind];
    if (s == 500) {
        /* The details may name tables and files: log them, do not send them. */
        log_error("%s %s: %s", r->method, r->url, err->msg);
        reply_error_body(r, 500, "internal", "kanal could not complete the request; see its log",
                         NULL);
        return;
    }
    reply_error_body(r, s, error_kind_name(err->kind), err->msg, err->field);
}

void reply_made(struct request *r, unsigned status, json_t *out, const struct error *err)
{
    if (out)
        reply_json(r, status, out);
    else
        reply_error(r, err);
}

void reply_done(struct request *r, int rc, const char *key, const struct error *err)
{
    reply_made(r, 200, rc ? NULL : json_pack("{s:b}", key, 1), err);
}

json_t *request_json(struct request *r)
{
    if (r->in)
        return r->in;
    const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type");
    /* Requiring JSON also stops plain cross-site HTML forms, which cannot send it. */
    if (!ct || strncasecmp(ct, "application/json", 16) != 0) {
        reply_errorf(r, 415, "unsupported_media_type",
                     "send the request body as JSON with Content-Type: application/json");
        return NULL;
    }
    if (r->body.len == 0) {
        reply_errorf(r, 400, "invalid", "the request has no body; a JSON object was expected");
        return NULL;
    }
    json_error_t je;
    json_t *j = json_loadb(r->body.data, r->body.len, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        reply_errorf(r, 400, "malformed_json", "malformed JSON at line %d, column %d: %s", je.line,
                     je.column, je.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        reply_errorf(r, 400, "invalid", "the request body must be a JSON object");
        return NULL;
    }
    return r->in = j;
}

json_t *request_json_fields(struct request *r, const char *const *known, const char *send)
{
    json_t *in = request_json(r);
    if (!in)
        return NULL;
    const char *key = json_unknown_member(in, known);
    if (key) {
        reply_errorf(r, 400, "invalid", "unknown field '%s' (send %s)", key, send);
        return NULL;
    }
    return in;
}

bool request_params(struct request *r, const char *const *takes)
{
    struct error err = {0};
    if (query_params_check(r->query, takes, -1, &err)) {
        reply_error(r, &err);
        return false;
    }
    return true;
}

bool request_page(struct request *r, struct page *pg)
{
    struct error err = {0};
    if (page_parse(pg, json_string_value(json_object_get(r->query, "limit")),
                   json_string_value(json_object_get(r->query, "cursor")), &err)) {
        reply_error(r, &err);
        return false;
    }
    return true;
}

bool request_code_id(struct request *r, const char *whose, int64_t *id)
{
    if (str_to_i64(r->code, id) || *id < 1) {
        reply_errorf(r, 404, "not_found", "'%s' is not %s id", r->code, whose);
        return false;
    }
    return true;
}

struct actor request_actor(const struct request *r)
{
    return (struct actor){.user_id = r->signed_in ? r->user.id : 0,
                          .role = r->signed_in ? r->user.role : ROLE_ADMIN};
}

void h_call_read(struct request *r)
{
    if (!request_params(r, NULL)) /* a filter misspelt is not a filter ignored */
        return;
    const struct route_call *c = r->call;
    struct error err = {0};
    json_t *out = c->ws_get ? c->ws_get(r->db, r->ws, &err) : c->row_get(r->db, r->ws, r->id, &err);
    reply_made(r, 200, out, &err);
}

void h_call_write(struct request *r)
{
    json_t *in = request_json(r);
    if (!in)
        return;
    const struct route_call *c = r->call;
    struct error err = {0};
    struct actor who = request_actor(r);
    json_t *out = c->ws_call     ? c->ws_call(r->db, r->ws, in, &who, &err)
                  : c->row_call  ? c->row_call(r->db, r->ws, r->id, in, &who, &err)
                  : c->code_call ? c->code_call(r->db, r->ws, r->id, r->code, in, &who, &err)
                                 : c->vid_call(r->db, r->ws, r->id, r->vid, in, &who, &err);
    reply_made(r, c->status, out, &err);
}

void h_call_done(struct request *r)
{
    const struct route_call *c = r->call;
    int64_t code_id = 0;
    assert(!c->code_id_done || c->whose); /* the 404 names what :code is */
    if (c->code_id_done && !request_code_id(r, c->whose, &code_id))
        return;
    struct error err = {0};
    struct actor who = request_actor(r);
    int rc = c->row_done       ? c->row_done(r->db, r->ws, r->id, &who, &err)
             : c->code_done    ? c->code_done(r->db, r->ws, r->id, r->code, &who, &err)
             : c->code_id_done ? c->code_id_done(r->db, r->ws, r->id, code_id, &who, &err)
                               : c->row_remove(r->db, r->ws, r->id, &err);
    reply_done(r, rc, c->key, &err);
}

/* ---- authentication --------------------------------------------------------------- */

static bool is_state_changing(const char *method)
{
    return !str_eq(method, "GET") && !str_eq(method, "HEAD") && !str_eq(method, "OPTIONS");
}

/* Whether the request carries the metrics token, the operator's credential
 * for /metrics and /healthz's details. Not a user's: it opens nothing else. */
static bool is_operator(const struct request *r)
{
    const char *want = r->cfg->metrics_token;
    const char *auth = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");
    if (!want || !*want || !auth || strncasecmp(auth, "Bearer ", 7) != 0)
        return false;
    size_t n = strlen(want);
    return strlen(auth + 7) == n && sodium_memcmp(auth + 7, want, n) == 0;
}

/* Fills r->user from a Bearer token or the session cookie. Returns false
 * and replies when credentials are present but wrong. */
static bool authenticate(struct request *r)
{
    struct error err = {0};
    const char *auth = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");
    if (auth) {
        if (strncasecmp(auth, "Bearer ", 7) != 0) {
            reply_errorf(r, 401, "unauthorized", "use 'Authorization: Bearer <token>'");
            return false;
        }
        if (api_token_resolve(r->db, auth + 7, &r->user, &err)) {
            reply_error(r, &err);
            return false;
        }
        r->signed_in = r->via_token = true;
        return true;
    }
    const char *cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, "kanal_session");
    if (!cookie)
        return true;
    if (session_resolve(r->db, cookie, &r->user, r->csrf, &err)) {
        if (err.kind != ERR_AUTH) {
            reply_error(r, &err);
            return false;
        }
        return true; /* an expired cookie is the same as none */
    }
    snprintf(r->session_token, sizeof r->session_token, "%s", cookie);
    r->signed_in = true;
    return true;
}

/* A cookie is sent by the browser on its own, so a change made with it must
 * carry the page's CSRF token. Public routes (signing in, webhooks) act on
 * nobody's session, so a cookie that comes along grants them nothing and
 * must not stop them: a browser that still holds one can sign in again. */
static bool csrf_ok(struct request *r, enum access needed)
{
    if (needed == ACC_PUBLIC || !r->signed_in || r->via_token || !is_state_changing(r->method))
        return true;
    const char *t = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-CSRF-Token");
    return t && strlen(t) == TOKEN_HEX && sodium_memcmp(t, r->csrf, TOKEN_HEX) == 0;
}

/* ---- dispatch --------------------------------------------------------------------- */

static void dispatch(struct request *r)
{
    const char *path = r->url;
    const struct route *found = NULL;
    bool path_known = false;
    char ws_ref[65] = "";
    /* A short link's path can match no route before the redirect's (see
     * http_server_start), and it is the one path asked for by the thousand. */
    size_t first = str_starts_with(path, "/l/") ? r->srv->redirect_route : 0;
    for (size_t i = first; i < ARRAY_LEN(routes); i++) {
        int64_t id = 0, vid = 0;
        char code[65], ws[65];
        code[0] = ws[0] = '\0'; /* not the whole arrays: this runs once a route */
        if (!route_match(routes[i].pattern, path, ws, &id, &vid, code))
            continue;
        path_known = true;
        if (str_eq(routes[i].method, r->method)) {
            found = &routes[i];
            memcpy(ws_ref, ws, strlen(ws) + 1);
            r->id = id;
            r->vid = vid;
            memcpy(r->code, code, strlen(code) + 1);
            break;
        }
    }
    /* Anything else outside the API is the web UI's files. */
    if (!path_known && !str_starts_with(path, "/api/")) {
        r->route = "static";
        if (!str_eq(r->method, "GET") && !str_eq(r->method, "HEAD")) {
            reply_errorf(r, 405, "method_not_allowed", "only GET is allowed here");
            return;
        }
        h_static(r);
        return;
    }
    if (!found) {
        r->route = path_known ? "method_not_allowed" : "not_found";
        if (path_known)
            reply_errorf(r, 405, "method_not_allowed", "%s is not allowed on %s", r->method, path);
        else
            reply_errorf(r, 404, "not_found", "no such endpoint: %s", path);
        return;
    }
    if (r->body_too_large) {
        r->route = found->pattern;
        reply_errorf(r, 413, "limit", "the request body is larger than %zu bytes", r->body_max);
        return;
    }
    r->route = found->pattern;
    r->call = found->call;
    r->entity = found->call ? found->call->entity : NULL;
    /* What route_match promises the handlers. */
    assert(!strstr(found->pattern, ":ws") || ws_ref[0]);
    assert(!strstr(found->pattern, ":id") || r->id > 0);
    assert(!strstr(found->pattern, ":code") || r->code[0]);
    assert(!r->entity || str_starts_with(found->pattern, "/api/v1/workspaces"));
    if (found->fn == h_link_redirect) {
        /* Anyone's click: no credentials are read, and the store only
         * when the link is not in the cache. */
        h_link_redirect(r);
        goto done;
    }
    r->db = db_pool_get(r->srv->pool);
    assert(r->db);
    r->operator= is_operator(r);
    if (!r->operator&& !authenticate(r))
        goto done;
    if (found->access == ACC_OPERATOR) {
        if (!r->operator) {
            if (r->cfg->metrics_token)
                reply_errorf(r, 401, "unauthorized", "send the metrics token as a Bearer token");
            else
                reply_errorf(r, 404, "not_found",
                             "/metrics is served when kanal serve has a --metrics-token");
            goto done;
        }
    } else if (found->access != ACC_PUBLIC && !r->signed_in) {
        reply_errorf(r, 401, "unauthorized", "sign in or send an API token");
        goto done;
    }
    if (!csrf_ok(r, found->access)) {
        reply_errorf(r, 403, "csrf",
                     "missing or wrong X-CSRF-Token header (GET /api/v1/session gives it)");
        goto done;
    }
    if (r->signed_in && !access_allows(found->access, r->user.role)) {
        reply_errorf(r, 403, "forbidden", "the %s role may not do this", role_name(r->user.role));
        goto done;
    }
    /* Workspace-scoped routes take the id or the slug, as the CLI does, and
     * answer 404 for a workspace that does not exist. */
    if (ws_ref[0]) {
        struct error err = {0};
        if (workspace_resolve(r->db, ws_ref, &r->ws, &err)) {
            reply_error(r, &err);
            goto done;
        }
        assert(r->ws > 0);
    }
    assert(found->access == ACC_PUBLIC || r->signed_in || r->operator);
    if (is_slow(found->fn)) {
        db_pool_put(r->srv->pool, r->db);
        r->db = NULL;
        /* Set first: once queued, the request is the report thread's. */
        r->offloaded = true;
        if (offload_submit(r->srv->offload, r, found->fn))
            return;
        r->offloaded = false;
        snprintf(r->retry_after, sizeof r->retry_after, "5");
        reply_errorf(r, 503, "busy", "too many reports are being made; try again in a moment");
        return;
    }
    found->fn(r);
done:
    if (r->db)
        db_pool_put(r->srv->pool, r->db);
    r->db = NULL;
}

/* ---- libmicrohttpd glue ------------------------------------------------------------ */

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    struct request *r = cls;
    const char *v = value ? value : "";
    if (!utf8_valid(key, strlen(key)) || !utf8_valid(v, strlen(v)))
        json_object_set_new(r->query, "\x01invalid", json_string(""));
    else
        json_object_set_new(r->query, key, json_string(v));
    return MHD_YES;
}

/* Writes `text`, a numeric address, in inet_ntop's form (an IPv4 address
 * mapped into IPv6 as IPv4); false if it is not one. */
static bool address_normalise(const char *text, size_t n, char out[INET6_ADDRSTRLEN])
{
    char in[INET6_ADDRSTRLEN];
    unsigned char bin[16];
    if (n == 0 || n >= sizeof in)
        return false;
    memcpy(in, text, n);
    in[n] = '\0';
    if (inet_pton(AF_INET, in, bin) == 1)
        return inet_ntop(AF_INET, bin, out, INET6_ADDRSTRLEN) != NULL;
    if (inet_pton(AF_INET6, in, bin) != 1)
        return false;
    if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)bin))
        return inet_ntop(AF_INET, bin + 12, out, INET6_ADDRSTRLEN) != NULL;
    return inet_ntop(AF_INET6, bin, out, INET6_ADDRSTRLEN) != NULL;
}

static bool is_trusted(const struct server *s, const char *addr)
{
    for (size_t i = 0; i < s->ntrusted; i++)
        if (str_eq(s->trusted[i], addr))
            return true;
    return false;
}

/* The client: the peer, unless the peer is a trusted proxy; then the last
 * address in X-Forwarded-For that is not itself a trusted proxy (each proxy
 * appends who it heard from, so what is left of that is the client's word). */
static void client_address(struct request *r)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    r->client[0] = '\0';
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    char peer[INET6_ADDRSTRLEN] = "";
    static_assert(sizeof peer <= sizeof r->client, "an address fits r->client");
    if (sa->sa_family == AF_INET) { /* inet_ntop's form, without its sprintf */
        str_ipv4((const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr, peer);
    } else if (sa->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, peer, sizeof peer);
        address_normalise(peer, strlen(peer), peer); /* an IPv4 address mapped into IPv6 */
    }
    memcpy(r->client, peer, strlen(peer) + 1);
    const char *xff = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Forwarded-For");
    if (!xff || !is_trusted(r->srv, r->client))
        return;
    const char *end = xff + strlen(xff);
    while (end > xff) {
        const char *start = end;
        while (start > xff && start[-1] != ',')
            start--;
        const char *a = start, *b = end;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        char addr[INET6_ADDRSTRLEN];
        if (!address_normalise(a, (size_t)(b - a), addr))
            return; /* garbage: believe no further than the last proxy */
        snprintf(r->client, sizeof r->client, "%s", addr);
        if (!is_trusted(r->srv, addr))
            return;
        end = start > xff ? start - 1 : xff;
    }
}

/* Reads --trusted-proxy's list into s->trusted. */
static int trusted_parse(struct server *s, const char *list, struct error *err)
{
    for (const char *p = list; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        s->trusted = xrealloc(s->trusted, (s->ntrusted + 1) * sizeof *s->trusted);
        while (n && *p == ' ')
            p++, n--;
        while (n && p[n - 1] == ' ')
            n--;
        if (!address_normalise(p, n, s->trusted[s->ntrusted]))
            return error_set(err, ERR_INVALID, "trusted proxy '%.*s' is not a numeric address",
                             (int)n, p);
        s->ntrusted++;
        p = comma ? comma + 1 : p + n;
    }
    return 0;
}

#define WEB_CSP                                                                                    \
    "default-src 'none'; script-src 'self'; "                                                      \
    "style-src 'self' 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='; img-src 'self'; "     \
    "connect-src 'self'; font-src 'self' data:; manifest-src 'self'; base-uri 'none'; "            \
    "form-action 'self'; frame-ancestors 'none'; object-src 'none'"

/* The answer to a redirect is the same for every click on the same link:
 * each server thread keeps the last one it made, keyed by its Location,
 * and queues it again while the next click goes to the same place (the
 * usual case: one post's link clicked by the thousand). Making it anew
 * was a dozen allocations a click. libmicrohttpd counts a response's
 * uses, so a response replaced here lives until its last connection has
 * sent it; a thread's last one is released when the thread ends. */
struct redirect_memo {
    char *location;
    struct MHD_Response *resp;
};

static pthread_key_t memo_key;
static pthread_once_t memo_once = PTHREAD_ONCE_INIT;

static void memo_free(void *p)
{
    struct redirect_memo *m = p;
    MHD_destroy_response(m->resp);
    free(m->location);
    free(m);
}

static void memo_init(void)
{
    if (pthread_key_create(&memo_key, memo_free))
        abort();
}

static struct MHD_Response *redirect_response(const char *location)
{
    pthread_once(&memo_once, memo_init);
    struct redirect_memo *m = pthread_getspecific(memo_key);
    if (m && str_eq(m->location, location))
        return m->resp;
    /* A redirect has no body for a browser to render, so the content
     * headers mean nothing on it; three headers fewer were a tenth of a
     * short link's cost. It is never cached (a cached redirect is a click
     * nobody counts) and does not tell the target which page the reader
     * came from. */
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return NULL;
    if (MHD_add_response_header(resp, "Location", location) != MHD_YES ||
        MHD_add_response_header(resp, "Cache-Control", "no-store") != MHD_YES ||
        MHD_add_response_header(resp, "Referrer-Policy", "no-referrer") != MHD_YES) {
        MHD_destroy_response(resp);
        return NULL;
    }
    if (!m) {
        m = xcalloc(1, sizeof *m);
        if (pthread_setspecific(memo_key, m))
            abort();
    } else {
        MHD_destroy_response(m->resp); /* lives on while a connection sends it */
        free(m->location);
    }
    m->location = xstrdup(location);
    m->resp = resp;
    return resp;
}

static enum MHD_Result send_reply(struct request *r)
{
    /* Every path through dispatch answers. */
    assert(r->status >= 200 && r->status < 600);
    if (r->location && r->out.len == 0 && !r->set_cookie[0] && !r->retry_after[0]) {
        struct MHD_Response *resp = redirect_response(r->location);
        return resp ? MHD_queue_response(r->conn, r->status, resp) : MHD_NO;
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(r->out.len, r->out.data, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", r->content_type ? r->content_type : "text/plain");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    if (r->location)
        MHD_add_response_header(resp, "Location", r->location);
    /* A cached redirect would be a click nobody counts. */
    if (str_starts_with(r->url, "/api/") || str_starts_with(r->url, "/l/"))
        MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (r->csp[0]) /* a document from the API (the monthly report) with its own */
        MHD_add_response_header(resp, "Content-Security-Policy", r->csp);
    else if (!str_starts_with(r->url, "/api/") && !str_starts_with(r->url, "/l/"))
        /* Only kanal's own files run or style a page (fonts may also be data:
         * URLs, FullCalendar's icons; a font runs nothing): no inline script or
         * style, no eval, nothing from elsewhere; the browser tests check
         * that every page of the desk works under it. The one hash is that
         * of an empty <style>: FullCalendar makes one and fills it through
         * the CSSOM from its own ('self') script, and no style text can
         * come in that way. */
        MHD_add_response_header(resp, "Content-Security-Policy", WEB_CSP);
    if (r->set_cookie[0])
        MHD_add_response_header(resp, "Set-Cookie", r->set_cookie);
    if (r->retry_after[0])
        MHD_add_response_header(resp, "Retry-After", r->retry_after);
    enum MHD_Result ret = MHD_queue_response(r->conn, r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* libmicrohttpd's accept policy: once the server is stopping, a new
 * connection is closed as soon as it is accepted. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
    (void)len;
    const struct server *s = cls;
    if (atomic_load_explicit(&s->stopping, memory_order_relaxed))
        return MHD_NO;
    return deadlines_admit(s->deadlines, addr) ? MHD_YES : MHD_NO;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    struct server *srv = cls;
    const struct server_config *cfg = &srv->cfg;
    struct request *r = *con_cls;
    if (!r) {
        r = xcalloc(1, sizeof *r);
        r->conn = conn;
        r->srv = srv;
        r->cfg = cfg;
        r->method = method;
        r->url = url;
        r->started_ns = time_mono_ns();
        r->query = json_object();
        /* Only an image upload may be large, and only where it goes: the
         * limit is known before a byte of the body is kept. */
        size_t n = strlen(url);
        bool image = str_eq(method, "POST") && n > 6 && str_eq(url + n - 6, "/media") &&
                     !strncmp(url, "/api/v1/workspaces/", 19);
        r->body_max = image ? (cfg->max_upload ? cfg->max_upload : MEDIA_MAX_BYTES) : cfg->max_body;
        *con_cls = r;
        /* A connection over its address's limit is closed unanswered. */
        return deadlines_headers_done(srv->deadlines, conn) ? MHD_YES : MHD_NO;
    }
    if (*upload_size) {
        /* Over the limit, keep reading (so the client gets our answer rather
         * than a reset connection) but keep nothing. */
        if (r->body.len + *upload_size > r->body_max)
            r->body_too_large = true;
        else
            buf_append(&r->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->offloaded) /* a report thread has answered and resumed it */
        return send_reply(r);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, r);
    client_address(r);
    if (json_object_get(r->query, "\x01invalid"))
        reply_errorf(r, 400, "invalid", "a query parameter is not valid UTF-8");
    else
        dispatch(r);
    if (r->offloaded)
        return MHD_YES; /* suspended until a report thread has answered */
    return send_reply(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct server *srv = cls;
    struct request *r = *con_cls;
    deadlines_rearm(srv->deadlines, conn); /* for the next request on this connection */
    if (!r)
        return;
    if (r->status)
        metrics_observe(srv->metrics, r->method, r->route ? r->route : "unknown", r->status,
                        time_mono_ns() - r->started_ns);
    json_decref(r->query);
    json_decref(r->in);
    buf_free(&r->body);
    buf_free(&r->out);
    free(r->location);
    free(r);
    *con_cls = NULL;
}

int http_parse_listen(const char *s, char *host, size_t hostsize, struct server_config *cfg,
                      struct error *err)
{
    const char *colon = strrchr(s ? s : "", ':');
    if (!s || !colon)
        return error_set(err, ERR_INVALID, "listen address '%s' is not HOST:PORT", s ? s : "");
    size_t hlen = (size_t)(colon - s);
    const char *h = s;
    if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']')
        h++, hlen -= 2;
    if (hlen >= hostsize)
        return error_set(err, ERR_INVALID, "listen address '%s' is too long", s);
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    if (!*host)
        snprintf(host, hostsize, "127.0.0.1");
    int64_t port;
    if (str_to_i64(colon + 1, &port) || port < 0 || port > 65535)
        return error_set(err, ERR_INVALID, "port '%s' is not a number from 0 to 65535", colon + 1);
    unsigned char tmp[16];
    if (inet_pton(AF_INET, host, tmp) != 1 && inet_pton(AF_INET6, host, tmp) != 1)
        return error_set(err, ERR_INVALID, "'%s' is not a numeric IPv4 or IPv6 address", host);
    cfg->host = host;
    cfg->port = (int)port;
    return 0;
}

/* ---- the server ----------------------------------------------------------------------- */

/* Where the click log goes unless --click-log says: beside the SQLite file,
 * else in the working directory. The caller frees the result. */
static char *default_log_path(const char *db_url)
{
    const char *p = db_url;
    if (str_starts_with(p, "sqlite:"))
        p += 7;
    bool file = !str_starts_with(db_url, "postgres://") &&
                !str_starts_with(db_url, "postgresql://") && *p && !str_eq(p, ":memory:");
    if (!file)
        return xstrdup("kanal-clicks.log");
    size_t n = strlen(p);
    char *path = xmalloc(n + sizeof "-clicks.log");
    memcpy(path, p, n);
    memcpy(path + n, "-clicks.log", sizeof "-clicks.log");
    return path;
}

static int clicks_start(struct server *s, struct error *err)
{
    const struct server_config *cfg = &s->cfg;
    char *path = cfg->click_log ? xstrdup(cfg->click_log) : default_log_path(cfg->db_url);
    s->clicks = clicklog_open(path, cfg->click_fsync_always ? FSYNC_ALWAYS : FSYNC_BATCH, err);
    if (s->clicks && clicklog_start(s->clicks, cfg->db_url,
                                    cfg->click_batch_ms ? cfg->click_batch_ms : 200, err)) {
        clicklog_close(s->clicks);
        s->clicks = NULL;
    }
    if (s->clicks)
        log_info("click log: %s", path);
    free(path);
    return s->clicks ? 0 : -1;
}

/* Figures to build (first start after the migration that added them, or a
 * changed time zone) are built before the first dashboard asks, workspace
 * by workspace: one whose stored setting cannot be used (a time zone that is
 * no zone file) is logged and left for its dashboards to report, and never
 * stops the server. -1 only when the store cannot be read. */
static int refresh_figures(struct db *db, struct error *err)
{
    int64_t id = 0;
    int found;
    /* One id at a time: a refresh commits, which an open SELECT would span. */
    while ((found = db_scalar(db, err, &id,
                              "SELECT id FROM workspaces WHERE id > ? ORDER BY id LIMIT 1", "i",
                              id)) == 1) {
        struct error e = {0};
        if (message_stats_refresh(db, id, &e))
            log_warn("workspace %lld: its response figures cannot be built: %s", (long long)id,
                     e.msg);
    }
    if (found >= 0 && message_terms_refresh(db, INT64_MAX, err) < 0)
        return -1;
    return found < 0 ? -1 : 0;
}

/* The values the metrics' route label takes: each pattern of the route
 * table once, then what dispatch names requests that match no route. */
static const char *const *route_labels(struct server *s)
{
    static const char *const others[] = {"static", "method_not_allowed", "not_found", "unknown"};
    s->route_labels = xcalloc(ARRAY_LEN(routes) + ARRAY_LEN(others), sizeof *s->route_labels);
    size_t n = 0;
    for (size_t i = 0; i < ARRAY_LEN(routes); i++) {
        bool seen = false;
        for (size_t j = 0; j < n && !seen; j++)
            seen = str_eq(s->route_labels[j], routes[i].pattern);
        if (!seen)
            s->route_labels[n++] = routes[i].pattern;
    }
    for (size_t i = 0; i < ARRAY_LEN(others); i++)
        s->route_labels[n++] = others[i];
    assert(str_eq(s->route_labels[n - 1], "unknown")); /* metrics' label for the rest */
    s->nlabels = n;
    return s->route_labels;
}

/* Frees what a server owns; each part may be missing (a failed start). */
static void server_free(struct server *s)
{
    for (size_t i = 0; i < s->ndaemons; i++)
        assert(!s->daemons[i]); /* stopped: no handler runs any more */
    free(s->daemons);
    offload_stop(s->offload);
    deadlines_stop(s->deadlines);
    if (s->clicks) {
        clicklog_stop(s->clicks); /* after the last redirect: stores every click still in the log */
        clicklog_close(s->clicks);
    }
    links_cache_free(s->links);
    metrics_free(s->metrics);
    free(s->route_labels);
    free(s->trusted);
    ratelimit_free(s->limits);
    db_pool_close(s->pool);
    free(s);
}

enum { POOL_BYTES = 24576, MAX_CONNECTIONS = 1000 };

/* Binds a socket that does not share its port to addr:port (0: any free
 * port) and closes it again: the port, or -1 when another socket holds it
 * (a second server on the same port, or another program). SO_REUSEADDR
 * only lets it past the last run's connections in TIME_WAIT. */
static int claim_port(const struct sockaddr_storage *addr, int port)
{
    struct sockaddr_storage a = *addr;
    socklen_t len =
        a.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (a.ss_family == AF_INET6)
        ((struct sockaddr_in6 *)&a)->sin6_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in *)&a)->sin_port = htons((uint16_t)port);
    int fd = socket(a.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (a.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    int bound = -1;
    if (bind(fd, (struct sockaddr *)&a, len) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        bound = ntohs(a.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&a)->sin6_port
                                              : ((struct sockaddr_in *)&a)->sin_port);
    close(fd);
    return bound;
}

static void stop_daemons(struct server *s)
{
    for (size_t i = 0; i < s->ndaemons; i++) {
        if (s->daemons[i])
            MHD_stop_daemon(s->daemons[i]);
        s->daemons[i] = NULL;
    }
}

struct server *http_server_start(const struct server_config *cfg, struct error *err)
{
    assert(cfg && cfg->db_url && cfg->host && cfg->threads > 0);
    for (size_t i = 0; i < ARRAY_LEN(routes); i++)
        assert(routes[i].fn && routes[i].method && routes[i].pattern[0] == '/');
    if (sodium_init() < 0) {
        error_set(err, ERR_INTERNAL, "libsodium could not start");
        return NULL;
    }
    struct server *s = xcalloc(1, sizeof *s);
    s->cfg = *cfg;
    /* dispatch starts a short link's search at its route: none before it
     * may match a path under /l/. */
    while (!str_eq(routes[s->redirect_route].pattern, "/l/:code"))
        s->redirect_route++;
    for (size_t i = 0; i < s->redirect_route; i++)
        assert(!str_starts_with(routes[i].pattern, "/l") && routes[i].pattern[1] != ':');
    snprintf(s->host, sizeof s->host, "%s", cfg->host);
    s->cfg.host = s->host;
    if (s->cfg.metrics_token && !*s->cfg.metrics_token)
        s->cfg.metrics_token = NULL; /* an empty token would let anyone in */
    if (trusted_parse(s, cfg->trusted_proxies, err))
        goto fail;
    struct db *db = db_open(cfg->db_url, err);
    if (!db)
        goto fail;
    int migrated = db_migrate(db, err);
    if (migrated >= 0 && refresh_figures(db, err))
        migrated = -1;
    if (migrated >= 0)
        user_warn_demo_password(db);
    db_close(db);
    if (migrated < 0)
        goto fail;
    int report_threads = cfg->report_threads ? cfg->report_threads : 2;
    s->pool = db_pool_open(cfg->db_url, cfg->threads + report_threads, err);
    if (!s->pool)
        goto fail;
    s->offload = offload_start(s->pool, report_threads, err);
    if (!s->offload)
        goto fail;
    s->links = links_cache_new();
    const char *const *labels = route_labels(s);
    s->metrics = metrics_new(labels, s->nlabels);
    s->limits = ratelimit_new();
    if (clicks_start(s, err))
        goto fail;
    /* libmicrohttpd's limit is a daemon's; the total stays about 1,000. */
    size_t ndaemons = (size_t)cfg->threads;
    unsigned per_daemon = (unsigned)((MAX_CONNECTIONS + ndaemons - 1) / ndaemons);
    s->deadlines = deadlines_start(cfg->header_timeout ? cfg->header_timeout : 10,
                                   cfg->max_per_address, per_daemon * ndaemons, err);
    if (!s->deadlines)
        goto fail;

    struct sockaddr_storage ss = {0};
    bool v6 = strchr(s->host, ':') != NULL;
    if (v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        inet_pton(AF_INET6, s->host, &a->sin6_addr);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        inet_pton(AF_INET, s->host, &a->sin_addr);
    }
    /* The daemons' sockets share the port (SO_REUSEPORT), which would let a
     * second server on the same port start too and take half of the
     * connections: a socket that does not share it is bound first, and the
     * port is refused if that fails. It also picks the port when cfg->port
     * is 0. */
    s->port = claim_port(&ss, cfg->port);
    if (s->port < 0) {
        error_set(err, ERR_INTERNAL, "cannot listen on %s:%d (in use, or not this machine's)",
                  s->host, cfg->port);
        goto fail;
    }
    if (v6)
        ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)s->port);
    else
        ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)s->port);
    /* epoll, as nginx: each thread waits on its own epoll set and is handed
     * only the connections that are ready, where poll(2) made every thread
     * scan all its connections on every turn (decision 130).
     * One daemon a thread, each with its own listening socket, rather than
     * one daemon with a pool of threads on one socket: the pool's threads
     * all wake for a new connection and the first takes it, so under load
     * the busiest thread, awake already, took nearly all (61 of 64 kept-alive
     * connections in one bench run) and the others idled (decision 142).
     * MHD_quiesce_daemon is not used to stop: in libmicrohttpd 0.9.75 it
     * races a pool worker that drops the listening socket from its epoll
     * set by itself, and aborts ("Failed to remove listen FD from epoll
     * set"). http_server_stop refuses new connections in on_accept instead. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
                     MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
    if (v6)
        flags |= MHD_USE_IPv6;
    /* libmicrohttpd 0.9.75 zeroes a connection's whole memory pool after
     * every request and reads a request's headers into half of it. 24 KiB
     * reads headers up to about 11 KiB (any one header nginx reads by
     * default, 8 KiB, with room for the rest) and answers 431 past that;
     * 32 KiB cost a redirect a tenth more (decision 133). */
    s->daemons = xcalloc(ndaemons, sizeof *s->daemons);
    for (; s->ndaemons < ndaemons; s->ndaemons++) {
        s->daemons[s->ndaemons] = MHD_start_daemon(
            flags, (uint16_t)s->port, on_accept, s, on_request, s, MHD_OPTION_SOCK_ADDR,
            (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_CONNECTION_LIMIT,
            per_daemon, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)POOL_BYTES,
            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION,
            deadlines_notify, s->deadlines, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
        if (!s->daemons[s->ndaemons]) {
            error_set(err, ERR_INTERNAL, "cannot listen on %s:%d (in use, or not this machine's)",
                      s->host, s->port);
            goto fail;
        }
    }
    log_info("kanal %s listening on http://%s%s%s:%d/", KANAL_VERSION, v6 ? "[" : "", s->host,
             v6 ? "]" : "", s->port);
    return s;
fail:
    stop_daemons(s);
    server_free(s);
    return NULL;
}

int http_server_port(const struct server *s)
{
    return s->port;
}

static size_t open_connections(const struct server *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->ndaemons; i++) {
        const union MHD_DaemonInfo *ci =
            MHD_get_daemon_info(s->daemons[i], MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        n += ci ? ci->num_connections : 0;
    }
    return n;
}

void http_server_stop(struct server *s)
{
    assert(s && s->ndaemons);
    /* Stop accepting, let the open connections finish (at most 10 s), stop. */
    atomic_store(&s->stopping, true);
    for (int i = 0; i < 100 && open_connections(s); i++)
        usleep(100000);
    /* Reports still queued are answered while the daemons can send them;
     * libmicrohttpd must not stop with a connection suspended. */
    offload_stop(s->offload);
    s->offload = NULL;
    stop_daemons(s);
    server_free(s);
}

int http_serve(const struct server_config *cfg, struct error *err)
{
    /* Block the stop signals before any thread starts, so that only
     * sigwait below receives them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct server *s = http_server_start(cfg, err);
    if (!s)
        return -1;
    struct connect_worker *w = NULL;
    if (cfg->connect_worker && !(w = connect_worker_start(cfg->connect_worker, err))) {
        http_server_stop(s);
        return -1;
    }
    int sig = 0;
    sigwait(&stop, &sig);
    log_info("received %s: finishing requests in flight", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    /* The worker first: a sync stops between pages and its job is queued
     * again, while the server still answers. */
    connect_worker_stop(w);
    http_server_stop(s);
    log_info("stopped");
    return 0;
}
