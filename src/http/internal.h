/* http internals: the request every handler gets, the route table and the
 * reply helpers. Handlers are thin: parse, call one model function, reply. */
#ifndef KANAL_HTTP_INTERNAL_H
#define KANAL_HTTP_INTERNAL_H

#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>

#include "http/http.h"
#include "model/model.h"

/* What a route demands of the caller; checked before its handler runs. */
enum access {
    ACC_PUBLIC,   /* anyone */
    ACC_SIGNED,   /* any signed-in user */
    ACC_AUTHOR,   /* admin, editor, author: write posts */
    ACC_MODERATE, /* admin, editor, moderator: work the inbox */
    ACC_EDIT,     /* admin, editor: channels, campaigns, tags, approving */
    ACC_ADMIN,    /* admin: users, workspaces */
    ACC_OPERATOR, /* whoever holds the metrics token; no user is */
};
bool access_allows(enum access a, enum role r);

struct metrics;
struct ratelimit;
struct links_cache;
struct click_log;

/* One running server and every service its requests share. Nothing in http/
 * lives in a file-scope global, so two servers can run in one process. */
struct server {
    struct server_config cfg; /* a copy: the caller's may go away */
    char host[64];            /* cfg.host points here */
    struct db_pool *pool;
    struct click_log *clicks; /* short-link clicks, logged before each redirect */
    struct links_cache *links;
    struct metrics *metrics;
    const char **route_labels; /* the metrics' route label values */
    size_t redirect_route;     /* routes[] index of GET /l/:code */
    size_t nlabels;
    struct ratelimit *limits; /* failed sign-ins */
    /* Proxies whose X-Forwarded-For names the client, in inet_ntop's form. */
    char (*trusted)[INET6_ADDRSTRLEN];
    size_t ntrusted;
    /* The job runner that connectors, the scheduler and listening will run
     * on (DESIGN.md) is started and stopped here with the rest; not built yet. */
    struct deadlines *deadlines; /* for request headers, against slowloris */
    struct offload *offload;     /* the threads that answer reports */
    /* One daemon a thread, each with a listening socket of its own on the
     * same port (SO_REUSEPORT), so that the kernel spreads connections over
     * them (decision 142). */
    struct MHD_Daemon **daemons;
    size_t ndaemons;
    int port; /* the bound port, when cfg.port was 0 */
    /* Set when the server is stopping: connections accepted from then on
     * are closed at once, while the open ones finish (on_accept). */
    atomic_bool stopping;
};

struct request {
    struct MHD_Connection *conn;
    struct server *srv;
    const struct server_config *cfg; /* &srv->cfg */
    const char *method, *url;
    struct buf body;
    size_t body_max; /* the route's limit: max_body, or max_upload for images */
    bool body_too_large;
    json_t *in;    /* the body as request_json read it; released with the request */
    json_t *query; /* every query parameter, as strings */
    struct db *db;
    uint64_t started_ns;
    /* who is asking */
    bool signed_in, via_token;
    bool operator; /* sent the metrics token */
    struct user user;
    char csrf[TOKEN_HEX + 1];
    char session_token[TOKEN_HEX + 1];
    char client[64]; /* the client's address (behind a trusted proxy, the one it names),
                        for rate limits and visitor hashes; never stored */
    /* route parameters: /workspaces/:ws/things/:id, /l/:code */
    int64_t ws, id;
    int64_t vid; /* /posts/:id/variants/:vid */
    char code[65];
    const struct entity *entity;
    const struct route_call *call; /* the route's (server.c) */
    /* the answer */
    unsigned status;
    struct buf out;
    const char *content_type;
    char set_cookie[256];
    char retry_after[24];
    char *location;    /* a redirect's target; freed with the request */
    char csp[192];     /* a page's own Content-Security-Policy; "": the desk's or none */
    const char *route; /* the route's pattern, for metrics */
    bool offloaded;    /* queued for, or answered on, a report thread */
};

typedef void (*handler_fn)(struct request *r);

/* Replies: each sets status and body; json is consumed (decref'd). */
void reply_json(struct request *r, unsigned status, json_t *json);
void reply_error(struct request *r, const struct error *err);
void reply_errorf(struct request *r, unsigned status, const char *code, const char *fmt, ...)
    PRINTF_LIKE(4, 5);
