/* ingest: reads the platforms' real export, API and webhook formats into
 * records (parsers: no database), and imports records through the model's
 * idempotent upserts, one transaction per file, with rejects reported. */
#ifndef KANAL_INGEST_H
#define KANAL_INGEST_H

#include <stdio.h>

#include "base/base.h"
#include "db/db.h"
#include "model/model.h"

enum ingest_format {
    INGEST_AUTO,
    INGEST_META_GRAPH,   /* Graph API page feed/posts, comments, page insights */
    INGEST_META_WEBHOOK, /* object/entry[]/changes[] envelopes, page and instagram */
    INGEST_INSTAGRAM,    /* Instagram Graph media, comments, insights */
    INGEST_X_API,        /* X API v2 responses with includes */
    INGEST_X_ARCHIVE,    /* tweets.js from an X archive */
    INGEST_YOUTUBE,      /* commentThreads and comments lists */
    INGEST_MASTODON,     /* an array of status entities */
    INGEST_CSV,          /* exports read through a column mapping */
    INGEST_NDJSON,       /* kanal's own schema, docs/ndjson.md */
    INGEST_TIKTOK,       /* TikTok's "Download your data" in JSON (user_data.json) */
    INGEST_TIKTOK_CSV,   /* TikTok Studio's analytics exports: content, overview, followers */
    INGEST_LINKEDIN_XLS, /* LinkedIn page analytics exports (.xls): posts, daily metrics */
    INGEST_BLUESKY,      /* AT Protocol answers: author feed, notifications, thread, profile */
    INGEST_TIKTOK_API,   /* TikTok's Display API answers: /v2/user/info/, /v2/video/list/ */
    INGEST_THREADS,      /* Threads API answers: threads, replies, conversation, insights */
    INGEST_LINKEDIN_API, /* LinkedIn REST answers: posts, comments, share statistics, followers */
    INGEST_FORMAT_COUNT
};
/* "meta-graph", "x-archive", ...; INGEST_AUTO is "auto". */
const char *ingest_format_name(enum ingest_format f);
/* -1 for an unknown name. */
int ingest_format_parse(const char *name);
/* Guesses the format from the first bytes and the file name (may be NULL).
 * Returns INGEST_AUTO when it cannot tell. */
enum ingest_format ingest_detect(const char *data, size_t len, const char *filename);

enum ingest_kind {
    REC_POST,            /* a post; with has_metrics also a metric snapshot */
    REC_POST_METRICS,    /* a snapshot for a post imported before */
    REC_POST_STATUS,     /* a post removed/hidden at the platform */
    REC_MESSAGE,         /* a comment, reply, mention, DM or review */
    REC_MESSAGE_STATUS,  /* hide / unhide / remove of a message */
    REC_CHANNEL_METRICS, /* followers, reach, impressions of the account */
    REC_REJECT,          /* a row that cannot be read: reason */
    REC_SHARE,           /* a retweet or boost of a post: counted, not stored */
    REC_ACCOUNT,         /* the account the file is of (an X archive's account.js) */
    REC_SKIP,            /* `skipped` items of a kind kanal does not keep: reason says which */
};

/* One thing a parser read. Strings are NULL when absent and stay valid only
 * during the emit call (they point into the parser's document or arena). */
struct ingest_record {
    enum ingest_kind kind;
    char where[128];           /* "line 12" or "$.data[3]": where in the file it came from */
    const char *platform;      /* facebook, instagram, x, youtube, mastodon, bluesky, other */
    const char *account_id;    /* page/account id at the platform (channel lookup) */
    const char *account_name;  /* its handle or name, if the payload says */
    const char *account_title; /* the name people know it by (a page's name), if said */
    bool account_is_peer;      /* another organisation's (a channel made for it is a peer) */
    /* posts */
    const char *post_id, *body, *format, *permalink, *lang, *link_url;
    int64_t published_at;
    bool has_metrics;
    int64_t taken_at;
    int64_t metrics[PM_COUNT]; /* -1: not reported */
    /* Set for X API tweets, Mastodon statuses and Instagram media known by
     * username only: one by another account than the channel's is a mention
     * (or reply) in the inbox, not the organisation's post. */
    bool foreign_is_message;
    /* Set for webhook changes, which carry the text but not all an import
     * stored (a post's permalink, format or link; a comment's media or
     * author): a post or message kanal has is only given the new text. */
    bool text_only;
    const char *reply_to; /* the post or message this one answers */
    /* Whose post or message that is (X, Mastodon), by id or by handle: an
     * account's reply to someone else is its answer to them, a message in
     * the inbox, not a post; a reply to itself continues a thread, a post. */
    const char *reply_to_account, *reply_to_handle;
    /* What the file itself says when neither names whom a reply answers in
     * a way kanal can compare (an old X archive tweet has the user id but
     * no handle, and the channel may have no id): the tweet replied to is
     * not one of the account's own in the file. */
    bool answers_other;
    /* messages */
    const char *msg_id, *msg_kind, *parent_msg_id, *author_name, *author_handle;
    bool is_own;
    int64_t created_at;
    /* status changes: "hidden", "open" (unhide) or "removed" */
    const char *status;
    /* channel metrics (taken_at above) */
    int64_t followers, reach, impressions;
    const char *reason; /* REC_REJECT; REC_SKIP: what was not read */
    int64_t skipped;    /* REC_SKIP: how many of them */
};

