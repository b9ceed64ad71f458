/* lexicon: the sentiment lexicons compiled into the binary, parsed once into
 * open-addressing hash tables, and the word lookup with its fallbacks for
 * inflection and compounds (inflectional bases, Finnish base forms and
 * stems, listed prefixes, compound heads) and two-word phrases. What a word
 * means, its fallbacks' answers too, is kept per thread in one slot (the
 * word table), because social media repeats its words and the fallbacks
 * are the costly steps. */
#include "text/text_internal.h"

#include <libstemmer.h>
#include <libvoikko/voikko.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One term of the lexicons, with what it means in each language; 32 bytes,
 * two to a cache line. Read only here: the rest of the engine reads a
 * word's slot in the word table (struct lex_info). */
struct lex_entry {
    uint64_t hash;
    uint32_t off; /* key bytes in the pool */
    uint16_t len;
    uint8_t stop;   /* function word in these languages (bit per lang) */
    uint8_t pre;    /* intensifying compound prefix in these languages */
    uint8_t phrase; /* first word of a listed two-word phrase in these */
    int8_t kind[LANG_COUNT];
    int16_t v[LANG_COUNT]; /* value * 256 */
    int16_t pre_v;         /* value * 256 */
};

/* Values are fixed-point (* FIX) to keep an entry at 32 bytes, two to a
 * cache line. */
#define FIX LEX_FIX
_Static_assert(sizeof(struct lex_entry) == 32, "a lexicon entry is 32 bytes");

static struct lex_val entry_val(const struct lex_entry *e, int lang)
{
    return (struct lex_val){e->kind[lang], (float)e->v[lang] / FIX};
}

/* Probing touches only 8-byte slots (a hash tag and an entry index), so the
 * slot array stays small enough for the CPU cache; entries are read on a
 * tag match and stay dense, the frequent ones cached too. */
struct lex_slot {
    uint32_t tag, idx; /* idx: entry + 1; 0 is an empty slot */
};

struct lex_table {
    struct lex_slot *slot;
    size_t mask, used;
    struct lex_entry *ent;
    size_t nent, capent;
};

static struct {
    struct lex_table word;   /* exact forms */
    struct lex_table prefix; /* "älsk*": any word that starts so */
    struct lex_table stem;   /* Snowball stems of the word entries */
    struct buf pool;
    struct error err;
    int status;
} lex;

static pthread_once_t lex_once = PTHREAD_ONCE_INIT;

static void table_init(struct lex_table *t, size_t cap)
{
    t->slot = xcalloc(cap, sizeof *t->slot);
    t->mask = cap - 1;
    t->used = 0;
}

static inline bool key_eq(const struct lex_entry *e, uint64_t h, const char *k, size_t n)
{
    if (e->hash != h || e->len != n)
        return false;
    const char *p = lex.pool.data + e->off;
    for (size_t i = 0; i < n; i++) /* keys are short: no call to memcmp */
        if (p[i] != k[i])
            return false;
    return true;
}

/* Inline (lexicon_find_all calls it for every token): the call's cost was
 * about a third of a probe's. */
static inline __attribute__((always_inline)) const struct lex_entry *
table_get(const struct lex_table *t, uint64_t h, const char *k, size_t n)
{
    if (!t->slot)
        return NULL;
    uint32_t tag = (uint32_t)(h >> 32);
    for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
        struct lex_slot s = t->slot[i];
        if (!s.idx)
            return NULL;
        if (s.tag == tag && key_eq(&t->ent[s.idx - 1], h, k, n))
            return &t->ent[s.idx - 1];
    }
}

/* The entry for k, added (zeroed) if new. The pointer is valid until the
 * next table_put on t. */
static struct lex_entry *table_put(struct lex_table *t, const char *k, size_t n)
{
    uint64_t h = text_hash(k, n);
    struct lex_entry *found = (struct lex_entry *)table_get(t, h, k, n);
    if (found)
        return found;
    if ((t->used + 1) * 2 > t->mask + 1) { /* keep the load under one half */
        struct lex_table bigger = *t;
        table_init(&bigger, (t->mask + 1) * 2);
        bigger.used = t->used;
        for (size_t i = 0; i <= t->mask; i++) {
            if (!t->slot[i].idx)
                continue;
            size_t j = t->ent[t->slot[i].idx - 1].hash & bigger.mask;
            while (bigger.slot[j].idx)
                j = (j + 1) & bigger.mask;
            bigger.slot[j] = t->slot[i];
        }
        free(t->slot);
        *t = bigger;
    }
    if (t->nent == t->capent) {
        t->capent = t->capent ? t->capent * 2 : 1024;
        t->ent = xrealloc(t->ent, t->capent * sizeof *t->ent);
    }
    struct lex_entry *e = &t->ent[t->nent++];
    memset(e, 0, sizeof *e);
    e->hash = h;
    e->off = (uint32_t)lex.pool.len;
    e->len = (uint16_t)n;
    buf_append(&lex.pool, k, n);
    size_t i = h & t->mask;
    while (t->slot[i].idx)
        i = (i + 1) & t->mask;
    t->slot[i] = (struct lex_slot){(uint32_t)(h >> 32), (uint32_t)t->nent};
    t->used++;
    return e;
}

