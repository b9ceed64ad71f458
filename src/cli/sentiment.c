/* sentiment: `kanal sentiment` labels texts from stdin (one per line), or
 * with --eval scores a labelled file and prints macro-recall, macro-F1,
 * accuracy, each label's recall and the confusion matrix; --learn N shows
 * what N moderator corrections change. */
#include "cli/cli.h"
#include "base/base.h"
#include "text/text.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVAL_FILE_MAX ((size_t)1 << 30) /* a labelled set is megabytes; refuse a mistake */

static void usage(FILE *f)
{
    fprintf(f, "usage: kanal sentiment [--lang auto|sv|fi|en]\n"
               "       kanal sentiment --eval FILE.tsv [--lang L] [--learn N] [--seed S]\n"
               "\n"
               "Without --eval, reads one text per line on stdin and writes\n"
               "label<TAB>score<TAB>lang per line (label pos, neu or neg; score in [-1, 1]).\n"
               "\n"
               "--eval reads label<TAB>text lines and prints macro-averaged recall (over\n"
               "the labels present in the file), macro-F1, accuracy, each label's recall\n"
               "and the confusion matrix, for the rules alone and with the learned model.\n"
               "--learn N takes N lines of the file (a shuffle fixed by --seed, default 1)\n"
               "as moderator corrections, trains the per-workspace learner on them, and\n"
               "prints the scores before and after on the other lines only.\n");
}

static int label_stdin(enum text_lang lang)
{
    struct text_tokens *t = xmalloc(sizeof *t);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    int status = 0;
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        lineno++;
        size_t len = cli_chomp(line, (size_t)n);
        struct sentiment s;
        /* One output line per input line, always, so outputs stay aligned. */
        if (!utf8_valid(line, len)) {
            cli_error("sentiment",
                      "stdin:%ld: not valid UTF-8; scored without the "
                      "invalid bytes",
                      lineno);
            status = 1;
        }
        text_tokenize(t, line, len);
        sentiment_score_tokens(t, lang, &s);
        printf("%s\t%.3f\t%s\n", sentiment_label_name(s.label), s.score, text_lang_name(s.lang));
    }
    free(line);
    free(t);
    return status;
}

struct example {
    enum sentiment_label gold;
    char *text;
    size_t len;
};

struct confusion {
    long m[SENT_LABELS][SENT_LABELS]; /* [gold][predicted] */
};

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Reads label<TAB>text lines. Bad lines are reported (file:line: what) and
 * skipped; *bad counts them. The caller frees each text and the array. */
static struct example *read_examples(const char *path, size_t *count, int *bad)
{
    struct buf file = {0};
    struct error err;
    if (buf_read_file(&file, path, EVAL_FILE_MAX, &err)) {
        cli_error("sentiment", "%s", err.msg);
        return NULL;
    }
    struct example *ex = NULL;
    size_t n = 0, cap = 0;
    long lineno = 0;
    const char *name = base_name(path);
    char *end = file.data + file.len;
    for (char *line = file.data, *next; line && line < end; line = next) {
        char *nl = memchr(line, '\n', (size_t)(end - line));
        next = nl ? nl + 1 : end;
        if (nl)
            *nl = '\0';
        lineno++;
        size_t len = cli_chomp(line, (size_t)(nl ? nl - line : end - line));
        if (len == 0)
            continue;
        char *tab = memchr(line, '\t', len);
        if (!tab) {
            fprintf(stderr, "%s:%ld: no TAB between label and text\n", name, lineno);
            ++*bad;
            continue;
        }
        *tab = '\0';
        int label = sentiment_label_parse(line);
        if (label < 0) {
            fprintf(stderr, "%s:%ld: label '%.20s' is not pos, neu or neg\n", name, lineno, line);
            ++*bad;
            continue;
        }
        size_t tlen = len - (size_t)(tab + 1 - line);
        if (!utf8_valid(tab + 1, tlen)) {
            fprintf(stderr, "%s:%ld: text is not valid UTF-8\n", name, lineno);
            ++*bad;
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            ex = xrealloc(ex, cap * sizeof *ex);
        }
        ex[n].gold = (enum sentiment_label)label;
        ex[n].len = tlen;
        ex[n].text = xmalloc(tlen + 1);
        memcpy(ex[n].text, tab + 1, tlen + 1);
        n++;
    }
    buf_free(&file);
    *count = n;
    return ex ? ex : xcalloc(1, sizeof *ex);
}

