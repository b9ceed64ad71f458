/* query: the boolean query language of topic tags and of listening: words,
 * "quoted phrases", prefix wildcards (pens*), inflected forms (pension~),
 * exact case (=Kela), fields (title:, author:, source:, lang:), #hashtags,
 * @mentions, AND / OR / NOT, parentheses and NEAR/n. A query is compiled
 * once and then matched against every tokenized text; matching folds case
 * and diacritics the way the tokenizer does. Many queries are matched
 * together through a query_set, an index of their terms that picks the few
 * queries a text could match before any is evaluated. Grammar and limits:
 * docs/query-language.md. */
#ifndef KANAL_TEXT_QUERY_H
#define KANAL_TEXT_QUERY_H

#include <stdbool.h>

#include "base/base.h"
#include "text/text.h"

#define QUERY_MAX_BYTES  4096 /* source length */
#define QUERY_MAX_DEPTH  32   /* nesting of parentheses and operators */
#define QUERY_MAX_TERMS  256  /* words, counting each word of a phrase */
#define QUERY_MAX_PHRASE 16   /* words in one phrase */
#define QUERY_MAX_NEAR   100  /* the n of NEAR/n */
#define QUERY_MIN_PREFIX 3    /* letters before a '*' */
#define QUERY_MAX_LEMMAS 4    /* Finnish base forms kept per word */

struct query;

/* Compiles src (NUL-terminated UTF-8). Returns the query, owned by the
 * caller (query_free), or NULL with err->msg naming the 1-based column (in
 * characters) of the problem, e.g. "column 14: ')' without '('", and
 * err->field "query". */
struct query *query_compile(const char *src, struct error *err);
void query_free(struct query *q);

/* The parts of a document a query can look at. QFIELD_TEXT is what terms
 * without a field look in (for an item, its title and text together);
 * the others are what title:, author: and source: look in, NULL when the
 * document has none. When there is a title, the text must begin with it
 * (its words first, then the rest's: listening's "TITLE\nTEXT"), so that a
 * word's position in the title is its position in the text: a NEAR between
 * title: and unfielded terms compares those positions. lang is the
 * primary language subtag in lower case ("sv" for "sv-FI"), "" when
 * unknown: lang: compares it, and inflected terms (word~) read the text in
 * it (sv, fi, en; otherwise in all three). */
enum query_field { QFIELD_TEXT, QFIELD_TITLE, QFIELD_AUTHOR, QFIELD_SOURCE, QFIELD_COUNT };
struct query_doc {
    const struct text_tokens *field[QFIELD_COUNT];
    char lang[4];
};

/* Whether the document matches. Thread-safe; never fails. This is the
 * plain evaluator: every term checked against every word, nothing
 * indexed, so it is the reference the query set is tested against. */
bool query_match_doc(const struct query *q, const struct query_doc *d);
/* query_match_doc with only QFIELD_TEXT = t and no language (tag rules). */
bool query_match(const struct query *q, const struct text_tokens *t);

/* ---- many queries at once ------------------------------------------------
 * Each query is indexed under the terms one of which any text it matches
 * must hold (one word of each AND, every side of an OR); a text looks up
 * its own words (and their first letters, for wildcards) and only the
 * queries found are evaluated. One set is used by one thread at a time
 * (it keeps its scratch space). */
struct query_set;

struct query_set *query_set_new(void);
/* Adds q, which the set owns from now on; returns its number (0, 1, ...). */
uint32_t query_set_add(struct query_set *s, struct query *q);
uint32_t query_set_size(const struct query_set *s);
/* The numbers of the queries d matches, ascending, into out (room for
 * query_set_size); returns how many. Never fails. */
uint32_t query_set_match(struct query_set *s, const struct query_doc *d, uint32_t *out);
/* How many queries the last query_set_match evaluated (the candidates). */
uint32_t query_set_candidates(const struct query_set *s);
void query_set_free(struct query_set *s);

#endif
