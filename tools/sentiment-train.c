/* sentiment-train: trains kanal's learned sentiment model for one language
 * from a labelled file (label<TAB>text lines), choosing its settings by
 * k-fold cross-validation on that file alone, and writes the weights that
 * the build compiles in (data/sentiment/LANG.model). Uses the library's own
 * training and scoring (text/model.c), so what it measures is what ships.
 * --objective polar chooses by the mean recall of the pos and neg lines
 * alone, a neutral answer a miss: for data judged so (Finnish). When no
 * setting beats the rules alone, no model is written (and --out removed).
 * --only FEATS,EPOCHS,L2 cross-validates that one setting (FEATS: the
 * MODEL_* bits as a number) instead of the grid.
 * For each setting the band between neutral and the polar labels (neutral's
 * logit, NEUTRAL_MIN..NEUTRAL_MAX) is chosen on the same held-out answers:
 * the logits do not depend on it, so every band is scored from one run.
 * --neutral Z fixes it instead.
 * Usage: sentiment-train --lang L [--folds K] [--sample N] [--seed S]
 *        [--grid quick|full] [--only F,E,L2] [--objective all|polar]
 *        [--bits B] [--neutral Z] [--out FILE] TRAIN.tsv */
#include "base/base.h"
#include "text/text.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct confusion {
    long m[SENT_LABELS][SENT_LABELS]; /* [gold][predicted] */
};

static double macro_recall(const struct confusion *c, bool polar_only)
{
    double sum = 0;
    int classes = 0;
    for (int g = 0; g < SENT_LABELS; g++) {
        if (polar_only && g == SENT_NEU)
            continue;
        long gold = c->m[g][0] + c->m[g][1] + c->m[g][2];
        if (gold) {
            sum += (double)c->m[g][g] / (double)gold;
            classes++;
        }
    }
    return classes ? sum / classes : 0;
}

static double recall_of(const struct confusion *c, int g)
{
    long gold = c->m[g][0] + c->m[g][1] + c->m[g][2];
    return gold ? (double)c->m[g][g] / (double)gold : 0;
}

static uint64_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Reads label<TAB>text lines; bad lines are named and skipped. */
static struct sentiment_example *read_file(const char *path, size_t *count)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "sentiment-train: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    struct sentiment_example *ex = NULL;
    size_t n = 0, cap = 0, lcap = 0;
    char *line = NULL;
    ssize_t got;
    long lineno = 0;
    while ((got = getline(&line, &lcap, f)) >= 0) {
        lineno++;
        size_t len = (size_t)got;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        char *tab = memchr(line, '\t', len);
        int label = -1;
        if (tab) {
            *tab = '\0';
            label = sentiment_label_parse(line);
        }
        size_t tlen = tab ? len - (size_t)(tab + 1 - line) : 0;
        if (label < 0 || !utf8_valid(tab + 1, tlen)) {
            if (len)
                fprintf(stderr, "%s:%ld: not label<TAB>text in UTF-8; skipped\n", path, lineno);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            ex = xrealloc(ex, cap * sizeof *ex);
        }
        char *text = xmalloc(tlen + 1);
        memcpy(text, tab + 1, tlen + 1);
        ex[n++] = (struct sentiment_example){text, tlen, (enum sentiment_label)label};
    }
    free(line);
    fclose(f);
    *count = n;
    return ex;
}

/* Neutral's logits tried (the band): NEUTRAL_MIN to NEUTRAL_MAX by
 * NEUTRAL_STEP; 0 is the model as trained. */
#define NEUTRAL_MIN  (-3.0)
#define NEUTRAL_MAX  3.0
#define NEUTRAL_STEP 0.1

/* One held-out answer: its gold label and the model's neg and pos logits
 * against neutral's (whatever band the model was trained with). */
struct heldout {
    float neg, pos;
    uint8_t gold;
};

