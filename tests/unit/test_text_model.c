/* Unit tests of the learned sentiment model (text/model.c): the feature
 * hashing, scoring and the file form on texts and models made here, and
 * training on a few hundred lines of ../shared/data/sentiment/en.train.tsv,
 * scored on other lines of it, so the trainer cannot rot. Expected values
 * come from the definitions (counts of tokens, labels taught), not from
 * kanal's output. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/text_internal.h"

#include "shared_data.h"

static struct text_tokens toks;
static struct lex_info info[TEXT_MAX_TOKENS];
static uint64_t feats[3 * TEXT_MAX_TOKENS + 1];

static size_t features(const char *s, enum text_lang lang, unsigned which)
{
    struct lex_counts c;
    assert_int_equal(lexicon_init(NULL), 0);
    text_tokenize(&toks, s, strlen(s));
    lexicon_find_all(&toks, info, &c);
    return model_features(&toks, info, lang, which, feats);
}

static bool has(const uint64_t *set, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++)
        if (set[i] == h)
            return true;
    return false;
}

static void test_bucket_in_range_and_spread(void **state)
{
    for (unsigned bits = 8; bits <= 24; bits += 4) {
        uint32_t seen[16] = {0};
        for (uint64_t h = 0; h < 4096; h++) {
            uint32_t b = model_bucket(text_hash((const char *)&h, sizeof h), bits);
            assert_true(b < (1u << bits));
            seen[b >> (bits - 4)]++;
        }
        for (int i = 0; i < 16; i++) /* 256 expected in each sixteenth */
            assert_true(seen[i] > 160 && seen[i] < 360);
    }
}

static void test_features_count_and_kinds(void **state)
{
    /* Four tokens (three words and '!'): four unigrams, four bigrams and
     * the one that closes the text. */
    assert_int_equal(features("this is good !", LANG_EN, MODEL_UNI), 4);
    assert_int_equal(features("this is good !", LANG_EN, MODEL_UNI | MODEL_BI), 9);
    /* "wonderful" (9 bytes) is the one word long enough for a prefix. */
    assert_int_equal(features("a wonderful day", LANG_EN, MODEL_UNI | MODEL_PRE), 4);
    /* Links, users and numbers are one feature each, whichever they are. */
    size_t n = features("@anna http://a.example 12", LANG_EN, MODEL_UNI);
    uint64_t a[3];
    memcpy(a, feats, sizeof a);
    assert_int_equal(features("@bertil https://b.example/x 7", LANG_EN, MODEL_UNI), n);
    assert_memory_equal(a, feats, sizeof a);
}

static void test_features_negation_and_order(void **state)
{
    size_t n = features("good", LANG_EN, MODEL_UNI);
    assert_int_equal(n, 1);
    uint64_t good = feats[0];
    /* Inside a negator's reach "good" is another feature... */
    n = features("not good", LANG_EN, MODEL_UNI);
    assert_false(has(feats, n, good));
    n = features("isn't very good", LANG_EN, MODEL_UNI);
    assert_false(has(feats, n, good));
    n = features("Tämä ei ole hyvä", LANG_FI, MODEL_UNI);
    uint64_t fi_neg[8];
    memcpy(fi_neg, feats, n * sizeof *feats);
    size_t m = features("Tämä on hyvä", LANG_FI, MODEL_UNI);
    assert_false(has(fi_neg, n, feats[m - 1]));
    /* ...and punctuation ends the reach; three words end it too. */
    n = features("not now. good", LANG_EN, MODEL_UNI);
    assert_true(has(feats, n, good));
    n = features("not a b c good", LANG_EN, MODEL_UNI);
    assert_true(has(feats, n, good));
    /* Bigrams keep the order: "dog bites" is not "bites dog". */
    n = features("dog bites", LANG_EN, MODEL_BI);
    uint64_t first = feats[1];
    features("bites dog", LANG_EN, MODEL_BI);
    assert_true(first != feats[1]);
}

/* A model taught that made-up words carry a label labels them so, whatever
 * the rules say; and its file form loads to the same answers. */
