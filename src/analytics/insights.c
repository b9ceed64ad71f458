/* insights: what works. For the workspace's posts in a period, the lift in
 * engagement rate (interactions / reach, per post) of posts with a feature
 * over posts without it: format, theme, weekday, hour, length, a question,
 * calls to action, emoji, hashtags. Each lift comes with its sample sizes
 * and a bootstrap 95% interval, or "too few posts" where that holds. */
#include "analytics/internal.h"
#include "text/query.h"
#include "text/text.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_POSTS 10   /* per side, below which a lift is not worth showing */
#define BOOTSTRAP 1000 /* resamples per interval */

/* Calls to action in the teams' languages, as queries of the text part. */
static const char *const cta_queries[] = {
    "\"läs mer\"",  "ansök*",         "\"logga in\"",   "anmäl*",      "klicka",
    "besök*",       "\"dela gärna\"", "\"lue lisää\"",  "hae",         "kirjaudu*",
    "ilmoittaudu*", "\"read more\"",  "apply",          "\"sign up\"", "\"learn more\"",
    "register",     "\"join us\"",    "\"click here\"",
};

struct post {
    double er;
    int64_t post_id, day, hour, weekday;
    int format;
    int len_bucket, ctas, hashtags;
    bool question, emoji;
};

struct feature {
    char name[48], value[96];
    bool (*has)(const struct post *p, const struct feature *f);
    int64_t arg;
    const struct post_tags *tags; /* for themes */
};

/* ---- deterministic bootstrap ------------------------------------------------ */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double mean(const double *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    return n ? s / (double)n : 0;
}

/* A uniform index below n (Lemire's multiply-shift: no division). */
static size_t rng_below(uint64_t *s, size_t n)
{
    assert(n > 0);
    return (size_t)(((unsigned __int128)rng_next(s) * n) >> 64);
}

/* A standard normal draw (Box-Muller). */
static double rng_normal(uint64_t *s)
{
    double u1 = ((double)(rng_next(s) >> 11) + 1) * 0x1p-53; /* (0, 1] */
    double u2 = (double)(rng_next(s) >> 11) * 0x1p-53;
    return sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
}

/* One side of a resample: the mean of n values drawn with replacement.
 * Above BOOTSTRAP_EXACT values that mean is drawn from the normal
 * distribution it follows (mean m, standard deviation sd / sqrt(n), sd the
 * values' own), which differs from drawing n values by a skew term of order
 * 1/sqrt(n), well inside the noise of 1,000 resamples, and costs one draw
 * instead of n: a month of a large desk's posts is tens of thousands. */
#define BOOTSTRAP_EXACT 500
struct side {
    const double *v;
    size_t n;
    double mean, sd_mean;
};

static struct side side_of(const double *v, size_t n)
{
    struct side s = {.v = v, .n = n, .mean = mean(v, n)};
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (v[i] - s.mean) * (v[i] - s.mean);
    s.sd_mean = n ? sqrt(ss / (double)n) / sqrt((double)n) : 0;
    return s;
}

static double resample_mean(const struct side *s, uint64_t *seed)
{
    if (s->n > BOOTSTRAP_EXACT)
        return s->mean + s->sd_mean * rng_normal(seed);
    double sum = 0;
    for (size_t i = 0; i < s->n; i++)
        sum += s->v[rng_below(seed, s->n)];
    return sum / (double)s->n;
}

/* Percentile bootstrap of mean(a)/mean(b) - 1, seeded so the same data
 * always gives the same interval. */
static void bootstrap(const double *a, size_t na, const double *b, size_t nb, double *lo,
                      double *hi)
{
    double *lifts = xmalloc(BOOTSTRAP * sizeof *lifts);
    uint64_t seed = 0x6b616e616cu ^ (na * 1000003u + nb);
    struct side sa = side_of(a, na), sb = side_of(b, nb);
    size_t n = 0;
    for (int r = 0; r < BOOTSTRAP; r++) {
        double ma = resample_mean(&sa, &seed), mb = resample_mean(&sb, &seed);
        if (mb > 0)
            lifts[n++] = ma / mb - 1;
    }
    sort_array(lifts, n, sizeof *lifts, cmp_double);
    *lo = n ? lifts[(size_t)(0.025 * (double)(n - 1))] : NAN;
    *hi = n ? lifts[(size_t)(0.975 * (double)(n - 1))] : NAN;
    free(lifts);
}

/* ---- features ---------------------------------------------------------------- */