/* The model's answer with `status`, or its error when out is NULL. */
void reply_made(struct request *r, unsigned status, json_t *out, const struct error *err);
/* For a model call answering 0 or -1 (a removal, a revocation): 200
 * {"KEY": true} when rc is 0, else its error. */
void reply_done(struct request *r, int rc, const char *key, const struct error *err);
/* Parses the body as a JSON object, which the request keeps and releases
 * (the handler does not decref it); replies 400/415 and returns NULL if it
 * is not one. */
json_t *request_json(struct request *r);
/* As request_json, when every member is one of `known` (NULL-terminated);
 * else replies 400 "unknown field 'K' (send SEND)" and returns NULL. */
json_t *request_json_fields(struct request *r, const char *const *known, const char *send);
/* Whether the query string holds only parameters of `takes` (NULL-terminated;
 * NULL: none), as strings; else replies 400 naming the first that is not
 * (query_params_check) and returns false. */
bool request_params(struct request *r, const char *const *takes);
/* Parses ?limit= and ?cursor=; replies 400 and returns false if wrong. */
bool request_page(struct request *r, struct page *pg);
/* The route's :code as a row's id (a note's, a team member's); replies 404
 * "'CODE' is not WHOSE id" and returns false when it is not a positive
 * whole number. */
bool request_code_id(struct request *r, const char *whose, int64_t *id);
/* An actor for the audit log. */
struct actor request_actor(const struct request *r);
/* Handlers of routes answered by one model call, which the route names
 * (server.c's WS_GET, ROW_GET, WS_CALL, ROW_CALL, CODE_CALL, VID_CALL,
 * ROW_DONE, CODE_DONE, CODE_ID_DONE and ROW_REMOVE rows): a read of the
 * workspace r->ws or of its row r->id, 200 with the answer; the body handed
 * to the call as the request's actor, on the workspace, its row, or what
 * the row's r->code or r->vid names under it, `status` with the answer; a
 * removal or revocation of the row (or of what its r->code names, as text
 * or as an id: request_code_id with `whose`), 200 {"KEY": true}
 * (reply_done), as the actor or, where the model keeps no audit of it,
 * without one. */
typedef json_t *ws_get_fn(struct db *db, int64_t ws, struct error *err);
typedef json_t *row_get_fn(struct db *db, int64_t ws, int64_t id, struct error *err);
typedef json_t *ws_call_fn(struct db *db, int64_t ws, json_t *in, const struct actor *who,
                           struct error *err);
typedef json_t *row_call_fn(struct db *db, int64_t ws, int64_t id, json_t *in,
                            const struct actor *who, struct error *err);
typedef json_t *code_call_fn(struct db *db, int64_t ws, int64_t id, const char *code, json_t *in,
                             const struct actor *who, struct error *err);
typedef json_t *vid_call_fn(struct db *db, int64_t ws, int64_t id, int64_t vid, json_t *in,
                            const struct actor *who, struct error *err);
typedef int row_done_fn(struct db *db, int64_t ws, int64_t id, const struct actor *who,
                        struct error *err);
typedef int code_done_fn(struct db *db, int64_t ws, int64_t id, const char *code,
                         const struct actor *who, struct error *err);
typedef int code_id_done_fn(struct db *db, int64_t ws, int64_t id, int64_t code_id,
                            const struct actor *who, struct error *err);
typedef int row_remove_fn(struct db *db, int64_t ws, int64_t id, struct error *err);
struct route_call {
    const struct entity *entity; /* h_entity.c's resource */
    ws_get_fn *ws_get;
    row_get_fn *row_get;
    ws_call_fn *ws_call;
    row_call_fn *row_call;
    code_call_fn *code_call;
    vid_call_fn *vid_call;
    row_done_fn *row_done;
    code_done_fn *code_done;
    code_id_done_fn *code_id_done;
    row_remove_fn *row_remove;
    unsigned status;   /* the calls' with a body */
    const char *key;   /* the removals' */
    const char *whose; /* code_id_done's: "a note's" in "'CODE' is not a note's id" */
};
void h_call_read(struct request *r);  /* ws_get or row_get */
void h_call_write(struct request *r); /* ws_call, row_call, code_call or vid_call */
void h_call_done(struct request *r);  /* row_done, code_done, code_id_done or row_remove */