/* Snowball cuts hard (Finnish "ihana" -> "iha"; in Swedish, which no
 * longer uses it, "härlig" -> "här"): a short stem says too little about
 * the word to carry its sentiment over to every other word with that stem. */
#define STEM_MIN 5

/* English and Swedish are looked up by their inflectional base
 * (lookup_base), not by Snowball stems. */
static const char *const stemmer_names[] = {NULL, "finnish", NULL, NULL};

static enum lex_kind kind_parse(const char *s, size_t n)
{
    static const struct {
        const char *name;
        enum lex_kind kind;
    } kinds[] = {{"w", LEX_WORD}, {"neg", LEX_NEG}, {"int", LEX_INT}, {"but", LEX_BUT}};
    for (size_t i = 0; i < ARRAY_LEN(kinds); i++)
        if (strlen(kinds[i].name) == n && memcmp(kinds[i].name, s, n) == 0)
            return kinds[i].kind;
    return LEX_NONE;
}

/* The languages an entry of a source in `lang` serves, a bit each. */
static uint8_t lang_bits(int lang)
{
    /* English words also serve texts in other languages: social media
     * borrows them everywhere. */
    if (lang == LANG_AUTO)
        return (1u << LANG_COUNT) - 1;
    return (uint8_t)(1u << lang | (lang == LANG_EN ? 1u << LANG_OTHER : 0));
}

static void set_val(struct lex_entry *e, int lang, struct lex_val v)
{
    for (int l = 0; l < LANG_COUNT; l++) {
        if (lang_bits(lang) & (1u << l)) {
            e->kind[l] = v.kind;
            e->v[l] = (int16_t)(v.v * FIX);
        }
    }
}

/* Lines are "kind<TAB>term<TAB>value"; kinds w, neg, int, but, stop, pre;
 * a term ending in '*' is a prefix. '#' starts a comment line. */
static int load_source(const struct lexicon_source *src, struct sb_stemmer **stemmers,
                       struct error *err)
{
    const char *p = src->text;
    int line = 0;
    while (*p) {
        const char *eol = strchr(p, '\n');
        if (!eol)
            eol = p + strlen(p);
        line++;
        const char *f[3];
        size_t fl[3];
        int nf = 0;
        const char *q = p;
        if (*p == '#' || p == eol)
            goto next;
        while (nf < 3) {
            const char *tab = memchr(q, '\t', (size_t)(eol - q));
            const char *stop = tab ? tab : eol;
            f[nf] = q;
            fl[nf] = (size_t)(stop - q);
            nf++;
            if (!tab)
                break;
            q = tab + 1;
        }
        if (nf < 2 || fl[1] == 0 || fl[1] > 200)
            return error_set(err, ERR_INTERNAL, "%s:%d: expected kind<TAB>term[<TAB>value]",
                             src->name, line);
        char term[256];
        size_t tn = text_fold_word(f[1], fl[1], 2, term);
        bool prefix = tn > 1 && term[tn - 1] == '*';
        if (prefix)
            tn--;
        double v = 0;
        if (nf == 3) {
            char num[32];
            snprintf(num, sizeof num, "%.*s", (int)(fl[2] < 31 ? fl[2] : 31), f[2]);
            char *endp;
            v = strtod(num, &endp);
            if (endp == num || *endp)
                return error_set(err, ERR_INTERNAL, "%s:%d: value '%s' is not a number", src->name,
                                 line, num);
        }
        int langs = src->lang;
        if (fl[0] == 4 && memcmp(f[0], "stop", 4) == 0) {
            table_put(&lex.word, term, tn)->stop |= (uint8_t)(1u << langs);
            goto next;
        }
        if (fl[0] == 3 && memcmp(f[0], "pre", 3) == 0) {
            struct lex_entry *e = table_put(&lex.word, term, tn);
            e->pre |= (uint8_t)(1u << langs);
            e->pre_v = (int16_t)(v * FIX);
            goto next;
        }
        enum lex_kind kind = kind_parse(f[0], fl[0]);
        if (kind == LEX_NONE)
            return error_set(err, ERR_INTERNAL, "%s:%d: unknown kind '%.*s'", src->name, line,
                             (int)fl[0], f[0]);
        struct lex_val val = {(int8_t)kind, (float)v};
        /* A two-word phrase ("can't wait", "kind of") is found from its
         * first word, which is marked for it. */
        const char *sp = memchr(term, ' ', tn);
        if (sp) {
            size_t first = (size_t)(sp - term);
            if (kind != LEX_WORD || prefix || first == 0 || first + 1 == tn ||
                memchr(sp + 1, ' ', tn - first - 1))
                return error_set(err, ERR_INTERNAL,
                                 "%s:%d: a phrase is two words of kind w, one space between",
                                 src->name, line);
            table_put(&lex.word, term, first)->phrase |= lang_bits(langs);
            set_val(table_put(&lex.word, term, tn), langs, val);
            goto next;
        }
        set_val(table_put(prefix ? &lex.prefix : &lex.word, term, tn), langs, val);
        /* Inflected forms find the entry through its stem. */
        if (kind == LEX_WORD && !prefix && langs != LANG_AUTO && stemmers[langs]) {
            const sb_symbol *s = sb_stemmer_stem(stemmers[langs], (const sb_symbol *)term, (int)tn);
            int sl = sb_stemmer_length(stemmers[langs]);
            if (s && sl >= STEM_MIN) {
                struct lex_entry *e = table_put(&lex.stem, (const char *)s, (size_t)sl);
                set_val(e, langs, val);
            }
        }
    next:
        p = *eol ? eol + 1 : eol;
    }
    return 0;
}

