/* notify: what waits for someone reaches them. An event on a post (review
 * requested, approved, rejected, failed) becomes a row in each concerned
 * person's in-app list, an e-mail to each (through the configured SMTP
 * relay, unless they turned it off) and one signed POST to the workspace's
 * webhook. E-mails and webhooks are queued in the store and sent by "notify"
 * jobs on the job table, so the request that caused them never waits on a
 * relay and nothing is lost while one is down.
 * Uses base/, db/ and model/; never connect/, publish/, http/ or cli/. */
#ifndef KANAL_NOTIFY_H
#define KANAL_NOTIFY_H

#include <jansson.h>

#include "base/base.h"
#include "db/db.h"
#include "model/model.h"

enum notify_event {
    NOTIFY_REVIEW_REQUESTED, /* to those whose role may approve the post */
    NOTIFY_APPROVED,         /* to the author */
    NOTIFY_REJECTED,         /* to the author, with the reason */
    NOTIFY_POST_FAILED,      /* to the author and the desk (admins, editors) */
    NOTIFY_MENTIONED,        /* to the colleague a note on a message mentions (notify_note_add) */
    NOTIFY_EVENT_COUNT
};
extern const char *const notify_event_names[NOTIFY_EVENT_COUNT + 1]; /* NULL-terminated */

#define NOTIFY_JOB_KIND "notify"

/* ---- recording events (notify/event.c) -------------------------------------------- */

struct notify_in {
    enum notify_event event;
    int64_t post_id;
    int64_t actor;      /* the user who did it, not told of their own act; 0: kanal itself */
    const char *reason; /* a rejection's reason, a failure's error; NULL: none */
    const char *roles;  /* NOTIFY_REVIEW_REQUESTED: comma-separated roles that may approve
                           (NULL: "admin,editor") */
};
/* Records the event: the in-app rows, and the e-mails and webhook call
 * queued as jobs. Neither begins nor commits: called inside the transaction
 * that makes the change, it happens exactly when the change does. The
 * number of people notified, or -1 and err. */
int notify_event(struct db *db, int64_t ws, const struct notify_in *in, struct error *err);

/* What the scheduler calls when variant `variant_id` of post `post_id`
 * could not be posted (after its last retry): the author and the desk are
 * told, with `reason` (the platform's error) and the variant's channel.
 * Call it inside the transaction that marks the variant failed. 0 or -1. */
int notify_post_failed(struct db *db, int64_t ws, int64_t post_id, int64_t variant_id,
                       const char *reason, struct error *err);

/* A note on message `message_id` from {"body": "..."} (model's note_add),
 * and each colleague it @mentions told as of any event (in-app, e-mail
 * unless they turned "mentioned" off, the workspace's webhook once); the
 * writer is not told of their own mention. In one transaction. The note
 * (as note_list gives it) with "notified" (user ids) and "unmatched" ([{mention,
 * ambiguous}]: the mentions that named nobody, or more than one). Caller
 * owns. */
json_t *notify_note_add(struct db *db, int64_t ws, int64_t message_id, json_t *in,
                        const struct actor *who, struct error *err);
/* A message that is not about a post (a listening alert): a row in the
 * in-app list of each of `users` (their notifications, with `summary` as
 * the body, else `text`), e-mailed to each of `emails` and, when
 * `webhook`, POSTed to the workspace's webhook as {event, workspace_id,
 * workspace, title, text, at} and the members of `extra` (may be NULL).
 * Neither begins nor commits. The number of rows and deliveries made, or
 * -1 and err. */
struct notify_message_in {
    const char *event; /* e.g. "listen_alert" */
    const char *title, *text;
    const char *summary; /* the in-app row's body; NULL: text */
    const int64_t *users;
    size_t n_users;
    const char *const *emails;
    size_t n_emails;
    bool webhook;
    json_t *extra;
};
int notify_message(struct db *db, int64_t ws, const struct notify_message_in *m, struct error *err);

/* ---- the in-app list and settings (notify/event.c) -------------------------------- */

#define NOTIFY_LIST_MAX 200
/* The user's notifications, newest first: {unread: N, items: [{id,
 * workspace_id, event, post_id, message_id, title, body, read, read_at,
 * created_at}]}.
 * Caller owns. */
json_t *notify_list(struct db *db, int64_t user_id, bool unread_only, int limit, struct error *err);
/* Marks notification `id` (0: every one) of the user read; ERR_NOT_FOUND
 * for one that is not theirs. Returns how many changed, or -1. */
int64_t notify_mark_read(struct db *db, int64_t user_id, int64_t id, struct error *err);
/* {email: {review_requested: true, ...}}: which events the user gets
 * e-mail for. */
