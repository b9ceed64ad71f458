/* links: what kanal needs to hand out tagged short links and count their
 * clicks without personal data: URL checks and the UTM builder, short codes,
 * user-agent and referrer reduction, the daily visitor hash, QR codes and the
 * durable click log that feeds the store. */
#ifndef KANAL_LINKS_H
#define KANAL_LINKS_H

#include <jansson.h>

#include "base/base.h"
#include "db/db.h"
#include "model/model.h"

/* ---- URLs and UTM parameters ------------------------------------------------ */

#define LINKS_URL_MAX 2048 /* longer URLs break in some browsers and mail clients */
#define LINKS_UTM_MAX 100

enum utm_param { UTM_SOURCE, UTM_MEDIUM, UTM_CAMPAIGN, UTM_TERM, UTM_CONTENT, UTM_COUNT };
extern const char *const links_utm_names[UTM_COUNT]; /* "utm_source", ... */

struct utm {
    char v[UTM_COUNT][LINKS_UTM_MAX + 1]; /* "" when not set */
};

/* Checks that `url` is an absolute http(s) URL with a host and no user
 * name or password, and writes its canonical form into out: scheme and host
 * lower case, an international host in its ASCII (xn--) form, bytes outside
 * printable ASCII percent-encoded. ERR_INVALID with the reason. */
int links_url_normalise(const char *url, struct buf *out, struct error *err);

/* The usual UTM normalisation: trimmed, lower case, each run of spaces one
 * '-'. ERR_INVALID (naming the parameter) for control characters, invalid
 * UTF-8 or more than LINKS_UTM_MAX bytes. */
int links_utm_normalise(enum utm_param p, const char *in, char out[LINKS_UTM_MAX + 1],
                        struct error *err);

/* Source and medium for a channel's platform (facebook -> facebook/social);
 * false for an unknown platform. */
bool links_utm_preset(const char *platform, const char **source, const char **medium);

/* Writes url (already normalised) with the set UTM parameters added to its
 * query, before any fragment, into out. Existing utm_* parameters are
 * replaced; *had_utm tells whether there were any, so the caller can warn. */
void links_utm_apply(const char *url, const struct utm *u, struct buf *out, bool *had_utm);

/* ---- short codes ---------------------------------------------------------------- */

#define LINKS_CODE_LEN 7
/* No 0/O, 1/l/I: codes are read aloud and typed from print. */
extern const char links_code_alphabet[];
/* Where code bytes come from; randombytes_buf unless a test swaps it. */
extern void (*links_random)(void *buf, size_t n);
void links_code_new(char out[LINKS_CODE_LEN + 1]);
/* A code a person chose: 3-64 of [A-Za-z0-9_-]. */
bool links_code_valid(const char *code);

/* ---- what a click keeps -------------------------------------------------------------- */

enum device { DEVICE_DESKTOP, DEVICE_MOBILE, DEVICE_TABLET, DEVICE_OTHER };
extern const char *const links_device_names[4];
/* Device class and bot flag from a User-Agent header (NULL allowed). */
void links_classify_ua(const char *ua, enum device *device, bool *bot);
/* The host of a Referer header, lower case, without user, port or path; ""
 * when there is none or it is not an http(s) URL. */
void links_referrer_host(const char *referer, char out[256]);

/* A visitor hash: a keyed hash of the client's address and user agent under
 * a random salt that lives only in memory and changes every UTC day, so
 * hashes can be counted within a day but never reversed or joined across
 * days. 32 hex characters. Thread-safe. */
#define LINKS_VISITOR_HEX 32
void links_visitor_hash(const char *ip, const char *ua, int64_t now,
                        char out[LINKS_VISITOR_HEX + 1]);

/* ---- QR codes -------------------------------------------------------------------- */

/* Appends an SVG / PNG image of a QR code for text (medium error correction,
 * a 4-module quiet zone). PNG modules are `scale` pixels. */
int links_qr_svg(const char *text, struct buf *out, struct error *err);
int links_qr_png(const char *text, int scale, struct buf *out, struct error *err);

/* ---- creating links ------------------------------------------------------------------ */

