/* bench/sentiment: texts per second of kanal's sentiment on one core, on the
 * dev sets' texts repeated, with the learned model and by the rules alone,
 * beside the npm `sentiment` package (run with node on the same texts in the
 * same run). Prints numbers, never pass/fail.
 * Usage: sentiment FILE.tsv... (label<TAB>text lines; the text is used). */
#include "base/base.h"
#include "text/text.h"

#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#define SECONDS 2.0

struct texts {
    char **s;
    size_t *len;
    size_t n, cap, bytes;
};

static void add(struct texts *t, const char *s, size_t n)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 4096;
        t->s = xrealloc(t->s, t->cap * sizeof *t->s);
        t->len = xrealloc(t->len, t->cap * sizeof *t->len);
    }
    t->s[t->n] = xmalloc(n + 1);
    memcpy(t->s[t->n], s, n);
    t->s[t->n][n] = '\0';
    t->len[t->n++] = n;
    t->bytes += n;
}

static int load(struct texts *t, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        char *tab = memchr(line, '\t', (size_t)n);
        if (tab && !memchr(tab + 1, '\n', (size_t)(line + n - tab - 1)))
            add(t, tab + 1, (size_t)(line + n - tab - 1));
    }
    free(line);
    fclose(f);
    return 0;
}

/* Scores one text: with the built-in model (as kanal labels texts), or by
 * the rules alone (model NULL), to show what the model costs. */
static struct text_tokens tokens;

static double score_one(const char *s, size_t n, bool model)
{
    struct sentiment r;
    if (model) {
        sentiment_score(s, n, LANG_AUTO, &r);
    } else {
        text_tokenize(&tokens, s, n);
        sentiment_score_model(&tokens, LANG_AUTO, NULL, &r);
    }
    return r.score;
}

/* The thread's CPU time in seconds: what the run cost the core it ran on,
 * apart from the time other processes had it (a busy machine). */
static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Texts/s over wall time; *per_cpu gets texts per second of CPU time. */
static double run_kanal(const struct texts *t, bool model, double *checksum, double *per_cpu)
{
    double sum = 0;
    for (size_t i = 0; i < t->n; i++) /* warm-up: lexicons, caches */
        sum += score_one(t->s[i], t->len[i], model);
    uint64_t start = time_mono_ns(), now = start;
    double cpu0 = cpu_seconds();
    size_t done = 0;
    while ((double)(now - start) / 1e9 < SECONDS) {
        for (size_t i = 0; i < t->n; i++)
            sum += score_one(t->s[i], t->len[i], model);
        done += t->n;
        now = time_mono_ns();
    }
    *checksum = sum;
    *per_cpu = (double)done / (cpu_seconds() - cpu0);
    return (double)done / ((double)(now - start) / 1e9);
}

static double run_npm(const struct texts *t)
{
    char path[] = "/tmp/kanal-bench-XXXXXX";
    int fd = mkstemp(path);
    double rate = -1;
    FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
    if (!f)
        return -1;
    for (size_t i = 0; i < t->n; i++)
        fprintf(f, "%s\n", t->s[i]);
    fclose(f);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "node bench/sentiment-npm.cjs %s %g", path, SECONDS);
    FILE *p = popen(cmd, "r");
    if (p) {
        if (fscanf(p, "%lf", &rate) != 1)
            rate = -1;
        if (pclose(p) != 0)
            rate = -1;
    }
    unlink(path);
    return rate;
}

int main(int argc, char **argv)
{
    struct texts t = {0};
    struct error err = {0};
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE.tsv...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++)
        if (load(&t, argv[i]) < 0)
            return 1;
    if (t.n == 0 || sentiment_init(&err) < 0) {
        fprintf(stderr, "no texts, or %s\n", err.msg);
        return 1;
    }
    double checksum, checksum2, kanal_cpu, rules_cpu;
    double kanal = run_kanal(&t, true, &checksum, &kanal_cpu);
    double rules = run_kanal(&t, false, &checksum2, &rules_cpu);
    double npm = run_npm(&t);
    size_t memory = 0;
    char langs[16] = ""; /* the languages with a model, e.g. "fi en" */
    for (int l = LANG_SV; l <= LANG_EN; l++) {
        const struct sentiment_model *m = sentiment_model_builtin((enum text_lang)l);
        memory += sentiment_model_memory(m);
        if (m)
            snprintf(langs + strlen(langs), sizeof langs - strlen(langs), "%s%s",
                     langs[0] ? " " : "", text_lang_name((enum text_lang)l));
    }
    printf("input: %zu texts (mean %.0f bytes) from %d files, repeated for %.0f s, one core\n", t.n,
           (double)t.bytes / (double)t.n, argc - 1, SECONDS);
    printf("kanal sentiment_score (lang auto): %12.0f texts/s (%.0f per CPU-second)\n", kanal,
           kanal_cpu);
    printf("  the rules alone, without the model: %11.0f texts/s (%.0f per CPU-second; model "
           "costs %.0f%%)\n",
           rules, rules_cpu, 100.0 * (rules_cpu / kanal_cpu - 1));
    printf("  learned models in memory:         %12.2f MiB (%zu bytes; %s)\n",
           (double)memory / (1 << 20), memory, langs[0] ? langs : "none");
    if (npm > 0) {
        printf("npm sentiment 5.0.2 on node:       %12.0f texts/s\n", npm);
        printf("ratio kanal / npm sentiment:        %12.1f x\n", kanal / npm);
    } else {
        printf("npm sentiment: could not run (node and node_modules/sentiment needed)\n");
    }
    for (size_t i = 0; i < t.n; i++)
        free(t.s[i]);
    free(t.s);
    free(t.len);
    return checksum + checksum2 == 0.123456789; /* keeps the work from being optimised away */
}