json_t *notify_prefs_get(struct db *db, int64_t user_id, struct error *err);
/* From {email: {EVENT: bool, ...}}; ERR_INVALID names the field. Returns
 * notify_prefs_get's answer. */
json_t *notify_prefs_set(struct db *db, int64_t user_id, json_t *in, struct error *err);

#define NOTIFY_URL_MAX 2000
/* Sets the workspace's webhook to `url` (http or https) with a new secret:
 * {url, secret}; the secret is shown only here. */
json_t *notify_webhook_set(struct db *db, int64_t ws, const char *url, const struct actor *who,
                           struct error *err);
/* {url} or {url: null}. */
json_t *notify_webhook_get(struct db *db, int64_t ws, struct error *err);
int notify_webhook_delete(struct db *db, int64_t ws, const struct actor *who, struct error *err);
/* The workspace's deliveries, newest first, in `state` unless NULL:
 * {items: [{id, event, via, target, subject, state, attempts, last_error,
 * next_attempt_at, created_at, sent_at}]}. */
json_t *notify_deliveries(struct db *db, int64_t ws, const char *state, int limit,
                          struct error *err);

/* ---- the messages (notify/message.c) ---------------------------------------------- */

/* s as an RFC 5322 header value: as it is when it is printable ASCII, else
 * RFC 2047 encoded-words (UTF-8, base64), each at most 75 characters and
 * cut between characters, joined by folding (CRLF SP). Line breaks in s
 * become spaces. */
void notify_header_encode(const char *s, struct buf *out);

struct notify_mail {
    const char *from, *to;  /* addresses, "a@b.c" or "Name <a@b.c>" */
    const char *subject;    /* UTF-8 */
    const char *body;       /* UTF-8 text; LF or CRLF line ends */
    int64_t date;           /* Unix seconds, for the Date header */
    const char *message_id; /* without <>; "id@domain" */
    const char *event;      /* X-Kanal-Event; NULL: none */
};
/* The message as RFC 5322 text with CRLF line ends: Date, From, To,
 * Subject, Message-ID, MIME-Version and a text/plain; charset=UTF-8 body
 * in base64. ERR_INVALID for an address or text that is not fit for a
 * header (a line break, not UTF-8). */
int notify_mail_format(const struct notify_mail *m, struct buf *out, struct error *err);

/* The webhook's signature of `body` sent at `timestamp`: "sha256=" and
 * the hex HMAC-SHA256 under `secret` of "TIMESTAMP.BODY". out: at least
 * NOTIFY_SIGNATURE_SIZE bytes. */
#define NOTIFY_SIGNATURE_SIZE (7 + 64 + 1)
void notify_sign(const char *secret, int64_t timestamp, const char *body, size_t n, char *out);

/* ---- delivering (notify/deliver.c) ------------------------------------------------ */

enum notify_tls { NOTIFY_TLS_NONE, NOTIFY_TLS_STARTTLS, NOTIFY_TLS_IMPLICIT };

struct notify_config {
    const char *smtp_host; /* NULL: no relay; e-mails wait (with that error) until one is set */
    int smtp_port;         /* 0: 25, or 465 with implicit TLS */
    const char *smtp_from; /* the From address */
    enum notify_tls smtp_tls;
    const char *smtp_user, *smtp_password; /* NULL: no AUTH */
    int timeout;                           /* seconds per attempt; 0: 30 */
};
/* Parses "none", "starttls" or "tls"; -1 for anything else. */
int notify_tls_parse(const char *s);

/* Runs one claimed "notify" job: sends its delivery and finishes the job,
 * or records the error on the delivery and fails the job (retried after a
 * backoff until its attempts are used up). 0 when sent, 1 when it failed
 * (recorded), -1 and err when the store failed. */
int notify_run_job(struct db *db, const struct notify_config *cfg, const struct job *j,
                   const char *owner, int64_t lease, struct error *err);
/* Delivers every due delivery once (`kanal notify deliver`); with `now`
 * set, also those waiting out a backoff. Counts what was sent and what
 * failed. 0 or -1 and err. */
int notify_deliver_due(struct db *db, const struct notify_config *cfg, bool now, int *sent,
                       int *failed, struct error *err);

/* The thread inside `kanal serve` that delivers. The worker copies cfg's
 * strings. NULL and err on failure; stop joins the thread. */
struct notify_worker;
struct notify_worker *notify_worker_start(const char *db_url, const struct notify_config *cfg,
                                          int poll_ms, struct error *err);
void notify_worker_stop(struct notify_worker *w);

#endif
