/* publish: the desk's side of posting. Each platform's rules for a variant
 * (length as the platform counts it, media), the approval workflow and its
 * signed links for external approvers, and the calendar (JSON and
 * iCalendar), and the scheduler that posts through connect/ with its
 * crisis switch. Uses base/, db/, model/ and connect/; never http/ or cli/. */
#ifndef KANAL_PUBLISH_H
#define KANAL_PUBLISH_H

#include <jansson.h>

#include "base/base.h"
#include "db/db.h"
#include "model/model.h"

/* ---- counting as the platforms count (publish/rules.c) ----------------------- */

/* X's weighted length (twitter-text 3): the text in NFC, each URL 23, each
 * emoji (a whole sequence: ZWJ, skin tone, flag, keycap) 2, code points in
 * U+0000-10FF, 2000-200D, 2010-201F, 2032-2037 1, everything else (CJK) 2.
 * -1 for text that is not UTF-8. */
int64_t publish_x_length(const char *text, size_t n);
/* Extended grapheme clusters of the text (what Bluesky counts, and
 * Mastodon after its URL rule). -1 for text that is not UTF-8. */
int64_t publish_graphemes(const char *text, size_t n);
/* Mastodon's count: graphemes, each http(s) URL 23, a remote mention
 * @user@domain as @user. -1 for text that is not UTF-8. */
int64_t publish_mastodon_length(const char *text, size_t n);
/* Unicode code points (what Meta, LinkedIn, YouTube and TikTok count). */
int64_t publish_code_points(const char *text, size_t n);
/* Instagram's hashtags: '#' after a non-word character (or the start)
 * followed by a word character. */
int publish_hashtags(const char *text, size_t n);

/* What is checked of one variant before it is stored. */
struct variant_check {
    const char *platform;      /* a channels.platform value */
    const char *body;          /* the text as it will be posted */
    const char *title;         /* YouTube's title; NULL: none */
    const char *first_comment; /* NULL: none */
    const char *const *media;  /* each "image", "video" or "gif" */
    size_t nmedia;
    int64_t text_limit; /* the channel's own limit (a Mastodon instance's); 0: the platform's */
    /* What the variant needs before review (its media, YouTube's title) is
     * checked only when set: a draft may be saved before they are there. */
    bool complete;
};

/* 0 if the variant meets its platform's rules, else ERR_INVALID naming the
 * field ("body", "title", "media", "media[2]", "first_comment") and saying
 * the count and the limit as the platform counts them. */
int publish_check(const struct variant_check *v, struct error *err);
/* The platform's default text limit (in its own unit), 0 for none. */
int64_t publish_text_limit(const char *platform);

/* ---- the workflow (publish/approval.c) ------------------------------------------
 * Variants move draft -> in_review -> approved -> scheduled -> published |
 * failed; a rejection sends those in review back to draft with a reason;
 * an edit of the content of a variant in review, approved or scheduled
 * sends it (and the post's other approved variants) back to review in a
 * new round, whose approvals are needed again. */
enum publish_event {
    EV_SUBMIT,
    EV_APPROVE,
    EV_REJECT,
    EV_EDIT,
    EV_SCHEDULE,
    EV_UNSCHEDULE,
    EV_PUBLISHED,
    EV_FAILED,
};
/* The status a variant in `from` goes to on `ev`, NULL if it may not. */
const char *publish_next(const char *from, enum publish_event ev);
/* A post's status from its variants' (NULL for none): "failed" if one
 * failed, else the least advanced one's, archived ones left out unless all
 * are. */
const char *publish_post_status(const char *const *variants, size_t n);

#define PUBLISH_MEDIA_MAX     35 /* TikTok's photo posts, the most any platform takes */
#define PUBLISH_DEFAULT_ROLES "admin,editor,external"

/* Checks a post's "variants" as post_create will store them: each channel
 * the workspace's own (not a peer's), a time in the future, and the
 * platform's rules. ERR_INVALID names the field ("variants[1].body"). */
