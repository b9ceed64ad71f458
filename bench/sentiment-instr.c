/* bench/sentiment-instr: the text engine's work per text in instructions,
 * which, unlike texts/s, a busy machine does not move. Loads the first
 * PER texts of each file, scores them once (so the lexicons, the models,
 * Voikko and the fallback cache are warm, as in a long-running kanal), then
 * PASSES times more inside measured_passes(), which bench/sentiment-instr.sh
 * has callgrind count alone (--toggle-collect). Prints the texts, their
 * bytes and the passes, and a checksum of the scores.
 * Usage: sentiment-instr PER PASSES FILE.tsv... (label<TAB>text lines). */
#include "base/base.h"
#include "text/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct texts {
    char **s;
    size_t *len;
    size_t n, cap, bytes;
};

static int load(struct texts *t, const char *path, size_t per)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0, taken = 0;
    ssize_t n;
    while (taken < per && (n = getline(&line, &cap, f)) > 0) {
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        char *tab = memchr(line, '\t', (size_t)n);
        if (!tab)
            continue;
        size_t len = (size_t)(line + n - tab - 1);
        if (t->n == t->cap) {
            t->cap = t->cap ? t->cap * 2 : 4096;
            t->s = xrealloc(t->s, t->cap * sizeof *t->s);
            t->len = xrealloc(t->len, t->cap * sizeof *t->len);
        }
        t->s[t->n] = xmalloc(len + 1);
        memcpy(t->s[t->n], tab + 1, len);
        t->s[t->n][len] = '\0';
        t->len[t->n++] = len;
        t->bytes += len;
        taken++;
    }
    free(line);
    fclose(f);
    return 0;
}

static double pass(const struct texts *t)
{
    double sum = 0;
    for (size_t i = 0; i < t->n; i++) {
        struct sentiment r;
        sentiment_score(t->s[i], t->len[i], LANG_AUTO, &r);
        sum += r.score;
    }
    return sum;
}

/* What callgrind counts: not inlined, so that it has a name to toggle on. */
__attribute__((noinline)) double measured_passes(const struct texts *t, int passes);
__attribute__((noinline)) double measured_passes(const struct texts *t, int passes)
{
    double sum = 0;
    for (int p = 0; p < passes; p++)
        sum += pass(t);
    return sum;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s PER PASSES FILE.tsv...\n", argv[0]);
        return 2;
    }
    long per = strtol(argv[1], NULL, 10), passes = strtol(argv[2], NULL, 10);
    if (per <= 0 || passes <= 0) {
        fprintf(stderr, "%s: PER and PASSES must be positive numbers\n", argv[0]);
        return 2;
    }
    struct texts t = {0};
    for (int i = 3; i < argc; i++)
        if (load(&t, argv[i], (size_t)per) < 0)
            return 1;
    struct error err;
    if (sentiment_init(&err) < 0) {
        fprintf(stderr, "%s: %s\n", argv[0], err.msg);
        return 1;
    }
    double warm = pass(&t);
    double sum = measured_passes(&t, (int)passes);
    printf("texts %zu bytes %zu passes %ld checksum %.6f\n", t.n, t.bytes, passes, warm + sum);
    return 0;
}
