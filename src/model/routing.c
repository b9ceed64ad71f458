/* routing: a workspace's rules that give each incoming message to a team or
 * a person, set its priority and add tags. Rules are evaluated in order,
 * each compiled once (its text condition with text/'s query language) for a
 * batch of messages; the same evaluation answers "how many of the last 30
 * days' messages would this rule have matched" before a rule is saved. */
#include "model/internal.h"
#include "text/query.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const kinds[] = {"comment", "reply", "mention", "dm", "review", NULL};
static const char *const langs[] = {"sv", "fi", "en", "other", NULL};
static const char *const sentiments[] = {"pos", "neu", "neg", NULL};

#define RULE_LIST_MAX 200 /* ids, names or values in one condition or action */
#define RULES_MAX     500 /* per workspace */

/* A rule as the router evaluates it. A set of values (platforms, kinds,
 * ...) is a bit per value's index in its list; 0: any. */
struct rule {
    int64_t id;
    char *name;
    bool stop;
    int64_t *channels, *tags, *add_tags;
    size_t nchannels, ntags, nadd_tags;
    unsigned platforms, kinds, langs, sentiments;
    char **authors;
    size_t nauthors;
    struct query *query;
    int64_t team_id, user_id;
    const char *priority; /* static; NULL: keep */
};

static void rule_clear(struct rule *r)
{
    free(r->name);
    free(r->channels);
    free(r->tags);
    free(r->add_tags);
    for (size_t i = 0; i < r->nauthors; i++)
        free(r->authors[i]);
    free(r->authors);
    query_free(r->query);
    memset(r, 0, sizeof *r);
}

/* ---- reading a rule's JSON ------------------------------------------------------ */

/* An array of ids at obj.key into *out (NULL when absent). */
static int read_ids(json_t *obj, const char *where, const char *key, int64_t **out, size_t *n,
                    struct error *err)
{
    *out = NULL;
    *n = 0;
    json_t *a = json_object_get(obj, key), *v;
    if (!a)
        return 0;
    if (!json_is_array(a) || json_array_size(a) > RULE_LIST_MAX)
        return error_field(err, ERR_INVALID, key, "%s.%s: must be a list of at most %d ids", where,
                           key, RULE_LIST_MAX);
    size_t i;
    *out = xmalloc((json_array_size(a) + 1) * sizeof **out);
    json_array_foreach (a, i, v) {
        if (!json_is_integer(v) || json_integer_value(v) < 1)
            return error_field(err, ERR_INVALID, key, "%s.%s[%zu]: must be an id", where, key, i);
        (*out)[(*n)++] = json_integer_value(v);
    }
    return 0;
}

static int read_set(json_t *obj, const char *where, const char *key, const char *const *values,
                    unsigned *bits, struct error *err)
{
    *bits = 0;
    json_t *a = json_object_get(obj, key), *v;
    if (!a)
        return 0;
    if (!json_is_array(a))
        return error_field(err, ERR_INVALID, key, "%s.%s: must be a list", where, key);
    size_t i;
    json_array_foreach (a, i, v) {
        int k = json_is_string(v) ? str_index(values, json_string_value(v)) : -1;
        if (k < 0) {
            struct buf allowed = {0};
            for (int j = 0; values[j]; j++)
                buf_printf(&allowed, "%s%s", j ? ", " : "", values[j]);
            error_field(err, ERR_INVALID, key, "%s.%s[%zu]: unknown value '%.40s' (one of %s)",
                        where, key, i, json_is_string(v) ? json_string_value(v) : "?",
                        allowed.data);
            buf_free(&allowed);
            return -1;
        }
        assert(k < 32);
        *bits |= 1u << k;
    }
    return 0;
}

static bool in_ids(const int64_t *ids, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return true;
    return false;
}

/* Checks that every id names a row of `table` in the workspace. */
static int check_refs(struct db *db, int64_t ws, const char *table, const char *where,
                      const char *key, const int64_t *ids, size_t n, struct error *err)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT 1 FROM %s WHERE id = ? AND workspace_id = ?", table);
    for (size_t i = 0; i < n; i++) {
        int found = db_scalar(db, err, NULL, sql, "ii", ids[i], ws);
        if (found < 0)
            return -1;
        if (!found)
            return error_field(err, ERR_INVALID, key, "%s.%s: no %s %lld in this workspace", where,
                               key, table, (long long)ids[i]);
    }
    return 0;
}

