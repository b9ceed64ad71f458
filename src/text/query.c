/* query: compiler and matcher of the boolean query language (query.h,
 * docs/query-language.md). The compiler is a recursive-descent parser over
 * a small lexer; every limit is checked there, so matching never fails and
 * never allocates. Terms are run through the same tokenizer as the texts,
 * then stripped of diacritics, so a query means what the tokenizer sees. */
#include "text/query.h"
#include "text/text_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One word of a term or phrase. */
struct qword {
    uint32_t off, len; /* base-folded form in q->strings */
    uint8_t kind;      /* TOK_WORD matches words, numbers and hashtags */
    bool prefix;
};

enum qop { Q_WORDS, Q_AND, Q_OR, Q_NOT, Q_NEAR };

struct qnode {
    enum qop op;
    int a, b;             /* children (node indices); b unused for NOT */
    int near;             /* n of NEAR/n */
    uint32_t word, nword; /* Q_WORDS: a phrase of nword words from q->words[word] */
};

struct query {
    struct qnode *node;
    size_t nnode;
    struct qword *words;
    size_t nword;
    char *strings;
    size_t nstrings;
    int root;
};

/* ---- lexer ----------------------------------------------------------- */

enum qtok { T_END, T_LPAREN, T_RPAREN, T_AND, T_OR, T_NOT, T_NEAR, T_PHRASE, T_WORD };

struct parser {
    const char *src;
    size_t pos;    /* byte offset of the next token */
    enum qtok tok; /* the current token */
    size_t tstart; /* its first byte */
    size_t tlen;   /* its length (phrase: without the quotes) */
    int near;      /* n of a T_NEAR */
    int depth;
    struct query *q;
    struct text_tokens *tt;
    struct error *err;
};

static int column(const char *src, size_t byte)
{
    int col = 1;
    for (size_t i = 0; i < byte && src[i]; i++)
        if (((unsigned char)src[i] & 0xC0) != 0x80)
            col++;
    return col;
}

