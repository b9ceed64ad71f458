/* links: making a short link from a request (checks, presets, the UTM
 * builder, a fresh code) and looking codes up for the redirect through a
 * small cache, so that the hot path rarely touches the store. */
#include "links/links.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CODE_TRIES 8

static const char *const create_keys[] = {"url",          "code",     "campaign_id", "channel_id",
                                          "post_id",      "advocate", "utm_source",  "utm_medium",
                                          "utm_campaign", "utm_term", "utm_content", NULL};

/* An optional id field that must name a row of `table` in this workspace. */
static int ref_field(struct db *db, json_t *in, const char *name, const char *table,
                     int64_t workspace_id, int64_t *out, struct error *err)
{
    json_t *v = json_object_get(in, name);
    *out = 0;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 1)
        return error_field(err, ERR_INVALID, name, "field '%s' must be an id", name);
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT 1 FROM %s WHERE id = ? AND workspace_id = ?", table);
    int found = db_scalar(db, err, NULL, sql, "ii", (int64_t)json_integer_value(v), workspace_id);
    if (found < 0)
        return -1;
    if (!found)
        return error_field(err, ERR_INVALID, name, "field '%s': no such %s in this workspace", name,
                           name);
    *out = json_integer_value(v);
    return 0;
}

static int text_field(json_t *in, const char *name, const char **out, struct error *err)
{
    json_t *v = json_object_get(in, name);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
        return error_field(err, ERR_INVALID, name, "field '%s' must be a string", name);
    *out = json_string_value(v);
    return 0;
}

/* A link made for a post is counted with that post: it takes the post's
 * campaign, and its channel when the post is on one channel only, unless
 * the request names them. */
static int post_defaults(struct db *db, int64_t workspace_id, struct link_in *l, struct error *err)
{
    if (!l->post_id)
        return 0;
    if (!l->campaign_id &&
        db_scalar(db, err, &l->campaign_id,
                  "SELECT campaign_id FROM posts WHERE id = ? AND workspace_id = ?", "ii",
                  l->post_id, workspace_id) < 0)
        return -1;
    if (!l->channel_id && db_scalar(db, err, &l->channel_id,
                                    "SELECT MIN(channel_id) FROM post_variants WHERE post_id = ? "
                                    "HAVING COUNT(DISTINCT channel_id) = 1",
                                    "i", l->post_id) < 0)
        return -1;
    return 0;
}

/* Fills UTM defaults from the channel's platform and the campaign's name. */
static int presets(struct db *db, int64_t workspace_id, int64_t channel_id, int64_t campaign_id,
                   struct utm *u, struct error *err)
{
    if (channel_id && (!u->v[UTM_SOURCE][0] || !u->v[UTM_MEDIUM][0])) {
        json_t *ch = entity_get(db, &entity_channel, workspace_id, channel_id, err);
        if (!ch)
            return -1;
        const char *src, *med;
        if (links_utm_preset(json_string_value(json_object_get(ch, "platform")), &src, &med)) {
            if (!u->v[UTM_SOURCE][0])
                snprintf(u->v[UTM_SOURCE], sizeof u->v[UTM_SOURCE], "%s", src);
            if (!u->v[UTM_MEDIUM][0])
                snprintf(u->v[UTM_MEDIUM], sizeof u->v[UTM_MEDIUM], "%s", med);
        }
        json_decref(ch);
    }
    if (campaign_id && !u->v[UTM_CAMPAIGN][0]) {
        json_t *cp = entity_get(db, &entity_campaign, workspace_id, campaign_id, err);
        if (!cp)
            return -1;
        int rc = links_utm_normalise(UTM_CAMPAIGN, json_string_value(json_object_get(cp, "name")),
                                     u->v[UTM_CAMPAIGN], err);
        json_decref(cp);
        if (rc)
            return -1;
    }
    return 0;
}

/* What a link request builds: the checked fields, the canonical URL and
 * the target with its UTM tags, and warnings for the person making it. */
struct built {
    struct link_in l;
    struct utm u;
    struct buf url, target;
    char adv[LINKS_UTM_MAX + 1];
    const char *code;
};

static void built_free(struct built *b)
{
    buf_free(&b->url);
    buf_free(&b->target);
}