static const char *const condition_keys[] = {"channel_ids", "platforms",  "kinds",
                                             "langs",       "sentiments", "query",
                                             "tag_ids",     "authors",    NULL};
static const char *const action_keys[] = {"team_id", "user_id", "priority", "add_tag_ids", NULL};

static int known_keys(json_t *obj, const char *where, const char *const *keys, struct error *err)
{
    const char *k;
    json_t *v;
    json_object_foreach (obj, k, v) {
        if (str_index(keys, k) < 0)
            return error_field(err, ERR_INVALID, where, "%s: unknown member '%.40s'", where, k);
    }
    return 0;
}

/* Compiles conditions and actions into r, checking every reference against
 * the workspace when db is given (saving and testing; the router reads
 * rules that were checked when saved, and a team or tag deleted since only
 * makes the rule's action a no-op). */
static int rule_compile(json_t *cond, json_t *act, struct db *db, int64_t ws, struct rule *r,
                        struct error *err)
{
    if (!json_is_object(cond))
        return error_field(err, ERR_INVALID, "conditions", "conditions: must be an object");
    if (!json_is_object(act))
        return error_field(err, ERR_INVALID, "actions", "actions: must be an object");
    if (known_keys(cond, "conditions", condition_keys, err) ||
        known_keys(act, "actions", action_keys, err) ||
        read_ids(cond, "conditions", "channel_ids", &r->channels, &r->nchannels, err) ||
        read_ids(cond, "conditions", "tag_ids", &r->tags, &r->ntags, err) ||
        read_set(cond, "conditions", "platforms", channel_platforms, &r->platforms, err) ||
        read_set(cond, "conditions", "kinds", kinds, &r->kinds, err) ||
        read_set(cond, "conditions", "langs", langs, &r->langs, err) ||
        read_set(cond, "conditions", "sentiments", sentiments, &r->sentiments, err) ||
        read_ids(act, "actions", "add_tag_ids", &r->add_tags, &r->nadd_tags, err))
        return -1;
    json_t *a = json_object_get(cond, "authors"), *v;
    if (a) {
        if (!json_is_array(a) || json_array_size(a) > RULE_LIST_MAX)
            return error_field(err, ERR_INVALID, "authors",
                               "conditions.authors: must be a list of at most %d names or handles",
                               RULE_LIST_MAX);
        r->authors = xmalloc((json_array_size(a) + 1) * sizeof *r->authors);
        size_t i;
        json_array_foreach (a, i, v) {
            const char *s = json_string_value(v);
            if (s && *s == '@')
                s++;
            if (!s || !*s || strlen(s) > 200)
                return error_field(err, ERR_INVALID, "authors",
                                   "conditions.authors[%zu]: must be a name or handle of 1 to "
                                   "200 bytes",
                                   i);
            r->authors[r->nauthors++] = xstrdup(s);
        }
    }
    json_t *q = json_object_get(cond, "query");
    if (q) {
        struct error qe = {0};
        if (!json_is_string(q) || !*json_string_value(q))
            return error_field(err, ERR_INVALID, "query",
                               "conditions.query: must be a query (docs/query-language.md)");
        if (!(r->query = query_compile(json_string_value(q), &qe)))
            return error_field(err, ERR_INVALID, "query", "conditions.query: %s", qe.msg);
    }
    json_t *team = json_object_get(act, "team_id"), *user = json_object_get(act, "user_id"),
           *prio = json_object_get(act, "priority");
    if (team && (!json_is_integer(team) || json_integer_value(team) < 1))
        return error_field(err, ERR_INVALID, "team_id", "actions.team_id: must be a team's id");
    if (user && (!json_is_integer(user) || json_integer_value(user) < 1))
        return error_field(err, ERR_INVALID, "user_id", "actions.user_id: must be a user's id");
    r->team_id = team ? json_integer_value(team) : 0;
    r->user_id = user ? json_integer_value(user) : 0;
    if (prio) {
        int k = json_is_string(prio) ? str_index(message_priorities, json_string_value(prio)) : -1;
        if (k < 0)
            return error_field(err, ERR_INVALID, "priority",
                               "actions.priority: must be low, normal, high or urgent");
        r->priority = message_priorities[k];
    }
    if (!r->team_id && !r->user_id && !r->priority && !r->nadd_tags)
        return error_field(err, ERR_INVALID, "actions",
                           "actions: a rule must do something: team_id, user_id, priority or "
                           "add_tag_ids");
    if (!db)
        return 0;
    if (check_refs(db, ws, "channels", "conditions", "channel_ids", r->channels, r->nchannels,
                   err) ||
        check_refs(db, ws, "tags", "conditions", "tag_ids", r->tags, r->ntags, err) ||
        check_refs(db, ws, "tags", "actions", "add_tag_ids", r->add_tags, r->nadd_tags, err) ||
        check_refs(db, ws, "teams", "actions", "team_id", &r->team_id, r->team_id ? 1 : 0, err))
        return -1;
    if (r->user_id && model_active_user(db, r->user_id, "user_id", "actions.user_id", err))
        return -1;
    return 0;
}