static int fail_at(struct parser *p, size_t byte, const char *msg)
{
    error_field(p->err, ERR_INVALID, "query", "column %d: %s", column(p->src, byte), msg);
    return -1;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int next(struct parser *p)
{
    const char *s = p->src;
    while (is_space(s[p->pos]))
        p->pos++;
    p->tstart = p->pos;
    char c = s[p->pos];
    if (!c) {
        p->tok = T_END;
        return 0;
    }
    if (c == '(' || c == ')') {
        p->tok = c == '(' ? T_LPAREN : T_RPAREN;
        p->tlen = 1;
        p->pos++;
        return 0;
    }
    if (c == '"') {
        const char *close = strchr(s + p->pos + 1, '"');
        if (!close)
            return fail_at(p, p->pos, "phrase has no closing '\"'");
        p->tok = T_PHRASE;
        p->tstart = p->pos + 1;
        p->tlen = (size_t)(close - (s + p->pos + 1));
        p->pos = (size_t)(close - s) + 1;
        return 0;
    }
    size_t e = p->pos;
    while (s[e] && !is_space(s[e]) && s[e] != '(' && s[e] != ')' && s[e] != '"')
        e++;
    p->tlen = e - p->pos;
    const char *w = s + p->pos;
    p->pos = e;
    /* Operators are upper case only: "and", "or", "not" stay words. */
    if (p->tlen == 3 && memcmp(w, "AND", 3) == 0)
        p->tok = T_AND;
    else if (p->tlen == 2 && memcmp(w, "OR", 2) == 0)
        p->tok = T_OR;
    else if (p->tlen == 3 && memcmp(w, "NOT", 3) == 0)
        p->tok = T_NOT;
    else if (p->tlen >= 4 && memcmp(w, "NEAR", 4) == 0) {
        if (p->tlen < 6 || w[4] != '/')
            return fail_at(p, p->tstart, "NEAR needs a distance: NEAR/5");
        int n = 0;
        for (size_t i = 5; i < p->tlen; i++) {
            if (w[i] < '0' || w[i] > '9')
                return fail_at(p, p->tstart + i, "NEAR/n needs a whole number");
            n = n * 10 + (w[i] - '0');
            if (n > QUERY_MAX_NEAR)
                return fail_at(p, p->tstart + 5, "NEAR/n allows at most n = 100");
        }
        p->tok = T_NEAR;
        p->near = n;
    } else
        p->tok = T_WORD;
    return 0;
}

/* ---- building -------------------------------------------------------- */

static int add_node(struct parser *p, struct qnode n)
{
    struct query *q = p->q;
    /* Each term makes at most two nodes (itself and an operator). */
    if (q->nnode >= 2 * QUERY_MAX_TERMS + 2)
        return fail_at(p, p->tstart, "query has too many terms (at most 256)");
    q->node[q->nnode] = n;
    return (int)q->nnode++;
}

/* Appends the words of one whitespace-free chunk src[0..n), at byte `at` of
 * the query. A trailing '*' makes the last word a prefix. */
static int add_chunk(struct parser *p, const char *src, size_t n, size_t at)
{
    struct query *q = p->q;
    bool prefix = n > 0 && src[n - 1] == '*';
    if (prefix)
        n--;
    const char *star = memchr(src, '*', n);
    if (star)
        return fail_at(p, at + (size_t)(star - src), "'*' only ends a word: pens*");
    text_tokenize(p->tt, src, n);
    size_t added = 0;
    for (size_t i = 0; i < p->tt->n; i++) {
        const struct token *k = &p->tt->tok[i];
        if (k->kind == TOK_PUNCT)
            continue;
        if (q->nword >= QUERY_MAX_TERMS)
            return fail_at(p, at, "query has too many terms (at most 256)");
        struct qword *w = &q->words[q->nword++];
        w->kind = k->kind == TOK_NUMBER ? TOK_WORD : k->kind;
        w->prefix = false;
        w->off = (uint32_t)q->nstrings;
        /* Strip diacritics now, once; texts are stripped as they are matched. */
        const char *s = p->tt->norm + k->norm, *end = s + k->nlen;
        while (s < end) {
            int32_t c = utf8_decode(&s, end);
            uint32_t b = c < 0 ? 0 : text_fold_base((uint32_t)c);
            if (b)
                q->nstrings += utf8_encode(b, q->strings + q->nstrings);
        }
        w->len = (uint32_t)(q->nstrings - w->off);
        added++;
    }
    if (prefix) {
        if (!added || q->words[q->nword - 1].kind == TOK_URL ||
            q->words[q->nword - 1].kind == TOK_EMOJI || q->words[q->nword - 1].kind == TOK_EMOTICON)
            return fail_at(p, at + n, "'*' must follow a word: pens*");
        struct qword *w = &q->words[q->nword - 1];
        int chars = 0;
        for (uint32_t i = 0; i < w->len; i++)
            chars += ((unsigned char)q->strings[w->off + i] & 0xC0) != 0x80;
        if (chars < QUERY_MIN_PREFIX)
            return fail_at(p, at, "a wildcard needs at least 3 letters before '*'");
        w->prefix = true;
    }
    return (int)added;
}

static int parse_or(struct parser *p);

static int parse_primary(struct parser *p)
{
    if (p->tok == T_LPAREN) {
        size_t open = p->tstart;
        if (++p->depth > QUERY_MAX_DEPTH)
            return fail_at(p, open, "query nests too deep (at most 32 levels)");
        if (next(p) < 0)
            return -1;
        if (p->tok == T_RPAREN)
            return fail_at(p, p->tstart, "empty parentheses");
        int n = parse_or(p);
        if (n < 0)
            return -1;
        if (p->tok != T_RPAREN) {
            char msg[96];
            snprintf(msg, sizeof msg, "expected ')' to close the '(' at column %d",
                     column(p->src, open));
            return fail_at(p, p->tstart, msg);
        }
        p->depth--;
        return next(p) < 0 ? -1 : n;
    }
    if (p->tok == T_WORD || p->tok == T_PHRASE) {
        struct qnode n = {.op = Q_WORDS, .word = (uint32_t)p->q->nword};
        const char *s = p->src + p->tstart;
        size_t len = p->tlen, i = 0, at = p->tstart;
        /* A phrase is split at spaces into chunks; a bare word is one chunk
         * (which may still tokenize into several words: "e-post"). */
        while (i < len) {
            while (i < len && is_space(s[i]))
                i++;
            size_t j = i;
            while (j < len && !is_space(s[j]))
                j++;
            if (j > i && add_chunk(p, s + i, j - i, at + i) < 0)
                return -1;
            i = j;
        }
        n.nword = (uint32_t)p->q->nword - n.word;
        if (n.nword == 0)
            return fail_at(p, p->tstart,
                           p->tok == T_PHRASE ? "empty phrase"
                                              : "term has no letters, digits or emoji");
        if (n.nword > QUERY_MAX_PHRASE)
            return fail_at(p, p->tstart, "phrase is too long (at most 16 words)");
        if (next(p) < 0)
            return -1;
        return add_node(p, n);
    }
    switch (p->tok) {
    case T_END:
        return fail_at(p, p->tstart, "query ends where a term was expected");
    case T_RPAREN:
        return fail_at(p, p->tstart, "')' without '('");
    case T_AND:
    case T_OR:
        return fail_at(p, p->tstart, "operator without a term before it");
    case T_NEAR:
        return fail_at(p, p->tstart, "NEAR/n without a term before it");
    default:
        return fail_at(p, p->tstart, "expected a term");
    }
}

/* NEAR measures distances between matches, so both sides must be words,
 * phrases, or ORs of them: things with positions. */
static bool positional(const struct query *q, int n)
{
    const struct qnode *x = &q->node[n];
    if (x->op == Q_WORDS)
        return true;
    return x->op == Q_OR && positional(q, x->a) && positional(q, x->b);
}

static int parse_near(struct parser *p)
{
    size_t left_at = p->tstart;
    int a = parse_primary(p);
    while (a >= 0 && p->tok == T_NEAR) {
        int n = p->near;
        if (next(p) < 0)
            return -1;
        size_t right_at = p->tstart;
        int b = parse_primary(p);
        if (b < 0)
            return -1;
        if (!positional(p->q, a))
            return fail_at(p, left_at, "NEAR/n needs words, phrases or ORs of them on each side");
        if (!positional(p->q, b))
            return fail_at(p, right_at, "NEAR/n needs words, phrases or ORs of them on each side");
        a = add_node(p, (struct qnode){.op = Q_NEAR, .a = a, .b = b, .near = n});
        left_at = right_at;
        /* A chain "a NEAR/2 b NEAR/2 c" would need positions of a match of
         * a NEAR: say so rather than guess. */
        if (p->tok == T_NEAR)
            return fail_at(p, p->tstart, "chain NEAR with parentheses and AND instead");
    }
    return a;
}

static int parse_not(struct parser *p)
{
    if (p->tok == T_NOT) {
        if (++p->depth > QUERY_MAX_DEPTH)
            return fail_at(p, p->tstart, "query nests too deep (at most 32 levels)");
        if (next(p) < 0)
            return -1;
        int a = parse_not(p);
        p->depth--;
        return a < 0 ? -1 : add_node(p, (struct qnode){.op = Q_NOT, .a = a});
    }
    return parse_near(p);
}

static bool starts_term(enum qtok t)
{
    return t == T_WORD || t == T_PHRASE || t == T_LPAREN || t == T_NOT;
}

/* The two binary levels: OR over ANDs, AND over NOTs. Juxtaposition is
 * AND, as in web search: pension bank = pension AND bank. */
static int parse_binary(struct parser *p, enum qop op)
{
    int a = op == Q_OR ? parse_binary(p, Q_AND) : parse_not(p);
    for (;;) {
        bool more = op == Q_OR ? p->tok == T_OR : (p->tok == T_AND || starts_term(p->tok));
        if (a < 0 || !more)
            return a;
        if ((op == Q_OR || p->tok == T_AND) && next(p) < 0)
            return -1;
        int b = op == Q_OR ? parse_binary(p, Q_AND) : parse_not(p);
        if (b < 0)
            return -1;
        a = add_node(p, (struct qnode){.op = op, .a = a, .b = b});
    }
}

static int parse_or(struct parser *p)
{
    return parse_binary(p, Q_OR);
}

/* Whether the node can match on the presence of some term. A query that
 * matches only by absence ("NOT bank") would tag nearly every post. */
static bool needs_presence(const struct query *q, int n)
{
    const struct qnode *x = &q->node[n];
    switch (x->op) {
    case Q_WORDS:
    case Q_NEAR:
        return true;
    case Q_NOT:
        return false;
    case Q_AND:
        return needs_presence(q, x->a) || needs_presence(q, x->b);
    case Q_OR:
        return needs_presence(q, x->a) && needs_presence(q, x->b);
    }
    return false;
}

struct query *query_compile(const char *src, struct error *err)
{
    struct parser p = {.src = src, .err = err};
    size_t len = strlen(src);
    if (len > QUERY_MAX_BYTES) {
        error_field(err, ERR_LIMIT, "query", "column %d: query is longer than %d bytes",
                    column(src, QUERY_MAX_BYTES), QUERY_MAX_BYTES);
        return NULL;
    }
    if (!utf8_valid(src, len)) {
        const char *end = src + len;
        size_t bad = 0;
        for (const char *t = src; t < end;) {
            const char *before = t;
            if (utf8_decode(&t, end) < 0) {
                bad = (size_t)(before - src);
                break;
            }
        }
        error_field(err, ERR_INVALID, "query", "column %d: not valid UTF-8", column(src, bad));
        return NULL;
    }
    p.q = xcalloc(1, sizeof *p.q);
    p.q->node = xcalloc(2 * QUERY_MAX_TERMS + 2, sizeof *p.q->node);
    p.q->words = xcalloc(QUERY_MAX_TERMS, sizeof *p.q->words);
    p.q->strings = xmalloc(len + 1);
    p.tt = xmalloc(sizeof *p.tt);
    if (next(&p) < 0)
        goto fail;
    if (p.tok == T_END) {
        fail_at(&p, 0, "query is empty");
        goto fail;
    }
    p.q->root = parse_or(&p);
    if (p.q->root < 0)
        goto fail;
    if (p.tok != T_END) {
        fail_at(&p, p.tstart, p.tok == T_RPAREN ? "')' without '('" : "unexpected operator");
        goto fail;
    }
    if (!needs_presence(p.q, p.q->root)) {
        fail_at(&p, 0,
                "query only excludes; add a term it must find (NOT alone would tag "
                "nearly everything)");
        goto fail;
    }
    free(p.tt);
    return p.q;
fail:
    free(p.tt);
    query_free(p.q);
    return NULL;
}

void query_free(struct query *q)
{
    if (!q)
        return;
    free(q->node);
    free(q->words);
    free(q->strings);
    free(q);
}

/* ---- matching -------------------------------------------------------- */

/* Token norm (case-folded) against a base-folded query word. */
static bool word_match(const struct query *q, const struct qword *w, const struct text_tokens *t,
                       const struct token *k)
{
    bool kind_ok = w->kind == TOK_WORD
                       ? (k->kind == TOK_WORD || k->kind == TOK_NUMBER || k->kind == TOK_HASHTAG)
                       : w->kind == k->kind;
    if (!kind_ok)
        return false;
    const char *s = t->norm + k->norm, *end = s + k->nlen;
    const char *want = q->strings + w->off;
    size_t o = 0;
    while (s < end) {
        int32_t c = utf8_decode(&s, end);
        uint32_t b = c < 0 ? 0 : text_fold_base((uint32_t)c);
        if (!b)
            continue;
        if (b == '\'' && o == w->len) /* "kela's" is about Kela */
            return true;
        char enc[4];
        size_t n = utf8_encode(b, enc);
        if (o + n > w->len)
            return w->prefix && o == w->len;
        if (memcmp(want + o, enc, n) != 0)
            return false;
        o += n;
    }
    return o == w->len;
}

struct span {
    int start, end; /* positions (punctuation skipped), inclusive */
};

#define MAX_SPANS 64

struct ctx {
    const struct query *q;
    const struct text_tokens *t;
    const uint16_t *pos; /* positions -> token index */
    int npos;
};

/* Spans where a Q_WORDS or OR-of-them node matches (up to MAX_SPANS). */
static int spans(const struct ctx *c, int n, struct span *out, int max)
{
    const struct qnode *x = &c->q->node[n];
    if (x->op == Q_OR) {
        int got = spans(c, x->a, out, max);
        return got + spans(c, x->b, out + got, max - got);
    }
    int got = 0;
    for (int i = 0; i + (int)x->nword <= c->npos && got < max; i++) {
        uint32_t j = 0;
        while (j < x->nword &&
               word_match(c->q, &c->q->words[x->word + j], c->t, &c->t->tok[c->pos[i + (int)j]]))
            j++;
        if (j == x->nword)
            out[got++] = (struct span){i, i + (int)x->nword - 1};
    }
    return got;
}

static bool eval(const struct ctx *c, int n)
{
    const struct qnode *x = &c->q->node[n];
    switch (x->op) {
    case Q_WORDS: {
        struct span s;
        return spans(c, n, &s, 1) > 0;
    }
    case Q_AND:
        return eval(c, x->a) && eval(c, x->b);
    case Q_OR:
        return eval(c, x->a) || eval(c, x->b);
    case Q_NOT:
        return !eval(c, x->a);
    case Q_NEAR: {
        struct span a[MAX_SPANS], b[MAX_SPANS];
        int na = spans(c, x->a, a, MAX_SPANS);
        int nb = na ? spans(c, x->b, b, MAX_SPANS) : 0;
        for (int i = 0; i < na; i++)
            for (int j = 0; j < nb; j++) {
                /* words strictly between the two matches, either order */
                int gap =
                    a[i].start > b[j].end ? a[i].start - b[j].end - 1 : b[j].start - a[i].end - 1;
                if (gap <= x->near)
                    return true;
            }
        return false;
    }
    }
    return false;
}

bool query_match(const struct query *q, const struct text_tokens *t)
{
    uint16_t pos[TEXT_MAX_TOKENS];
    struct ctx c = {.q = q, .t = t, .pos = pos};
    for (size_t i = 0; i < t->n; i++)
        if (t->tok[i].kind != TOK_PUNCT)
            pos[c.npos++] = (uint16_t)i;
    return eval(&c, q->root);
}