static void test_train_score_and_roundtrip(void **state)
{
    static const char *const words[3] = {"snergly", "plimbo", "wuzzle"}; /* neg neu pos */
    static const char *const fill[4] = {"the", "a day of", "my", "we saw"};
    struct sentiment_example ex[120];
    char text[120][48];
    for (int i = 0; i < 120; i++) {
        snprintf(text[i], sizeof text[i], "%s %s", fill[i % 4], words[i % 3]);
        ex[i] = (struct sentiment_example){text[i], strlen(text[i]), (enum sentiment_label)(i % 3)};
    }
    struct sentiment_model_params p = {.feats = MODEL_UNI | MODEL_BI | MODEL_RULES | MODEL_NORM,
                                       .bits = 12,
                                       .epochs = 5,
                                       .rate = 0.1,
                                       .l2 = 1e-4,
                                       .seed = 7};
    struct sentiment_model *m = sentiment_model_train(ex, 120, LANG_EN, &p);
    assert_non_null(m);
    assert_int_equal(sentiment_model_lang(m), LANG_EN);
    assert_true(sentiment_model_memory(m) >= (1u << 12) * 2);
    struct buf blob = {0};
    sentiment_model_serialize(m, &blob);
    struct error err = {0};
    struct sentiment_model *m2 = sentiment_model_load(blob.data, blob.len, &err);
    assert_non_null(m2);
    for (int c = 0; c < 3; c++) {
        struct sentiment r, r2, rules;
        snprintf(text[0], sizeof text[0], "so %s", words[c]);
        text_tokenize(&toks, text[0], strlen(text[0]));
        sentiment_score_model(&toks, LANG_EN, m, &r);
        sentiment_score_model(&toks, LANG_EN, m2, &r2);
        sentiment_score_model(&toks, LANG_EN, NULL, &rules);
        assert_true(r.model && !rules.model);
        assert_int_equal(r.label, c);
        assert_int_equal(r2.label, c);
        assert_true(r.score == r2.score && r.score >= -1 && r.score <= 1);
        assert_int_equal(rules.label, SENT_NEU); /* no lexicon word: the rules cannot know */
        /* A text read as another language is the rules' alone. */
        sentiment_score_model(&toks, LANG_SV, m, &r);
        assert_false(r.model);
    }
    /* Truncated, wrong magic, a table of another size: refused. */
    assert_null(sentiment_model_load(blob.data, blob.len - 1, &err));
    assert_non_null(strstr(err.msg, "sentiment model"));
    unsigned char *bad = malloc(blob.len);
    memcpy(bad, blob.data, blob.len);
    bad[0] ^= 1;
    assert_null(sentiment_model_load(bad, blob.len, &err));
    memcpy(bad, blob.data, blob.len);
    assert_int_equal(blob.len, 64 + (2u << 12)); /* a 64-byte header, two bytes a bucket */
    bad[9] = 13;                                 /* 1 << 13 buckets, and the bytes of 1 << 12 */
    assert_null(sentiment_model_load(bad, blob.len, &err));
    free(bad);
    buf_free(&blob);
    sentiment_model_free(m2);
    sentiment_model_free(m);
}

/* The toy model of made-up words above, with neutral's logit at z. */
static struct sentiment_model *toy_model(double z)
{
    static const char *const words[3] = {"snergly", "plimbo", "wuzzle"}; /* neg neu pos */
    static char text[90][32];
    struct sentiment_example ex[90];
    for (int i = 0; i < 90; i++) {
        snprintf(text[i], sizeof text[i], "we saw %s", words[i % 3]);
        ex[i] = (struct sentiment_example){text[i], strlen(text[i]), (enum sentiment_label)(i % 3)};
    }
    struct sentiment_model_params p = {.feats = MODEL_UNI | MODEL_RULES | MODEL_NORM,
                                       .bits = 10,
                                       .epochs = 3,
                                       .rate = 0.1,
                                       .l2 = 1e-4,
                                       .seed = 3,
                                       .neutral = z};
    return sentiment_model_train(ex, 90, LANG_EN, &p);
}

/* Neutral's logit (the band) moves only the neutral answers: far up, every
 * text is neutral; far down, none is; the score stays p(pos) - p(neg) of the
 * three logits. It survives the file form, and a version 1 file (no band)
 * loads with the band at 0. */
