/* text: kanal's text engine. Tokenizer, language guess (sv/fi/en/other),
 * lexicon-and-rules sentiment with a learned model beside the rules, and a
 * per-workspace learner that adjusts sentiment from moderators' corrections.
 * Pure computation: no I/O, no store. The topic-tag query language is in
 * text/query.h. */
#ifndef KANAL_TEXT_H
#define KANAL_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

/* ---- languages -------------------------------------------------------- */
enum text_lang { LANG_SV = 0, LANG_FI, LANG_EN, LANG_OTHER, LANG_AUTO };
#define LANG_COUNT 4 /* sv fi en other: the ones a text can be guessed as */

/* "sv", "fi", "en", "other", "auto". */
const char *text_lang_name(enum text_lang lang);
/* Inverse of text_lang_name; -1 if unknown. */
int text_lang_parse(const char *s);

/* ---- tokenizer -------------------------------------------------------
 * One pass over UTF-8, no allocation: the caller owns a struct text_tokens
 * (large, so keep one per thread and reuse it). Words are case-folded
 * (å ä ö too) into `norm`; letters repeated three or more times are cut to
 * two ("sååå" -> "såå", "goooood" -> "good") and the token is flagged, so a
 * lexicon can try one too ("så"). Texts longer than TEXT_MAX_BYTES or with
 * more than TEXT_MAX_TOKENS tokens are cut there and flagged `truncated`:
 * the limit keeps the cost of one text bounded. */
enum token_kind {
    TOK_WORD,     /* letters/digits, with inner apostrophes: "don't" */
    TOK_NUMBER,   /* "2026", "6,1" */
    TOK_HASHTAG,  /* norm without the '#' */
    TOK_MENTION,  /* norm without the '@' */
    TOK_URL,      /* norm is the URL as written */
    TOK_EMOJI,    /* one emoji with its modifiers; norm drops VS16 and skin tones */
    TOK_EMOTICON, /* ":)", ":-(", "<3"... */
    TOK_PUNCT,    /* one of . , ; : ! ? (clause and sentence ends) */
};

enum {
    TOKF_CAPS = 1,  /* a word of two or more letters, all upper case: "GREAT" */
    TOKF_ELONG = 2, /* a letter was repeated three or more times */
    TOKF_TITLE = 4, /* capitalised: "Dead", "Åsa" (one upper-case letter, first) */
    TOKF_EXTA = 8,  /* has a letter of Latin Extended-A (U+0100-U+017F): "ą", "š" */
};

#define TEXT_MAX_TOKENS 1024
#define TEXT_MAX_BYTES  16384

struct token {
    uint32_t off, len;   /* the token as written, in the source text */
    uint32_t norm, nlen; /* the folded form, at tokens->norm + norm */
    uint64_t hash;       /* text_hash() of the folded form */
    uint8_t kind, flags;
};

struct text_tokens {
    const char *src; /* the text tokenized: tokens point into it by offset */
    size_t n;
    bool truncated;
    bool invalid_utf8; /* bytes that are not UTF-8 were skipped */
    struct token tok[TEXT_MAX_TOKENS];
    char norm[TEXT_MAX_BYTES + 64];
};

/* Tokenizes s[0..n). Never fails: invalid UTF-8 is skipped and flagged. */
void text_tokenize(struct text_tokens *t, const char *s, size_t n);
/* The folded form of token i, not NUL-terminated (see nlen). */
static inline const char *text_token_norm(const struct text_tokens *t, size_t i)
{
    return t->norm + t->tok[i].norm;
}
/* The hash the tokenizer and lexicons use (64-bit FNV-1a). */
uint64_t text_hash(const char *s, size_t n);

/* ---- stems -------------------------------------------------------------
 * The Snowball stem of a folded word (a token's norm) in sv, fi or en, for
 * full-text search: "pensionen", "pensioner" -> "pension". Other languages
 * (LANG_OTHER, LANG_AUTO) keep the word as it is. Writes at most cap - 1
 * bytes and a NUL to out, cut at a character; returns the length. Thread-safe
 * (each thread keeps its own stemmers). */