static void print_scores(const char *what, const struct confusion *c)
{
    double recall = 0, f1 = 0;
    long right = 0, total = 0;
    int classes = 0;
    for (int g = 0; g < SENT_LABELS; g++) {
        long gold = 0, pred = 0;
        for (int p = 0; p < SENT_LABELS; p++) {
            gold += c->m[g][p];
            pred += c->m[p][g];
        }
        right += c->m[g][g];
        total += gold;
        if (gold == 0) /* macro averages run over the classes the file has */
            continue;
        classes++;
        double r = (double)c->m[g][g] / (double)gold;
        double prec = pred ? (double)c->m[g][g] / (double)pred : 0;
        recall += r;
        f1 += (prec + r) > 0 ? 2 * prec * r / (prec + r) : 0;
    }
    printf("%-8s macro-recall %.3f  macro-F1 %.3f  accuracy %.3f  (%ld texts)\n", what,
           classes ? recall / classes : 0, classes ? f1 / classes : 0,
           total ? (double)right / (double)total : 0, total);
    printf("%-8s recall", "");
    for (int g = SENT_LABELS - 1; g >= 0; g--) {
        long gold = c->m[g][0] + c->m[g][1] + c->m[g][2];
        if (gold)
            printf("  %s %.3f", sentiment_label_name((enum sentiment_label)g),
                   (double)c->m[g][g] / (double)gold);
    }
    printf("\n%-8s confusion (a row per gold label; answered pos, neu, neg)\n", "");
    for (int g = SENT_LABELS - 1; g >= 0; g--)
        printf("%-8s   gold %s %7ld %7ld %7ld\n", "", sentiment_label_name((enum sentiment_label)g),
               c->m[g][SENT_POS], c->m[g][SENT_NEU], c->m[g][SENT_NEG]);
}

static int eval_file(const char *path, enum text_lang lang, long learn, uint64_t seed)
{
    int bad = 0, status = 1;
    size_t n = 0;
    struct example *ex = read_examples(path, &n, &bad);
    struct text_tokens *t = xmalloc(sizeof *t);
    struct learner *m = NULL;
    size_t *order = NULL;
    if (!ex)
        goto fail;
    if (learn < 0 || (size_t)learn >= n) {
        cli_error("sentiment", "--learn %ld needs fewer lines than the file's %zu", learn, n);
        goto fail;
    }
    /* A fixed shuffle, so the corrections are not all from the file's start. */
    order = xmalloc((n ? n : 1) * sizeof *order);
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    uint64_t s = seed ? seed : 1;
    for (size_t i = n; learn > 0 && i > 1; i--) {
        size_t j = (size_t)(xorshift64(&s) % i);
        size_t tmp = order[i - 1];
        order[i - 1] = order[j];
        order[j] = tmp;
    }
    m = learner_new();
    for (long i = 0; i < learn; i++) {
        const struct example *e = &ex[order[i]];
        text_tokenize(t, e->text, e->len);
        learner_train(m, t, lang, e->gold);
    }
    struct confusion rules = {0}, before = {0}, after = {0};
    long langs[LANG_COUNT] = {0};
    for (size_t i = (size_t)learn; i < n; i++) { /* never the lines it learned from */
        const struct example *e = &ex[order[i]];
        struct sentiment r;
        text_tokenize(t, e->text, e->len);
        sentiment_score_model(t, lang, NULL, &r);
        rules.m[e->gold][r.label]++;
        sentiment_score_tokens(t, lang, &r);
        assert(e->gold < SENT_LABELS && r.label < SENT_LABELS); /* they index the matrix */
        before.m[e->gold][r.label]++;
        langs[r.lang < LANG_COUNT ? r.lang : LANG_OTHER]++;
        if (learn > 0) {
            learner_score(m, t, lang, &r);
            assert(r.label < SENT_LABELS);
            after.m[e->gold][r.label]++;
        }
    }
    printf("%s: %zu texts, lang %s (guessed: sv %ld, fi %ld, en %ld, other %ld)\n", base_name(path),
           n, text_lang_name(lang), langs[LANG_SV], langs[LANG_FI], langs[LANG_EN],
           langs[LANG_OTHER]);
    if (learn > 0)
        printf("learning from %ld corrections, scoring the other %zu lines\n", learn,
               n - (size_t)learn);
    print_scores("rules", &rules);
    print_scores("model", &before);
    if (learn > 0)
        print_scores("learned", &after);
    status = bad ? 1 : 0;
fail:
    for (size_t i = 0; ex && i < n; i++)
        free(ex[i].text);
    free(ex);
    free(order);
    free(t);
    learner_free(m);
    return status;
}

int cmd_sentiment(int argc, char **argv)
{
    enum text_lang lang = LANG_AUTO;
    const char *eval = NULL;
    long learn = 0;
    int64_t seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (str_eq(a, "--help") || str_eq(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (str_eq(a, "--lang") && v) {
            int l = text_lang_parse(v);
            if (l < 0 || l == LANG_OTHER) {
                cli_error("sentiment", "--lang %s: use auto, sv, fi or en", v);
                return 2;
            }
            lang = (enum text_lang)l;
            i++;
        } else if (str_eq(a, "--eval") && v) {
            eval = v;
            i++;
        } else if ((str_eq(a, "--learn") || str_eq(a, "--seed")) && v) {
            int64_t x;
            if (str_to_i64(v, &x) < 0 || x < 0) {
                cli_error("sentiment", "%s %s: not a count", a, v);
                return 2;
            }
            if (str_eq(a, "--learn"))
                learn = (long)x;
            else
                seed = x;
            i++;
        } else {
            cli_error("sentiment",
                      "unknown or incomplete option '%s' (see 'kanal sentiment --help')", a);
            return 2;
        }
    }
    struct error err = {0};
    if (sentiment_init(&err) < 0) {
        cli_error("sentiment", "%s", err.msg);
        return 1;
    }
    if (learn && !eval) {
        cli_error("sentiment", "--learn needs --eval FILE");
        return 2;
    }
    return eval ? eval_file(eval, lang, learn, (uint64_t)seed) : label_stdin(lang);
}
