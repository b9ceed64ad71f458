/* query_internal: what the query compiler and evaluator (query.c) share
 * with the query set's index (query_set.c) and no other file sees. */
#ifndef KANAL_TEXT_QUERY_INTERNAL_H
#define KANAL_TEXT_QUERY_INTERNAL_H

#include "text/query.h"

/* One word of a term or phrase. */
struct qword {
    uint32_t off, len;   /* base-folded form (no case, no diacritics) in q->strings */
    uint32_t xoff, xlen; /* exact: the word as written, in q->strings */
    uint64_t hash;       /* text_hash of the base-folded form */
    int32_t infl;        /* inflected: index into q->infl, else -1 */
    uint8_t kind;        /* TOK_WORD matches words, numbers and hashtags */
    bool prefix, exact;
};

/* What an inflected word (word~) matches besides itself: the base-folded
 * Snowball stems of the word in sv, fi and en, and its Finnish base forms
 * (Voikko), the word itself among them. */
struct qinfl {
    uint32_t stem_off[3], stem_len[3];
    uint32_t lem_off[QUERY_MAX_LEMMAS + 1], lem_len[QUERY_MAX_LEMMAS + 1];
    uint8_t nlem;
};

enum qop { Q_WORDS, Q_AND, Q_OR, Q_NOT, Q_NEAR, Q_LANG };

struct qnode {
    enum qop op;
    int a, b;             /* children (node indices); b unused for NOT */
    int near;             /* n of NEAR/n */
    uint8_t field;        /* Q_WORDS: enum query_field */
    char lang[4];         /* Q_LANG */
    uint32_t word, nword; /* Q_WORDS: a phrase of nword words from q->words[word] */
};

struct query {
    struct qnode *node;
    size_t nnode;
    struct qword *words;
    size_t nword;
    struct qinfl *infl;
    size_t ninfl;
    struct buf strings;
    int root;
    bool packed; /* one allocation holds it all (query_compile's result) */
};

/* A prepared field's words by hash: each word-like position (word, number,
 * hashtag) under the hash of its folded form, and under that of the part
 * before each apostrophe (its possessive's word). pos is the position, len
 * the length of the hashed part; hash 0 marks an empty slot. */
struct qslot {
    uint64_t hash;
    uint16_t pos, len;
};

/* A field of a document as the evaluator reads it: the positions of its
 * tokens (punctuation skipped) and, when prepared by a query set, each
 * position's base-folded form, so words compare by memcmp. */
struct qview {
    const struct text_tokens *t;
    int npos;
    uint16_t pos[TEXT_MAX_TOKENS];
    const char *fold;     /* NULL: fold while comparing */
    const uint32_t *foff; /* position -> offset in fold */
    const uint16_t *flen;
    const uint64_t *fhash;   /* text_hash of each folded form */
    const uint8_t *fapos;    /* whether it holds an apostrophe */
    const struct qslot *set; /* NULL: none */
    uint32_t setmask;
};

struct qdoc {
    const struct qview *view[QFIELD_COUNT]; /* NULL: the document has no such field */
    const char *lang;
};

/* Fills v's positions from t (NULL: none); no folds. */
void query_view_positions(struct qview *v, const struct text_tokens *t);
bool query_eval(const struct query *q, const struct qdoc *d);
/* Appends the base-folded form of folded (case-folded) text s[0..n). */
size_t query_base_fold(const char *s, size_t n, char *out);

#endif