int publish_check_post(struct db *db, int64_t ws, json_t *post, struct error *err);
/* ERR_CONFLICT when a post update's "body" would change the text of a
 * variant past its draft (one without a text of its own). */
int publish_check_post_edit(struct db *db, int64_t ws, int64_t post_id, json_t *patch,
                            struct error *err);
/* Each returns the post (post_get) or NULL and err: ERR_CONFLICT when the
 * post is not where the step starts (a second approval of a post already
 * approved, a decision given twice), ERR_DENIED for a role the rule does
 * not count or one's own post. */
json_t *publish_submit(struct db *db, int64_t ws, int64_t post_id, const struct actor *who,
                       struct error *err);
/* round: the review round the decider saw (0: the current one); another is
 * ERR_CONFLICT. A rejection needs a comment (the reason). */
json_t *publish_decide(struct db *db, int64_t ws, int64_t post_id, const struct actor *who,
                       bool approve, const char *comment, int64_t round, struct error *err);
/* patch: any of body, title, first_comment, media, scheduled_at. */
json_t *publish_variant_update(struct db *db, int64_t ws, int64_t post_id, int64_t vid,
                               json_t *patch, const struct actor *who, struct error *err);
/* Text s as a time after now, for the request's member `field` (a
 * variant's scheduled_at, a schedule's at, a pause's until): 0 with *t, or
 * -1 and ERR_INVALID on field, "FIELD: expected an ISO 8601 time such as
 * 2026-03-01T09:00:00Z" (s NULL or not a time) or "FIELD: S is in the
 * past". */
int publish_future_time(const char *field, const char *s, int64_t now, int64_t *t,
                        struct error *err);
/* Schedules variant vid (0: every approved variant of the post) at `at`
 * (ISO 8601; NULL: each variant's own scheduled_at), which must be ahead. */
json_t *publish_schedule(struct db *db, int64_t ws, int64_t post_id, int64_t vid, const char *at,
                         const struct actor *who, struct error *err);
/* Takes variant vid (0: every scheduled variant of the post) off the
 * schedule, back to approved; one handed over to the connector is taken
 * back (publish_withdraw), or ERR_CONFLICT when it is already being sent. */
json_t *publish_unschedule(struct db *db, int64_t ws, int64_t post_id, int64_t vid,
                           const struct actor *who, struct error *err);
/* A comment on a post in review; returns publish_review's answer. */
json_t *publish_comment(struct db *db, int64_t ws, int64_t post_id, const struct actor *who,
                        const char *body, struct error *err);
/* {round, status, reject_reason, needed, roles, decisions: [...], comments: [...]} */
json_t *publish_review(struct db *db, int64_t ws, int64_t post_id, struct error *err);
/* Sets the rule of the workspace (channel_id 0) or of one channel from
 * {approvals: 1-10, roles: ["editor", "external", ...]}. */
json_t *publish_rule_set(struct db *db, int64_t ws, int64_t channel_id, json_t *in,
                         const struct actor *who, struct error *err);

/* ---- approval links (publish/links.c) --------------------------------------------
 * For approvers without an account: "<id>-<HMAC>" (at most 64 characters),
 * the HMAC-SHA256 of the link's id, post, round, expiry and nonce under a
 * key derived from kanal's secret key. Good for one decision on the post's
 * current review round, until it expires or is revoked. */
struct vault_key;
#define APPROVAL_LINK_MAX 64
#define APPROVAL_TTL_MAX  (30 * 86400)
/* {id, token, expires_at}; the token is shown once. ttl: seconds (1 hour to
 * 30 days). ERR_CONFLICT unless the post is in review. */
json_t *approval_link_create(struct db *db, const struct vault_key *key, int64_t ws,
                             int64_t post_id, const char *name, int64_t ttl,
                             const struct actor *who, struct error *err);
