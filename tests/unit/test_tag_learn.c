/* Unit tests of the tag learner (text/tag_learn.c): it stays silent until a
 * tag has had enough corrections, then suggests it on texts like the ones
 * corrected, the same way every time, through its blob; and on generated
 * messages (seeded, topic words among everyday words) it agrees with the
 * generator's tags on messages it never learned from. The figures printed
 * are measured here, not written down. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/text.h"

static struct text_tokens toks;

static const struct text_tokens *tok(const char *s)
{
    text_tokenize(&toks, s, strlen(s));
    return &toks;
}

static void test_silent_until_enough(void **state)
{
    (void)state;
    struct tag_learner *m = tag_learner_new();
    struct tag_guess g[4];
    const char *yes[] = {"när kommer min pension utbetalning", "pension utbetalning är sen",
                         "ingen pension utbetalning i maj"};
    const char *no[] = {"fakturan är fel", "appen kraschar igen", "tack för hjälpen"};
    const char *probe = "var är min pension utbetalning";
    assert_int_equal(tag_learner_suggest(m, tok(probe), NULL, 0, g, 4), 0);
    assert_true(tag_learner_p(m, tok(probe), 7) < 0);
    for (int i = 0; i < TAG_LEARNER_MIN; i++) {
        /* Before its last "no" the tag has not heard enough. */
        assert_int_equal(tag_learner_suggest(m, tok(probe), NULL, 0, g, 4), 0);
        tag_learner_train(m, tok(yes[i]), 7, true);
        assert_int_equal(tag_learner_suggest(m, tok(probe), NULL, 0, g, 4), 0);
        assert_false(tag_learner_ready(m, 7));
        tag_learner_train(m, tok(no[i]), 7, false);
    }
    assert_true(tag_learner_ready(m, 7));
    assert_int_equal(tag_learner_count(m), 2 * TAG_LEARNER_MIN);
    assert_int_equal(tag_learner_suggest(m, tok(probe), NULL, 0, g, 4), 1);
    assert_int_equal(g[0].tag_id, 7);
    assert_true(g[0].p >= TAG_LEARNER_P && g[0].p < 1);
    assert_true(fabs(g[0].p - tag_learner_p(m, tok(probe), 7)) < 1e-12);
    /* Not on an unlike text, nor when the tag is already set. */
    assert_int_equal(tag_learner_suggest(m, tok("appen kraschar"), NULL, 0, g, 4), 0);
    int64_t set = 7;
    assert_int_equal(tag_learner_suggest(m, tok(probe), &set, 1, g, 4), 0);
    tag_learner_free(m);
}

static void test_blob_roundtrip_and_determinism(void **state)
{
    (void)state;
    struct tag_learner *a = tag_learner_new(), *b = tag_learner_new();
    const char *texts[] = {"pension utbetalning",   "faktura avgift",     "appen inloggning",
                           "pension premiepension", "faktura påminnelse", "appen bankid"};
    for (int r = 0; r < 4; r++)
        for (int i = 0; i < 6; i++)
            for (int64_t tag = 1; tag <= 3; tag++) {
                tag_learner_train(a, tok(texts[i]), tag * 10, i % 3 == tag - 1);
                tag_learner_train(b, tok(texts[i]), tag * 10, i % 3 == tag - 1);
            }
    struct buf ba = {0}, bb = {0};
    tag_learner_serialize(a, &ba);
    tag_learner_serialize(b, &bb);
    assert_int_equal(ba.len, bb.len);
    assert_memory_equal(ba.data, bb.data, ba.len);
    struct error err = {0};
    struct tag_learner *c = tag_learner_deserialize(ba.data, ba.len, &err);
    assert_non_null(c);
    assert_int_equal(tag_learner_count(c), tag_learner_count(a));
    for (int64_t tag = 10; tag <= 30; tag += 10)
        assert_true(tag_learner_p(c, tok("min pension"), tag) ==
                    tag_learner_p(a, tok("min pension"), tag));
    struct tag_guess g[3];
    assert_int_equal(tag_learner_suggest(c, tok("fakturan avgift"), NULL, 0, g, 3), 1);
    assert_int_equal(g[0].tag_id, 20);
    /* Not a blob: cut short, or another version. */
    assert_null(tag_learner_deserialize(ba.data, ba.len - 1, &err));
    assert_non_null(strstr(err.msg, "tag learner"));
    ((char *)ba.data)[7] = '9';
    assert_null(tag_learner_deserialize(ba.data, ba.len, &err));
    assert_null(tag_learner_deserialize("", 0, &err));
    buf_free(&ba);
    buf_free(&bb);
    tag_learner_free(a);
    tag_learner_free(b);
    tag_learner_free(c);
}

/* ---- generated messages: a seeded generator of comments to a pensions
 * agency, each about none, one or two of three topics. */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

#define NTOPIC 3
static const char *const topic_words[NTOPIC][8] = {
    {"pension", "pensionen", "ålderspension", "utbetalningen", "premiepension", "pensionsåldern",
     "tjänstepension", "garantipension"},
    {"faktura", "fakturan", "betalning", "avgiften", "räkningen", "påminnelse", "autogiro",
     "inkasso"},
    {"appen", "inloggningen", "bankid", "kraschar", "uppdateringen", "lösenordet", "mobilen",
     "webbplatsen"}};