static void score_into(const struct sentiment_model *m, const struct sentiment_example *ex,
                       size_t n, enum text_lang lang, struct text_tokens *t, struct confusion *c,
                       struct heldout *h)
{
    for (size_t i = 0; i < n; i++) {
        struct sentiment r;
        text_tokenize(t, ex[i].text, ex[i].len);
        sentiment_score_model(t, lang, m, &r);
        c->m[ex[i].gold][r.label]++;
        if (h)
            h[i] = (struct heldout){r.logit[SENT_NEG] - r.logit[SENT_NEU],
                                    r.logit[SENT_POS] - r.logit[SENT_NEU], (uint8_t)ex[i].gold};
    }
}

/* The answers with neutral's logit at z (ties go to neutral, as in the
 * scorer). */
static void band_confusion(const struct heldout *h, size_t n, double z, struct confusion *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < n; i++) {
        int best = SENT_NEU;
        double top = z;
        if (h[i].pos > top) {
            best = SENT_POS;
            top = h[i].pos;
        }
        if (h[i].neg > top)
            best = SENT_NEG;
        c->m[h[i].gold][best]++;
    }
}

/* The band that scores best on the held-out answers (nearest 0 on a tie). */
static double best_band(const struct heldout *h, size_t n, bool polar, struct confusion *c)
{
    double best = 0, best_score = -1;
    int steps = (int)((NEUTRAL_MAX - NEUTRAL_MIN) / NEUTRAL_STEP + 0.5);
    for (int i = 0; i <= steps; i++) {
        double z = NEUTRAL_MIN + i * NEUTRAL_STEP;
        if (fabs(z) < NEUTRAL_STEP / 2)
            z = 0;
        struct confusion k;
        band_confusion(h, n, z, &k);
        double r = macro_recall(&k, polar);
        if (r > best_score + 1e-12 || (r > best_score - 1e-12 && fabs(z) < fabs(best))) {
            best_score = r;
            best = z;
        }
    }
    band_confusion(h, n, best, c);
    return best;
}

/* K-fold cross-validation of p on ex (already shuffled): fold f holds the
 * lines i with i % k == f. Fills c with every line's held-out answer and h
 * (n entries, or NULL) with its logits. */
static void cross_validate(const struct sentiment_example *ex, size_t n, int k, enum text_lang lang,
                           const struct sentiment_model_params *p, struct text_tokens *t,
                           struct confusion *c, struct heldout *h)
{
    struct sentiment_example *train = xmalloc(n * sizeof *train), *test = xmalloc(n * sizeof *test);
    memset(c, 0, sizeof *c);
    size_t done = 0;
    for (int f = 0; f < k; f++) {
        size_t nt = 0, nv = 0;
        for (size_t i = 0; i < n; i++) {
            if ((int)(i % (size_t)k) == f)
                test[nv++] = ex[i];
            else
                train[nt++] = ex[i];
        }
        struct sentiment_model *m = sentiment_model_train(train, nt, lang, p);
        score_into(m, test, nv, lang, t, c, h ? h + done : NULL);
        done += nv;
        sentiment_model_free(m);
    }
    free(train);
    free(test);
}

static void print_row(const char *what, const struct confusion *c)
{
    printf("%-34s macro-recall %.3f  (pos %.3f neu %.3f neg %.3f)  pos/neg only %.3f\n", what,
           macro_recall(c, false), recall_of(c, SENT_POS), recall_of(c, SENT_NEU),
           recall_of(c, SENT_NEG), macro_recall(c, true));
}

static void describe(char *s, size_t n, const struct sentiment_model_params *p, bool band)
{
    int k = snprintf(s, n, "%s%s%s%s%s b%u e%d l2=%g", p->feats & MODEL_UNI ? "uni" : "",
                     p->feats & MODEL_BI ? "+bi" : "", p->feats & MODEL_PRE ? "+pre" : "",
                     p->feats & MODEL_RULES ? "+rules" : "", p->feats & MODEL_NORM ? "+norm" : "",
                     p->bits, p->epochs, p->l2);
    if (band && k > 0 && (size_t)k < n)
        snprintf(s + k, n - (size_t)k, " neutral=%+.1f", p->neutral);
}