static void lex_load(void)
{
    struct sb_stemmer *stemmers[LANG_COUNT] = {0};
    table_init(&lex.word, 16384);
    table_init(&lex.prefix, 2048);
    table_init(&lex.stem, 16384);
    for (int l = 0; l < LANG_COUNT; l++) {
        if (!stemmer_names[l])
            continue;
        stemmers[l] = sb_stemmer_new(stemmer_names[l], NULL);
        if (!stemmers[l]) {
            lex.status =
                error_set(&lex.err, ERR_INTERNAL, "no Snowball stemmer for %s", stemmer_names[l]);
            goto done;
        }
    }
    for (const struct lexicon_source *s = lexicon_sources; s->name; s++)
        if ((lex.status = load_source(s, stemmers, &lex.err)) < 0)
            goto done;
done:
    for (int l = 0; l < LANG_COUNT; l++)
        if (stemmers[l])
            sb_stemmer_delete(stemmers[l]);
}

int lexicon_init(struct error *err)
{
    pthread_once(&lex_once, lex_load);
    if (lex.status < 0 && err)
        *err = lex.err;
    return lex.status;
}

/* ---- per-thread scratch: stemmers and the word table -------------------- */

/* The word table: what each word the thread has read means (struct
 * lex_info), found by its key, so that a token costs one probe where it
 * cost three (the lexicon table's slot, its entry, the fallback cache's
 * set). Eight ways a set, a set two 64-byte cache lines (a set holds four
 * or fewer words most of the time, so the first line answers); a new word
 * goes in front. 256Ki slots, 4 MiB per thread (the fallback cache before
 * it took 2 MiB, for fallbacks alone): the training sets hold about
 * 80,000 words, and a pass over them found 16,000 of them again with four
 * ways in 2 MiB, 2,300 with four ways in 4 MiB, 170 with eight (see
 * docs/text-engine.md, Speed). A miss for a listed word costs a
 * lexicon probe; a fallback computed again costs microseconds (a Voikko
 * analysis, a compound split), so those are the last to go.
 *
 * A word is known by its key (62 of its 64 bits), not by its bytes, as the
 * learned model knows its features; the exact entry is found by its bytes
 * when the word enters the table. */
#define WT_WAYS     8
#define WT_SET_BITS 15
#define WT_SIZE     (WT_WAYS << WT_SET_BITS)
/* In front of it, the hot table: one slot per 13 bits of key (8,192
 * slots, 128 KiB), direct-mapped, holding copies of words found again in
 * the word table. A word read twice or more is packed there four to a
 * cache line among other such words, where in its set it shares its line
 * with three words that may have been read once; so the words read most
 * stay in the core's cache, and a token found there costs no prefetch and
 * no probe of the 4 MiB table. A word new to the table does not enter it
 * (most words are read once and would push out the frequent ones). A copy
 * is named by the low 48 bits of its key and its 13 slot bits (60 of 64
 * compared); what a fallback finds is written to both. */
#define WT_HOT_BITS 13
#define WT_HOT      (1u << WT_HOT_BITS)
/* The low 48 bits of a key and its set name the word; the top 16 bits of
 * a slot's key hold the exact entry's bits. Bit 0 is set in every name, so
 * an empty slot (0) matches none. */
#define WT_NAME ((1ULL << 48) - 1)
/* In a slot's key: a fallback's answer is kept here, which would cost
 * microseconds to find again. */
#define WT_DEAR (1ULL << 60)
/* lex_info_nt */
#define WT_NT (1ULL << 61)
_Static_assert(sizeof(struct lex_info) == 16, "four word slots to a cache line");
_Static_assert(WT_WAYS * sizeof(struct lex_info) == 128, "a set is two cache lines");
_Static_assert(64 - WT_SET_BITS >= 48, "a set is named by bits above the name's");

struct scratch {
    struct sb_stemmer *stemmer[LANG_COUNT];
    struct VoikkoHandle *voikko;                 /* Finnish lemmas; NULL until first needed */
    bool no_voikko;                              /* it could not start: never tried again */
    struct text_tokens *tokens;                  /* for sentiment_score */
    _Alignas(64) struct lex_info hot[WT_HOT];    /* words read again, packed */
    _Alignas(128) struct lex_info slot[WT_SIZE]; /* a set is two cache lines */
};

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static _Thread_local struct scratch *tls_scratch;

