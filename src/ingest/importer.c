/* importer: writes parsed records through the model's idempotent upserts,
 * one transaction per file. Rows that cannot be stored are rejected with
 * where and why; anything that would leave a file half-imported (a database
 * failure, a file that names no account) rolls the whole file back. */
#include "ingest/enrich.h"
#include "ingest/internal.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

const char *const ingest_entity_names[IE_COUNT] = {"posts", "metric snapshots", "messages",
                                                   "channel metrics"};

struct imp {
    struct db *db;
    const struct ingest_target *t;
    const char *filename;
    FILE *rejects;
    struct ingest_counts *c;
    struct error *err; /* the fatal error, when emit returns -1 */
    ingest_progress_fn progress;
    void *progress_ctx;
    int64_t done, total;
    bool fatal; /* err already names the file and place */
    bool warned_dm;
    /* whose the posts of a mixed timeline are (note_whose) */
    struct whose {
        int64_t posts, named, related;
        struct {
            char handle[64];
            int64_t n;
        } at[16];
        size_t nat;
    } whose;
    /* the channel named with --channel */
    char platform[16], platform_id[201], handle[201];
    /* the last account looked up, since files hold one account mostly */
    char last_platform[16], last_account[201];
    int64_t last_channel;
    /* the channel and workspace last found to belong together, in this
     * import's transaction (post_upsert_platform's check, done once) */
    int64_t checked_channel, checked_ws;
    /* language, sentiment and tags of incoming texts, for one workspace at
     * a time (a webhook call may span several) */
    struct enricher *enr;
    int64_t enr_ws;
    struct enrichment read;
    /* the current record's reading, when the reader thread made it */
    const struct enrichment *pre;
    /* the workspace's routing rules, compiled once per import like the
     * tag rules */
    struct router *router;
    int64_t router_ws;
};

static void write_reject(struct imp *im, const char *where, const char *reason)
{
    if (!im->rejects)
        return;
    fprintf(im->rejects, "%s\t%s\t", im->filename ? im->filename : "-", where);
    /* One reject a line: tabs and newlines in reasons (quoted input) go. */
    for (const char *p = reason; *p; p++)
        fputc(*p == '\t' || *p == '\n' || *p == '\r' ? ' ' : *p, im->rejects);
    fputc('\n', im->rejects);
}

static int reject(struct imp *im, const struct ingest_record *r, enum ingest_entity e,
                  const char *fmt, ...) PRINTF_LIKE(4, 5);