static const char *const everyday[] = {
    "jag", "har",    "inte",  "fått", "min",   "när",   "kommer", "varför", "hej",   "tack",
    "det", "är",     "igen",  "idag", "vecka", "hjälp", "snälla", "svara",  "någon", "fråga",
    "om",  "och",    "med",   "till", "ni",    "mig",   "väntat", "länge",  "fel",   "rätt",
    "bra", "dåligt", "måste", "kan",  "ringa", "mejl",  "brev",   "förra",  "månad", "nu"};

struct gen {
    char text[512];
    bool has[NTOPIC];
};

static void generate(struct gen *g)
{
    memset(g, 0, sizeof *g);
    uint32_t kind = rnd(10); /* 0-1: no topic, 2-8: one, 9: two */
    int topics[2] = {-1, -1};
    if (kind >= 2)
        topics[0] = (int)rnd(NTOPIC);
    if (kind == 9)
        topics[1] = (topics[0] + 1 + (int)rnd(NTOPIC - 1)) % NTOPIC;
    size_t words = 5 + rnd(8), len = 0;
    for (int k = 0; k < 2; k++)
        if (topics[k] >= 0)
            g->has[topics[k]] = true;
    for (size_t i = 0; i < words; i++) {
        const char *w = everyday[rnd(sizeof everyday / sizeof *everyday)];
        /* a topic word now and then: one to three per topic */
        int k = topics[rnd(2)];
        if (k >= 0 && rnd(3) == 0)
            w = topic_words[k][rnd(8)];
        len += (size_t)snprintf(g->text + len, sizeof g->text - len, "%s%s", i ? " " : "", w);
    }
    for (int k = 0; k < 2; k++)
        if (topics[k] >= 0)
            len += (size_t)snprintf(g->text + len, sizeof g->text - len, " %s",
                                    topic_words[topics[k]][rnd(8)]);
}

/* What the store does with a moderator's corrections of one message: the
 * tags set are taught as "yes", and every other tag that has a model hears
 * "no" (model/learner.c). Tag ids are topic + 1. */
static void teach(struct tag_learner *m, const struct gen *g)
{
    text_tokenize(&toks, g->text, strlen(g->text));
    for (int k = 0; k < NTOPIC; k++)
        if (g->has[k])
            tag_learner_train(m, &toks, k + 1, true);
    for (int k = 0; k < NTOPIC; k++)
        if (!g->has[k] && tag_learner_has(m, k + 1))
            tag_learner_train(m, &toks, k + 1, false);
}

struct score {
    double agreement, silent, precision, recall;
};

/* Teaches a new learner `train` generated messages from seed and scores it
 * on `test` more, per message and tag. */
static struct score held_out(uint64_t seed, int train, int test)
{
    struct gen *g = malloc(sizeof *g);
    struct tag_learner *m = tag_learner_new();
    rng = 0x9e3779b97f4a7c15ULL * seed;
    for (int i = 0; i < train; i++) {
        generate(g);
        teach(m, g);
    }
    int agree = 0, silent = 0, pairs = 0, tp = 0, fp = 0, fn = 0;
    for (int i = 0; i < test; i++) {
        generate(g);
        struct tag_guess s[NTOPIC];
        size_t n = tag_learner_suggest(m, tok(g->text), NULL, 0, s, NTOPIC);
        for (int k = 0; k < NTOPIC; k++) {
            bool said = false;
            for (size_t j = 0; j < n; j++)
                said = said || s[j].tag_id == k + 1;
            pairs++;
            agree += said == g->has[k];
            silent += !g->has[k];
            tp += said && g->has[k];
            fp += said && !g->has[k];
            fn += !said && g->has[k];
        }
    }
    tag_learner_free(m);
    free(g);
    return (struct score){(double)agree / pairs, (double)silent / pairs,
                          tp + fp ? (double)tp / (tp + fp) : 1, (double)tp / (tp + fn)};
}

static void test_agrees_on_held_out(void **state)
{
    (void)state;
    enum { TEST = 400, SEEDS = 20 };
    struct score one = held_out(1, 60, TEST);
    printf("# tag learner, 60 generated corrections, %d held-out messages x %d tags: "
           "agreement %.3f (saying nothing: %.3f), precision %.3f, recall %.3f\n",
           TEST, NTOPIC, one.agreement, one.silent, one.precision, one.recall);
    assert_true(one.agreement > one.silent + (1 - one.silent) / 2);
    assert_true(one.precision >= 0.8);
    assert_true(one.recall >= 0.6);
    /* More corrections, better agreement: the mean over seeds. */
    const int sizes[] = {30, 60, 100};
    double last = 0;
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        struct score sum = {0};
        for (uint64_t seed = 1; seed <= SEEDS; seed++) {
            struct score s = held_out(seed, sizes[k], 300);
            sum.agreement += s.agreement / SEEDS;
            sum.silent += s.silent / SEEDS;
            sum.precision += s.precision / SEEDS;
            sum.recall += s.recall / SEEDS;
        }
        printf("# %3d corrections, mean of %d seeds: agreement %.3f (saying nothing: %.3f), "
               "precision %.3f, recall %.3f\n",
               sizes[k], SEEDS, sum.agreement, sum.silent, sum.precision, sum.recall);
        assert_true(sum.agreement > sum.silent && sum.agreement > last);
        last = sum.agreement;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_silent_until_enough),
        cmocka_unit_test(test_blob_roundtrip_and_determinism),
        cmocka_unit_test(test_agrees_on_held_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
