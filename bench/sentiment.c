/* bench/sentiment: texts per second of kanal's sentiment on one core, on the
 * dev sets' texts repeated, with the learned model and by the rules alone,
 * beside the npm `sentiment` package (run with node on the same texts in the
 * same run). Rounds alternate the three, so a change in the machine's load
 * touches all of them; it prints the median and the spread (lowest-highest)
 * over the rounds, wall-clock and per CPU-second, and the ratio to npm in each
 * round. Prints numbers, never pass/fail.
 * Usage: sentiment FILE.tsv... (label<TAB>text lines; the text is used).
 * BENCH_ROUNDS (default 5) and BENCH_SECONDS (a side, a round; default 1). */
#include "base/base.h"
#include "text/text.h"

#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

static double seconds = 1.0;

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

/* One round of one side: texts/s over wall time into *wall, per second of
 * the thread's CPU time into *cpu; the scores' sum is added to *checksum. */
static void run_kanal(const struct texts *t, bool model, double *checksum, double *wall,
                      double *cpu)
{
    double sum = 0;
    uint64_t start = time_mono_ns(), now = start;
    double cpu0 = cpu_seconds();
    size_t done = 0;
    while ((double)(now - start) / 1e9 < seconds) {
        for (size_t i = 0; i < t->n; i++)
            sum += score_one(t->s[i], t->len[i], model);
        done += t->n;
        now = time_mono_ns();
    }
    *checksum += sum;
    *cpu = (double)done / (cpu_seconds() - cpu0);
    *wall = (double)done / ((double)(now - start) / 1e9);
}

/* One round of the npm package on the texts in path: texts/s over wall time
 * and per CPU-second of the node process; false if it could not run. */
static bool run_npm(const char *path, double *wall, double *cpu)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "node bench/sentiment-npm.cjs %s %g", path, seconds);
    FILE *p = popen(cmd, "r");
    if (!p)
        return false;
    bool ok = fscanf(p, "%lf %lf", wall, cpu) == 2;
    return pclose(p) == 0 && ok && *wall > 0 && *cpu > 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median, lowest and highest of v[0..n) (sorted in place). */
struct spread {
    double median, lo, hi;
};
static struct spread spread_of(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    double med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    return (struct spread){med, v[0], v[n - 1]};
}

static void print_row(const char *what, double *v, int n, const char *unit)
{
    struct spread s = spread_of(v, n);
    printf("  %-34s median %10.0f  (%.0f-%.0f)%s\n", what, s.median, s.lo, s.hi, unit);
}

static void print_ratio(const char *what, double *v, int n)
{
    struct spread s = spread_of(v, n);
    printf("  %-34s median %10.2f  (%.2f-%.2f)\n", what, s.median, s.lo, s.hi);
}

/* Writes the texts one a line for node; false if it could not. */
static bool write_texts(const struct texts *t, char *path)
{
    int fd = mkstemp(path);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
    if (!f)
        return false;
    for (size_t i = 0; i < t->n; i++)
        fprintf(f, "%s\n", t->s[i]);
    return fclose(f) == 0;
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
    const char *env = getenv("BENCH_ROUNDS");
    int rounds = env ? atoi(env) : 5;
    if (rounds < 1 || rounds > 100) {
        fprintf(stderr, "BENCH_ROUNDS: 1 to 100, not '%s'\n", env);
        return 2;
    }
    env = getenv("BENCH_SECONDS");
    seconds = env ? atof(env) : 1.0;
    if (!(seconds > 0 && seconds <= 60)) {
        fprintf(stderr, "BENCH_SECONDS: a number of seconds over 0, up to 60, not '%s'\n", env);
        return 2;
    }
    double checksum = 0;
    for (size_t i = 0; i < t.n; i++) /* warm-up: lexicons, caches */
        checksum += score_one(t.s[i], t.len[i], true) + score_one(t.s[i], t.len[i], false);
    char path[] = "/tmp/kanal-bench-XXXXXX";
    bool npm = write_texts(&t, path);
    double kw[100], kc[100], rw[100], rc[100], nw[100], nc[100], ratio_w[100], ratio_c[100];
    for (int r = 0; r < rounds; r++) {
        run_kanal(&t, true, &checksum, &kw[r], &kc[r]);
        run_kanal(&t, false, &checksum, &rw[r], &rc[r]);
        npm = npm && run_npm(path, &nw[r], &nc[r]);
        if (npm) {
            ratio_w[r] = kw[r] / nw[r];
            ratio_c[r] = kc[r] / nc[r];
        }
    }
    unlink(path);
    size_t memory = 0;
    char langs[16] = ""; /* the languages with a model, e.g. "fi en" */
    for (int l = LANG_SV; l <= LANG_EN; l++) {
        const struct sentiment_model *m = sentiment_model_builtin((enum text_lang)l);
        memory += sentiment_model_memory(m);
        if (m)
            snprintf(langs + strlen(langs), sizeof langs - strlen(langs), "%s%s",
                     langs[0] ? " " : "", text_lang_name((enum text_lang)l));
    }
    double load[3] = {0};
    bool have_load = getloadavg(load, 3) > 0;
    printf("input: %zu texts (mean %.0f bytes) from %d files; %d rounds of %.1f s a side, one "
           "core; load average %.1f\n",
           t.n, (double)t.bytes / (double)t.n, argc - 1, rounds, seconds,
           have_load ? load[0] : -1.0);
    printf("kanal sentiment_score (lang auto), texts/s:\n");
    print_row("per CPU-second", kc, rounds, "");
    print_row("wall clock", kw, rounds, "");
    printf("the rules alone, without the model, texts/s:\n");
    print_row("per CPU-second", rc, rounds, "");
    print_row("wall clock", rw, rounds, "");
    printf("learned models in memory: %.2f MiB (%zu bytes; %s)\n", (double)memory / (1 << 20),
           memory, langs[0] ? langs : "none");
    if (npm) {
        printf("npm sentiment 5.0.2 on node, texts/s:\n");
        print_row("per CPU-second (the process)", nc, rounds, "");
        print_row("wall clock", nw, rounds, "");
        printf("ratio kanal / npm sentiment, round by round:\n");
        print_ratio("per CPU-second", ratio_c, rounds);
        print_ratio("wall clock", ratio_w, rounds);
    } else {
        printf("npm sentiment: could not run (node and node_modules/sentiment needed)\n");
    }
    for (size_t i = 0; i < t.n; i++)
        free(t.s[i]);
    free(t.s);
    free(t.len);
    return checksum == 0.123456789; /* keeps the work from being optimised away */
}