static void scratch_free(void *p)
{
    struct scratch *s = p;
    for (int l = 0; l < LANG_COUNT; l++)
        if (s->stemmer[l])
            sb_stemmer_delete(s->stemmer[l]);
    if (s->voikko)
        voikkoTerminate(s->voikko);
    free(s->tokens);
    free(s);
}

static void scratch_key_make(void)
{
    pthread_key_create(&scratch_key, scratch_free);
}

static struct scratch *scratch_get(void)
{
    if (!tls_scratch) {
        pthread_once(&scratch_once, scratch_key_make);
        tls_scratch = xzalloc_aligned(_Alignof(struct scratch), sizeof *tls_scratch);
        pthread_setspecific(scratch_key, tls_scratch);
    }
    return tls_scratch;
}

struct text_tokens *text_thread_tokens(void)
{
    struct scratch *s = scratch_get();
    if (!s->tokens)
        s->tokens = xmalloc(sizeof *s->tokens);
    return s->tokens;
}

static struct lex_val lookup_word(const char *k, size_t n, enum text_lang lang)
{
    const struct lex_entry *e = table_get(&lex.word, text_hash(k, n), k, n);
    if (e && e->kind[lang])
        return entry_val(e, lang);
    return (struct lex_val){0};
}

/* Longest listed prefix of k that is at least 3 bytes. */
static struct lex_val lookup_prefix(const char *k, size_t n, enum text_lang lang)
{
    for (size_t m = n; m >= 3; m--) {
        if (m < n && ((unsigned char)k[m] & 0xC0) == 0x80)
            continue; /* not a character boundary */
        const struct lex_entry *e = table_get(&lex.prefix, text_hash(k, m), k, m);
        if (e && e->kind[lang])
            return entry_val(e, lang);
    }
    return (struct lex_val){0};
}

static struct lex_val lookup_stem(struct scratch *s, const char *k, size_t n, enum text_lang lang)
{
    if (!s->stemmer[lang] && stemmer_names[lang])
        s->stemmer[lang] = sb_stemmer_new(stemmer_names[lang], NULL);
    if (!s->stemmer[lang] || n > 200)
        return (struct lex_val){0};
    const sb_symbol *st = sb_stemmer_stem(s->stemmer[lang], (const sb_symbol *)k, (int)n);
    int sl = sb_stemmer_length(s->stemmer[lang]);
    if (!st || sl < STEM_MIN)
        return (struct lex_val){0};
    const struct lex_entry *e =
        table_get(&lex.stem, text_hash((const char *)st, (size_t)sl), (const char *)st, (size_t)sl);
    if (e && e->kind[lang] == LEX_WORD)
        return entry_val(e, lang);
    const struct lex_entry *w =
        table_get(&lex.word, text_hash((const char *)st, (size_t)sl), (const char *)st, (size_t)sl);
    if (w && w->kind[lang] == LEX_WORD)
        return entry_val(w, lang);
    return (struct lex_val){0};
}

/* English and Swedish inflect by suffixes, while Snowball's stemmers also
 * strip derivations: "thoughtful" and "thought" share the English stem
 * "thought", "humane" and "human" the stem "human"; "behövande" (needy)
 * and "behöver" (needs) the Swedish stem "behöv". So a neutral word took
 * the colour of a listed derivative. A form is looked up by its
 * inflectional base instead: the listed word it is the plural, definite,
 * past, participle, comparative, superlative (or English -ly adverb) of
 * ("loved", "winning", "sadly"; "älskar", "glada", "roligt", "ledsna").
 * Derivatives are words of their own, listed or not. Finnish, whose
 * inflection Snowball and Voikko handle, keeps its stems.
 *
 * Rules are tried in order and the first listed base wins. English: "e"
 * before none ("loved" is "love", not "lov"; "cutest" "cute", not "cut");
 * a bare "-er" is left out, as it ends more nouns than comparatives
 * ("number", "career", "banner"). Swedish: longest ending first; "-na",
 * "-ra", "-la" also give back the vowel that adjectives in -en, -er, -el
 * drop ("ledsna" -> "ledsen", "säkra" -> "säker"). */
struct inflection {
    const char *suffix, *base;
    uint8_t sn, bn;
    bool undouble; /* "winning" -> "win", "grymma" -> "grym" */
};
#define R(suffix, base, undouble)                                                                  \
    {                                                                                              \
        suffix, base, sizeof suffix - 1, sizeof base - 1, undouble                                 \
    }