/* ---- evaluation --------------------------------------------------------------------- */

static bool author_is(const struct rule *r, const struct route_message *m)
{
    const char *handle = m->author_handle ? m->author_handle : "";
    if (*handle == '@')
        handle++;
    for (size_t i = 0; i < r->nauthors; i++)
        if (!strcasecmp(r->authors[i], handle) ||
            (m->author_name && !strcasecmp(r->authors[i], m->author_name)))
            return true;
    return false;
}

static bool in_set(unsigned bits, const char *const *values, const char *s)
{
    if (!bits)
        return true;
    int k = s ? str_index(values, s) : -1;
    return k >= 0 && (bits & (1u << k));
}

/* Whether the message matches every condition of r; tags are the ones it
 * has so far, t its tokenized body. */
static bool rule_matches(const struct rule *r, const struct route_message *m, const int64_t *tags,
                         size_t ntags, const struct text_tokens *t)
{
    if (r->nchannels && !in_ids(r->channels, r->nchannels, m->channel_id))
        return false;
    if (!in_set(r->platforms, channel_platforms, m->platform) ||
        !in_set(r->kinds, kinds, m->kind) ||
        !in_set(r->langs, langs, m->lang ? m->lang : "other") ||
        !in_set(r->sentiments, sentiments, m->sentiment))
        return false;
    for (size_t i = 0; i < r->ntags; i++)
        if (!in_ids(tags, ntags, r->tags[i]))
            return false;
    if (r->nauthors && !author_is(r, m))
        return false;
    return !r->query || query_match(r->query, t);
}

/* What the rules decide for one message: applied in order, a later rule's
 * team, person or priority over an earlier one's; tags add up. */
struct decision {
    int64_t rule_id, team_id, user_id;
    const char *priority;
    int64_t tags[RULE_LIST_MAX];
    size_t ntags, nadded;
};

static void decide(const struct rule *rules, size_t n, const struct route_message *m,
                   const struct text_tokens *t, struct decision *d)
{
    memset(d, 0, sizeof *d);
    size_t base = m->ntags < RULE_LIST_MAX ? m->ntags : RULE_LIST_MAX;
    if (base)
        memcpy(d->tags, m->tags, base * sizeof *d->tags);
    d->ntags = base;
    for (size_t i = 0; i < n; i++) {
        const struct rule *r = &rules[i];
        if (!rule_matches(r, m, d->tags, d->ntags, t))
            continue;
        d->rule_id = r->id;
        if (r->team_id || r->user_id) {
            d->team_id = r->team_id;
            d->user_id = r->user_id;
        }
        if (r->priority)
            d->priority = r->priority;
        for (size_t k = 0; k < r->nadd_tags && d->ntags < RULE_LIST_MAX; k++)
            if (!in_ids(d->tags, d->ntags, r->add_tags[k])) {
                d->tags[d->ntags++] = r->add_tags[k];
                d->nadded++;
            }
        if (r->stop)
            break;
    }
}