static bool has_format(const struct post *p, const struct feature *f)
{
    return p->format == f->arg;
}
static bool has_weekday(const struct post *p, const struct feature *f)
{
    return p->weekday == f->arg;
}
static bool has_hour(const struct post *p, const struct feature *f)
{
    return p->hour / 3 == f->arg;
}
static bool has_length(const struct post *p, const struct feature *f)
{
    return p->len_bucket == f->arg;
}
static bool has_question(const struct post *p, const struct feature *f)
{
    return p->question;
}
static bool has_emoji(const struct post *p, const struct feature *f)
{
    return p->emoji;
}
static bool has_ctas(const struct post *p, const struct feature *f)
{
    return (p->ctas >= 2 ? 2 : p->ctas) == f->arg;
}
static bool has_hashtags(const struct post *p, const struct feature *f)
{
    return (p->hashtags >= 3 ? 3 : p->hashtags >= 1 ? 1 : 0) == f->arg;
}

static bool has_tag(const struct post *p, const struct feature *f)
{
    for (int64_t i = post_tags_first(f->tags, p->post_id); i >= 0; i = f->tags->next[i])
        if (f->tags->tag[i] == f->arg)
            return true;
    return false;
}

extern const char *const post_formats[];

static const char *const weekdays[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                       "Friday", "Saturday", "Sunday"};
static const char *const lengths[] = {"under 80 characters", "80-199 characters",
                                      "200-499 characters", "500 characters or more"};

static void describe(struct text_tokens *t, struct query **ctas, size_t nctas, const char *body,
                     struct post *p)
{
    size_t n = strlen(body);
    size_t chars = 0;
    for (const char *c = body; *c; c++)
        chars += ((unsigned char)*c & 0xC0) != 0x80;
    p->len_bucket = chars < 80 ? 0 : chars < 200 ? 1 : chars < 500 ? 2 : 3;
    text_tokenize(t, body, n);
    p->question = false;
    p->emoji = false;
    p->hashtags = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct token *k = &t->tok[i];
        if (k->kind == TOK_PUNCT && text_token_norm(t, i)[0] == '?')
            p->question = true;
        else if (k->kind == TOK_EMOJI)
            p->emoji = true;
        else if (k->kind == TOK_HASHTAG)
            p->hashtags++;
    }
    p->ctas = 0;
    for (size_t q = 0; q < nctas; q++)
        p->ctas += query_match(ctas[q], t);
}

/* ---- the report -------------------------------------------------------------------- */

static json_t *lift_json(const struct feature *f, struct post *posts, size_t n, double *with,
                         double *without)
{
    size_t na = 0, nb = 0;
    for (size_t i = 0; i < n; i++) {
        if (f->has(&posts[i], f))
            with[na++] = posts[i].er;
        else
            without[nb++] = posts[i].er;
    }
    assert(na + nb == n);
    json_t *o = json_pack("{s:s, s:s, s:I, s:I}", "feature", f->name, "value", f->value, "posts",
                          (json_int_t)na, "other_posts", (json_int_t)nb);
    if (na < MIN_POSTS || nb < MIN_POSTS) {
        json_object_set_new(o, "lift", json_null());
        json_object_set_new(o, "note", json_string("too few posts"));
        return o;
    }
    double ma = mean(with, na), mb = mean(without, nb), lo, hi;
    bootstrap(with, na, without, nb, &lo, &hi);
    json_object_set_new(o, "er", json_real(ma));
    json_object_set_new(o, "other_er", json_real(mb));
    json_object_set_new(o, "lift", mb > 0 ? json_real(ma / mb - 1) : json_null());
    json_object_set_new(o, "lift_ci95", isnan(lo) ? json_null() : json_pack("[f, f]", lo, hi));
    return o;
}

/* Where lift() puts each feature's lift, and what it measures it on. */
struct lifts {
    json_t *list;
    struct post *posts;
    size_t n;
    double *with, *without; /* room for n each */
    const struct post_tags *tags;
};

/* Appends the lift of feature `has` (with arg), named `name` and the value
 * value_fmt prints, to l->list. */
PRINTF_LIKE(5, 6)
static void lift(struct lifts *l, bool (*has)(const struct post *p, const struct feature *f),
                 int64_t arg, const char *name, const char *value_fmt, ...)
{
    struct feature f = {.has = has, .arg = arg, .tags = l->tags};
    snprintf(f.name, sizeof f.name, "%s", name);
    va_list ap;
    va_start(ap, value_fmt);
    vsnprintf(f.value, sizeof f.value, value_fmt, ap);
    va_end(ap);
    json_array_append_new(l->list, lift_json(&f, l->posts, l->n, l->with, l->without));
}

