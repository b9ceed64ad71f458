/* stem: one word's Snowball stem in Swedish, Finnish or English, for the
 * inbox's full-text search (the message's words are indexed by their stems,
 * and a searched word is stemmed the same way), and a Finnish word's base
 * forms from Voikko, for queries' inflected terms. Stemmers and Voikko are
 * not thread-safe, so each thread keeps its own, freed when it ends. */
#include "text/text.h"
#include "text/text_internal.h"

#include <libstemmer.h>
#include <libvoikko/voikko.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const char *const snowball[LANG_COUNT] = {"swedish", "finnish", "english", NULL};

struct stemmers {
    struct sb_stemmer *s[LANG_COUNT];
    struct VoikkoHandle *voikko;
    bool no_voikko; /* it could not start: not tried again by this thread */
};

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void stemmers_free(void *p)
{
    struct stemmers *st = p;
    for (int l = 0; l < LANG_COUNT; l++)
        if (st->s[l])
            sb_stemmer_delete(st->s[l]);
    if (st->voikko)
        voikkoTerminate(st->voikko);
    free(st);
}

static void key_make(void)
{
    (void)pthread_key_create(&key, stemmers_free);
}

static struct stemmers *thread_stemmers(void)
{
    pthread_once(&key_once, key_make);
    struct stemmers *st = pthread_getspecific(key);
    if (!st) {
        if (!(st = calloc(1, sizeof *st)))
            return NULL;
        if (pthread_setspecific(key, st)) {
            free(st);
            return NULL;
        }
    }
    return st;
}

static struct sb_stemmer *stemmer(enum text_lang lang)
{
    if ((int)lang < 0 || lang >= LANG_COUNT || !snowball[lang])
        return NULL;
    struct stemmers *st = thread_stemmers();
    if (!st)
        return NULL;
    if (!st->s[lang])
        st->s[lang] = sb_stemmer_new(snowball[lang], NULL); /* UTF-8 */
    return st->s[lang];
}

size_t text_stem(enum text_lang lang, const char *word, size_t n, char *out, size_t cap)
{
    if (cap == 0)
        return 0;
    struct sb_stemmer *sb = stemmer(lang);
    const char *s = word;
    size_t len = n;
    if (sb && n < (size_t)TEXT_MAX_BYTES) {
        const sb_symbol *r = sb_stemmer_stem(sb, (const sb_symbol *)word, (int)n);
        if (r) {
            s = (const char *)r;
            len = (size_t)sb_stemmer_length(sb);
        }
    }
    if (len >= cap) { /* cut at a character, never inside one */
        len = cap - 1;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    memcpy(out, s, len);
    out[len] = '\0';
    return len;
}

size_t text_lemmas_fi(const char *word, size_t n, char (*out)[TEXT_STEM_MAX], size_t max)
{
    struct stemmers *st = thread_stemmers();
    if (!st || st->no_voikko || n == 0 || n >= TEXT_STEM_MAX || max == 0)
        return 0;
    if (!st->voikko) {
        const char *why = NULL;
        if (!(st->voikko = voikkoInit(&why, "fi", NULL))) {
            st->no_voikko = true; /* lexicon.c has already warned, or will */
            return 0;
        }
    }
    char w[TEXT_STEM_MAX];
    memcpy(w, word, n);
    w[n] = '\0';
    struct voikko_mor_analysis **a = voikkoAnalyzeWordCstr(st->voikko, w);
    size_t got = 0;
    for (size_t i = 0; a && a[i] && got < max; i++) {
        char *base = voikko_mor_analysis_value_cstr(a[i], "BASEFORM");
        if (!base)
            continue;
        size_t bn = strlen(base);
        char folded[4 * TEXT_STEM_MAX];
        if (bn < TEXT_STEM_MAX) {
            size_t fn = text_fold_word(base, bn, 2, folded);
            bool seen = fn >= TEXT_STEM_MAX;
            for (size_t j = 0; j < got && !seen; j++)
                seen = strlen(out[j]) == fn && memcmp(out[j], folded, fn) == 0;
            if (!seen) {
                memcpy(out[got], folded, fn);
                out[got++][fn] = '\0';
            }
        }
        voikko_free_mor_analysis_value_cstr(base);
    }
    if (a)
        voikko_free_mor_analysis(a);
    return got;
}