static void test_neutral_band(void **state)
{
    static const char *const texts[3] = {"so snergly", "so plimbo", "so wuzzle"};
    struct sentiment_model *m0 = toy_model(0), *wide = toy_model(20), *none = toy_model(-20);
    struct sentiment_model *half = toy_model(1.5);
    struct buf blob = {0}, v1 = {0};
    sentiment_model_serialize(half, &blob);
    struct error err = {0};
    struct sentiment_model *half2 = sentiment_model_load(blob.data, blob.len, &err);
    assert_non_null(half2);
    /* Version 1: magic ...1, and no neutral field after the dense weights. */
    buf_free(&blob);
    sentiment_model_serialize(m0, &blob);
    const size_t at = 8 + 4 + 4 + 8 + 8 * 4; /* magic, head, scale, bias, dense */
    buf_append(&v1, blob.data, at);
    buf_append(&v1, (const char *)blob.data + at + 4, blob.len - at - 4);
    ((unsigned char *)v1.data)[7] = '1';
    struct sentiment_model *old = sentiment_model_load(v1.data, v1.len, &err);
    assert_non_null(old);
    /* A version 1 header of version 2's length is refused, not misread. */
    ((unsigned char *)blob.data)[7] = '1';
    assert_null(sentiment_model_load(blob.data, blob.len, &err));
    for (int c = 0; c < 3; c++) {
        struct sentiment r0, rw, rn, rh, rh2, ro;
        text_tokenize(&toks, texts[c], strlen(texts[c]));
        sentiment_score_model(&toks, LANG_EN, m0, &r0);
        sentiment_score_model(&toks, LANG_EN, wide, &rw);
        sentiment_score_model(&toks, LANG_EN, none, &rn);
        sentiment_score_model(&toks, LANG_EN, half, &rh);
        sentiment_score_model(&toks, LANG_EN, half2, &rh2);
        sentiment_score_model(&toks, LANG_EN, old, &ro);
        assert_int_equal(r0.label, c); /* as taught */
        assert_int_equal(rw.label, SENT_NEU);
        assert_int_not_equal(rn.label, SENT_NEU);
        assert_float_equal(rw.logit[SENT_NEU], 20, 1e-6);
        /* The other logits are the trained ones, whatever the band. */
        assert_float_equal(rw.logit[SENT_POS], r0.logit[SENT_POS], 1e-6);
        assert_float_equal(rn.logit[SENT_NEG], r0.logit[SENT_NEG], 1e-6);
        double e[3], s = 0;
        for (int k = 0; k < 3; k++)
            s += e[k] = exp(rh.logit[k]);
        assert_float_equal(rh.score, (e[SENT_POS] - e[SENT_NEG]) / s, 1e-5);
        assert_int_equal(rh2.label, rh.label);
        assert_true(rh2.score == rh.score);
        assert_int_equal(ro.label, r0.label);
        assert_true(ro.score == r0.score && ro.logit[SENT_NEU] == 0);
    }
    buf_free(&blob);
    buf_free(&v1);
    sentiment_model_free(old);
    sentiment_model_free(half2);
    sentiment_model_free(half);
    sentiment_model_free(none);
    sentiment_model_free(wide);
    sentiment_model_free(m0);
}

static double macro_recall(const long m[3][3])
{
    double s = 0;
    int k = 0;
    for (int g = 0; g < 3; g++) {
        long n = m[g][0] + m[g][1] + m[g][2];
        if (n) {
            s += (double)m[g][g] / (double)n;
            k++;
        }
    }
    return k ? s / k : 0;
}

/* Trains on 450 lines of the English training set and scores 300 others:
 * the model must beat answering one label for everything (macro-recall 1/3)
 * by a wide margin, and with the rules' verdict as input, not fall below the
 * rules alone on the same lines by more than chance. */
