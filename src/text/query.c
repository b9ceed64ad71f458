/* query: compiler and plain evaluator of the boolean query language
 * (query.h, docs/query-language.md). The compiler is a recursive-descent
 * parser over a small lexer; every limit is checked there, so matching
 * never fails. Terms are run through the same tokenizer as the texts, then
 * stripped of diacritics, so a query means what the tokenizer sees. */
#include "text/query_internal.h"
#include "text/text_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- lexer ----------------------------------------------------------- */

enum qtok { T_END, T_LPAREN, T_RPAREN, T_AND, T_OR, T_NOT, T_NEAR, T_PHRASE, T_WORD, T_FIELD };

struct parser {
    const char *src;
    size_t pos;    /* byte offset of the next token */
    enum qtok tok; /* the current token */
    size_t tstart; /* its first byte */
    size_t tlen;   /* its length (phrase: without the quotes) */
    int near;      /* n of a T_NEAR */
    bool exact;    /* T_WORD / T_PHRASE written with a leading '=' */
    int tfield;    /* T_FIELD: which (QF_*, or QFIELD_COUNT for lang:) */
    int field;     /* the field the terms being parsed are in */
    int depth;
    struct query *q;
    struct text_tokens *tt;
    struct error *err;
};

#define F_LANG QFIELD_COUNT /* lang: is a field of the parser, not of documents */

static const char *const field_names[] = {[QFIELD_TEXT] = "",
                                          [QFIELD_TITLE] = "title",
                                          [QFIELD_AUTHOR] = "author",
                                          [QFIELD_SOURCE] = "source",
                                          [F_LANG] = "lang"};

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

static bool ends_chunk(char c)
{
    return !c || is_space(c) || c == '(' || c == ')' || c == '"';
}