#define TEXT_STEM_MAX 128
size_t text_stem(enum text_lang lang, const char *word, size_t n, char *out, size_t cap);
/* The Finnish base forms of a folded word, from Voikko's analyses
 * ("eläkkeen" -> "eläke"), folded to lower case, each at most
 * TEXT_STEM_MAX - 1 bytes and NUL-terminated, distinct, at most max of
 * them; returns how many (0 when Voikko knows none or is not installed).
 * Thread-safe (each thread keeps its own Voikko handle). */
size_t text_lemmas_fi(const char *word, size_t n, char (*out)[TEXT_STEM_MAX], size_t max);

/* ---- language guess ---------------------------------------------------
 * From function words and letter patterns; LANG_OTHER when nothing speaks
 * for sv, fi or en. */
enum text_lang lang_guess(const struct text_tokens *t);

/* ---- sentiment ---------------------------------------------------------
 * Lexicons (data/lexicon/ and the openly licensed ones converted at build
 * time) are compiled into the binary and parsed once, on first use. */
enum sentiment_label { SENT_NEG = 0, SENT_NEU = 1, SENT_POS = 2 };
#define SENT_LABELS 3

const char *sentiment_label_name(enum sentiment_label l);
/* "pos", "neu", "neg"; -1 if unknown. */
int sentiment_label_parse(const char *s);

struct sentiment {
    enum sentiment_label label;
    double score;        /* in [-1, 1]: negative .. positive */
    enum text_lang lang; /* the language scored as */
    double raw;          /* the rules' sum before squashing (the learner's input) */
    int hits;            /* lexicon, emoji and emoticon hits that counted */
    /* The learned model decided, from these logits (neutral's is the
     * model's band, 0 unless cross-validation chose another); else
     * the rules alone did, and the logits are 0. */
    bool model;
    float logit[SENT_LABELS];
};

/* Scores an already tokenized text. lang LANG_AUTO guesses it. Thread-safe
 * (each thread keeps its own stemmers and cache). */
void sentiment_score_tokens(const struct text_tokens *t, enum text_lang lang,
                            struct sentiment *out);
/* The rules alone, or with the learned model m where the text's language
 * (given, or guessed for LANG_AUTO) is m's; m NULL means the rules alone.
 * sentiment_score_tokens is this with the built-in model of the language. */
struct sentiment_model;
void sentiment_score_model(const struct text_tokens *t, enum text_lang lang,
                           const struct sentiment_model *m, struct sentiment *out);
/* Tokenizes and scores s[0..n); uses a per-thread struct text_tokens. */
void sentiment_score(const char *s, size_t n, enum text_lang lang, struct sentiment *out);
/* Loads the lexicons now rather than on first use (for servers and benches
 * that want the cost up front). Returns 0, or -1 with err if the built-in
 * data is broken (a build bug). */
int sentiment_init(struct error *err);

/* ---- the learned model ---------------------------------------------------
 * A linear model per language (multinomial logistic regression) over hashed
 * word n-grams and prefixes plus the rules' verdict, trained from labelled
 * texts (tools/sentiment-train.c) and compiled into the binary from
 * data/sentiment/. See docs/text-engine.md. */
enum {
    MODEL_UNI = 1,   /* words, emoji, punctuation; negated words apart */
    MODEL_BI = 2,    /* pairs of neighbouring tokens */
    MODEL_PRE = 4,   /* the first five bytes of words of seven or more */
    MODEL_RULES = 8, /* the rules' score and label as inputs */
    MODEL_NORM = 16, /* hashed features weigh 1/sqrt(their count) */
};

struct sentiment_model_params {
    unsigned feats; /* MODEL_* bits */
    unsigned bits;  /* the table has 1 << bits buckets (8..24) */
    int epochs;
    double rate; /* SGD step, divided by 1 + epoch */
    double l2;
    uint64_t seed; /* of the shuffles */
    /* Neutral's logit in the model written (the others' are against it):
     * above 0 widens the neutral band, below 0 narrows it. Not used in
     * training; the trainer chooses it afterwards by cross-validation. */
    double neutral;
};

struct sentiment_example {
    const char *text;
    size_t len;
    enum sentiment_label gold;
};

/* Trains a model for language lang on ex[0..n), read as that language.
 * Owned by the caller; free with sentiment_model_free. */
struct sentiment_model *sentiment_model_train(const struct sentiment_example *ex, size_t n,
                                              enum text_lang lang,
                                              const struct sentiment_model_params *p);