/* handlers, one file per resource */
void h_session_create(struct request *r);
void h_session_get(struct request *r);
void h_session_delete(struct request *r);
void h_entity_list(struct request *r);
void h_entity_get(struct request *r);
void h_entity_create(struct request *r);
void h_entity_update(struct request *r);
void h_entity_delete(struct request *r);
void h_post_list(struct request *r);
void h_post_create(struct request *r);
void h_post_update(struct request *r);
void h_message_list(struct request *r);
void h_message_get(struct request *r);
void h_message_conversation(struct request *r);
void h_note_list(struct request *r);
void h_presence_beat(struct request *r);
void h_presence_leave(struct request *r);
void h_sentiment_preview(struct request *r);
void h_team_member_put(struct request *r);
void h_reply_render(struct request *r);
void h_rule_test(struct request *r);
void h_analytics(struct request *r);
void h_insights(struct request *r);
void h_toplist(struct request *r);
void h_campaign_comparison(struct request *r);
void h_user_list(struct request *r);
void h_user_create(struct request *r);
void h_token_list(struct request *r);
void h_token_create(struct request *r);
void h_token_revoke(struct request *r);
void h_user_update(struct request *r);
void h_user_password_reset(struct request *r);
void h_user_revoke(struct request *r);
void h_session_password(struct request *r);
void h_audit_list(struct request *r);
void h_connection_get(struct request *r);
void h_action_list(struct request *r);
void h_action_create(struct request *r);
void h_media_create(struct request *r);
void h_message_reply(struct request *r);
void h_message_moderate(struct request *r);
void h_bulk_create(struct request *r);
void h_learner_agreement(struct request *r);
void h_bulk_undo(struct request *r);
void h_media_get(struct request *r);
/* Logs a warning while the demo admin signs in with the published password. */
void user_warn_demo_password(struct db *db);
void h_healthz(struct request *r);
void h_metrics(struct request *r);
void h_static(struct request *r);
void h_link_redirect(struct request *r);
void h_link_list(struct request *r);
void h_link_update(struct request *r);
void h_link_preview(struct request *r);
void h_report_monthly(struct request *r);
void h_tag_rule_test(struct request *r);
void h_link_retire(struct request *r);
void h_link_restore(struct request *r);
void h_link_qr_svg(struct request *r);
void h_link_qr_png(struct request *r);
void h_link_stats(struct request *r);
void h_hooks_meta_verify(struct request *r);
void h_post_submit(struct request *r);
void h_post_approve(struct request *r);
void h_post_reject(struct request *r);
void h_post_comment(struct request *r);
void h_post_schedule(struct request *r);
void h_approval_rule_set(struct request *r);
void h_approval_link_create(struct request *r);
void h_approval_link_open(struct request *r);
void h_approval_link_decide(struct request *r);
void h_calendar(struct request *r);
void h_listen_items(struct request *r);
void h_post_unschedule(struct request *r);
void h_listen_source_add(struct request *r);
void h_listen_alert_add(struct request *r);
void h_listen_alert_set(struct request *r);
void h_listen_alert_events(struct request *r);
void h_listen_item_task(struct request *r);
void h_listen_analytics(struct request *r);
void h_publish_pauses(struct request *r);
void h_calendar_feed_create(struct request *r);
void h_calendar_ics(struct request *r);
void h_notify_list(struct request *r);
void h_notify_read(struct request *r);
void h_notify_read_all(struct request *r);
void h_notify_prefs_get(struct request *r);
void h_notify_prefs_set(struct request *r);
void h_notify_webhook_set(struct request *r);
void h_notify_webhook_delete(struct request *r);
void h_notify_deliveries(struct request *r);
void h_hooks_meta_receive(struct request *r);
void h_connectors(struct request *r);
void h_connect_start(struct request *r);
void h_oauth_callback(struct request *r);

/* Sign-in throttling: failures per key in a 15-minute window, each key
 * counted on its own. Thread-safe; the caller owns what ratelimit_new
 * returns (ratelimit_free). */