/* ---- loops -------------------------------------------------------------------------- */

/* A rule that adds a tag which a rule needs triggers that rule: the edges of
 * a graph over the rules. A cycle in it is a rule triggering itself, by its
 * own tag or through others; such a set of rules has no order in which it
 * settles (run again on a re-tagged message, it would fire again), so it is
 * refused when saved. Depth-first search from the rule being saved; `path`
 * collects the way back for the message. */
static bool triggers(const struct rule *a, const struct rule *b, int64_t *via)
{
    for (size_t i = 0; i < a->nadd_tags; i++)
        if (in_ids(b->tags, b->ntags, a->add_tags[i])) {
            *via = a->add_tags[i];
            return true;
        }
    return false;
}

static bool find_cycle(const struct rule *rules, size_t n, size_t at, size_t start, bool *seen,
                       struct buf *path, int depth)
{
    for (size_t j = 0; j < n; j++) {
        int64_t via = 0;
        if (!triggers(&rules[at], &rules[j], &via))
            continue;
        size_t mark = path->len;
        buf_printf(path, "%s'%s' adds tag %lld, which '%s' needs", depth ? "; " : "",
                   rules[at].name, (long long)via, rules[j].name);
        if (j == start)
            return true;
        if (!seen[j]) {
            seen[j] = true;
            if (find_cycle(rules, n, j, start, seen, path, depth + 1))
                return true;
        }
        path->len = mark;
        path->data[mark] = '\0';
    }
    return false;
}

/* ---- the store ------------------------------------------------------------------------ */