/* Called for every record; a non-zero return stops the parse (the parser
 * then returns -1 without touching err). */
typedef int (*ingest_emit_fn)(void *ctx, const struct ingest_record *rec);

struct csv_mapping;

struct ingest_opts {
    /* When a metric snapshot's time is not in the payload (API responses,
     * exports), this is its time: the file's modification time by default,
     * so the same file twice is the same snapshot. */
    int64_t taken_at;
    const struct csv_mapping *mapping; /* INGEST_CSV; NULL: detect by header */
    /* The zone a CSV mapping's "zone = workspace" means: the importer sets
     * the workspace's; NULL is UTC. */
    const struct tz *zone;
    /* A large NDJSON or CSV file is parsed on a second thread while rows
     * are written; true reads and writes in turn (tests compare the two). */
    bool one_thread;
};

/* Parses a whole file's bytes. Rows that cannot be read are emitted as
 * REC_REJECT; a file that cannot be read at all returns -1 with err naming
 * where (line or JSON path) and why. */
int ingest_parse(enum ingest_format f, const char *data, size_t len, const struct ingest_opts *opts,
                 ingest_emit_fn emit, void *ctx, struct error *err);

/* ---- CSV mappings (docs/csv-mappings.md) ------------------------------------------ */

/* Parses a mapping file's text; NULL and err naming the line. Free with
 * csv_mapping_free. */
struct csv_mapping *csv_mapping_parse(const char *text, size_t len, struct error *err);
/* The mappings kanal ships: "meta-business-suite",
 * "meta-business-suite-instagram", "uci-facebook-metrics".
 * Owned by kanal; NULL for an unknown name. */
const struct csv_mapping *csv_mapping_builtin(const char *name);
void csv_mapping_free(struct csv_mapping *m);

/* ---- text repair ------------------------------------------------------------------ */

/* Meta's exports write UTF-8 bytes as Latin-1 code points ("\u00c3\u00a4"
 * for "ä"). If s is such mojibake, returns the repaired text in the arena;
 * otherwise s itself. */
const char *ingest_fix_mojibake(const char *s, struct arena *a);

/* ---- importing --------------------------------------------------------------------- */

enum ingest_entity { IE_POSTS, IE_METRICS, IE_MESSAGES, IE_CHANNEL_METRICS, IE_COUNT };
extern const char *const ingest_entity_names[IE_COUNT];

struct ingest_counts {
    int64_t inserted[IE_COUNT], updated[IE_COUNT], unchanged[IE_COUNT], rejected[IE_COUNT];
    int64_t rejects;         /* rows rejected before they were an entity */
    int64_t unknown_account; /* webhook entries for pages no channel has */
    /* Retweets and boosts: shares of a post, which its own share count
     * holds. Neither the sharing account's post nor a message to answer. */
    int64_t shares_skipped;
    int64_t routed; /* new messages a routing rule assigned, prioritised or tagged */
    /* What a file holds that kanal does not keep (a TikTok download's
     * comments the account wrote under other people's videos, its watch
     * history): counted by kind, so the summary says what was not read. */
    struct {
        char what[96];
        int64_t n;
    } not_read[8];
    int nnot_read;
};
/* Adds n items of kind `what` to c's not_read (the last slot takes any
 * kinds beyond the eighth). */
void ingest_counts_not_read(struct ingest_counts *c, const char *what, int64_t n);

struct ingest_target {
    int64_t workspace_id;
    int64_t channel_id; /* 0: find or create from the payload's account id */
    /* With channel_id 0: create a channel for an unknown account (imports),
     * or skip and count it (webhooks, which must not invent channels). */
    bool create_channels;
};

/* Progress, for a bar: records done so far, and for line formats (NDJSON,
 * CSV) about how many there are in all (0: unknown). May be NULL. */
typedef void (*ingest_progress_fn)(void *ctx, int64_t done, int64_t total);

/* What one import is: where it writes, what the input is, and where it
 * reports. The same job may import several files in turn; it is only read. */
struct import_job {
    struct db *db;
    struct ingest_target target;
    enum ingest_format format; /* INGEST_AUTO: detect from the bytes and name */
    const char *filename;      /* names the input in errors and rejects; may be NULL */
    struct ingest_opts opts;
    /* Rejected rows are written here (may be NULL) as
     * "FILE<TAB>WHERE<TAB>REASON" lines. */
    FILE *rejects;
    ingest_progress_fn progress; /* may be NULL */
    void *progress_ctx;
};

/* Imports one file's bytes in one transaction: everything or, on a fatal
 * error (unreadable file, database failure), nothing. Rejected rows are
 * counted into *counts (added to what it holds). Returns 0 or -1 with err. */
int ingest_import(const struct import_job *job, const char *data, size_t len,
                  struct ingest_counts *counts, struct error *err);

/* Reads the file at path (job->filename is ignored: path names it) and
 * imports it as above; the default taken_at is its mtime unless
 * job->opts.taken_at is set. *detected (may be NULL) gets the format used. */
int ingest_import_file(const struct import_job *job, const char *path, struct ingest_counts *counts,
                       enum ingest_format *detected, struct error *err);

/* ---- Meta webhooks ----------------------------------------------------------------- */

/* Checks "sha256=<64 hex>" against HMAC-SHA256(secret, body) in constant
 * time. */
bool ingest_meta_signature_ok(const char *header, const char *secret, const char *body, size_t len);

#endif