static int next(struct parser *p)
{
    const char *s = p->src;
    while (is_space(s[p->pos]))
        p->pos++;
    p->tstart = p->pos;
    p->exact = false;
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
    /* "=Kela", "=\"Svenska Dagbladet\"": exact case, as written. */
    if (c == '=' && (!ends_chunk(s[p->pos + 1]) || s[p->pos + 1] == '"')) {
        p->exact = true;
        c = s[++p->pos];
        p->tstart = p->pos;
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
    while (!ends_chunk(s[e]))
        e++;
    p->tlen = e - p->pos;
    const char *w = s + p->pos;
    if (!p->exact) {
        /* "title:pension", "author:(a OR b)": a field name (lower case)
         * and a colon, with the term right after it. */
        for (int f = QFIELD_TITLE; f <= F_LANG; f++) {
            size_t n = strlen(field_names[f]);
            if (p->tlen > n && memcmp(w, field_names[f], n) == 0 && w[n] == ':') {
                p->tok = T_FIELD;
                p->tfield = f;
                p->tlen = n + 1;
                p->pos += n + 1;
                if (ends_chunk(s[p->pos]) && s[p->pos] != '(' && s[p->pos] != '"')
                    return fail_at(p, p->tstart,
                                   "a field needs a word, phrase or ( ) right after its ':'");
                return 0;
            }
            if (p->tlen == n + 1 && memcmp(w, field_names[f], n) == 0 && w[n] == ':') {
                if (s[e] == '(' || s[e] == '"') {
                    p->tok = T_FIELD;
                    p->tfield = f;
                    p->pos = e;
                    return 0;
                }
                return fail_at(p, p->tstart,
                               "a field needs a word, phrase or ( ) right after its ':'");
            }
        }
    }
    p->pos = e;
    if (p->exact) {
        p->tok = T_WORD;
        return 0;
    }
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

size_t query_base_fold(const char *s, size_t n, char *out)
{
    const char *end = s + n;
    size_t o = 0;
    while (s < end) {
        if ((unsigned char)*s < 0x80) { /* folded ASCII is its own base */
            out[o++] = *s++;
            continue;
        }
        int32_t c = utf8_decode(&s, end);
        uint32_t b = c < 0 ? 0 : text_fold_base((uint32_t)c);
        if (b)
            o += utf8_encode(b, out + o);
    }
    return o;
}

/* Appends the base-folded s[0..n) to q's strings; *off and *len say where. */
static void put_folded(struct query *q, const char *s, size_t n, uint32_t *off, uint32_t *len)
{
    buf_reserve(&q->strings, 4 * n + 1);
    *off = (uint32_t)q->strings.len;
    size_t m = query_base_fold(s, n, q->strings.data + q->strings.len);
    q->strings.len += m;
    q->strings.data[q->strings.len] = '\0';
    *len = (uint32_t)m;
}

/* The stems and base forms an inflected word (its case-folded form
 * norm[0..n)) matches by. */
static void add_inflections(struct query *q, struct qword *w, const char *norm, size_t n)
{
    struct qinfl *f = &q->infl[q->ninfl];
    w->infl = (int32_t)q->ninfl++;
    static const enum text_lang langs[3] = {LANG_SV, LANG_FI, LANG_EN};
    for (int l = 0; l < 3; l++) {
        char stem[TEXT_STEM_MAX];
        size_t sn = text_stem(langs[l], norm, n, stem, sizeof stem);
        put_folded(q, stem, sn, &f->stem_off[l], &f->stem_len[l]);
    }
    char lem[QUERY_MAX_LEMMAS][TEXT_STEM_MAX];
    size_t nl = text_lemmas_fi(norm, n, lem, QUERY_MAX_LEMMAS);
    f->lem_off[0] = w->off; /* the word is its own base form */
    f->lem_len[0] = w->len;
    f->nlem = 1;
    for (size_t i = 0; i < nl; i++) {
        put_folded(q, lem[i], strlen(lem[i]), &f->lem_off[f->nlem], &f->lem_len[f->nlem]);
        f->nlem++;
    }
}

/* Appends the words of one whitespace-free chunk src[0..n), at byte `at` of
 * the query. A trailing '*' makes the last word a prefix, a trailing '~'
 * inflected. */
static int add_chunk(struct parser *p, const char *src, size_t n, size_t at, bool exact)
{
    struct query *q = p->q;
    bool prefix = n > 0 && src[n - 1] == '*';
    bool inflect = n > 0 && src[n - 1] == '~';
    if (prefix || inflect)
        n--;
    const char *star = memchr(src, '*', n);
    if (star)
        return fail_at(p, at + (size_t)(star - src), "'*' only ends a word: pens*");
    const char *tilde = memchr(src, '~', n);
    if (tilde)
        return fail_at(p, at + (size_t)(tilde - src), "'~' only ends a word: pension~");
    if (inflect && exact)
        return fail_at(p, at + n, "a word is either exact (=) or inflected (~), not both");
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
        w->exact = exact;
        w->infl = -1;
        /* Strip diacritics now, once; texts are stripped as they are matched. */
        put_folded(q, p->tt->norm + k->norm, k->nlen, &w->off, &w->len);
        w->hash = text_hash(q->strings.data + w->off, w->len);
        if (exact) {
            /* A hashtag's '#' is in what it was written as: compare the
             * rest, as for a word (which matches hashtags too). */
            const char *x = src + k->off;
            size_t xn = k->len;
            if (k->kind == TOK_HASHTAG || k->kind == TOK_MENTION) {
                x++;
                xn--;
            }
            buf_reserve(&q->strings, xn + 1);
            w->xoff = (uint32_t)q->strings.len;
            w->xlen = (uint32_t)xn;
            buf_append(&q->strings, x, xn);
        }
        added++;
    }
    if (prefix || inflect) {
        const char *mark =
            prefix ? "'*' must follow a word: pens*" : "'~' must follow a word: pension~";
        if (!added || q->words[q->nword - 1].kind == TOK_URL ||
            q->words[q->nword - 1].kind == TOK_EMOJI || q->words[q->nword - 1].kind == TOK_EMOTICON)
            return fail_at(p, at + n, mark);
        struct qword *w = &q->words[q->nword - 1];
        if (prefix) {
            int chars = 0;
            for (uint32_t i = 0; i < w->len; i++)
                chars += ((unsigned char)q->strings.data[w->off + i] & 0xC0) != 0x80;
            if (chars < QUERY_MIN_PREFIX)
                return fail_at(p, at, "a wildcard needs at least 3 letters before '*'");
            w->prefix = true;
        } else {
            const struct token *k = &p->tt->tok[p->tt->n - 1];
            for (size_t i = p->tt->n; i-- > 0;)
                if (p->tt->tok[i].kind != TOK_PUNCT) {
                    k = &p->tt->tok[i];
                    break;
                }
            add_inflections(q, w, p->tt->norm + k->norm, k->nlen);
        }
    }
    return (int)added;
}

static int parse_or(struct parser *p);

/* lang:sv, lang:(sv OR fi): a language subtag of two or three letters. */
static int lang_term(struct parser *p)
{
    if (p->tok != T_WORD || p->exact)
        return fail_at(p, p->tstart, "lang: takes a language code: lang:sv");
    const char *s = p->src + p->tstart;
    if (p->tlen < 2 || p->tlen > 3)
        return fail_at(p, p->tstart, "lang: takes a language code of two or three letters");
    struct qnode n = {.op = Q_LANG};
    for (size_t i = 0; i < p->tlen; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c < 'a' || c > 'z')
            return fail_at(p, p->tstart + i, "lang: takes a language code of letters: lang:sv");
        n.lang[i] = c;
    }
    if (next(p) < 0)
        return -1;
    return add_node(p, n);
}