/* The workspace's rules (enabled only, or all), in order, compiled. */
static int rules_load(struct db *db, int64_t ws, bool enabled_only, struct rule **out, size_t *n,
                      struct error *err)
{
    *out = NULL;
    *n = 0;
    struct db_stmt *st = db_query(db, err,
                                  "SELECT id, name, stop, conditions, actions FROM routing_rules "
                                  "WHERE workspace_id = ? AND (enabled = 1 OR ? = 0) "
                                  "ORDER BY position, id",
                                  "ii", ws, (int64_t)enabled_only);
    if (!st)
        return -1;
    size_t cap = 0;
    int rc = db_has_row(st) ? 1 : 0;
    while (rc == 1) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 8;
            *out = xrealloc(*out, cap * sizeof **out);
        }
        struct rule *r = &(*out)[*n];
        memset(r, 0, sizeof *r);
        r->id = db_col_int(st, 0);
        r->name = xstrdup(db_col_text(st, 1));
        r->stop = db_col_int(st, 2) != 0;
        json_t *c = json_loads(db_col_text(st, 3), 0, NULL),
               *a = json_loads(db_col_text(st, 4), 0, NULL);
        struct error e = {0};
        int bad = rule_compile(c, a, NULL, ws, r, &e);
        json_decref(c);
        json_decref(a);
        if (bad) { /* stored by an older kanal, or by hand: skipped, not fatal */
            log_warn("routing rule %lld ('%s') is skipped: %s", (long long)r->id, r->name, e.msg);
            rule_clear(r);
        } else {
            (*n)++;
        }
        rc = db_step(st, err);
    }
    db_finalize(st);
    if (rc < 0) {
        for (size_t i = 0; i < *n; i++)
            rule_clear(&(*out)[i]);
        free(*out);
        *out = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

static void rules_free(struct rule *rules, size_t n)
{
    for (size_t i = 0; i < n; i++)
        rule_clear(&rules[i]);
    free(rules);
}

static json_t *rule_row(struct db_stmt *st)
{
    json_t *c = json_loads(db_col_text(st, 5), 0, NULL),
           *a = json_loads(db_col_text(st, 6), 0, NULL);
    return json_pack("{s:I, s:s, s:I, s:b, s:b, s:o, s:o, s:o, s:o}", "id",
                     (json_int_t)db_col_int(st, 0), "name", db_col_text(st, 1), "position",
                     (json_int_t)db_col_int(st, 2), "enabled", db_col_int(st, 3) != 0, "stop",
                     db_col_int(st, 4) != 0, "conditions", c ? c : json_object(), "actions",
                     a ? a : json_object(), "created_at", json_time(db_col_int(st, 7)),
                     "updated_at", json_time(db_col_int(st, 8)));
}

#define RULE_COLUMNS                                                                               \
    "SELECT id, name, position, enabled, stop, conditions, actions, created_at, updated_at "       \
    "FROM routing_rules "

json_t *routing_rule_get(struct db *db, int64_t ws, int64_t id, struct error *err)
{
    struct db_stmt *st =
        db_query(db, err, RULE_COLUMNS "WHERE id = ? AND workspace_id = ?", "ii", id, ws);
    if (!st)
        return NULL;
    json_t *out = db_has_row(st) ? rule_row(st) : NULL;
    db_finalize(st);
    if (!out)
        error_set(err, ERR_NOT_FOUND, "no routing rule %lld in this workspace", (long long)id);
    return out;
}

json_t *routing_rule_list(struct db *db, int64_t ws, struct error *err)
{
    return json_items(
        db_query(db, err, RULE_COLUMNS "WHERE workspace_id = ? ORDER BY position, id", "i", ws),
        rule_row, err);
}

static const char *const rule_keys[] = {"name",       "position", "enabled", "stop",
                                        "conditions", "actions",  NULL};

/* The rule as it would be saved: `base` (the stored one, or NULL) with
 * `in` over it, checked. */
static json_t *rule_merge(json_t *base, json_t *in, bool creating, struct error *err)
{
    if (!json_is_object(in)) {
        error_set(err, ERR_INVALID, "send a JSON object");
        return NULL;
    }
    if (known_keys(in, "rule", rule_keys, err))
        return NULL;
    json_t *m = base ? json_deep_copy(base)
                     : json_pack("{s:b, s:b, s:{}, s:{}}", "enabled", 1, "stop", 0, "conditions",
                                 "actions");
    json_object_update(m, in);
    json_t *name = json_object_get(m, "name"), *pos = json_object_get(m, "position");
    const char *bad = NULL;
    if (!json_is_string(name) || !*json_string_value(name) || json_string_length(name) > 200)
        bad = "name: must be 1 to 200 bytes";
    else if (pos && (!json_is_integer(pos) || json_integer_value(pos) < 0 ||
                     json_integer_value(pos) > 1000000))
        bad = "position: must be a whole number from 0 to 1000000";
    else if (!json_is_boolean(json_object_get(m, "enabled")))
        bad = "enabled: must be true or false";
    else if (!json_is_boolean(json_object_get(m, "stop")))
        bad = "stop: must be true or false";
    if (bad) {
        char field[16];
        snprintf(field, sizeof field, "%.*s", (int)strcspn(bad, ":"), bad);
        error_field(err, ERR_INVALID, field, "%s", bad);
        json_decref(m);
        return NULL;
    }
    (void)creating;
    return m;
}

/* Compiles m and checks it with the workspace's other rules for loops. */
static int rule_check(struct db *db, int64_t ws, int64_t id, json_t *m, struct error *err)
{
    struct rule r = {0};
    if (rule_compile(json_object_get(m, "conditions"), json_object_get(m, "actions"), db, ws, &r,
                     err)) {
        rule_clear(&r);
        return -1;
    }
    r.id = id;
    r.name = xstrdup(json_string_value(json_object_get(m, "name")));
    struct rule *rules;
    size_t n;
    if (rules_load(db, ws, false, &rules, &n, err)) {
        rule_clear(&r);
        return -1;
    }
    if (n >= RULES_MAX && !id) {
        rules_free(rules, n);
        rule_clear(&r);
        return error_set(err, ERR_LIMIT, "a workspace has at most %d routing rules", RULES_MAX);
    }
    /* The saved rule in place of its stored self, or beside the others. */
    size_t at = n;
    for (size_t i = 0; i < n; i++)
        if (rules[i].id == id && id)
            at = i;
    if (at == n)
        rules = xrealloc(rules, (n + 1) * sizeof *rules), n++;
    else
        rule_clear(&rules[at]);
    rules[at] = r;
    bool *seen = xcalloc(n, sizeof *seen);
    struct buf path = {0};
    buf_puts(&path, "");
    int rc = 0;
    if (find_cycle(rules, n, at, at, seen, &path, 0))
        rc = error_field(err, ERR_INVALID, "actions",
                         "rule '%s' would loop: %s; a rule must not add a tag that it needs, "
                         "itself or through other rules",
                         r.name, path.data);
    buf_free(&path);
    free(seen);
    rules_free(rules, n);
    return rc;
}

static int rule_store(struct db *db, int64_t ws, int64_t id, json_t *m, int64_t *new_id,
                      struct error *err)
{
    char *cond = json_dumps(json_object_get(m, "conditions"), JSON_COMPACT | JSON_SORT_KEYS),
         *act = json_dumps(json_object_get(m, "actions"), JSON_COMPACT | JSON_SORT_KEYS);
    const char *name = json_string_value(json_object_get(m, "name"));
    json_t *pos = json_object_get(m, "position");
    int64_t position = 0;
    int rc = 0;
    if (pos)
        position = json_integer_value(pos);
    else if (db_scalar(db, err, &position,
                       "SELECT COALESCE(MAX(position), 0) + 10 FROM routing_rules "
                       "WHERE workspace_id = ?",
                       "i", ws) < 0)
        rc = -1;
    int64_t enabled = json_is_true(json_object_get(m, "enabled")),
            stop = json_is_true(json_object_get(m, "stop")), now = time_now();
    if (rc == 0 && id)
        rc = db_do(db, err,
                   "UPDATE routing_rules SET name = ?, position = ?, enabled = ?, stop = ?, "
                   "conditions = ?, actions = ?, updated_at = ? WHERE id = ? AND workspace_id = ?",
                   "tiiittiii", name, position, enabled, stop, cond, act, now, id, ws);
    else if (rc == 0)
        rc = db_insert(db, err, new_id,
                       "INSERT INTO routing_rules (workspace_id, name, position, enabled, stop, "
                       "conditions, actions, created_at, updated_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       "itiiittii", ws, name, position, enabled, stop, cond, act, now, now);
    if (rc && err && err->kind == ERR_CONFLICT)
        error_field(err, ERR_CONFLICT, "name", "a routing rule named '%.200s' already exists",
                    name);
    free(cond);
    free(act);
    return rc;
}

static json_t *rule_save(struct db *db, int64_t ws, int64_t id, json_t *in, const struct actor *who,
                         struct error *err)
{
    json_t *base = NULL;
    if (id) {
        if (!(base = routing_rule_get(db, ws, id, err)))
            return NULL;
        json_object_del(base, "id");
        json_object_del(base, "created_at");
        json_object_del(base, "updated_at");
    }
    json_t *m = rule_merge(base, in, !id, err);
    json_decref(base);
    if (!m)
        return NULL;
    int64_t new_id = id;
    json_t *out = NULL;
    if (db_begin(db, err))
        goto done;
    int rc = rule_check(db, ws, id, m, err) || rule_store(db, ws, id, m, &new_id, err) ||
             audit_record_json(db, ws, who ? who->user_id : 0, id ? "update" : "create",
                               "routing_rule", new_id, json_incref(in), err);
    if (db_end(db, rc, err))
        goto done;
    out = routing_rule_get(db, ws, new_id, err);
done:
    json_decref(m);
    return out;
}

json_t *routing_rule_create(struct db *db, int64_t ws, json_t *in, const struct actor *who,
                            struct error *err)
{
    return rule_save(db, ws, 0, in, who, err);
}

json_t *routing_rule_update(struct db *db, int64_t ws, int64_t id, json_t *patch,
                            const struct actor *who, struct error *err)
{
    return rule_save(db, ws, id, patch, who, err);
}

int routing_rule_delete(struct db *db, int64_t ws, int64_t id, const struct actor *who,
                        struct error *err)
{
    int64_t n = db_run(db, err, "DELETE FROM routing_rules WHERE id = ? AND workspace_id = ?", "ii",
                       id, ws);
    if (n <= 0)
        return model_no_row((int)n, "routing rule", id, err);
    return audit_record(db, ws, who ? who->user_id : 0, "delete", "routing_rule", id, "", err);
}

/* ---- the router: rules applied to incoming messages ------------------------------------ */

struct router {
    int64_t ws;
    int64_t channel_id; /* the last message's channel and its platform */
    char platform[16];
    struct rule *rules;
    size_t n;
    struct text_tokens *t;
};

struct router *router_open(struct db *db, int64_t ws, struct error *err)
{
    struct router *r = xcalloc(1, sizeof *r);
    r->ws = ws;
    if (rules_load(db, ws, true, &r->rules, &r->n, err)) {
        free(r);
        return NULL;
    }
    r->t = r->n ? xmalloc(sizeof *r->t) : NULL;
    return r;
}

void router_close(struct router *r)
{
    if (!r)
        return;
    rules_free(r->rules, r->n);
    free(r->t);
    free(r);
}

size_t router_rules(const struct router *r)
{
    return r ? r->n : 0;
}

int router_route(struct router *r, struct db *db, int64_t message_id, const struct route_message *m,
                 struct route_result *res, struct error *err)
{
    memset(res, 0, sizeof *res);
    if (!r->n)
        return 0;
    const char *body = m->body ? m->body : "";
    text_tokenize(r->t, body, strlen(body));
    struct route_message msg = *m;
    if (!msg.platform) {
        if (r->channel_id != m->channel_id) {
            struct db_stmt *st =
                db_query(db, err, "SELECT platform FROM channels WHERE id = ?", "i", m->channel_id);
            if (!st)
                return -1;
            snprintf(r->platform, sizeof r->platform, "%s",
                     db_has_row(st) ? db_col_text(st, 0) : "");
            db_finalize(st);
            r->channel_id = m->channel_id;
        }
        msg.platform = r->platform;
    }
    struct decision d;
    decide(r->rules, r->n, &msg, r->t, &d);
    if (!d.rule_id)
        return 0;
    res->rule_id = d.rule_id;
    res->team_id = d.team_id;
    res->user_id = d.user_id;
    res->priority = d.priority;
    /* A team without a named person: its next member on duty, if any. A
     * team deleted since the rule was saved assigns nobody. */
    if (d.team_id && !d.user_id) {
        int found =
            db_scalar(db, err, NULL, "SELECT 1 FROM teams WHERE id = ? AND workspace_id = ?", "ii",
                      d.team_id, r->ws);
        if (found < 0 || (found && team_next_member(db, d.team_id, &res->user_id, err) < 0))
            return -1;
        if (!found)
            res->team_id = 0;
    }
    const int64_t *team = res->team_id ? &res->team_id : NULL,
                  *user = res->user_id ? &res->user_id : NULL;
    if ((team || user) &&
        db_run(db, err,
               "UPDATE messages SET team_id = COALESCE(?, team_id), "
               "assigned_user_id = COALESCE(?, assigned_user_id), "
               "status = CASE WHEN status = 'open' AND ? = 1 THEN 'assigned' ELSE status END, "
               "updated_at = ? WHERE id = ?",
               "IIiii", team, user, (int64_t)(user != NULL), time_now(), message_id) < 0)
        return -1;
    if (db_run(db, err, "UPDATE messages SET routed_rule_id = ? WHERE id = ?", "ii", d.rule_id,
               message_id) < 0)
        return -1;
    if (d.priority && db_run(db, err, "UPDATE messages SET priority = ? WHERE id = ?", "ti",
                             d.priority, message_id) < 0)
        return -1;
    if ((team || d.priority) && message_refigure(db, r->ws, message_id, NULL, err))
        return -1;
    for (size_t i = d.ntags - d.nadded; i < d.ntags; i++) {
        int found = db_scalar(db, err, NULL, "SELECT 1 FROM tags WHERE id = ? AND workspace_id = ?",
                              "ii", d.tags[i], r->ws);
        if (found < 0 || (found && message_tag(db, message_id, d.tags[i], err)))
            return -1;
        res->tags_added += found;
    }
    return 1;
}

/* ---- trying a rule on the last 30 days ---------------------------------------------------- */

#define TEST_MAX      200000 /* messages a test reads */
#define TEST_EXAMPLES 20

json_t *routing_rule_test(struct db *db, int64_t ws, json_t *in, int64_t now, struct error *err)
{
    json_t *m = rule_merge(NULL, in, true, err);
    if (!m)
        return NULL;
    struct rule r = {0};
    json_t *out = NULL;
    struct text_tokens *t = NULL;
    if (rule_compile(json_object_get(m, "conditions"), json_object_get(m, "actions"), db, ws, &r,
                     err))
        goto done;
    int64_t since = now - 30 * 86400;
    struct db_stmt *st = db_query(
        db, err,
        "SELECT m.id, m.channel_id, c.platform, m.kind, m.lang, m.sentiment, m.author_name, "
        "m.author_handle, m.body FROM messages m JOIN channels c ON c.id = m.channel_id "
        "WHERE m.workspace_id = ? AND m.is_own = 0 AND m.created_at >= ? AND m.created_at <= ? "
        "ORDER BY m.created_at DESC, m.id DESC LIMIT ?",
        "iiii", ws, since, now, (int64_t)TEST_MAX);
    if (!st)
        goto done;
    t = xmalloc(sizeof *t);
    int64_t examined = 0, matched = 0;
    json_t *examples = json_array();
    int64_t *need_tags = NULL;
    size_t nneed = 0, capneed = 0;
    /* Rules with tag conditions read each candidate's tags: one query per
     * message that passed everything else. */
    int rc = db_has_row(st) ? 1 : 0;
    while (rc == 1) {
        examined++;
        struct route_message msg = {
            .channel_id = db_col_int(st, 1),
            .platform = db_col_text(st, 2),
            .kind = db_col_text(st, 3),
            .lang = db_col_null(st, 4) ? NULL : db_col_text(st, 4),
            .sentiment = db_col_null(st, 5) ? NULL : db_col_text(st, 5),
            .author_name = db_col_text(st, 6),
            .author_handle = db_col_text(st, 7),
            .body = db_col_text(st, 8),
        };
        int64_t mid = db_col_int(st, 0);
        text_tokenize(t, msg.body, strlen(msg.body));
        /* Without its tags first; tag conditions are checked after. */
        size_t ntags = r.ntags;
        r.ntags = 0;
        bool hit = rule_matches(&r, &msg, NULL, 0, t);
        r.ntags = ntags;
        if (hit && r.ntags) {
            if (nneed == capneed)
                need_tags =
                    xrealloc(need_tags, (capneed = capneed ? 2 * capneed : 64) * sizeof *need_tags);
            need_tags[nneed++] = mid;
        } else if (hit) {
            matched++;
            if (json_array_size(examples) < TEST_EXAMPLES)
                json_array_append_new(examples, json_integer(mid));
        }
        rc = db_step(st, err);
    }
    db_finalize(st);
    for (size_t i = 0; rc >= 0 && i < nneed; i++) {
        int64_t mid = need_tags[i];
        bool all = true;
        for (size_t k = 0; all && k < r.ntags; k++) {
            int found = db_scalar(db, err, NULL,
                                  "SELECT 1 FROM message_tags WHERE message_id = ? AND tag_id = ?",
                                  "ii", mid, r.tags[k]);
            if (found < 0)
                rc = -1;
            all = found == 1;
        }
        if (all && rc >= 0) {
            matched++;
            if (json_array_size(examples) < TEST_EXAMPLES)
                json_array_append_new(examples, json_integer(mid));
        }
    }
    free(need_tags);
    if (rc < 0) {
        json_decref(examples);
        goto done;
    }
    out = json_pack("{s:I, s:I, s:o, s:o, s:o, s:b}", "matched", (json_int_t)matched, "examined",
                    (json_int_t)examined, "since", json_time(since), "until", json_time(now),
                    "message_ids", examples, "complete", examined < TEST_MAX);
done:
    free(t);
    rule_clear(&r);
    json_decref(m);
    return out;
}
