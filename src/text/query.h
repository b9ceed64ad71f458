/* query: the boolean query language of topic tags (and, later, of listening):
 * words, "quoted phrases", prefix wildcards (pens*), #hashtags, @mentions,
 * AND / OR / NOT, parentheses and NEAR/n. A query is compiled once and then
 * matched against every tokenized post; matching folds case and diacritics
 * the way the tokenizer does. Grammar and limits: docs/query-language.md. */
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

struct query;

/* Compiles src (NUL-terminated UTF-8). Returns the query, owned by the
 * caller (query_free), or NULL with err->msg naming the 1-based column (in
 * characters) of the problem, e.g. "column 14: ')' without '('", and
 * err->field "query". */
struct query *query_compile(const char *src, struct error *err);
/* Whether the tokenized text matches. Thread-safe; no allocation. */
bool query_match(const struct query *q, const struct text_tokens *t);
void query_free(struct query *q);

#endif