int approval_link_revoke(struct db *db, int64_t ws, int64_t link_id, const struct actor *who,
                         struct error *err);
/* What the approver sees: {post: {...}, name, expires_at}. ERR_NOT_FOUND
 * for a link that is not one (a wrong signature looks the same), ERR_DENIED
 * when expired or revoked, ERR_CONFLICT when used or the post moved on. */
json_t *approval_link_open(struct db *db, const struct vault_key *key, const char *token,
                           struct error *err);
/* links.c's way into approval.c's decision, inside its transaction. */
int publish_decide_link(struct db *db, int64_t ws, int64_t post_id, int64_t link_id, bool approve,
                        const char *comment, struct error *err);
json_t *approval_link_decide(struct db *db, const struct vault_key *key, const char *token,
                             bool approve, const char *comment, struct error *err);

/* ---- the calendar (publish/calendar.c) ------------------------------------------ */

#define CALENDAR_SPAN_MAX  (455 * 86400) /* a window of at most 15 months */
#define CALENDAR_ITEMS_MAX 5000
/* Asked with `per`, a window holding more variants than this is answered
 * as a summary: the first `shown` (at most CALENDAR_SLOT_SHOWN, the
 * default) of each hour (or day) and how many more each slot holds. Below
 * it the whole list is small enough for the desk to lay out (design
 * decisions 129, 130). */
#define CALENDAR_SUMMARY_MIN 300
#define CALENDAR_SLOT_SHOWN  3

enum calendar_per { CALENDAR_PER_NONE, CALENDAR_PER_HOUR, CALENDAR_PER_DAY };

struct calendar_filter {
    int64_t since, until;            /* the window, [since, until) */
    int64_t channel_id, campaign_id; /* 0: any */
    unsigned statuses;               /* bit i: the i-th variant status; 0: any */
    enum calendar_per per;           /* the summary's slot; NONE: always the whole list */
    int shown;                       /* a summary's variants per slot, 1..CALENDAR_SLOT_SHOWN */
};
/* Parses since, until (ISO 8601; default: a week ago to six weeks on),
 * channel, campaign, status (a comma-separated list), per (hour or day)
 * and shown (1 to CALENDAR_SLOT_SHOWN, the default); ERR_INVALID names the
 * parameter. */
int calendar_filter_parse(struct calendar_filter *f, json_t *query, struct error *err);
/* {since, until, total, summarised, items: [{variant_id, post_id,
 * channel_id, channel, platform, status, at, title, body, campaign_id}],
 * campaigns: [{id, name, starts_at, ends_at}]}: variants placed at their
 * publish (or scheduled) time, campaigns overlapping the window as bands;
 * total counts the variants in the window. When f->per is set and total is
 * above CALENDAR_SUMMARY_MIN, summarised is true, items holds the first
 * f->shown of each slot (hours or days in the workspace's time
 * zone) and the answer adds per ("hour", "day"), shown and slots: [{start,
 * until, total, more}], one per slot holding a variant. Either way more
 * than CALENDAR_ITEMS_MAX items is ERR_LIMIT on until. */
json_t *publish_calendar(struct db *db, int64_t ws, const struct calendar_filter *f,
                         struct error *err);
/* The same as an iCalendar object (RFC 5545) appended to out: one VEVENT
 * per variant (UID variant-ID@kanal, UTC times) and an all-day one per
 * campaign (UID campaign-ID@kanal). name: the calendar's name. */
int publish_ics(struct db *db, int64_t ws, const struct calendar_filter *f, const char *name,
                struct buf *out, struct error *err);
/* A feed of the workspace, or of one channel or campaign (0: not that):
 * {id, token, path}; the token (64 hex digits) is shown once, only its
 * SHA-256 is stored. */
json_t *calendar_feed_create(struct db *db, int64_t ws, int64_t channel_id, int64_t campaign_id,
                             const struct actor *who, struct error *err);