static int reject(struct imp *im, const struct ingest_record *r, enum ingest_entity e,
                  const char *fmt, ...)
{
    char reason[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    write_reject(im, r->where, reason);
    if ((int)e >= 0)
        im->c->rejected[e]++;
    else
        im->c->rejects++;
    return 0;
}

static void count(struct imp *im, enum ingest_entity e, int rc)
{
    assert((unsigned)e < IE_COUNT && rc >= 0); /* failures are fatal before they are counted */
    if (rc == UPSERT_INSERTED)
        im->c->inserted[e]++;
    else if (rc == UPSERT_UPDATED)
        im->c->updated[e]++;
    else
        im->c->unchanged[e]++;
}

/* Stops the file: the transaction is rolled back by the caller. */
static int fatal(struct imp *im, const struct ingest_record *r, const char *why)
{
    char copy[sizeof im->err->msg];
    snprintf(copy, sizeof copy, "%s", why);
    im->fatal = true;
    error_set(im->err, im->err->kind ? im->err->kind : ERR_INVALID, "%s: %s: %s",
              im->filename ? im->filename : "-", r->where, copy);
    return -1;
}

static const char *const platforms[] = {"facebook", "instagram", "x",        "linkedin",
                                        "tiktok",   "youtube",   "mastodon", "threads",
                                        "bluesky",  "other",     NULL};
static const char *const formats[] = {"photo", "video", "link",     "status", "reel",
                                      "story", "live",  "carousel", NULL};
static const char *const msg_kinds[] = {"comment", "reply", "mention", "dm", "review", NULL};

/* Checks what the model would refuse halfway, so that a bad row is a
 * reject and not a failed statement (which ends a PostgreSQL transaction). */
static const char *invalid(const struct ingest_record *r)
{
    const char *texts[] = {r->body,          r->post_id,      r->msg_id,        r->author_name,
                           r->author_handle, r->permalink,    r->link_url,      r->lang,
                           r->account_id,    r->account_name, r->parent_msg_id, r->reply_to,
                           r->account_title};
    for (size_t i = 0; i < ARRAY_LEN(texts); i++)
        if (texts[i] && !utf8_valid(texts[i], strlen(texts[i])))
            return "text is not valid UTF-8";
    if (r->body && strlen(r->body) > MODEL_TEXT_MAX)
        return "the text is longer than 65536 bytes";
    for (size_t i = 1; i < ARRAY_LEN(texts); i++)
        if (texts[i] && strlen(texts[i]) > 2000)
            return "an id, name or link is longer than 2000 bytes";
    if (r->lang && strlen(r->lang) > 8)
        return "'lang' is longer than 8 characters";
    if (r->format && str_index(formats, r->format) < 0)
        return "unknown format: photo, video, link, status, reel, story, live or carousel";
    if (r->msg_kind && str_index(msg_kinds, r->msg_kind) < 0)
        return "unknown message kind: comment, reply, mention, dm or review";
    if (r->platform && str_index(platforms, r->platform) < 0)
        return "unknown platform";
    for (int i = 0; i < PM_COUNT; i++)
        if (r->metrics[i] < -1)
            return "a metric is negative";
    return NULL;
}

/* The channel a record belongs to: --channel, else the one for its account,
 * created on import (or, for webhooks, 0: skip and count). -1 is fatal. */
static int resolve_channel(struct imp *im, const struct ingest_record *r, int64_t *channel)
{
    if (im->t->channel_id) {
        *channel = im->t->channel_id;
        return 0;
    }
    if (!r->account_id || !*r->account_id)
        return fatal(im, r,
                     "the file does not say which page or account it belongs to; import it "
                     "with --channel ID");
    const char *platform = r->platform ? r->platform : "other";
    if (im->last_channel && str_eq(im->last_platform, platform) &&
        str_eq(im->last_account, r->account_id)) {
        *channel = im->last_channel;
        return 0;
    }
    int64_t ws = im->t->workspace_id, id = 0;
    int rc;
    if (r->foreign_is_message || !im->t->create_channels) {
        /* Mixed timelines (X, Mastodon) hold other people's posts too: a
         * channel is never made for an author, only found. */
        rc = channel_find_platform(im->db, &ws, platform, r->account_id, &id, im->err);
        if (rc < 0)
            return fatal(im, r, im->err->msg);
        if (rc == 0 && r->foreign_is_message && im->t->create_channels)
            return fatal(im, r,
                         "this file mixes an account's own posts with other people's; import it "
                         "with --channel ID (the account whose posts they are)");
        if (rc == 0) {
            im->c->unknown_account++;
            log_warn("webhook for %s account %s: no channel has that platform id; skipped",
                     platform, r->account_id);
            *channel = 0;
            return 0;
        }
    } else {
        rc = channel_upsert_platform(im->db, ws, platform, r->account_id, r->account_name,
                                     r->account_title, r->account_is_peer, &id, im->err);
        if (rc < 0)
            return fatal(im, r, im->err->msg);
    }
    /* A channel an earlier import made from a file that did not name the
     * account is still called by its id: this file may know better. */
    if (r->account_title && channel_name_unnamed(im->db, id, r->account_title, im->err) < 0)
        return fatal(im, r, im->err->msg);
    snprintf(im->last_platform, sizeof im->last_platform, "%s", platform);
    snprintf(im->last_account, sizeof im->last_account, "%s", r->account_id);
    im->last_channel = id;
    *channel = id;
    return 0;
}

/* The length of the @handle at `at` (after the '@'): letters, digits, _,
 * and for Mastodon @user@host, '.', '-' and a second '@'. */
static size_t handle_len(const char *at)
{
    size_t n = 0;
    while (at[1 + n] && (isalnum((unsigned char)at[1 + n]) || strchr("_.-@", at[1 + n])))
        n++;
    while (n && strchr(".-@", at[n])) /* a sentence's full stop is not the handle's */
        n--;
    return n;
}

/* Whether text names @h (h without its '@'). */
static bool mentions(const char *text, const char *h)
{
    size_t n = strlen(h);
    for (const char *at = text ? strchr(text, '@') : NULL; n && at; at = strchr(at + 1, '@'))
        if (strncasecmp(at + 1, h, n) == 0 && !isalnum((unsigned char)at[1 + n]) &&
            at[1 + n] != '_')
            return true;
    return false;
}

static const char *channel_handle(const struct imp *im)
{
    return im->handle[0] == '@' ? im->handle + 1 : im->handle;
}

static bool same_account(const struct imp *im, const struct ingest_record *r)
{
    if (!im->t->channel_id)
        return true; /* the channel was found by this very account */
    if (*im->platform_id && r->account_id)
        return str_eq(im->platform_id, r->account_id);
    if (r->account_name)
        return strcasecmp(channel_handle(im), r->account_name) == 0;
    /* No author at all (an X answer fetched without expansions): a post
     * that names the channel's @handle is someone else's mention of it. */
    return !mentions(r->body, channel_handle(im));
}

/* Notes whose a post of a mixed timeline (X, Mastodon) imported with
 * --channel is, for the warning in check_whose. */
static void note_whose(struct imp *im, const struct ingest_record *r)
{
    struct whose *w = &im->whose;
    w->posts++;
    bool named = (*im->platform_id && r->account_id) || r->account_name;
    w->named += named;
    if ((named && same_account(im, r)) || mentions(r->body, channel_handle(im))) {
        w->related++;
        return;
    }
    if (named)
        return;
    /* Count each @handle once per post, in a few slots: a file of one
     * account's mentions names it in most of them. */
    char seen[ARRAY_LEN(w->at)] = {0};
    for (const char *at = r->body ? strchr(r->body, '@') : NULL; at; at = strchr(at + 1, '@')) {
        size_t n = handle_len(at);
        if (!n || n >= sizeof w->at[0].handle)
            continue;
        size_t i = 0;
        while (i < w->nat &&
               !(strlen(w->at[i].handle) == n && strncasecmp(w->at[i].handle, at + 1, n) == 0))
            i++;
        if (i == w->nat && w->nat < ARRAY_LEN(w->at))
            snprintf(w->at[w->nat++].handle, sizeof w->at[0].handle, "%.*s", (int)n, at + 1);
        if (i < w->nat && !seen[i]) {
            seen[i] = 1;
            w->at[i].n++;
        }
    }
}

/* After a file imported with --channel: a mixed timeline none of whose
 * posts is by the channel or names it was most likely another account's,
 * and its posts are now the channel's posts or mentions. Warned, not
 * refused: an account's own timeline without authors looks the same,
 * unless most of its posts name one other account. */
static void check_whose(const struct imp *im)
{
    const struct whose *w = &im->whose;
    if (!w->posts || w->related)
        return;
    const char *file = im->filename ? im->filename : "-";
    if (w->named) {
        log_warn("%s: none of the %lld authors named is channel %lld (@%s); if the file is "
                 "another account's, import it again with that account's --channel",
                 file, (long long)w->named, (long long)im->t->channel_id, channel_handle(im));
        return;
    }
    size_t top = 0;
    for (size_t i = 1; i < w->nat; i++)
        if (w->at[i].n > w->at[top].n)
            top = i;
    if (w->nat && w->at[top].n * 2 >= w->posts)
        log_warn("%s: none of its %lld posts is by channel %lld (@%s) or names it, and %lld "
                 "name @%s: if they are mentions of @%s, they are now stored as the channel's "
                 "own posts; import the file again with that account's --channel",
                 file, (long long)w->posts, (long long)im->t->channel_id, channel_handle(im),
                 (long long)w->at[top].n, w->at[top].handle, w->at[top].handle);
}

/* After a webhook's text edit: 1 done (counted), 0 kanal does not have the
 * row (store it whole instead), -1 fatal. */
static int edit_done(struct imp *im, const struct ingest_record *r, enum ingest_entity e, int rc)
{
    if (rc >= 0) {
        count(im, e, rc);
        return 1;
    }
    if (im->err->kind != ERR_NOT_FOUND)
        return fatal(im, r, im->err->msg);
    error_clear(im->err);
    return 0;
}

/* Reads body as workspace ws reads incoming texts, into im->read. */
static int read_text(struct imp *im, int64_t ws, const char *body)
{
    if (im->pre) {
        im->read = *im->pre;
        return 0;
    }
    if (!im->enr || im->enr_ws != ws) {
        enricher_close(im->enr);
        im->enr_ws = ws;
        if (!(im->enr = enricher_open(im->db, ws, im->err)))
            return -1;
    }
    enricher_apply(im->enr, body ? body : "", body ? strlen(body) : 0, &im->read);
    return 0;
}

/* Tags a stored text with the tags whose rules matched it (im->read). */
static int tag_text(struct imp *im, int64_t id, bool post)
{
    for (int i = 0; i < im->read.ntags; i++)
        if ((post ? post_tag : message_tag)(im->db, id, im->read.tags[i], im->err))
            return -1;
    return 0;
}

/* After a message's text changed (an edit, an updated export): read again,
 * keeping a moderator's sentiment, and add the tags it now matches. */
static int reread_message(struct imp *im, int64_t ws, int64_t channel, const char *msg_id,
                          const struct ingest_record *r)
{
    int64_t mid = 0;
    if (message_find_platform(im->db, channel, msg_id, &mid, im->err) <= 0 ||
        read_text(im, ws, r->body) ||
        message_reread(im->db, mid, r->lang ? r->lang : im->read.lang, im->read.sentiment,
                       im->read.score, im->err) ||
        tag_text(im, mid, false))
        return fatal(im, r, im->err->msg[0] ? im->err->msg : "the message is gone");
    return 0;
}

/* A new message to the organisation through the workspace's routing rules
 * (compiled once per batch, like the tag rules). */
static int route(struct imp *im, int64_t ws, int64_t mid, const struct message_in *m)
{
    if (!im->router || im->router_ws != ws) {
        router_close(im->router);
        im->router_ws = ws;
        if (!(im->router = router_open(im->db, ws, im->err)))
            return -1;
    }
    if (!router_rules(im->router))
        return 0;
    struct route_message rm = {.channel_id = m->channel_id,
                               .kind = m->kind,
                               .lang = m->lang,
                               .sentiment = m->sentiment,
                               .author_name = m->author_name,
                               .author_handle = m->author_handle,
                               .body = m->body,
                               .tags = im->read.tags,
                               .ntags = (size_t)im->read.ntags};
    struct route_result res;
    if (router_route(im->router, im->db, mid, &rm, &res, im->err) < 0)
        return -1;
    im->c->routed += res.rule_id != 0;
    return 0;
}

static int write_message(struct imp *im, int64_t ws, int64_t channel, const struct ingest_record *r,
                         const char *msg_id, const char *kind, const char *post_id)
{
    struct message_in m = {.channel_id = channel,
                           .kind = kind,
                           .platform_id = msg_id,
                           .author_name = r->author_name,
                           .author_handle = r->author_handle,
                           .body = r->body,
                           .lang = r->lang,
                           .is_own = r->is_own,
                           .created_at = r->created_at};
    if (r->text_only && r->body) {
        int rc = message_edit_platform(im->db, channel, msg_id, r->body, im->err);
        int done = edit_done(im, r, IE_MESSAGES, rc);
        if (done > 0 && rc == UPSERT_UPDATED)
            return reread_message(im, ws, channel, msg_id, r);
        if (done)
            return done < 0 ? -1 : 0;
    }
    if (!m.created_at)
        return reject(im, r, IE_MESSAGES, "message %.80s has no time", msg_id);
    if (*im->platform_id && r->author_handle && str_eq(r->author_handle, im->platform_id))
        m.is_own = true;
    if (str_eq(kind, "dm") && !*im->platform_id && im->t->channel_id && !im->warned_dm) {
        im->warned_dm = true;
        log_warn("%s: channel %lld has no platform id, so direct messages the account sent "
                 "cannot be told from those it received: all are stored as received; set its "
                 "id (or import the archive's account.js) and import them again",
                 im->filename ? im->filename : "-", (long long)im->t->channel_id);
    }
    if (post_id && post_variant_find(im->db, channel, post_id, &m.variant_id, im->err) < 0)
        return fatal(im, r, im->err->msg);
    const char *parent = r->parent_msg_id ? r->parent_msg_id : r->reply_to;
    if (parent && message_find_platform(im->db, channel, parent, &m.parent_id, im->err) < 0)
        return fatal(im, r, im->err->msg);
    m.reply_to = parent; /* kept until kanal has the parent, if it has not yet */
    if (read_text(im, ws, r->body))
        return fatal(im, r, im->err->msg);
    if (!m.lang)
        m.lang = im->read.lang;
    m.sentiment = im->read.sentiment;
    m.sentiment_score = im->read.score;
    int64_t mid = 0;
    int rc = message_upsert(im->db, ws, &m, &mid, im->err);
    if (rc < 0)
        return fatal(im, r, im->err->msg);
    count(im, IE_MESSAGES, rc);
    if (rc == UPSERT_INSERTED && tag_text(im, mid, false))
        return fatal(im, r, im->err->msg);
    if (rc == UPSERT_INSERTED && !m.is_own && route(im, ws, mid, &m))
        return fatal(im, r, im->err->msg);
    if (rc == UPSERT_UPDATED)
        return reread_message(im, ws, channel, msg_id, r);
    return 0;
}

/* A new or edited post (im->read holds its reading): the tags it matches.
 * post is the post's id, or 0 to look it up from the variant. */
static int tag_post(struct imp *im, int64_t post, int64_t vid, const struct ingest_record *r)
{
    if (!im->read.ntags)
        return 0;
    if ((!post && post_variant_post(im->db, vid, &post, im->err) <= 0) || tag_text(im, post, true))
        return fatal(im, r, im->err->msg[0] ? im->err->msg : "the post is gone");
    return 0;
}

/* Whether the channel's own post r replies to another account (an answer
 * to someone) rather than to itself (a thread): by the account replied to,
 * else by its handle, else as the parser read the file (answers_other);
 * false when nothing says, and then it stays a post, as it always was. */
static bool answers_other(const struct imp *im, const struct ingest_record *r)
{
    if (!r->reply_to)
        return false;
    const char *self = r->account_id ? r->account_id : im->platform_id;
    if (r->reply_to_account && *self)
        return !str_eq(self, r->reply_to_account);
    const char *h = im->handle[0] == '@' ? im->handle + 1 : im->handle;
    const char *me = r->account_name ? r->account_name : h;
    if (r->reply_to_handle && *me)
        return strcasecmp(me, r->reply_to_handle) != 0;
    return r->answers_other;
}

static int write_post(struct imp *im, int64_t ws, int64_t channel, const struct ingest_record *r)
{
    if (r->foreign_is_message && im->t->channel_id)
        note_whose(im, r);
    if (r->foreign_is_message && !same_account(im, r))
        return write_message(im, ws, channel, r, r->post_id, r->reply_to ? "comment" : "mention",
                             r->reply_to);
    if (answers_other(im, r)) {
        struct ingest_record own = *r;
        own.is_own = true;
        return write_message(im, ws, channel, &own, r->post_id, "reply", NULL);
    }
    if (r->text_only) {
        int rc = post_edit_platform(im->db, channel, r->post_id, r->body, im->err);
        int done = edit_done(im, r, IE_POSTS, rc);
        int64_t vid = 0;
        if (done > 0 && rc == UPSERT_UPDATED &&
            post_variant_find(im->db, channel, r->post_id, &vid, im->err) < 0)
            return fatal(im, r, im->err->msg);
        if (vid)
            return read_text(im, ws, r->body) ? fatal(im, r, im->err->msg)
                                              : tag_post(im, 0, vid, r);
        if (done)
            return done < 0 ? -1 : 0;
    }
    struct platform_post p = {.channel_id = channel,
                              .platform_id = r->post_id,
                              .body = r->body,
                              .format = r->format,
                              .permalink = r->permalink,
                              .lang = r->lang,
                              .link_url = r->link_url,
                              .published_at = r->published_at,
                              .metrics = r->has_metrics ? r->metrics : NULL,
                              .taken_at = r->taken_at};
    /* The language is read whenever the platform names none, so that a
     * second import reads the same and changes nothing. */
    if (read_text(im, ws, r->body))
        return fatal(im, r, im->err->msg);
    if (!p.lang)
        p.lang = im->read.lang;
    if (channel != im->checked_channel || ws != im->checked_ws) {
        if (channel_in_workspace(im->db, ws, channel, im->err))
            return fatal(im, r, im->err->msg);
        im->checked_channel = channel;
        im->checked_ws = ws;
    }
    p.channel_checked = true;
    int64_t vid = 0, post = 0;
    bool with_metrics = false;
    int rc = post_upsert_platform(im->db, ws, &p, &vid, &post, &with_metrics, im->err);
    if (rc < 0)
        return fatal(im, r, im->err->msg);
    count(im, IE_POSTS, rc);
    if (rc != UPSERT_UNCHANGED && tag_post(im, post, vid, r))
        return -1;
    if (with_metrics) {
        count(im, IE_METRICS, UPSERT_INSERTED);
        return 0;
    }
    if (!r->has_metrics)
        return 0;
    rc = post_metrics_add(im->db, vid, r->taken_at, r->metrics, im->err);
    if (rc < 0)
        return fatal(im, r, im->err->msg);
    count(im, IE_METRICS, rc);
    return 0;
}

/* The account a file is of (an X archive's account.js): the channel found
 * or made for it has its id already; a channel named with --channel that
 * has none is given it, so that its direct messages can be told as sent or
 * received. A channel of another account is a mistake that stops the file. */
static int own_account(struct imp *im, int64_t ws, int64_t channel, const struct ingest_record *r)
{
    if (!im->t->channel_id || str_eq(im->platform_id, r->account_id))
        return 0;
    if (*im->platform_id) {
        char why[400];
        snprintf(why, sizeof why,
                 "the file is of account %.40s (@%.40s), but channel %lld is account %.40s; "
                 "import it with that account's channel",
                 r->account_id, r->account_name ? r->account_name : "?",
                 (long long)im->t->channel_id, im->platform_id);
        return fatal(im, r, why);
    }
    json_t *patch = json_pack("{s:s}", "platform_id", r->account_id);
    json_t *done = entity_update(im->db, &entity_channel, ws, channel, patch, NULL, im->err);
    json_decref(patch);
    if (!done)
        return fatal(im, r, im->err->msg);
    json_decref(done);
    snprintf(im->platform_id, sizeof im->platform_id, "%s", r->account_id);
    log_info("channel %lld is X account %s from now on", (long long)channel, r->account_id);
    return 0;
}

/* A hide or remove of something kanal never saw changes nothing: Meta
 * sends changes for posts and comments older than the channel in kanal. */
static int status_done(struct imp *im, const struct ingest_record *r, enum ingest_entity e, int rc)
{
    if (rc < 0 && im->err->kind != ERR_NOT_FOUND)
        return fatal(im, r, im->err->msg);
    error_clear(im->err);
    count(im, e, rc < 0 ? UPSERT_UNCHANGED : rc);
    return 0;
}

static int emit(void *ctx, const struct ingest_record *r)
{
    struct imp *im = ctx;
    if (im->progress && ++im->done % 1000 == 0)
        im->progress(im->progress_ctx, im->done, im->total);
    if (r->kind == REC_REJECT)
        return reject(im, r, (enum ingest_entity) - 1, "%s", r->reason);
    if (r->kind == REC_SHARE) {
        im->c->shares_skipped++;
        return 0;
    }
    if (r->kind == REC_SKIP) {
        ingest_counts_not_read(im->c, r->reason, r->skipped);
        return 0;
    }
    enum ingest_entity e = r->kind == REC_POST || r->kind == REC_POST_STATUS ? IE_POSTS
                           : r->kind == REC_POST_METRICS                     ? IE_METRICS
                           : r->kind == REC_CHANNEL_METRICS || r->kind == REC_ACCOUNT
                               ? IE_CHANNEL_METRICS
                               : IE_MESSAGES;
    const char *why = invalid(r);
    if (why)
        return reject(im, r, e, "%s", why);
    int64_t channel = 0, ws = im->t->workspace_id;
    if (resolve_channel(im, r, &channel))
        return -1;
    /* Only webhooks (which never create channels) skip an unknown account. */
    assert(channel || !im->t->create_channels);
    if (!channel)
        return 0; /* a webhook for a page kanal does not have: counted */
    if (!ws && channel_find_platform(im->db, &ws, r->platform ? r->platform : "other",
                                     r->account_id, &channel, im->err) < 0)
        return fatal(im, r, im->err->msg);
    int rc;
    int64_t vid = 0;
    switch (r->kind) {
    case REC_POST:
        return write_post(im, ws, channel, r);
    case REC_POST_METRICS:
        rc = post_variant_find(im->db, channel, r->post_id, &vid, im->err);
        if (rc < 0)
            return fatal(im, r, im->err->msg);
        if (rc == 0)
            return reject(im, r, IE_METRICS,
                          "post %.80s is not in kanal yet; import its post (feed or media "
                          "list) first",
                          r->post_id);
        rc = post_metrics_add(im->db, vid, r->taken_at, r->metrics, im->err);
        if (rc < 0)
            return fatal(im, r, im->err->msg);
        count(im, IE_METRICS, rc);
        return 0;
    case REC_POST_STATUS:
        return status_done(
            im, r, IE_POSTS,
            post_variant_set_platform_status(im->db, channel, r->post_id, r->status, im->err));
    case REC_MESSAGE:
        if (!r->msg_id)
            return reject(im, r, IE_MESSAGES, "the message has no id");
        return write_message(im, ws, channel, r, r->msg_id, r->msg_kind ? r->msg_kind : "comment",
                             r->post_id);
    case REC_MESSAGE_STATUS:
        return status_done(
            im, r, IE_MESSAGES,
            message_set_platform_status(im->db, channel, r->msg_id, r->status, im->err));
    case REC_CHANNEL_METRICS:
        if (r->followers < 0 && r->reach < 0 && r->impressions < 0)
            return 0;
        rc = channel_metrics_add(im->db, channel, r->taken_at, r->followers, r->reach,
                                 r->impressions, im->err);
        if (rc < 0)
            return fatal(im, r, im->err->msg);
        count(im, IE_CHANNEL_METRICS, rc);
        return 0;
    case REC_ACCOUNT:
        return own_account(im, ws, channel, r);
    case REC_REJECT:
    case REC_SHARE:
    case REC_SKIP:
        break;
    }
    return 0;
}

/* emit, for a record whose text the reader thread has read. */
static int write_read(void *ctx, const struct ingest_record *r, const struct enrichment *read)
{
    struct imp *im = ctx;
    im->pre = read;
    int rc = emit(im, r);
    im->pre = NULL;
    return rc;
}

/* Whether to parse on a second thread: files of a line format large enough
 * to pay for it, imported into one known workspace (a webhook call may span
 * several, and each needs its own reading of texts). */
static bool beside(enum ingest_format f, const struct ingest_target *t, size_t len,
                   const struct ingest_opts *o)
{
    return (f == INGEST_NDJSON || f == INGEST_CSV) && t->workspace_id && !o->one_thread &&
           len >= 1 << 20;
}

/* The workspace's time zone (caller frees), or NULL and err. */
static struct tz *workspace_zone(struct db *db, int64_t ws, struct error *err)
{
    json_t *w = entity_get(db, &entity_workspace, ws, ws, err);
    const char *name = json_string_value(json_object_get(w, "timezone"));
    struct tz *z = w ? tz_load(name ? name : "UTC", err) : NULL;
    json_decref(w);
    return z;
}

int ingest_import(const struct import_job *job, const char *data, size_t len,
                  struct ingest_counts *counts, struct error *err)
{
    assert(job && job->db && counts && err);
    assert(data || len == 0);
    struct db *db = job->db;
    const struct ingest_target *t = &job->target;
    const char *filename = job->filename;
    struct ingest_counts c = {0};
    struct imp im = {.db = db,
                     .t = t,
                     .filename = filename,
                     .rejects = job->rejects,
                     .c = &c,
                     .err = err,
                     .progress = job->progress,
                     .progress_ctx = job->progress_ctx};
    struct ingest_opts o = job->opts;
    enum ingest_format f = job->format;
    if (!o.taken_at)
        o.taken_at = time_now();
    if (f == INGEST_AUTO)
        f = ingest_detect(data, len, filename);
    if (f == INGEST_AUTO)
        return error_set(err, ERR_INVALID,
                         "%s: cannot tell the format; name it with --format (meta-graph, "
                         "meta-webhook, instagram, x-api, x-archive, youtube, mastodon, csv, "
                         "ndjson, tiktok, tiktok-csv, linkedin-xls, bluesky, tiktok-api, threads, "
                         "linkedin-api)",
                         filename ? filename : "-");
    /* CSV is read as its bytes; NDJSON checks line by line, on the reader
     * thread when there is one, rather than the whole file before it. */
    if (f != INGEST_CSV && f != INGEST_NDJSON && f != INGEST_LINKEDIN_XLS && !utf8_valid(data, len))
        return error_set(err, ERR_INVALID, "%s: the file is not UTF-8 text",
                         filename ? filename : "-");
    /* A line is a record in the line formats: counting them is cheap next
     * to importing them, and makes the bar honest. */
    if (im.progress && (f == INGEST_NDJSON || f == INGEST_CSV || f == INGEST_TIKTOK_CSV))
        for (const char *p = data, *end = data + len; (p = memchr(p, '\n', (size_t)(end - p))); p++)
            im.total++;
    /* A CSV mapping may read local times as the workspace's, and TikTok's
     * and LinkedIn's exports write them so. */
    struct tz *zone = NULL;
    if ((f == INGEST_CSV || f == INGEST_TIKTOK_CSV || f == INGEST_LINKEDIN_XLS) &&
        t->workspace_id && !o.zone) {
        if (!(zone = workspace_zone(db, t->workspace_id, err)))
            return -1;
        o.zone = zone;
    }
    if (db_begin(db, err)) {
        tz_free(zone);
        return -1;
    }
    if (t->channel_id && channel_platform_info(db, t->workspace_id, t->channel_id, im.platform,
                                               im.platform_id, im.handle, err))
        goto fail;
    int rc = 1; /* 1: read and write in turn */
    if (beside(f, t, len, &o)) {
        im.enr_ws = t->workspace_id;
        if (!(im.enr = enricher_open(db, t->workspace_id, err)))
            goto fail;
        rc = ingest_parse_beside(f, data, len, &o, im.enr, write_read, &im, err);
    }
    if (rc == 1)
        rc = ingest_parse(f, data, len, &o, emit, &im, err);
    if (rc)
        goto fail;
    if (db_commit(db, err))
        goto fail;
    enricher_close(im.enr);
    im.enr = NULL;
    router_close(im.router);
    im.router = NULL;
    tz_free(zone);
    check_whose(&im);
    if (im.progress)
        im.progress(im.progress_ctx, im.done, im.done);
    for (int e = 0; e < IE_COUNT; e++) {
        counts->inserted[e] += c.inserted[e];
        counts->updated[e] += c.updated[e];
        counts->unchanged[e] += c.unchanged[e];
        counts->rejected[e] += c.rejected[e];
    }
    counts->rejects += c.rejects;
    counts->unknown_account += c.unknown_account;
    counts->shares_skipped += c.shares_skipped;
    counts->routed += c.routed;
    for (int i = 0; i < c.nnot_read; i++)
        ingest_counts_not_read(counts, c.not_read[i].what, c.not_read[i].n);
    return 0;
fail:
    enricher_close(im.enr);
    router_close(im.router);
    tz_free(zone);
    db_rollback(db);
    if (!err->msg[0]) {
        error_set(err, ERR_INTERNAL, "%s: the import stopped", filename ? filename : "-");
    } else if (!im.fatal) {
        char copy[sizeof err->msg];
        snprintf(copy, sizeof copy, "%s", err->msg);
        error_set(err, err->kind, "%s: %s", filename ? filename : "-", copy);
    }
    return -1;
}

int ingest_import_file(const struct import_job *job, const char *path, struct ingest_counts *counts,
                       enum ingest_format *detected, struct error *err)
{
    assert(job && path);
    struct buf data = {0};
    int rc = -1;
    FILE *in = fopen(path, "rb");
    struct stat sb;
    if (!in || fstat(fileno(in), &sb)) {
        error_set(err, ERR_INVALID, "%s: cannot open: %s", path, strerror(errno));
        goto done;
    }
    /* Straight into a buffer of the file's size: growing it by chunks
     * copied a large file over and over. */
    if (sb.st_size > 0)
        buf_reserve(&data, (size_t)sb.st_size);
    for (size_t n = 1; n;) {
        if (data.cap - data.len < 2)
            buf_reserve(&data, 65536);
        n = fread(data.data + data.len, 1, data.cap - data.len - 1, in);
        data.len += n;
        data.data[data.len] = '\0';
    }
    if (ferror(in)) {
        error_set(err, ERR_INVALID, "%s: cannot read: %s", path, strerror(errno));
        goto done;
    }
    struct import_job j = *job;
    j.filename = path;
    if (!j.opts.taken_at)
        j.opts.taken_at = (int64_t)sb.st_mtime;
    if (j.format == INGEST_AUTO)
        j.format = ingest_detect(data.data ? data.data : "", data.len, path);
    if (detected)
        *detected = j.format;
    rc = ingest_import(&j, data.data ? data.data : "", data.len, counts, err);
done:
    if (in)
        fclose(in);
    buf_free(&data);
    return rc;
}