json_t *analytics_insights(struct db *db, int64_t workspace_id, const struct analytics_query *q,
                           struct error *err)
{
    json_t *out = NULL;
    struct post *posts = NULL;
    size_t n = 0, cap = 0;
    struct post_tags ts = {0};
    struct query *ctas[ARRAY_LEN(cta_queries)] = {0};
    struct text_tokens *t = xmalloc(sizeof *t);
    struct tz *tz = NULL;
    struct db_stmt *st = NULL;
    double *with = NULL, *without = NULL;
    tz = workspace_tz(db, workspace_id, err);
    if (!tz || post_tags_load(db, workspace_id, q->since, q->until, &ts, err))
        goto done;
    for (size_t i = 0; i < ARRAY_LEN(cta_queries); i++)
        if (!(ctas[i] = query_compile(cta_queries[i], err)))
            goto done;
    st = db_query(
        db, err,
        "SELECT p.id, p.format, COALESCE(v.body, p.body), v.published_at, " POST_METRIC_COLUMNS
            OWN_POSTS_IN_PERIOD " "
        /* m_reach > 0: a cheap first cut of kpi_post_er_reach's. The order
         * is the bootstrap's: without it each backend draws other posts. */
        "AND v.m_reach > 0 ORDER BY v.id",
        "iii", workspace_id, q->since, q->until);
    if (!st)
        goto done;
    for (int rc = db_has_row(st); rc == 1; rc = db_step(st, err)) {
        struct post_metrics m;
        double er;
        post_metrics_read(st, 4, &m);
        if (!kpi_post_er_reach(&m, &er))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            posts = xrealloc(posts, cap * sizeof *posts);
        }
        struct post *p = &posts[n++];
        int64_t at = db_col_int(st, 3), local = at + tz_offset(tz, at);
        p->post_id = db_col_int(st, 0);
        int fmt = -1;
        for (int f = 0; post_formats[f]; f++)
            if (str_eq(post_formats[f], db_col_text(st, 1)))
                fmt = f;
        p->format = fmt;
        p->day = tz_local_day(tz, at);
        p->weekday = ((p->day + 3) % 7 + 7) % 7; /* 0 = Monday */
        p->hour = ((local % 86400) + 86400) % 86400 / 3600;
        assert(p->weekday >= 0 && p->weekday < 7 && p->hour >= 0 && p->hour < 24);
        p->er = er;
        describe(t, ctas, ARRAY_LEN(cta_queries), db_col_text(st, 2), p);
    }
    with = xmalloc((n + 1) * sizeof *with);
    without = xmalloc((n + 1) * sizeof *without);
    struct lifts l = {.list = json_array(),
                      .posts = posts,
                      .n = n,
                      .with = with,
                      .without = without,
                      .tags = &ts};
    for (int i = 0; post_formats[i]; i++)
        lift(&l, has_format, i, "format", "%s", post_formats[i]);
    json_t *tags = entity_list(db, &entity_tag, workspace_id, NULL,
                               &(struct page){.limit = MODEL_PAGE_MAX}, err);
    size_t ti;
    json_t *tag;
    json_array_foreach (json_object_get(tags, "items"), ti, tag)
        lift(&l, has_tag, json_integer_value(json_object_get(tag, "id")), "theme", "%s",
             json_string_value(json_object_get(tag, "name")));
    json_decref(tags);
    for (int i = 0; i < 7; i++)
        lift(&l, has_weekday, i, "weekday", "%s", weekdays[i]);
    for (int i = 0; i < 8; i++)
        lift(&l, has_hour, i, "hour", "%02d:00-%02d:59", i * 3, i * 3 + 2);
    for (int i = 0; i < 4; i++)
        lift(&l, has_length, i, "text length", "%s", lengths[i]);
    static const char *const counts3[] = {"none", "one", "two or more"};
    static const char *const tags3[] = {"none", "1-2", "", "3 or more"};
    lift(&l, has_question, 0, "question", "asks a question");
    for (int i = 0; i < 3; i++)
        lift(&l, has_ctas, i, "calls to action", "%s", counts3[i]);
    lift(&l, has_emoji, 0, "emoji", "has emoji");
    for (int i = 0; i < 4; i++)
        if (tags3[i][0])
            lift(&l, has_hashtags, i, "hashtags", "%s", tags3[i]);
    out = json_pack("{s:s, s:s, s:I, s:i, s:o}", "since", q->since_date, "until", q->until_date,
                    "posts", (json_int_t)n, "min_posts", MIN_POSTS, "lifts", l.list);
    double all = 0;
    for (size_t i = 0; i < n; i++)
        all += posts[i].er;
    json_object_set_new(out, "er", n ? json_real(all / (double)n) : json_null());
done:
    db_finalize(st);
    for (size_t i = 0; i < ARRAY_LEN(cta_queries); i++)
        query_free(ctas[i]);
    post_tags_free(&ts);
    free(posts);
    free(with);
    free(without);
    free(t);
    tz_free(tz);
    return out;
}