int calendar_feed_revoke(struct db *db, int64_t ws, int64_t id, const struct actor *who,
                         struct error *err);
/* The workspace, filter (the feed's scope, 90 days back to 15 months on)
 * and calendar name of a feed token; ERR_NOT_FOUND for an unknown or
 * revoked one. */
int calendar_feed_resolve(struct db *db, const char *token, struct calendar_filter *f, int64_t *ws,
                          char *name, size_t name_size, struct error *err);

/* ---- short links in what is published (shorten.c) ------------------------ */

struct publish_shorten {
    int64_t workspace_id, post_id, channel_id;
    const char *text;       /* the variant's text */
    const char *public_url; /* where kanal's /l/CODE is reached: "https://go.example.org" */
};
/* The text with each http(s) address in it replaced by a short link to it
 * (made once per post, channel and address, with the channel's and the
 * campaign's UTM), appended to out; *made (may be NULL) says how many.
 * Addresses already under public_url stay. 0, or -1 and err. */
int publish_shorten_links(struct db *db, const struct publish_shorten *in, struct buf *out,
                          int *made, struct error *err);

/* ---- the inbox acting on the platforms (answer.c) ------------------------- */

/* Queues a reply to a message through its channel's connector, checked
 * against the platform's length first (ERR_INVALID field "text"); key as
 * connect_queue_action's. When done, the reply is stored as the message's
 * own answer. 0 new, 1 the key's action existed (*action_id), -1 and err
 * (ERR_NOT_FOUND: no such message in ws). */
int publish_answer(struct db *db, int64_t ws, int64_t message_id, const char *text, const char *key,
                   const struct actor *who, int64_t now, int64_t *action_id, struct error *err);
/* Queues hiding, unhiding or deleting a message on its platform ("hide",
 * "unhide", "delete"), the reason kept in the audit log. As publish_answer. */
int publish_moderate(struct db *db, int64_t ws, int64_t message_id, const char *what,
                     const char *reason, const struct actor *who, int64_t now, int64_t *action_id,
                     struct error *err);
/* The same with a key (as connect_queue_action's: the same key again is the
 * same action, 1, audited once). */
int publish_moderate_key(struct db *db, int64_t ws, int64_t message_id, const char *what,
                         const char *reason, const char *key, const struct actor *who, int64_t now,
                         int64_t *action_id, struct error *err);

/* ---- bulk moderation (bulk.c) ----------------------------------------------------
 * A spam wave hidden at once: the messages a filter finds (the inbox's
 * query parameters, as an object of strings) or the ids ticked, at most
 * PUBLISH_BULK_MAX, each hidden through its channel's connector by an action
 * of its own (a job each); a message whose channel cannot hide, or that
 * cannot be acted on (the organisation's own, no platform id), is skipped
 * with why. Undo shows again what the operation hid. */
#define PUBLISH_BULK_MAX 500
/* in: {action: "hide", reason, filter: {...} | message_ids: [...], limit,
 * dry_run}. The operation as publish_bulk_get's (dry_run true: nothing
 * done, {matched, more, limit, message_ids} it would hide); ERR_INVALID names the field. `me`
 * is who assigned_user=me stands for. Caller owns. */
json_t *publish_bulk_moderate(struct db *db, int64_t ws, json_t *in, const struct actor *who,
                              int64_t now, struct error *err);
/* {id, action, reason, selection, matched, more, limit, requested_by,
 * created_at, undone_at, undone_by, counts: {queued, sent, unknown, done,
 * failed, skipped}, undo_counts (after undo), items: [{message_id, action_id,
 * state, error, undo_action_id, undo_state}]}: the progress as it stands.
 * ERR_NOT_FOUND for no such operation in ws. Caller owns. */