/* Input {url, code?, campaign_id?, channel_id?, post_id?, advocate?, utm_source?,
 * utm_medium?, utm_campaign?, utm_term?, utm_content?}. A channel fills
 * source and medium from its platform's preset, a campaign fills
 * utm_campaign from its name, an advocate fills utm_content; explicit values
 * win. Returns the stored link plus "warnings": [..]. Caller owns it. */
json_t *links_create(struct db *db, int64_t workspace_id, json_t *in, const struct actor *who,
                     struct error *err);

/* What links_create would make of `in`, without storing it: {url,
 * target_url, utm_source, ..., advocate, warnings} (the desk's UTM builder
 * shows it as it is typed). Caller owns. */
json_t *links_preview(struct db *db, int64_t workspace_id, json_t *in, struct error *err);

/* A patch of the same fields but code, over the link as it is. A new
 * channel, campaign or advocate fills the UTM parts it presets anew unless
 * the patch sets them. Returns the link plus "warnings"; caller owns.
 * ERR_NOT_FOUND, ERR_INVALID naming the field. The caller forgets the code
 * in its cache (links_cache_forget). */
json_t *links_update(struct db *db, int64_t workspace_id, int64_t id, json_t *patch,
                     const struct actor *who, struct error *err);

/* ---- the redirect ---------------------------------------------------------------------- */

/* A small in-memory cache of codes and their targets (entries expire after
 * a minute), one per server. Thread-safe; the caller owns it
 * (links_cache_free). */
struct links_cache;
struct links_cache *links_cache_new(void);
void links_cache_free(struct links_cache *cache);
/* Looks a code up through the cache. Returns 1 with *link_id set and the
 * target URL copied into url, 2 with *link_id set for a retired link, 0 for
 * an unknown code, -1 on a store error. */
int links_resolve(struct links_cache *cache, struct db *db, const char *code, int64_t *link_id,
                  struct buf *url, struct error *err);
/* The cache alone, without the store: 1 or 2 as links_resolve, 0 when the
 * code is not cached (links_resolve then asks the store). */
int links_cached(struct links_cache *cache, const char *code, int64_t *link_id, struct buf *url);
/* Drops a code from this server's cache after its link changed. */
void links_cache_forget(struct links_cache *cache, const char *code);

/* ---- the click log ------------------------------------------------------------------------
 * A click is appended (one write) to the log before its redirect is
 * answered; a background thread reads the log and stores new clicks in
 * batches, recording in the same transaction how far it got, so a restart
 * after a crash stores each logged click exactly once. */
struct click {
    int64_t link_id, at;
    enum device device;
    bool bot;
    char referrer_host[256];
    char visitor[LINKS_VISITOR_HEX + 1];
};

enum fsync_policy {
    FSYNC_BATCH, /* fdatasync every interval: kill -9 loses nothing, power loss < 1 interval */
    FSYNC_ALWAYS /* fdatasync before each redirect is answered */
};
struct click_log;

/* Opens (creating it) and locks the log at path, so two servers cannot share
 * it. The caller owns the result (clicklog_close). */
struct click_log *clicklog_open(const char *path, enum fsync_policy policy, struct error *err);
void clicklog_close(struct click_log *log);
/* Appends one click; returns 0 once it is written. When it cannot be
 * written (a full disk), the file is left as it was, the click is counted
 * in clicklog_lost and the failure logged at most once a minute:
 * the caller still answers its redirect. */
int clicklog_append(struct click_log *log, const struct click *c, struct error *err);
/* Clicks that could not be written to this log since it was opened:
 * /metrics' kanal_clicks_lost_total. */
uint64_t clicklog_lost(struct click_log *log);
/* Clicks written to the log and not yet stored, as of the applier's last
 * batch: /metrics' kanal_clicks_pending, the applier's lag. */
int64_t clicklog_pending(struct click_log *log);
/* Stores every logged click not yet stored. Returns how many it stored (a
 * click on a link deleted since is dropped), or -1. */
int64_t clicklog_apply(struct click_log *log, struct db *db, struct error *err);
/* Starts the thread that applies the log every `interval_ms` on its own
 * connection to db_url, at a lower scheduling priority than the threads
 * that answer (nice +10); clicklog_stop applies what is left and joins it. */
int clicklog_start(struct click_log *log, const char *db_url, int interval_ms, struct error *err);
void clicklog_stop(struct click_log *log);

#endif