static void test_train_on_sample_beats_baseline(void **state)
{
    FILE *f = open_shared_data("../shared/data/sentiment/en.train.tsv");
    static char lines[750][512];
    struct sentiment_example ex[750];
    char *line = NULL;
    size_t cap = 0, n = 0;
    ssize_t got;
    long lineno = 0;
    while (n < 750 && (got = getline(&line, &cap, f)) > 0) {
        if (lineno++ % 60) /* lines from the whole file, not its start */
            continue;
        char *tab = strchr(line, '\t');
        int g = sentiment_label_parse(tab ? (*tab = '\0', line) : "");
        if (g < 0 || strlen(tab + 1) >= sizeof lines[n])
            continue;
        strcpy(lines[n], tab + 1);
        lines[n][strcspn(lines[n], "\r\n")] = '\0';
        ex[n] = (struct sentiment_example){lines[n], strlen(lines[n]), (enum sentiment_label)g};
        n++;
    }
    free(line);
    fclose(f);
    assert_int_equal(n, 750);
    struct sentiment_model_params p = {.feats = MODEL_UNI | MODEL_RULES | MODEL_NORM,
                                       .bits = 16,
                                       .epochs = 4,
                                       .rate = 0.1,
                                       .l2 = 1e-3,
                                       .seed = 1};
    struct sentiment_model *m = sentiment_model_train(ex, 450, LANG_EN, &p);
    long with[3][3] = {{0}}, rules[3][3] = {{0}};
    for (size_t i = 450; i < n; i++) {
        struct sentiment r;
        text_tokenize(&toks, ex[i].text, ex[i].len);
        sentiment_score_model(&toks, LANG_EN, m, &r);
        with[ex[i].gold][r.label]++;
        sentiment_score_model(&toks, LANG_EN, NULL, &r);
        rules[ex[i].gold][r.label]++;
    }
    sentiment_model_free(m);
    double mr = macro_recall(with), rr = macro_recall(rules);
    print_message("450 lines learned, 300 scored: macro-recall %.3f (rules alone %.3f)\n", mr, rr);
    assert_true(mr > 0.45);
    assert_true(mr > rr - 0.05);
}

/* The models compiled in: each loads, is for its language, and the three
 * stay well under the 64 MiB the issue allows. */
static void test_builtin_models(void **state)
{
    struct error err = {0};
    assert_int_equal(sentiment_init(&err), 0);
    size_t total = 0;
    int found = 0;
    for (int l = LANG_SV; l <= LANG_EN; l++) {
        const struct sentiment_model *m = sentiment_model_builtin((enum text_lang)l);
        if (!m)
            continue;
        found++;
        assert_int_equal(sentiment_model_lang(m), l);
        total += sentiment_model_memory(m);
    }
    print_message("%d built-in models, %zu bytes in memory\n", found, total);
    assert_true(total < 64u << 20);
    assert_null(sentiment_model_builtin(LANG_OTHER));
}

/* The learner of moderators' corrections stays on top of the model: it
 * starts from the model's logits, so it gives the model's labels until
 * corrections say otherwise, and corrections move them. */
static void test_learner_on_top_of_model(void **state)
{
    if (!sentiment_model_builtin(LANG_EN))
        skip(); /* built without data/sentiment/en.model */
    /* With these the model's label is not what the rules' bars would make
     * of its score ("Such a kind person": pos at 0.17, under the bar). */
    static const char *texts[] = {"This is great", "Such a kind person", "The bus leaves at six",
                                  "Got my results today", "He is kind"};
    struct learner *m = learner_new();
    /* One correction on another text, so the learner's own path runs (an
     * untrained learner returns the model's answer untouched). */
    text_tokenize(&toks, "Lovely", 6);
    learner_train(m, &toks, LANG_EN, SENT_POS);
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        struct sentiment a, b;
        text_tokenize(&toks, texts[i], strlen(texts[i]));
        sentiment_score_tokens(&toks, LANG_EN, &a);
        assert_true(a.model);
        learner_score(m, &toks, LANG_EN, &b);
        assert_int_equal(a.label, b.label);
    }
    /* A workspace where "the bus leaves at six" is bad news. */
    text_tokenize(&toks, texts[2], strlen(texts[2]));
    struct sentiment r;
    sentiment_score_tokens(&toks, LANG_EN, &r);
    assert_int_not_equal(r.label, SENT_NEG);
    for (int i = 0; i < 30; i++)
        learner_train(m, &toks, LANG_EN, SENT_NEG);
    learner_score(m, &toks, LANG_EN, &r);
    assert_int_equal(r.label, SENT_NEG);
    learner_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_in_range_and_spread),
        cmocka_unit_test(test_features_count_and_kinds),
        cmocka_unit_test(test_features_negation_and_order),
        cmocka_unit_test(test_train_score_and_roundtrip),
        cmocka_unit_test(test_neutral_band),
        cmocka_unit_test(test_train_on_sample_beats_baseline),
        cmocka_unit_test(test_builtin_models),
        cmocka_unit_test(test_learner_on_top_of_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