static int build(struct db *db, int64_t workspace_id, json_t *in, struct built *b, json_t *warnings,
                 struct error *err)
{
    const char *advocate = NULL, *raw = NULL;
    if (!json_is_object(in))
        return error_set(err, ERR_INVALID, "expected a JSON object");
    const char *key;
    json_t *v;
    json_object_foreach (in, key, v) {
        bool ok = false;
        for (const char *const *k = create_keys; *k && !ok; k++)
            ok = str_eq(*k, key);
        if (!ok)
            return error_field(err, ERR_INVALID, key, "unknown field '%s' for a link", key);
    }
    if (text_field(in, "url", &raw, err) || text_field(in, "code", &b->code, err) ||
        text_field(in, "advocate", &advocate, err))
        return -1;
    if (!raw || !*raw)
        return error_field(err, ERR_INVALID, "url", "field 'url' is required for a link");
    if (links_url_normalise(raw, &b->url, err))
        return -1;
    for (int i = 0; i < UTM_COUNT; i++) {
        const char *s;
        if (text_field(in, links_utm_names[i], &s, err) ||
            (s && links_utm_normalise((enum utm_param)i, s, b->u.v[i], err)))
            return -1;
    }
    if (advocate) {
        if (links_utm_normalise(UTM_CONTENT, advocate, b->adv, err)) {
            snprintf(err->field, sizeof err->field, "advocate");
            return -1;
        }
        /* One utm_content per employee is how analytics tools tell them apart. */
        if (!b->u.v[UTM_CONTENT][0])
            memcpy(b->u.v[UTM_CONTENT], b->adv, sizeof b->adv);
    }
    struct link_in *l = &b->l;
    if (ref_field(db, in, "campaign_id", "campaigns", workspace_id, &l->campaign_id, err) ||
        ref_field(db, in, "channel_id", "channels", workspace_id, &l->channel_id, err) ||
        ref_field(db, in, "post_id", "posts", workspace_id, &l->post_id, err) ||
        post_defaults(db, workspace_id, l, err) ||
        presets(db, workspace_id, l->channel_id, l->campaign_id, &b->u, err))
        return -1;
    if (b->code && !links_code_valid(b->code))
        return error_field(err, ERR_INVALID, "code",
                           "field 'code' must be 3 to 64 letters, digits, '-' or '_'");
    bool had_utm = false;
    links_utm_apply(b->url.data, &b->u, &b->target, &had_utm);
    if (had_utm)
        json_array_append_new(warnings,
                              json_string("the URL already carries UTM parameters; the ones set "
                                          "here replace those with the same name"));
    if (!b->u.v[UTM_SOURCE][0] && (b->u.v[UTM_MEDIUM][0] || b->u.v[UTM_CAMPAIGN][0]))
        json_array_append_new(warnings, json_string("utm_source is empty: analytics tools will "
                                                    "not attribute the visits to a source"));
    if (b->target.len > LINKS_URL_MAX)
        return error_field(err, ERR_INVALID, "url",
                           "the URL is longer than %d bytes with its UTM tags", LINKS_URL_MAX);
    l->url = b->url.data;
    l->target_url = b->target.data;
    l->advocate = b->adv;
    for (int i = 0; i < UTM_COUNT; i++)
        l->utm[i] = b->u.v[i];
    return 0;
}

json_t *links_create(struct db *db, int64_t workspace_id, json_t *in, const struct actor *who,
                     struct error *err)
{
    json_t *out = NULL, *warnings = json_array();
    struct built b = {0};
    if (build(db, workspace_id, in, &b, warnings, err))
        goto fail;
    int64_t id = 0;
    char fresh[LINKS_CODE_LEN + 1];
    for (int attempt = 0;; attempt++) {
        if (!b.code)
            links_code_new(fresh);
        b.l.code = b.code ? b.code : fresh;
        if (link_insert(db, workspace_id, &b.l, who, &id, err) == 0)
            break;
        /* A clash of random codes is rare; try another. A chosen code stays taken. */
        if (b.code || err->kind != ERR_CONFLICT || attempt + 1 == CODE_TRIES)
            goto fail;
        error_clear(err);
    }
    out = link_get(db, workspace_id, id, err);
    if (out)
        json_object_set_new(out, "warnings", json_incref(warnings));
fail:
    json_decref(warnings);
    built_free(&b);
    return out;
}

json_t *links_preview(struct db *db, int64_t workspace_id, json_t *in, struct error *err)
{
    json_t *out = NULL, *warnings = json_array();
    struct built b = {0};
    if (build(db, workspace_id, in, &b, warnings, err) == 0) {
        out = json_pack("{s:s, s:s, s:O}", "url", b.l.url, "target_url", b.l.target_url, "warnings",
                        warnings);
        for (int i = 0; i < UTM_COUNT; i++)
            json_object_set_new(out, links_utm_names[i], json_string(b.l.utm[i]));
        json_object_set_new(out, "advocate", json_string(b.l.advocate));
    }
    json_decref(warnings);
    built_free(&b);
    return out;
}

/* True when the patch sets `key` to something other than what the link has. */
static bool changes(json_t *patch, json_t *link, const char *key)
{
    json_t *v = json_object_get(patch, key);
    return v && !json_equal(v, json_object_get(link, key));
}

