/* text_internal: helpers shared by the text engine's files (tokenizer,
 * lexicons, sentiment, learner, query) but not part of its public face. */
#ifndef KANAL_TEXT_INTERNAL_H
#define KANAL_TEXT_INTERNAL_H

#include <stdint.h>

#include "base/asset.h"
#include "text/text.h"

/* Index of s in names[0..n), or -1: the parse half of the engine's
 * name tables (languages, labels). */
int text_name_index(const char *const *names, size_t n, const char *s);

/* text_tokenize without its SSE2 path (the same where there is none): the
 * letter-by-letter loop the tests hold the SSE2 one to. */
void text_tokenize_scalar(struct text_tokens *t, const char *s, size_t n);

/* Simple case folding (ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic). */
uint32_t text_fold_lower(uint32_t c);
/* The base letter of a lower-case letter with a diacritic ('ä' -> 'a'), 0
 * for a combining mark (dropped), c itself otherwise. */
uint32_t text_fold_base(uint32_t c);
/* Writes s[0..n) folded (lower case, runs of three or more equal letters cut
 * to `keep`) into out (at least 4 * n bytes); returns the length written. */
size_t text_fold_word(const char *s, size_t n, int keep, char *out);

/* ---- lexicons (lexicon.c) ------------------------------------------------
 * One hash table over every language's entries; a word can be a sentiment
 * word in one language and a negator in another ("en" in Finnish). */
enum lex_kind {
    LEX_NONE = 0,
    LEX_WORD, /* v: polarity, about -4..4 */
    LEX_NEG,  /* negator */
    LEX_INT,  /* v: added to the next sentiment word's multiplier (<0 dampens) */
    LEX_BUT,  /* contrast: what follows outweighs what came before */
};

struct lex_val {
    int8_t kind;
    float v;
};

/* The built-in lexicon texts (generated into build/gen by the Makefile from
 * data/lexicon/ and from npm packages). lang LANG_AUTO means every language. */
struct lexicon_source {
    const char *name;
    int lang;
    const char *text;
};
extern const struct lexicon_source lexicon_sources[];

/* Loads once (thread-safe); returns 0 or -1 with err. */
int lexicon_init(struct error *err);
/* Values are fixed-point (* LEX_FIX) to keep a lexicon entry at 32 bytes
 * and a word table slot at 16. */
#define LEX_FIX 256.0f

/* What a token means in each language, as the lexicons and their fallbacks
 * say: a copy of its slot in the thread's word table (lexicon.c), 16 bytes,
 * four to a cache line. A word costs one probe there, where it cost three
 * (the lexicon table's slot, its entry, the fallback cache).
 *
 * key: the token's key (lexicon.c's word_key: its hash with its kind and
 * elongation mixed in), whose top 16 bits hold the exact entry's bits
 * (LEX_INFO_STOP, _PHRASE, _NEG); the set in the table and the low 48 bits
 * name the word.
 * r[lang]: what it means in lang, the kind in the low three bits and the
 * value * LEX_FIX above (13 bits with sign); LEX_R_UNKNOWN until a fallback
 * (inflection, stem, Voikko, compound) has been tried for it. */
struct lex_info {
    uint64_t key;
    uint16_t r[LANG_COUNT];
};
#define LEX_R_UNKNOWN 7u
/* The function-word bits (1 << lang) of the exact entry. */
static inline unsigned lex_info_stop(const struct lex_info *x)
{
    return (unsigned)(x->key >> 48) & 15u;
}
/* Whether a listed two-word phrase may start with this word in lang. */
static inline bool lex_info_phrase(const struct lex_info *x, enum text_lang lang)
{
    return lang < LANG_COUNT && (x->key >> (52 + lang) & 1u);
}
/* Whether the exact entry is a negator in lang. */
static inline bool lex_info_neg(const struct lex_info *x, enum text_lang lang)
{
    return lang < LANG_COUNT && (x->key >> (56 + lang) & 1u);
}

/* lexicon_resolve past its inline test: the word table's slot again, and on
 * a miss the fallbacks, whose answer it keeps there and in *x. */
struct lex_val lexicon_resolve_fallback(const struct text_tokens *t, size_t i, struct lex_info *x,
                                        enum text_lang lang);
/* What token i (whose lexicon_find_all info is x) means in language `lang`
 * (LANG_OTHER reads English and emoji): the exact form, then for words the
 * elongation-free form, Snowball stem, listed prefixes and compound heads.
 * Inline: the sentiment rules call it for every token, and for nearly every
 * one the answer is in x already. */