static int parse_primary(struct parser *p)
{
    if (p->tok == T_FIELD) {
        if (p->field != QFIELD_TEXT)
            return fail_at(p, p->tstart, "fields do not nest: one field per term or group");
        p->field = p->tfield;
        if (next(p) < 0)
            return -1;
        if (p->tok != T_LPAREN && p->tok != T_WORD && p->tok != T_PHRASE)
            return fail_at(p, p->tstart, "a field needs a word, phrase or ( ) right after its ':'");
        int n = parse_primary(p);
        p->field = QFIELD_TEXT;
        return n;
    }
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
    if (p->field == F_LANG && (p->tok == T_WORD || p->tok == T_PHRASE))
        return lang_term(p);
    if (p->tok == T_WORD || p->tok == T_PHRASE) {
        struct qnode n = {.op = Q_WORDS, .word = (uint32_t)p->q->nword, .field = (uint8_t)p->field};
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
            if (j > i && add_chunk(p, s + i, j - i, at + i, p->exact) < 0)
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
 * phrases, or ORs of them: things with positions, in one field (the title
 * and the text count as one, see parse_near). Returns the field, or -1. */
static int positional(const struct query *q, int n)
{
    const struct qnode *x = &q->node[n];
    if (x->op == Q_WORDS)
        return x->field;
    if (x->op != Q_OR)
        return -1;
    int a = positional(q, x->a), b = positional(q, x->b);
    return a >= 0 && a == b ? a : -1;
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
        int fa = positional(p->q, a), fb = positional(p->q, b);
        if (fa < 0)
            return fail_at(p, left_at, "NEAR/n needs words, phrases or ORs of them on each side");
        if (fb < 0)
            return fail_at(p, right_at, "NEAR/n needs words, phrases or ORs of them on each side");
        /* The text begins with the title (struct query_doc), so a title's
         * position is the text's too: those two may be compared. */
        bool title_text =
            (fa == QFIELD_TITLE && fb == QFIELD_TEXT) || (fa == QFIELD_TEXT && fb == QFIELD_TITLE);
        if (fa != fb && !title_text)
            return fail_at(p, right_at,
                           "NEAR/n compares positions within one field (or between title: and "
                           "the text)");
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
    return t == T_WORD || t == T_PHRASE || t == T_LPAREN || t == T_NOT || t == T_FIELD;
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
 * matches only by absence ("NOT bank") or by language alone ("lang:sv")
 * would tag nearly every text. */
static bool needs_presence(const struct query *q, int n)
{
    const struct qnode *x = &q->node[n];
    switch (x->op) {
    case Q_WORDS:
    case Q_NEAR:
        return true;
    case Q_NOT:
    case Q_LANG:
        return false;
    case Q_AND:
        return needs_presence(q, x->a) || needs_presence(q, x->b);
    case Q_OR:
        return needs_presence(q, x->a) && needs_presence(q, x->b);
    }
    return false;
}

static size_t up8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* Room was made for the limits while parsing; the query keeps what it uses
 * in one block, so that the many queries of a set cost few cache lines
 * each when they are evaluated. */
static struct query *pack(struct query *q)
{
    size_t at = up8(sizeof *q), words = at;
    at = up8(at + q->nword * sizeof *q->words);
    size_t nodes = at;
    at = up8(at + q->nnode * sizeof *q->node);
    size_t infl = at;
    at = up8(at + q->ninfl * sizeof *q->infl);
    size_t strings = at;
    at += q->strings.len + 1;
    char *blk = xmalloc(at);
    struct query *p = (struct query *)(void *)blk;
    *p = *q;
    p->words = (struct qword *)(void *)(blk + words);
    memcpy(p->words, q->words, q->nword * sizeof *q->words);
    p->node = (struct qnode *)(void *)(blk + nodes);
    memcpy(p->node, q->node, q->nnode * sizeof *q->node);
    p->infl = q->ninfl ? (struct qinfl *)(void *)(blk + infl) : NULL;
    if (q->ninfl)
        memcpy(p->infl, q->infl, q->ninfl * sizeof *q->infl);
    p->strings = (struct buf){.data = blk + strings, .len = q->strings.len};
    memcpy(p->strings.data, q->strings.data, q->strings.len + 1);
    p->packed = true;
    query_free(q);
    return p;
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
    p.q->infl = xcalloc(QUERY_MAX_TERMS, sizeof *p.q->infl);
    buf_reserve(&p.q->strings, len + 1);
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
                "query only excludes or narrows (NOT, lang:); add a term it must find (alone "
                "it would tag nearly everything)");
        goto fail;
    }
    free(p.tt);
    return pack(p.q);
fail:
    free(p.tt);
    query_free(p.q);
    return NULL;
}

void query_free(struct query *q)
{
    if (!q)
        return;
    if (q->packed) {
        free(q);
        return;
    }
    free(q->node);
    free(q->words);
    free(q->infl);
    buf_free(&q->strings);
    free(q);
}

/* ---- matching -------------------------------------------------------- */

/* The token at position i of v as its base-folded form, into buf (room for
 * 4 * TEXT_MAX_BYTES is never needed: a token's norm is at most that). */
static const char *folded(const struct qview *v, int i, char *buf, size_t *n)
{
    if (v->fold) {
        *n = v->flen[i];
        return v->fold + v->foff[i];
    }
    const struct token *k = &v->t->tok[v->pos[i]];
    *n = query_base_fold(v->t->norm + k->norm, k->nlen, buf);
    return buf;
}

/* The base-folded token f[0..fn) against the word: equal, the word and an
 * apostrophe ("kela's" is about Kela), or, for a prefix, starting with it. */
static bool fold_equal(const char *want, size_t wn, bool prefix, const char *f, size_t fn)
{
    if (fn < wn || memcmp(f, want, wn) != 0)
        return false;
    return fn == wn || prefix || f[wn] == '\'';
}

/* Exact case: the token as written is the word as written (a hashtag's
 * '#' aside), its possessive, or for a prefix starts with it. */
static bool exact_match(const struct query *q, const struct qword *w, const struct text_tokens *t,
                        const struct token *k)
{
    const char *s = t->src + k->off;
    size_t n = k->len;
    if (k->kind == TOK_HASHTAG || k->kind == TOK_MENTION) {
        s++;
        n--;
    }
    const char *want = q->strings.data + w->xoff;
    size_t wn = w->xlen;
    if (n < wn || memcmp(s, want, wn) != 0)
        return false;
    return n == wn || w->prefix || s[wn] == '\'' ||
           (n >= wn + 3 && memcmp(s + wn, "\xe2\x80\x99", 3) == 0);
}

static size_t first_chars(const char *s, size_t n, int chars)
{
    size_t i = 0;
    for (int c = 0; i < n && c < chars; c++) {
        i++;
        while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
    }
    return i;
}

/* An inflected form: the token starts with the word's first three letters
 * and has its stem in the text's language (all three when unknown), or in
 * Finnish one of its base forms. */
static bool inflected_match(const struct query *q, const struct qword *w, const struct qdoc *d,
                            const struct token *k, const struct text_tokens *t, const char *f,
                            size_t fn)
{
    const char *want = q->strings.data + w->off;
    size_t p3 = first_chars(want, w->len, QUERY_MIN_PREFIX);
    int chars = 0;
    for (size_t i = 0; i < p3; i++)
        chars += ((unsigned char)want[i] & 0xC0) != 0x80;
    if (chars < QUERY_MIN_PREFIX) /* "tv~": too short to tell its forms apart */
        return false;
    if (fn < p3 || memcmp(f, want, p3) != 0)
        return false;
    const struct qinfl *in = &q->infl[w->infl];
    const char *norm = t->norm + k->norm;
    int lang = d->lang && d->lang[0] ? text_lang_parse(d->lang) : -1;
    bool any = lang < 0 || lang > LANG_EN;
    static const enum text_lang langs[3] = {LANG_SV, LANG_FI, LANG_EN};
    for (int l = 0; l < 3; l++) {
        if (!any && langs[l] != (enum text_lang)lang)
            continue;
        char stem[TEXT_STEM_MAX], sf[4 * TEXT_STEM_MAX];
        size_t sn = text_stem(langs[l], norm, k->nlen, stem, sizeof stem);
        size_t sfn = query_base_fold(stem, sn, sf);
        if (sfn == in->stem_len[l] && memcmp(sf, q->strings.data + in->stem_off[l], sfn) == 0)
            return true;
        if (langs[l] == LANG_FI && in->nlem) {
            char lem[QUERY_MAX_LEMMAS][TEXT_STEM_MAX];
            size_t nl = text_lemmas_fi(norm, k->nlen, lem, QUERY_MAX_LEMMAS);
            for (size_t i = 0; i < nl; i++) {
                char lf[4 * TEXT_STEM_MAX];
                size_t lfn = query_base_fold(lem[i], strlen(lem[i]), lf);
                for (size_t j = 0; j < in->nlem; j++)
                    if (lfn == in->lem_len[j] &&
                        memcmp(lf, q->strings.data + in->lem_off[j], lfn) == 0)
                        return true;
            }
        }
    }
    return false;
}

static bool word_match(const struct query *q, const struct qword *w, const struct qdoc *d,
                       const struct qview *v, int i)
{
    const struct token *k = &v->t->tok[v->pos[i]];
    bool kind_ok = w->kind == TOK_WORD
                       ? (k->kind == TOK_WORD || k->kind == TOK_NUMBER || k->kind == TOK_HASHTAG)
                       : w->kind == k->kind;
    if (!kind_ok)
        return false;
    if (w->exact)
        return exact_match(q, w, v->t, k);
    /* Folded once per text (a query set's): a whole word is its hash,
     * unless an apostrophe could make it a possessive. */
    if (v->fold && !w->prefix && w->infl < 0 && !v->fapos[i])
        return v->fhash[i] == w->hash && v->flen[i] == w->len &&
               memcmp(v->fold + v->foff[i], q->strings.data + w->off, w->len) == 0;
    char buf[1024], *big = NULL;
    size_t fn;
    const char *f;
    if (!v->fold && 4 * (size_t)k->nlen > sizeof buf) {
        big = xmalloc(4 * (size_t)k->nlen + 4);
        f = folded(v, i, big, &fn);
    } else {
        f = folded(v, i, buf, &fn);
    }
    bool m = fold_equal(q->strings.data + w->off, w->len, w->prefix, f, fn);
    if (!m && w->infl >= 0)
        m = inflected_match(q, w, d, k, v->t, f, fn);
    if (big)
        free(big);
    return m;
}

struct span {
    int start, end; /* positions (punctuation skipped), inclusive */
};

#define MAX_SPANS 64

/* Spans where a Q_WORDS or OR-of-them node matches (up to max). */
static int spans(const struct query *q, const struct qdoc *d, int n, struct span *out, int max)
{
    const struct qnode *x = &q->node[n];
    if (x->op == Q_OR) {
        int got = spans(q, d, x->a, out, max);
        return got + spans(q, d, x->b, out + got, max - got);
    }
    const struct qview *v = d->view[x->field];
    if (!v)
        return 0;
    int got = 0;
    for (int i = 0; i + (int)x->nword <= v->npos && got < max; i++) {
        uint32_t j = 0;
        while (j < x->nword && word_match(q, &q->words[x->word + j], d, v, i + (int)j))
            j++;
        if (j == x->nword)
            out[got++] = (struct span){i, i + (int)x->nword - 1};
    }
    return got;
}

/* Whether whole word w (no wildcard, exact case or inflection) is in the
 * prepared field v, by its hash: one probe instead of a scan. 1 yes, 0 no,
 * -1 cannot tell (a colliding hash): scan. */
static int word_in_set(const struct query *q, const struct qword *w, const struct qview *v)
{
    uint64_t h = w->hash ? w->hash : 1;
    const char *want = q->strings.data + w->off;
    for (uint32_t i = (uint32_t)h & v->setmask;; i = (i + 1) & v->setmask) {
        const struct qslot *e = &v->set[i];
        if (!e->hash)
            return 0;
        if (e->hash != h || e->len != w->len)
            continue;
        const char *f = v->fold + v->foff[e->pos];
        if (memcmp(f, want, w->len) == 0 && (v->flen[e->pos] == w->len || f[w->len] == '\''))
            return 1;
        return -1;
    }
}

static bool eval(const struct query *q, const struct qdoc *d, int n)
{
    const struct qnode *x = &q->node[n];
    switch (x->op) {
    case Q_WORDS: {
        const struct qview *v = d->view[x->field];
        if (x->nword == 1 && v && v->set) {
            const struct qword *w = &q->words[x->word];
            if (w->kind == TOK_WORD && !w->prefix && !w->exact && w->infl < 0) {
                int in = word_in_set(q, w, v);
                if (in >= 0)
                    return in;
            }
        }
        struct span s;
        return spans(q, d, n, &s, 1) > 0;
    }
    case Q_LANG:
        return d->lang && strcmp(d->lang, x->lang) == 0;
    case Q_AND:
        return eval(q, d, x->a) && eval(q, d, x->b);
    case Q_OR:
        return eval(q, d, x->a) || eval(q, d, x->b);
    case Q_NOT:
        return !eval(q, d, x->a);
    case Q_NEAR: {
        struct span a[MAX_SPANS], b[MAX_SPANS];
        int na = spans(q, d, x->a, a, MAX_SPANS);
        int nb = na ? spans(q, d, x->b, b, MAX_SPANS) : 0;
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

bool query_eval(const struct query *q, const struct qdoc *d)
{
    return eval(q, d, q->root);
}

void query_view_positions(struct qview *v, const struct text_tokens *t)
{
    v->t = t;
    v->npos = 0;
    v->fold = NULL;
    v->set = NULL;
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        if (t->tok[i].kind != TOK_PUNCT)
            v->pos[v->npos++] = (uint16_t)i;
}

bool query_match_doc(const struct query *q, const struct query_doc *doc)
{
    struct qview views[QFIELD_COUNT];
    struct qdoc d = {.lang = doc->lang};
    for (int f = 0; f < QFIELD_COUNT; f++)
        if (doc->field[f]) {
            query_view_positions(&views[f], doc->field[f]);
            d.view[f] = &views[f];
        }
    return eval(q, &d, q->root);
}

bool query_match(const struct query *q, const struct text_tokens *t)
{
    struct query_doc d = {.field[QFIELD_TEXT] = t};
    return query_match_doc(q, &d);
}