static const struct inflection en_inflections[] = {
    R("'s", "", false),    R("ies", "y", false), R("ied", "y", false), R("ier", "y", false),
    R("iest", "y", false), R("ily", "y", false), R("es", "", false),   R("s", "", false),
    R("ed", "e", false),   R("ed", "", false),   R("ed", "", true),    R("ing", "e", false),
    R("ing", "", false),   R("ing", "", true),   R("er", "e", false),  R("est", "e", false),
    R("est", "", false),   R("est", "", true),   R("ly", "", false),   R("bly", "ble", false),
};
static const struct inflection sv_inflections[] = {
    R("arnas", "", false), R("ornas", "a", false), R("ernas", "", false), R("arna", "", false),
    R("orna", "a", false), R("erna", "", false),   R("aste", "", false),  R("aste", "", true),
    R("ast", "", false),   R("ast", "", true),     R("are", "", false),   R("are", "", true),
    R("dde", "", false),   R("ens", "", false),    R("ets", "", false),   R("de", "", false),
    R("te", "", false),    R("en", "", false),     R("et", "", false),    R("na", "en", false),
    R("ra", "er", false),  R("la", "el", false),   R("na", "", false),    R("ar", "", false),
    R("or", "a", false),   R("er", "", false),     R("r", "", false),     R("n", "", false),
    R("t", "", false),     R("a", "", false),      R("a", "", true),      R("e", "", false),
    R("s", "", false),
};
#undef R

static struct lex_val lookup_base(const char *k, size_t n, enum text_lang lang)
{
    const struct inflection *r = lang == LANG_SV ? sv_inflections : en_inflections;
    size_t nr = lang == LANG_SV ? ARRAY_LEN(sv_inflections) : ARRAY_LEN(en_inflections);
    char w[208];
    if (n > 200)
        return (struct lex_val){0};
    for (size_t i = 0; i < nr; i++) {
        size_t sn = r[i].sn, bn = r[i].bn;
        if (n < sn + 3 || memcmp(k + n - sn, r[i].suffix, sn) != 0)
            continue;
        size_t m = n - sn;
        if (sn == 1 && k[m - 1] == 's' && lang != LANG_SV) /* "kiss", "less": not plurals */
            continue;
        if (r[i].undouble) {
            if (k[m - 1] != k[m - 2] || strchr("aeiouy'", k[m - 1]))
                continue;
            m--;
        }
        memcpy(w, k, m);
        memcpy(w + m, r[i].base, bn);
        struct lex_val v = lookup_word(w, m + bn, lang);
        if (v.kind == LEX_WORD)
            return v;
    }
    return (struct lex_val){0};
}

/* Finnish inflects a word into hundreds of forms, and consonant gradation
 * changes its stem ("pettyneeltä" of "pettynyt", "tapan" of "tappaa"),
 * which Snowball's suffix stripping does not undo. Voikko's morphology
 * (Debian's libvoikko with the voikko-fi dictionary) gives the base forms
 * the lexicons list. One Voikko handle per thread, as Voikko asks; without
 * it (not installed) Finnish falls back to stems alone. */
static struct lex_val lookup_compound(struct scratch *s, const char *k, size_t n,
                                      enum text_lang lang);

static struct lex_val lookup_lemma(struct scratch *s, const char *k, size_t n)
{
    if (n > 200 || s->no_voikko)
        return (struct lex_val){0};
    if (!s->voikko) {
        const char *why = NULL;
        if (!(s->voikko = voikkoInit(&why, "fi", NULL))) {
            s->no_voikko = true;
            static atomic_flag told = ATOMIC_FLAG_INIT;
            if (!atomic_flag_test_and_set(&told))
                log_warn("Finnish base forms unavailable (Voikko: %s); stems only",
                         why ? why : "no dictionary");
            return (struct lex_val){0};
        }
    }
    char word[208];
    memcpy(word, k, n);
    word[n] = '\0';
    struct voikko_mor_analysis **a = voikkoAnalyzeWordCstr(s->voikko, word);
    struct lex_val v = {0};
    for (size_t i = 0; a && a[i] && !v.kind; i++) {
        char *base = voikko_mor_analysis_value_cstr(a[i], "BASEFORM");
        if (!base)
            continue;
        size_t bn = strlen(base);
        char folded[4 * 208];
        if (bn <= 200 && !(bn == n && memcmp(base, k, n) == 0)) {
            size_t fn = text_fold_word(base, bn, 2, folded);
            v = lookup_word(folded, fn, LANG_FI);
            if (!v.kind)
                v = lookup_prefix(folded, fn, LANG_FI);
            /* An inflected compound's head is found in its base form
             * ("väkivaltarikoksista" -> "väkivaltarikos" -> "rikos"). */
            if (!v.kind)
                v = lookup_compound(s, folded, fn, LANG_FI);
        }
        voikko_free_mor_analysis_value_cstr(base);
    }
    if (a)
        voikko_free_mor_analysis(a);
    return v;
}

/* Everything short of the compound split. */
static struct lex_val lookup_inflected(struct scratch *s, const char *k, size_t n,
                                       enum text_lang lang)
{
    struct lex_val v = lookup_word(k, n, lang);
    if (!v.kind)
        v = lookup_prefix(k, n, lang);
    if (!v.kind && lang == LANG_FI)
        v = lookup_lemma(s, k, n);
    if (!v.kind)
        v = lang == LANG_FI ? lookup_stem(s, k, n, lang) : lookup_base(k, n, lang);
    return v;
}