int main(int argc, char **argv)
{
    const char *path = NULL, *out = NULL, *grid = "full";
    int lang = -1, folds = 5;
    long sample = 0;
    uint64_t seed = 1;
    double rate = 0.1;
    bool polar = false; /* choose by the recall of pos and neg lines alone */
    bool only = false;
    struct sentiment_model_params only_p = {0};
    unsigned bits = 16;
    bool fixed_band = false;
    double neutral = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (str_eq(a, "--lang") && v) {
            lang = text_lang_parse(argv[++i]);
        } else if (str_eq(a, "--folds") && v) {
            folds = atoi(argv[++i]);
        } else if (str_eq(a, "--sample") && v) {
            sample = atol(argv[++i]);
        } else if (str_eq(a, "--seed") && v) {
            seed = strtoull(argv[++i], NULL, 10);
        } else if (str_eq(a, "--grid") && v) {
            grid = argv[++i];
        } else if (str_eq(a, "--rate") && v) {
            rate = atof(argv[++i]);
        } else if (str_eq(a, "--bits") && v) {
            bits = (unsigned)atoi(argv[++i]);
        } else if (str_eq(a, "--only") && v) { /* one setting: FEATS,EPOCHS,L2 */
            only = sscanf(argv[++i], "%u,%d,%lf", &only_p.feats, &only_p.epochs, &only_p.l2) == 3;
        } else if (str_eq(a, "--neutral") && v) {
            char *end;
            neutral = strtod(argv[++i], &end);
            fixed_band = *end == '\0' && isfinite(neutral) && fabs(neutral) <= 20;
            if (!fixed_band) {
                path = NULL;
                break;
            }
        } else if (str_eq(a, "--objective") && v) {
            polar = str_eq(argv[++i], "polar");
        } else if (str_eq(a, "--out") && v) {
            out = argv[++i];
        } else if (a[0] != '-' && !path) {
            path = a;
        } else {
            path = NULL;
            break;
        }
    }
    if (!path || lang < 0 || lang >= LANG_OTHER || folds < 2 || sample < 0 || bits < 8 ||
        bits > 24) {
        fprintf(stderr,
                "usage: sentiment-train --lang sv|fi|en [--folds K] [--sample N] "
                "[--seed S] [--grid quick|full] [--only F,E,L2] [--objective all|polar] [--rate R] "
                "[--bits B] [--neutral Z] [--out FILE] TRAIN.tsv\n");
        return 2;
    }
    struct error err = {0};
    if (sentiment_init(&err) < 0) {
        fprintf(stderr, "sentiment-train: %s\n", err.msg);
        return 1;
    }
    size_t n = 0;
    struct sentiment_example *ex = read_file(path, &n);
    if (!ex || n < (size_t)folds * 3) {
        fprintf(stderr, "sentiment-train: %s: too few labelled lines (%zu)\n", path, n);
        return 1;
    }
    uint64_t s = seed ? seed : 1;
    for (size_t i = n; i > 1; i--) { /* folds of every part of the file */
        size_t j = (size_t)(next_random(&s) % i);
        struct sentiment_example x = ex[i - 1];
        ex[i - 1] = ex[j];
        ex[j] = x;
    }
    size_t used = sample && (size_t)sample < n ? (size_t)sample : n;
    struct text_tokens *t = xmalloc(sizeof *t);
    printf("%s: %zu lines, %d-fold cross-validation, read as %s\n", path, used, folds,
           text_lang_name((enum text_lang)lang));
    /* The rules alone need no training: every line, scored. */
    struct confusion c = {0};
    score_into(NULL, ex, used, (enum text_lang)lang, t, &c, NULL);
    print_row("rules alone", &c);
    double rules_score = macro_recall(&c, polar);

    unsigned feat_sets[] = {
        MODEL_UNI | MODEL_RULES | MODEL_NORM,
        MODEL_UNI | MODEL_BI | MODEL_RULES | MODEL_NORM,
        MODEL_UNI | MODEL_BI | MODEL_PRE | MODEL_RULES | MODEL_NORM,
        MODEL_UNI | MODEL_BI | MODEL_PRE | MODEL_NORM,
        MODEL_UNI | MODEL_BI | MODEL_PRE | MODEL_RULES,
    };
    double l2s[] = {1e-4, 1e-3, 1e-2};
    int epochs[] = {2, 4};
    bool quick = str_eq(grid, "quick");
    if (only) { /* the grid is this one setting */
        quick = false;
        feat_sets[0] = only_p.feats;
        l2s[0] = only_p.l2;
        epochs[0] = only_p.epochs;
    }
    struct sentiment_model_params best = {0}, p = {.bits = bits, .rate = rate, .seed = seed};
    double best_score = -1;
    struct heldout *held = xmalloc(used * sizeof *held);
    for (size_t f = 0; f < ARRAY_LEN(feat_sets); f++)
        for (size_t l = 0; l < ARRAY_LEN(l2s); l++)
            for (size_t e = 0; e < ARRAY_LEN(epochs); e++) {
                if ((quick && (f != 2 || l != 1 || e != 0)) || (only && (f || l || e)))
                    continue;
                p.feats = feat_sets[f];
                p.l2 = l2s[l];
                p.epochs = epochs[e];
                p.neutral = 0;
                char name[96];
                describe(name, sizeof name, &p, false);
                cross_validate(ex, used, folds, (enum text_lang)lang, &p, t, &c, held);
                print_row(name, &c);
                /* The same held-out logits, with the band that suits them. */
                if (fixed_band) {
                    p.neutral = neutral;
                    band_confusion(held, used, neutral, &c);
                } else {
                    p.neutral = best_band(held, used, polar, &c);
                }
                describe(name, sizeof name, &p, true);
                print_row(name, &c);
                fflush(stdout);
                double r = macro_recall(&c, polar);
                if (r > best_score) {
                    best_score = r;
                    best = p;
                }
            }
    int status = 0;
    if (rules_score >= best_score) {
        /* No model beat the rules: the language keeps the rules alone. */
        printf("chosen: the rules alone (cross-validated %s %.3f); no model written\n",
               polar ? "pos/neg recall" : "macro-recall", rules_score);
        if (out && remove(out) != 0 && errno != ENOENT) {
            fprintf(stderr, "sentiment-train: %s: %s\n", out, strerror(errno));
            status = 1;
        }
        goto done;
    }
    char name[96];
    describe(name, sizeof name, &best, true);
    printf("chosen: %s (cross-validated %s %.3f)\n", name,
           polar ? "pos/neg recall" : "macro-recall", best_score);
    struct sentiment_model *m = sentiment_model_train(ex, used, (enum text_lang)lang, &best);
    printf("model: %zu bytes in memory\n", sentiment_model_memory(m));
    if (out) {
        struct buf b = {0};
        sentiment_model_serialize(m, &b);
        FILE *f = fopen(out, "wb");
        if (!f || fwrite(b.data, 1, b.len, f) != b.len || fclose(f) != 0) {
            fprintf(stderr, "sentiment-train: %s: %s\n", out, strerror(errno));
            status = 1;
        } else {
            printf("wrote %s (%zu bytes)\n", out, b.len);
        }
        buf_free(&b);
    }
    sentiment_model_free(m);
done:
    free(held);
    for (size_t i = 0; i < n; i++)
        free((char *)ex[i].text);
    free(ex);
    free(t);
    return status;
}