json_t *links_update(struct db *db, int64_t workspace_id, int64_t id, json_t *patch,
                     const struct actor *who, struct error *err)
{
    if (!json_is_object(patch)) {
        error_set(err, ERR_INVALID, "expected a JSON object");
        return NULL;
    }
    if (json_object_get(patch, "code")) {
        error_field(err, ERR_INVALID, "code",
                    "a link's code cannot change: printed QR codes and shared posts carry it");
        return NULL;
    }
    json_t *link = link_get(db, workspace_id, id, err);
    if (!link)
        return NULL;
    /* The link as it is, as a request would give it, with the patch over it. */
    json_t *in = json_object();
    static const char *const kept[] = {"url",      "campaign_id", "channel_id", "post_id",
                                       "advocate", "utm_source",  "utm_medium", "utm_campaign",
                                       "utm_term", "utm_content", NULL};
    for (const char *const *k = kept; *k; k++)
        json_object_set(in, *k, json_object_get(link, *k));
    /* A new channel, campaign or advocate fills its UTM parts anew, unless
     * the patch sets them too: the old ones would count the visits wrongly. */
    if (changes(patch, link, "channel_id")) {
        json_object_set_new(in, "utm_source", json_string(""));
        json_object_set_new(in, "utm_medium", json_string(""));
    }
    if (changes(patch, link, "campaign_id"))
        json_object_set_new(in, "utm_campaign", json_string(""));
    if (changes(patch, link, "advocate") &&
        json_equal(json_object_get(link, "utm_content"), json_object_get(link, "advocate")))
        json_object_set_new(in, "utm_content", json_string(""));
    json_object_update(in, patch);
    json_t *out = NULL, *warnings = json_array();
    struct built b = {0};
    if (build(db, workspace_id, in, &b, warnings, err) == 0 &&
        link_update(db, workspace_id, id, &b.l, who, err) == 0 &&
        (out = link_get(db, workspace_id, id, err)))
        json_object_set_new(out, "warnings", json_incref(warnings));
    json_decref(warnings);
    json_decref(in);
    json_decref(link);
    built_free(&b);
    return out;
}

/* ---- the code cache ------------------------------------------------------------------
 * Direct-mapped: a code hashes to one slot, a newer code takes the slot over.
 * This server forgets a code when its link is edited or retired
 * (links_cache_forget); entries expire after a minute so that other servers
 * on the same store notice such a change, and deleted links, too. */

#define CACHE_SLOTS 4096
#define CACHE_TTL   60

struct slot {
    char code[65];
    int64_t link_id, expires;
    char *url;
};

struct links_cache {
    pthread_rwlock_t lock;
    struct slot slots[CACHE_SLOTS];
};

struct links_cache *links_cache_new(void)
{
    struct links_cache *c = xcalloc(1, sizeof *c);
    pthread_rwlock_init(&c->lock, NULL);
    return c;
}

void links_cache_free(struct links_cache *cache)
{
    if (!cache)
        return;
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        free(cache->slots[i].url);
    pthread_rwlock_destroy(&cache->lock);
    free(cache);
}

static size_t slot_of(const char *code)
{
    uint32_t h = 2166136261u;
    for (const char *p = code; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h % CACHE_SLOTS;
}

int links_cached(struct links_cache *cache, const char *code, int64_t *link_id, struct buf *url)
{
    assert(cache && code);
    int found = 0;
    pthread_rwlock_rdlock(&cache->lock);
    const struct slot *c = &cache->slots[slot_of(code)];
    if (c->url && c->expires > time_now() && str_eq(c->code, code)) {
        *link_id = c->link_id;
        buf_reset(url);
        buf_puts(url, c->url);
        found = c->url[0] ? 1 : 2; /* a retired link is kept with no target */
    }
    pthread_rwlock_unlock(&cache->lock);
    return found;
}

int links_resolve(struct links_cache *cache, struct db *db, const char *code, int64_t *link_id,
                  struct buf *url, struct error *err)
{
    int found = links_cached(cache, code, link_id, url);
    if (found)
        return found;
    found = link_target(db, code, link_id, url, err);
    if (found < 1)
        return found; /* unknown codes are not cached: anyone can invent them */
    pthread_rwlock_wrlock(&cache->lock);
    struct slot *c = &cache->slots[slot_of(code)];
    free(c->url);
    snprintf(c->code, sizeof c->code, "%s", code);
    c->url = xstrdup(url->len ? url->data : ""); /* "": retired */
    c->link_id = *link_id;
    c->expires = time_now() + CACHE_TTL;
    pthread_rwlock_unlock(&cache->lock);
    return found;
}

void links_cache_forget(struct links_cache *cache, const char *code)
{
    assert(cache && code);
    pthread_rwlock_wrlock(&cache->lock);
    struct slot *c = &cache->slots[slot_of(code)];
    if (c->url && str_eq(c->code, code)) {
        free(c->url);
        c->url = NULL;
    }
    pthread_rwlock_unlock(&cache->lock);
}