/* Swedish and Finnish write compounds as one word and the last part carries
 * the meaning ("kanonbra", "paskahallitus"); an intensifying first part
 * ("jättebra", "superhyvä") strengthens it. */
static struct lex_val lookup_compound(struct scratch *s, const char *k, size_t n,
                                      enum text_lang lang)
{
    for (size_t i = 2; i + 3 <= n; i++) {
        if (((unsigned char)k[i] & 0xC0) == 0x80)
            continue;
        const struct lex_entry *first = table_get(&lex.word, text_hash(k, i), k, i);
        bool pre = first && (first->pre & (1u << lang));
        if (!pre && (i < 3 || n - i < 4))
            continue;
        /* Not stemmed: a miss would stem every tail, and compound heads
         * are listed in their common forms or as prefixes. */
        struct lex_val v = lookup_word(k + i, n - i, lang);
        if (!v.kind)
            v = lookup_prefix(k + i, n - i, lang);
        if (v.kind == LEX_WORD) {
            if (pre)
                v.v *= 1.0f + (float)first->pre_v / FIX;
            return v;
        }
    }
    /* A neutral head leaves the first part's colour, weaker ("skitsnack",
     * "väkivaltarikos"): the longest listed sentiment word the compound
     * starts with, followed by a part of four bytes or more. */
    for (size_t i = n >= 8 ? n - 4 : 0; i >= 4; i--) {
        if (((unsigned char)k[i] & 0xC0) == 0x80)
            continue;
        struct lex_val v = lookup_word(k, i, lang);
        if (v.kind == LEX_WORD) {
            v.v *= 0.5f;
            return v;
        }
    }
    return (struct lex_val){0};
}

struct lex_val lexicon_phrase(const struct text_tokens *t, size_t i, const struct lex_info *x,
                              enum text_lang lang)
{
    if (!lex_info_phrase(x, lang) || i + 1 >= t->n || t->tok[i + 1].kind != TOK_WORD)
        return (struct lex_val){0};
    const struct token *a = &t->tok[i], *b = &t->tok[i + 1];
    char k[256];
    if (a->nlen + 1 + b->nlen > sizeof k)
        return (struct lex_val){0};
    memcpy(k, t->norm + a->norm, a->nlen);
    k[a->nlen] = ' ';
    memcpy(k + a->nlen + 1, t->norm + b->norm, b->nlen);
    struct lex_val v = lookup_word(k, a->nlen + 1 + b->nlen, lang);
    return v.kind == LEX_WORD ? v : (struct lex_val){0};
}

/* An elongated word as written with every run of a letter cut to one
 * ("omggg" -> "omg"), which its fallbacks try first, into out (1,100
 * bytes); returns its length. */
static size_t fold_once(const struct text_tokens *t, const struct token *k, char *out)
{
    size_t srcn = k->len > 256 ? 256 : k->len;
    const char *src = t->src + k->off + (k->kind == TOK_HASHTAG);
    return text_fold_word(src, srcn - (k->kind == TOK_HASHTAG), 1, out);
}

/* What an elongated word adds to its key: the hash of fold_once's form,
 * which its folded form does not give ("pisseeedddd" and
 * "pissssssseeedddd" both fold to "pisseedd", but read "pissed" and
 * "pised"; the fallback cache before the word table kept one answer for
 * both, the one found first). */
static __attribute__((noinline)) uint64_t once_key(const struct text_tokens *t,
                                                   const struct token *k)
{
    char once[1100];
    size_t on = fold_once(t, k, once);
    return 0xE1E1E1E100000000ULL ^ text_hash(once, on) * 0xC2B2AE3D27D4EB4FULL;
}

/* A token's key in the word table: its hash, with its kind (words and
 * hashtags are one kind here: "#love" means "love") and for an elongated
 * word its once-folded form (once_key) mixed in, then multiplied by an odd
 * constant, which loses nothing and spreads the set bits. */
static inline uint64_t word_key(const struct text_tokens *t, const struct token *k)
{
    static const uint64_t kind_mix[8] = {
        [TOK_NUMBER] = 0x6E756D0033333333ULL,   [TOK_MENTION] = 0x7573657222222222ULL,
        [TOK_URL] = 0x75726C0011111111ULL,      [TOK_EMOJI] = 0x656D6F6A69696969ULL,
        [TOK_EMOTICON] = 0x656D6F7469636F6EULL, [TOK_PUNCT] = 0x70756E6374757465ULL,
    };
    _Static_assert(TOK_PUNCT < 8 && TOK_HASHTAG < 8, "a token kind indexes kind_mix");
    uint64_t key = k->hash ^ kind_mix[k->kind & 7];
    if (k->flags & TOKF_ELONG)
        key ^= once_key(t, k);
    return key * 0x9E3779B97F4A7C15ULL;
}