/* Appends the model's file form (versioned, little-endian) to b. */
void sentiment_model_serialize(const struct sentiment_model *m, struct buf *b);
/* A new model from its file form, or NULL with err if it is not one. */
struct sentiment_model *sentiment_model_load(const void *p, size_t n, struct error *err);
void sentiment_model_free(struct sentiment_model *m);
/* The model compiled in for lang, or NULL (none: the rules alone). Owned by
 * kanal; loaded once, on first use. */
const struct sentiment_model *sentiment_model_builtin(enum text_lang lang);
enum text_lang sentiment_model_lang(const struct sentiment_model *m);
/* Bytes the loaded model takes. */
size_t sentiment_model_memory(const struct sentiment_model *m);

/* ---- learner ------------------------------------------------------------
 * A per-workspace model of moderators' corrections: multinomial logistic
 * regression on hashed features (words, stems-by-prefix, the
 * rules' score), trained online one correction at a time. Its logits are
 * added to logits derived from the rules' score, so an untrained learner
 * gives exactly the rules' labels, and each correction moves later scores. */
struct learner;

/* Owned by the caller; free with learner_free. */
struct learner *learner_new(void);
void learner_free(struct learner *m);
/* Takes one correction: text t (tokenized) should have had label `gold`. */
void learner_train(struct learner *m, const struct text_tokens *t, enum text_lang lang,
                   enum sentiment_label gold);
/* Scores t as sentiment_score_tokens does, then adjusts by the model. m may
 * be NULL (then it is exactly sentiment_score_tokens). */
void learner_score(const struct learner *m, const struct text_tokens *t, enum text_lang lang,
                   struct sentiment *out);
/* Number of corrections taken so far. */
uint64_t learner_count(const struct learner *m);
/* Serializes into b (appended; versioned, little-endian, fixed size) so the
 * store can keep one blob per workspace. */
void learner_serialize(const struct learner *m, struct buf *b);
/* Returns a new learner from a blob, or NULL with err if it is not one. */
struct learner *learner_deserialize(const void *p, size_t n, struct error *err);

/* ---- tag learner ----------------------------------------------------------
 * A per-workspace model of moderators' tag corrections: per tag a naive
 * Bayes model on the learner's hashed word features, counted online. It
 * suggests tags, it never sets them. A tag's model speaks once it has been
 * told TAG_LEARNER_MIN times that a text has the tag and as many that one
 * has not; it suggests the tag at probability TAG_LEARNER_P or more. */
#define TAG_LEARNER_MIN 3
#define TAG_LEARNER_P   0.5
struct tag_learner;
struct tag_guess {
    int64_t tag_id;
    double p;
};

/* Owned by the caller; free with tag_learner_free. */
struct tag_learner *tag_learner_new(void);
void tag_learner_free(struct tag_learner *m);
/* Takes one example: text t has (on) or has not tag tag_id (> 0). The
 * tag's model is made on its first example. */
void tag_learner_train(struct tag_learner *m, const struct text_tokens *t, int64_t tag_id, bool on);
/* Whether tag_id has a model; whether it has had enough examples to speak. */
bool tag_learner_has(const struct tag_learner *m, int64_t tag_id);
bool tag_learner_ready(const struct tag_learner *m, int64_t tag_id);
/* The probability that t has tag tag_id, or -1 when its model is not ready
 * (m may be NULL). */
double tag_learner_p(const struct tag_learner *m, const struct text_tokens *t, int64_t tag_id);
/* Into out (room for max): the ready tags not in skip[0..nskip) whose
 * probability on t is TAG_LEARNER_P or more, likeliest first (ties by id);
 * returns how many. m may be NULL. */
size_t tag_learner_suggest(const struct tag_learner *m, const struct text_tokens *t,
                           const int64_t *skip, size_t nskip, struct tag_guess *out, size_t max);
/* Examples taken so far. */
uint64_t tag_learner_count(const struct tag_learner *m);
/* Serializes into b (appended; versioned, little-endian). */
void tag_learner_serialize(const struct tag_learner *m, struct buf *b);
/* Returns a new learner from a blob, or NULL with err if it is not one. */
struct tag_learner *tag_learner_deserialize(const void *p, size_t n, struct error *err);

#endif