json_t *publish_bulk_get(struct db *db, int64_t ws, int64_t id, struct error *err);
/* {"items": [operation without items]}, newest first, at most 50. */
json_t *publish_bulk_list(struct db *db, int64_t ws, struct error *err);
/* Queues showing again each message the operation hid, and cancels its
 * hides not sent yet. ERR_CONFLICT when it was undone already or hides are
 * being sent (their count named); asked again, it finishes an undo cut
 * short (each message unhidden once).
 * The operation as publish_bulk_get's. */
json_t *publish_bulk_undo(struct db *db, int64_t ws, int64_t id, const struct actor *who,
                          int64_t now, struct error *err);
/* ---- the scheduler and the crisis switch (publish/scheduler.c) -------------------
 * A scheduled variant that falls due becomes one connect/ action (key
 * "kanal-variant-ID-ATTEMPT", also the platform's Idempotency-Key) and its
 * job; connect's worker runs it (retries, Retry-After, lookup after a lost
 * answer), and the next tick settles the variant from the action: published
 * with the platform's id and address, or failed with its message. */

/* The post's status again from its variants' (approval.c's rule). */
int publish_refresh_status(struct db *db, int64_t post_id, struct error *err);

/* Inside a transaction: a scheduled variant already handed over to
 * connect/ (a tick made its action and job; the worker has not claimed it
 * yet) is taken back when its action has not been sent: the action and its
 * job end failed ("withdrawn before it was sent: why") and the variant is
 * no longer handed over, so that it is handed over again (under the next
 * key) if it stays scheduled. An edit, a reschedule, an unschedule and a
 * pause call it. 0 (also when nothing was handed over), or -1 and
 * ERR_CONFLICT saying that it is already being sent (or was posted). */
int publish_withdraw(struct db *db, int64_t vid, const char *why, int64_t now, struct error *err);

enum publish_due { DUE_NOT_YET, DUE_SEND, DUE_HOLD };
/* What to do with a variant scheduled at scheduled_at, seen at now: a
 * variant more than late_after seconds late is held when the workspace's
 * policy is "hold", sent otherwise. */
enum publish_due publish_due_decision(int64_t scheduled_at, int64_t now, const char *late_policy,
                                      int64_t late_after);

struct publish_tick_stats {
    int64_t queued, held, published, failed;
};
/* One pass: settles variants whose action ended, then hands due variants
 * not paused over (or holds the late ones, per policy). Safe on several
 * nodes at once: each variant is handed over once. */
/* public_url: where kanal's short links are reached; the links in a variant
 * become short links under it as it is handed over (NULL: they stay as
 * written). */
int publish_tick(struct db *db, int64_t now, const char *public_url,
                 struct publish_tick_stats *stats, struct error *err);

/* {late_policy, late_after} of the workspace; set from the same object. */
json_t *publish_settings_get(struct db *db, int64_t ws, struct error *err);
json_t *publish_settings_set(struct db *db, int64_t ws, json_t *in, const struct actor *who,
                             struct error *err);

/* The pauses in force: {paused, items: [{id, channel_id, channel (its
 * name, "" for the workspace), reason, until, paused_by, paused_by_name
 * (name, else e-mail), paused_at}]}. */
json_t *publish_pauses(struct db *db, int64_t ws, int64_t now, struct error *err);
/* Pauses the workspace (or in->channels) from {reason, channels?, until?};
 * returns publish_pauses' with withdrawn (variants taken back from the
 * connector) and sending ([{variant_id, post_id, channel_id, message}]: the
 * ones already being sent, which no pause stops). Audited with who and why. */
json_t *publish_pause(struct db *db, int64_t ws, json_t *in, const struct actor *who,
                      struct error *err);
/* Ends the pauses of the workspace (or of in->channels) from {late:
 * publish_now | hold | reschedule, at (with reschedule), channels?}: what
 * happens to the posts whose time passed. ERR_CONFLICT when nothing was
 * paused. Returns publish_pauses' with late_posts. */
json_t *publish_resume(struct db *db, int64_t ws, json_t *in, const struct actor *who,
                       struct error *err);

#endif