static inline struct lex_info *word_set(struct scratch *s, uint64_t key)
{
    return &s->slot[(size_t)(key >> (64 - WT_SET_BITS)) * WT_WAYS];
}

static inline uint64_t word_name(uint64_t key)
{
    return (key & WT_NAME) | 1;
}

static inline struct lex_info *hot_slot(struct scratch *s, uint64_t key)
{
    return &s->hot[key >> (64 - WT_HOT_BITS)];
}

static inline bool hot_has(const struct lex_info *h, uint64_t key)
{
    return ((h->key ^ word_name(key)) & WT_NAME) == 0;
}

static inline struct lex_info *set_find(struct lex_info *set, uint64_t name)
{
    for (int w = 0; w < WT_WAYS; w++)
        if (((set[w].key ^ name) & WT_NAME) == 0)
            return &set[w];
    return NULL;
}

/* x in front of its set; out goes the oldest word that a lexicon probe
 * finds again, or if every one of them holds a fallback, the oldest. */
static struct lex_info *set_put(struct lex_info *set, const struct lex_info *x)
{
    int out = WT_WAYS - 1;
    while (out > 0 && (set[out].key & WT_DEAR))
        out--;
    if (set[out].key & WT_DEAR)
        out = WT_WAYS - 1;
    memmove(set + 1, set, (size_t)out * sizeof *set);
    set[0] = *x;
    return &set[0];
}

/* A kind and a value * LEX_FIX as struct lex_info keeps them, or
 * LEX_R_UNKNOWN if the value does not fit its 13 bits (then it is found
 * again on every use, never rounded). */
static inline uint16_t r_pack(int kind, int16_t v)
{
    if (v < -4096 || v > 4095)
        return LEX_R_UNKNOWN;
    return (uint16_t)((uint16_t)v << 3 | (unsigned)kind);
}

/* Whether a word is read further than its exact form (in a language that
 * does not list it). */
static inline bool has_fallback(const struct token *k)
{
    return (k->kind == TOK_WORD || k->kind == TOK_HASHTAG) && k->nlen >= 3;
}

/* WT_NT if token k ends in "n't". */
static inline uint64_t nt_bit(const struct text_tokens *t, const struct token *k)
{
    const char *w = t->norm + k->norm;
    bool nt =
        k->nlen > 3 && w[k->nlen - 1] == 't' && w[k->nlen - 2] == '\'' && w[k->nlen - 3] == 'n';
    return nt ? WT_NT : 0;
}

/* A word new to the table: its exact entry's bits and values, in front of
 * its set. Apart, so that the hits do not pay for its stack frame. */
static __attribute__((noinline)) struct lex_info
word_fill(struct lex_info *set, uint64_t name, const struct text_tokens *t, const struct token *k)
{
    const struct lex_entry *e = table_get(&lex.word, k->hash, t->norm + k->norm, k->nlen);
    struct lex_info x = {name, {0}};
    for (int l = 0; l < LANG_COUNT; l++) {
        if (e && e->kind[l])
            x.r[l] = r_pack(e->kind[l], e->v[l]);
        else if (!(e && (e->stop >> l & 1u)) && has_fallback(k))
            x.r[l] = LEX_R_UNKNOWN;
        if (e && e->kind[l] == LEX_NEG)
            x.key |= 1ULL << (56 + l);
    }
    if (e)
        x.key |= (uint64_t)(e->stop & 15u) << 48 | (uint64_t)(e->phrase & 15u) << 52;
    x.key |= nt_bit(t, k);
    set_put(set, &x);
    return x;
}

/* What token k means in lang, found again: the exact form, and for words
 * their fallbacks (the values those give rounded as the table keeps them). */
static struct lex_val resolve_slow(struct scratch *s, const struct text_tokens *t,
                                   const struct token *k, enum text_lang lang)
{
    const char *norm = t->norm + k->norm;
    const struct lex_entry *e = table_get(&lex.word, k->hash, norm, k->nlen);
    if (e && e->kind[lang])
        return entry_val(e, lang);
    /* A function word is itself, not an inflection of something else. */
    if ((e && (e->stop >> lang & 1u)) || !has_fallback(k))
        return (struct lex_val){0};
    struct lex_val v = {0};
    if (k->flags & TOKF_ELONG) {
        char once[1100];
        size_t on = fold_once(t, k, once);
        v = lookup_inflected(s, once, on, lang);
    }
    if (!v.kind)
        v = lookup_inflected(s, norm, k->nlen, lang);
    if (!v.kind && (lang == LANG_SV || lang == LANG_FI))
        v = lookup_compound(s, norm, k->nlen, lang);
    /* What the table will answer next time, not the value before rounding
     * (half a compound part's value can fall between steps): a text scores
     * the same whatever was read before it, and training is repeatable. */
    v.v = (float)(int16_t)(v.v * FIX) / FIX;
    return v;
}

