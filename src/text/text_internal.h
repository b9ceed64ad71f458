/* text_internal: helpers shared by the text engine's files (tokenizer,
 * lexicons, sentiment, learner, query) but not part of its public face. */
#ifndef KANAL_TEXT_INTERNAL_H
#define KANAL_TEXT_INTERNAL_H

#include <stdint.h>

#include "text/text.h"

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
/* What token i means in language `lang` (LANG_OTHER reads English and
 * emoji): exact form, then for words the elongation-free form, Snowball stem,
 * listed prefixes and compound heads. Cached per thread. */
struct lex_val lexicon_lookup(const struct text_tokens *t, size_t i, enum text_lang lang);
/* Bit (1 << lang) set for each language that lists the token as a function
 * word (for the language guess). */
unsigned lexicon_stop_mask(const struct text_tokens *t, size_t i);

/* Scores within +-band of zero are neutral (sentiment.c). */
double sentiment_neutral_band(enum text_lang lang);

#endif
