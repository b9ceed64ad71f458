/* Scores kanal's sentiment on the labelled dev sets in ../shared/data/sentiment
 * and checks macro-averaged recall (mean over the gold labels present of each
 * label's recall; on the Finnish set, which has no neutral gold label, a
 * neutral answer is simply a miss), and how many texts' language is guessed
 * as the set's. The figures are computed here, by the test's own code, not
 * by kanal's --eval. Where a target is not met, the floor below is what the
 * engine honestly reaches, so regressions still fail. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include "shared_data.h"
#include "text/text.h"

struct eval {
    double recall;             /* macro-averaged over the gold labels present */
    long texts, right_lang;    /* texts, and those guessed as the file's language */
    long short_n, short_right; /* the same for texts of six words or fewer */
};

static size_t words_in(const char *s)
{
    size_t n = 0;
    for (bool in = false; *s; s++) {
        bool space = *s == ' ' || *s == '\t';
        n += !space && !in;
        in = !space;
    }
    return n;
}

static struct eval evaluate(const char *path, enum text_lang lang)
{
    FILE *f = open_shared_data(path);
    struct eval e = {0};
    long gold[3] = {0}, right[3] = {0};
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        char *tab = strchr(line, '\t');
        if (!tab)
            continue;
        *tab = '\0';
        int g = !strcmp(line, "neg") ? 0 : !strcmp(line, "neu") ? 1 : !strcmp(line, "pos") ? 2 : -1;
        if (g < 0)
            continue;
        struct sentiment s;
        sentiment_score(tab + 1, strlen(tab + 1), LANG_AUTO, &s);
        int p = s.label == SENT_NEG ? 0 : s.label == SENT_NEU ? 1 : 2;
        gold[g]++;
        right[g] += p == g;
        e.texts++;
        e.right_lang += s.lang == lang;
        if (words_in(tab + 1) <= 6) {
            e.short_n++;
            e.short_right += s.lang == lang;
        }
    }
    free(line);
    fclose(f);
    double sum = 0;
    int classes = 0;
    for (int c = 0; c < 3; c++)
        if (gold[c]) {
            sum += (double)right[c] / (double)gold[c];
            classes++;
        }
    e.recall = classes ? sum / classes : 0;
    return e;
}

static void check(const char *lang, double floor, double lang_floor)
{
    char path[256];
    snprintf(path, sizeof path, "../shared/data/sentiment/%s.dev.tsv", lang);
    struct eval e = evaluate(path, (enum text_lang)text_lang_parse(lang));
    double acc = (double)e.right_lang / (double)e.texts;
    print_message("%s: macro-recall %.3f (floor %.3f); language guessed right %.3f (floor %.3f), "
                  "%.3f of %ld texts of six words or fewer\n",
                  lang, e.recall, floor, acc, lang_floor,
                  e.short_n ? (double)e.short_right / (double)e.short_n : 1.0, e.short_n);
    assert_true(e.recall >= floor);
    assert_true(acc >= lang_floor);
}

/* Floors just under what the engine reaches (so a broken rule or model
 * fails them); TARGET_NOT_MET marks those below issue 21's targets (en 0.66,
 * sv 0.66 with neutral recall 0.40, fi 0.65). The second number is the
 * share of texts whose language is guessed right. */
static void test_en(void **state)
{
    check("en", 0.695, 0.995); /* reached 0.702 with the model (rules alone 0.651) */
}

static void test_sv(void **state)
{
    check("sv", 0.635, 0.84); /* TARGET_NOT_MET: 0.641, the rules alone (no Swedish model) */
}

static void test_fi(void **state)
{
    check("fi", 0.59, 0.925); /* TARGET_NOT_MET: 0.596 with the model (rules alone 0.607) */
}

/* ---- every score pinned ------------------------------------------------
 * The evaluation above would let a change move a few hundred scores as long
 * as the recall holds. Work on speed (caches, lookups, the tokenizer) must
 * move none: this hashes the full verdict of every text of the dev and
 * training sets (72,800 texts), guessed and, for the dev sets, read as the
 * file's language. Scores are hashed rounded to 1e-6 (logits to 1e-5), so a
 * change in the last bit of a sum does not flip it but any change a user
 * could see does. A deliberate change (a retrained model, a new rule) records
 * the new hash below and says why in its commit; KANAL_SCORES_OUT=FILE
 * writes every verdict, one line each, to compare the two runs. */
#define SCORES_HASH 0x7b2a880e5e828643ULL

static uint64_t mix(uint64_t h, int64_t v)
{
    for (int i = 0; i < 8; i++, v >>= 8)
        h = (h ^ (uint8_t)v) * 0x100000001b3ULL;
    return h;
}

static uint64_t pin_one(uint64_t h, const struct sentiment *s, FILE *out, const char *file,
                        long line, const char *how)
{
    h = mix(h, s->label);
    h = mix(h, s->lang);
    h = mix(h, s->hits);
    h = mix(h, s->model);
    h = mix(h, llround(s->score * 1e6));
    h = mix(h, llround(s->raw * 1e6));
    for (int c = 0; c < SENT_LABELS; c++)
        h = mix(h, llround(s->logit[c] * 1e5));
    if (out)
        fprintf(out, "%s:%ld %s %s %s %d %d %.17g %.17g %.9g %.9g %.9g\n", file, line, how,
                sentiment_label_name(s->label), text_lang_name(s->lang), s->hits, s->model,
                s->score, s->raw, (double)s->logit[0], (double)s->logit[1], (double)s->logit[2]);
    return h;
}

static void test_scores_pinned(void **state)
{
    static const char *const files[] = {"en.dev",   "sv.dev",   "fi.dev",
                                        "en.train", "sv.train", "fi.train"};
    needs_shared_data();
    const char *out_path = getenv("KANAL_SCORES_OUT");
    FILE *out = out_path ? fopen(out_path, "w") : NULL;
    if (out_path && !out)
        fail_msg("cannot write %s", out_path);
    uint64_t h = 0xcbf29ce484222325ULL;
    long texts = 0;
    for (size_t fi = 0; fi < sizeof files / sizeof *files; fi++) {
        char path[256];
        snprintf(path, sizeof path, SHARED_DATA "sentiment/%s.tsv", files[fi]);
        FILE *f = open_shared_data(path);
        char lang[3] = {files[fi][0], files[fi][1], 0};
        bool dev = strstr(files[fi], ".dev") != NULL;
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        long no = 0;
        while ((n = getline(&line, &cap, f)) > 0) {
            no++;
            while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                line[--n] = '\0';
            char *tab = strchr(line, '\t');
            if (!tab)
                continue;
            struct sentiment s;
            sentiment_score(tab + 1, strlen(tab + 1), LANG_AUTO, &s);
            h = pin_one(h, &s, out, files[fi], no, "auto");
            if (dev) {
                sentiment_score(tab + 1, strlen(tab + 1), (enum text_lang)text_lang_parse(lang),
                                &s);
                h = pin_one(h, &s, out, files[fi], no, lang);
            }
            texts++;
        }
        free(line);
        fclose(f);
    }
    if (out)
        fclose(out);
    print_message("scores of %ld texts hash to 0x%016llxULL (pinned 0x%016llxULL)\n", texts,
                  (unsigned long long)h, (unsigned long long)SCORES_HASH);
    assert_true(texts > 70000);
    if (h != SCORES_HASH)
        fail_msg("the scores changed; if on purpose, pin the new hash in SCORES_HASH and say why");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_en),
        cmocka_unit_test(test_sv),
        cmocka_unit_test(test_fi),
        cmocka_unit_test(test_scores_pinned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