struct lex_val lexicon_resolve_fallback(const struct text_tokens *t, size_t i, struct lex_info *x,
                                        enum text_lang lang)
{
    const struct token *k = &t->tok[i];
    if (!lex.word.slot)
        return (struct lex_val){0};
    struct scratch *s = scratch_get();
    uint64_t key = word_key(t, k);
    struct lex_info *set = word_set(s, key), *y = set_find(set, word_name(key));
    if (y && (y->r[lang] & 7u) != LEX_R_UNKNOWN) /* another token of the text found it */
        x->r[lang] = y->r[lang];
    else {
        struct lex_val v = resolve_slow(s, t, k, lang);
        uint16_t r = r_pack(v.kind, (int16_t)(v.v * FIX));
        if (r == LEX_R_UNKNOWN)
            return v;
        x->r[lang] = r;
        y = y ? y : set_put(set, x);
        y->r[lang] = r;
        y->key |= WT_DEAR;
    }
    struct lex_info *h = hot_slot(s, key);
    if (hot_has(h, key))
        h->r[lang] = x->r[lang];
    return lexicon_resolve(t, i, x, lang);
}

static inline struct lex_info token_info(struct scratch *s, const struct text_tokens *t,
                                         const struct token *k, uint64_t key)
{
    struct lex_info *set = word_set(s, key);
    uint64_t name = word_name(key);
    const struct lex_info *y = set_find(set, name);
    return y ? *y : word_fill(set, name, t, k);
}

struct lex_val lexicon_lookup(const struct text_tokens *t, size_t i, enum text_lang lang)
{
    if (!lex.word.slot)
        return (struct lex_val){0};
    const struct token *k = &t->tok[i];
    struct lex_info x = token_info(scratch_get(), t, k, word_key(t, k));
    return lexicon_resolve(t, i, &x, lang);
}

/* Tokens whose meaning nothing reads (the rules, the model and the learner
 * pass them by): kept out of the word table, where every link and mention,
 * each written once, would push out words. */
#define NOT_READ (1u << TOK_URL | 1u << TOK_MENTION | 1u << TOK_NUMBER | 1u << TOK_PUNCT)

void lexicon_find_all(const struct text_tokens *t, struct lex_info *info, struct lex_counts *c)
{
    struct scratch *s = lex.word.slot ? scratch_get() : NULL;
    if (s)
        for (size_t i = 0; i < t->n; i++) {
            uint64_t key = word_key(t, &t->tok[i]);
            info[i].key = key;
            const struct lex_info *h = hot_slot(s, key);
            /* A hot word's prefetch goes to its hot slot, read already;
             * without a branch: whether a word is hot is hard to predict. */
            uintptr_t hot = 0 - (uintptr_t)hot_has(h, key);
            __builtin_prefetch(
                (const void *)(((uintptr_t)h & hot) | ((uintptr_t)word_set(s, key) & ~hot)));
        }
        /* The words and their flags as 16-bit lanes of one sum (at most 1,024
         * tokens): a word with flags f adds flag_lanes[16 | f], anything else
         * flag_lanes[0]. */
#define LANE(f, bit, l) ((uint64_t)(((f) & (bit)) != 0) << (16 * (l)))
#define LANES(f)        (1u | LANE(f, TOKF_CAPS, 1) | LANE(f, TOKF_TITLE, 2) | LANE(f, TOKF_EXTA, 3))
    static const uint64_t flag_lanes[32] = {
        [16] = LANES(0), LANES(1), LANES(2),  LANES(3),  LANES(4),  LANES(5),  LANES(6),  LANES(7),
        LANES(8),        LANES(9), LANES(10), LANES(11), LANES(12), LANES(13), LANES(14), LANES(15),
    };
#undef LANE
#undef LANES
    _Static_assert(TOKF_CAPS < 16 && TOKF_TITLE < 16 && TOKF_EXTA < 16, "flags index flag_lanes");
    uint64_t stops = 0, flags = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct token *k = &t->tok[i];
        unsigned w = k->kind == TOK_WORD;
        flags += flag_lanes[(16u | (k->flags & 15u)) & (0u - w)];
        if (!s || ((1u << k->kind) & NOT_READ)) {
            /* Without the lexicons, "...n't" still negates. */
            info[i] = (struct lex_info){s ? 0 : nt_bit(t, k), {0}};
            continue;
        }
        uint64_t key = info[i].key;
        struct lex_info *h = hot_slot(s, key);
        if (hot_has(h, key)) {
            info[i] = *h;
        } else {
            struct lex_info *set = word_set(s, key);
            const struct lex_info *y = set_find(set, word_name(key));
            if (y) /* read again: into the hot table */
                *h = info[i] = *y;
            else
                info[i] = word_fill(set, word_name(key), t, k);
        }
        stops += lang_stop_lanes[lex_info_stop(&info[i]) & (0u - w)];
    }
    *c = (struct lex_counts){stops, (int)(flags & 0xFFFF), (int)(flags >> 16 & 0xFFFF),
                             (int)(flags >> 32 & 0xFFFF), (int)(flags >> 48)};
}