static inline struct lex_val lexicon_resolve(const struct text_tokens *t, size_t i,
                                             struct lex_info *x, enum text_lang lang)
{
    if (lang >= LANG_COUNT)
        return (struct lex_val){0};
    unsigned r = x->r[lang];
    if ((r & 7u) != LEX_R_UNKNOWN)
        return (struct lex_val){(int8_t)(r & 7u), (float)((int16_t)r >> 3) / LEX_FIX};
    return lexicon_resolve_fallback(t, i, x, lang);
}
/* lexicon_find_all for one token, and lexicon_resolve. */
struct lex_val lexicon_lookup(const struct text_tokens *t, size_t i, enum text_lang lang);
/* The value of the listed two-word phrase that starts at token i (whose
 * info is x) and the word after it, or kind 0: exact forms only. */
struct lex_val lexicon_phrase(const struct text_tokens *t, size_t i, const struct lex_info *x,
                              enum text_lang lang);
/* Whether the word ends in "n't" (any English "...n't" negates). */
static inline bool lex_info_nt(const struct lex_info *x)
{
    return x->key >> 61 & 1u;
}
/* What lexicon_find_all counts on its way over the tokens, for the
 * language guess and the rules, which read the tokens one time fewer each. */
struct lex_counts {
    uint64_t stops; /* the function words' shares: lang_stop_lanes summed */
    int words;      /* TOK_WORD tokens; of them: */
    int caps;       /* in capitals (TOKF_CAPS) */
    int titles;     /* capitalised (TOKF_TITLE) */
    int exta;       /* with a letter of Latin Extended-A (TOKF_EXTA) */
};
/* What a word with the function-word bits m (1 << lang) adds to
 * lex_counts.stops (lang.c). */
extern const uint64_t lang_stop_lanes[16];
/* What the tokens t mean (struct lex_info) into info[], and what c counts.
 * Prefetches the slots of all the tokens not in the hot table first, so
 * their memory latencies overlap. */
void lexicon_find_all(const struct text_tokens *t, struct lex_info *info, struct lex_counts *c);
/* lang_guess with the tokens' counts already made. */
enum text_lang lang_guess_counts(const struct text_tokens *t, const struct lex_counts *c);

/* This thread's struct text_tokens (freed when the thread ends). */
struct text_tokens *text_thread_tokens(void);

/* Per language: the bars a score must pass to be positive (above pos) or
 * negative (below -neg), and what each bare '!' adds (sentiment.c). */
struct sentiment_band {
    double pos, neg, excl;
};
struct sentiment_band sentiment_band(enum text_lang lang);
/* The rules alone, in language lang (not LANG_AUTO), with the tokens'
 * lexicon entries already found (sentiment.c). */
void sentiment_rules(const struct text_tokens *t, struct lex_info *info,
                     const struct lex_counts *counts, enum text_lang lang, struct sentiment *out);

/* ---- the learners' features (learn.c) -------------------------------------
 * Hashed features of a text, as the per-workspace learners (sentiment in
 * learn.c, tags in tag_learn.c) read it: an index below 1 << LEARN_FEAT_BITS
 * (the mixed hash's low bits; a smaller learner takes fewer of them) and a
 * value. */
#define LEARN_FEAT_BITS 13
#define LEARN_MAX_FEAT  (2 * TEXT_MAX_TOKENS + 8)
struct learn_features {
    size_t n;
    uint32_t idx[LEARN_MAX_FEAT];
    float val[LEARN_MAX_FEAT];
};
/* Appends t's words (read as lang, not LANG_AUTO, for negation) to f. */
void learn_words(const struct text_tokens *t, enum text_lang lang, struct learn_features *f);

/* ---- the learned model (model.c) ----------------------------------------- */
/* The built-in model files (generated into build/gen by tools/embed.c from
 * data/sentiment/LANG.model). */
extern const struct asset sentiment_models[];
/* Loads the built-in models once (thread-safe); 0 or -1 with err. */
int model_builtin_init(struct error *err);
/* The hashed features of t read as lang (sv, fi or en) into out (room for
 * 3 * TEXT_MAX_TOKENS + 1); returns how many. The trainer and the scorer
 * both take their features from here. */
size_t model_features(const struct text_tokens *t, const struct lex_info *info, enum text_lang lang,
                      unsigned feats, uint64_t *out);
/* Which of 1 << bits buckets feature h falls in. */
uint32_t model_bucket(uint64_t h, unsigned bits);
/* Replaces out's label and score (the rules' verdict on t, which the model
 * reads too) with the model's. */
void model_apply(const struct sentiment_model *m, const struct text_tokens *t,
                 const struct lex_info *info, struct sentiment *out);

#endif