struct ratelimit *ratelimit_new(void);
void ratelimit_free(struct ratelimit *rl);
/* Seconds the key must wait before its next try: 0 below max_fails
 * failures; from there, with backoff_max 0, until the window ends, else
 * 5, 10, 20 ... seconds (at most backoff_max) after its last failure. */
int64_t ratelimit_wait(struct ratelimit *rl, const char *key, int max_fails, int backoff_max,
                       int64_t now);
void ratelimit_fail(struct ratelimit *rl, const char *key, int64_t now);
void ratelimit_reset(struct ratelimit *rl, const char *key);

/* An absolute deadline for each request's headers, kept by one thread that
 * shuts down the connections past it, and the count of each address's open
 * connections against max_per_address (0: no limit) across all daemons.
 * deadlines_notify is libmicrohttpd's MHD_OPTION_NOTIFY_CONNECTION callback
 * (cls: the deadlines); the accept policy asks deadlines_admit, which an
 * address at its limit does not pass; a connection that gets past it while
 * another thread admits one from the same address is shut down when it
 * starts. The handler calls headers_done when a request's headers are in
 * (false: a refused connection, close it) and rearm when its answer is
 * sent. max_connections: all the daemons' connection limits together. The
 * caller owns the result (deadlines_stop, after the daemons have stopped). */
struct deadlines;
/* The map under it: open connections by client address. A key is the
 * address family's tag (4 or 6), then its 4 or 16 bytes; peer_key makes
 * it (false for another family, which is not counted). The map holds at
 * least max_keys addresses (peer_map_add: -1 when it is half full); a
 * count that drops to 0 leaves the map. */
enum { PEER_KEY = 17 };
struct peer {
    unsigned char key[PEER_KEY]; /* key[0] == 0: an empty slot */
    int open;
};
struct peer_map {
    struct peer *slots; /* open addressing, linear probing */
    size_t cap, n;
};
bool peer_key(const struct sockaddr *sa, unsigned char key[PEER_KEY]);
void peer_map_init(struct peer_map *m, size_t max_keys);
void peer_map_free(struct peer_map *m);
int peer_map_count(const struct peer_map *m, const unsigned char key[PEER_KEY]);
int peer_map_add(struct peer_map *m, const unsigned char key[PEER_KEY]);
void peer_map_drop(struct peer_map *m, const unsigned char key[PEER_KEY]);
struct deadlines *deadlines_start(int timeout_s, int max_per_address, size_t max_connections,
                                  struct error *err);
void deadlines_stop(struct deadlines *d);
bool deadlines_admit(struct deadlines *d, const struct sockaddr *addr);
void deadlines_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                      enum MHD_ConnectionNotificationCode code);
bool deadlines_headers_done(struct deadlines *d, struct MHD_Connection *conn);
void deadlines_rearm(struct deadlines *d, struct MHD_Connection *conn);

/* Threads that answer slow requests apart from libmicrohttpd's workers,
 * each with a connection from `pool`. offload_submit suspends the request's
 * connection and queues it (false: too many queued, or stopping); a thread
 * runs fn with r->db set and resumes the connection, and the worker sends
 * the answer. offload_stop answers what is queued, then joins. The caller
 * owns the result. */
struct offload;
/* Tells threads waiting on `wake` under `lock` to stop, and joins them. */
void threads_stop(pthread_mutex_t *lock, pthread_cond_t *wake, bool *stopping,
                  const pthread_t *threads, int n);
struct offload *offload_start(struct db_pool *pool, int nthreads, struct error *err);
void offload_stop(struct offload *o);
bool offload_submit(struct offload *o, struct request *r, handler_fn fn);

/* Request counters for /metrics. `routes` are the values the route label
 * may take (the caller keeps them alive; the last is for any other).
 * Thread-safe; the caller owns what metrics_new returns (metrics_free). */
struct metrics *metrics_new(const char *const *routes, size_t nroutes);
void metrics_free(struct metrics *m);
void metrics_observe(struct metrics *m, const char *method, const char *route, unsigned status,
                     uint64_t ns);
void metrics_render(struct metrics *m, struct buf *out);

#endif
