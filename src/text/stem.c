/* stem: one word's Snowball stem in Swedish, Finnish or English, for the
 * inbox's full-text search (the message's words are indexed by their stems,
 * and a searched word is stemmed the same way). Stemmers are not
 * thread-safe, so each thread keeps its own, freed when the thread ends. */
#include "text/text.h"

#include <libstemmer.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const char *const snowball[LANG_COUNT] = {"swedish", "finnish", "english", NULL};

struct stemmers {
    struct sb_stemmer *s[LANG_COUNT];
};

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void stemmers_free(void *p)
{
    struct stemmers *st = p;
    for (int l = 0; l < LANG_COUNT; l++)
        if (st->s[l])
            sb_stemmer_delete(st->s[l]);
    free(st);
}

static void key_make(void)
{
    (void)pthread_key_create(&key, stemmers_free);
}

static struct sb_stemmer *stemmer(enum text_lang lang)
{
    if ((int)lang < 0 || lang >= LANG_COUNT || !snowball[lang])
        return NULL;
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
