/* select: a small CSS selector matcher over libxml2's HTML tree, enough for
 * reading a forum's list of threads or a news page: type, '*', #id, .class,
 * [attr] and [attr OP value] (= ~= ^= $= *=), descendant and child
 * combinators, comma lists. No pseudo-classes, no sibling combinators.
 * Matching runs right to left, as browsers do. */
#include "listen/listen.h"

#include <assert.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CSS_MAX_LEN   1000
#define CSS_MAX_PARTS 32

enum attr_op { A_HAS, A_EQ, A_WORD, A_PREFIX, A_SUFFIX, A_SUBSTR };

struct css_attr {
    char *name, *value;
    enum attr_op op;
};

/* One compound: type#id.class[attr]..., and how it joins the one before. */
struct compound {
    char *type; /* NULL: any */
    char *id;
    char **classes;
    size_t n_classes;
    struct css_attr *attrs;
    size_t n_attrs;
    bool child; /* joined to the previous compound by '>' (else descendant) */
};

struct complex {
    struct compound *parts;
    size_t n;
};

struct css_selector {
    struct complex *alts;
    size_t n;
};

static bool ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || (unsigned char)c >= 0x80;
}

static char *ident(const char **p)
{
    const char *s = *p;
    while (ident_char(**p))
        (*p)++;
    if (*p == s)
        return NULL;
    char *out = xmalloc((size_t)(*p - s) + 1);
    memcpy(out, s, (size_t)(*p - s));
    out[*p - s] = '\0';
    return out;
}

static void compound_free(struct compound *c)
{
    free(c->type);
    free(c->id);
    for (size_t i = 0; i < c->n_classes; i++)
        free(c->classes[i]);
    free(c->classes);
    for (size_t i = 0; i < c->n_attrs; i++) {
        free(c->attrs[i].name);
        free(c->attrs[i].value);
    }
    free(c->attrs);
}

void css_free(struct css_selector *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        for (size_t j = 0; j < s->alts[i].n; j++)
            compound_free(&s->alts[i].parts[j]);
        free(s->alts[i].parts);
    }
    free(s->alts);
    free(s);
}

static int bad(struct error *err, const char *sel, const char *at, const char *what)
{
    return error_field(err, ERR_INVALID, "selector", "'%s', column %d: %s", sel,
                       (int)(at - sel) + 1, what);
}

/* [name], [name=value], [name="value"], [name~=value], ... */
static int parse_attr(const char *sel, const char **p, struct css_attr *a, struct error *err)
{
    (*p)++; /* '[' */
    while (**p == ' ')
        (*p)++;
    if (!(a->name = ident(p)))
        return bad(err, sel, *p, "an attribute name was expected");
    while (**p == ' ')
        (*p)++;
    a->op = A_HAS;
    if (**p == ']') {
        (*p)++;
        return 0;
    }
    static const struct {
        const char *s;
        enum attr_op op;
    } ops[] = {{"=", A_EQ}, {"~=", A_WORD}, {"^=", A_PREFIX}, {"$=", A_SUFFIX}, {"*=", A_SUBSTR}};
    size_t k;
    for (k = 0; k < ARRAY_LEN(ops); k++)
        if (!strncmp(*p, ops[k].s, strlen(ops[k].s)))
            break;
    if (k == ARRAY_LEN(ops))
        return bad(err, sel, *p, "'=', '~=', '^=', '$=', '*=' or ']' was expected");
    a->op = ops[k].op;
    *p += strlen(ops[k].s);
    while (**p == ' ')
        (*p)++;
    if (**p == '"' || **p == '\'') {
        char q = *(*p)++;
        const char *end = strchr(*p, q);
        if (!end)
            return bad(err, sel, *p, "the quoted value does not end");
        a->value = xmalloc((size_t)(end - *p) + 1);
        memcpy(a->value, *p, (size_t)(end - *p));
        a->value[end - *p] = '\0';
        *p = end + 1;
    } else if (!(a->value = ident(p))) {
        return bad(err, sel, *p, "a value was expected");
    }
    while (**p == ' ')
        (*p)++;
    if (**p != ']')
        return bad(err, sel, *p, "']' was expected");
    (*p)++;
    return 0;
}

static int parse_compound(const char *sel, const char **p, struct compound *c, struct error *err)
{
    const char *start = *p;
    if (**p == '*') {
        (*p)++;
    } else if (ident_char(**p)) {
        c->type = ident(p);
    }
    for (;;) {
        if (**p == '#') {
            (*p)++;
            if (c->id)
                return bad(err, sel, *p, "two ids in one compound");
            if (!(c->id = ident(p)))
                return bad(err, sel, *p, "an id was expected after '#'");
        } else if (**p == '.') {
            (*p)++;
            char *cl = ident(p);
            if (!cl)
                return bad(err, sel, *p, "a class was expected after '.'");
            c->classes = xrealloc(c->classes, (c->n_classes + 1) * sizeof *c->classes);
            c->classes[c->n_classes++] = cl;
        } else if (**p == '[') {
            c->attrs = xrealloc(c->attrs, (c->n_attrs + 1) * sizeof *c->attrs);
            memset(&c->attrs[c->n_attrs], 0, sizeof *c->attrs);
            c->n_attrs++;
            if (parse_attr(sel, p, &c->attrs[c->n_attrs - 1], err))
                return -1;
        } else {
            break;
        }
    }
    if (*p == start)
        return bad(err, sel, *p,
                   **p == ':' ? "pseudo-classes are not supported"
                   : **p == '+' || **p == '~'
                       ? "sibling combinators are not supported"
                       : "a type, '*', '#id', '.class' or '[attr]' was expected");
    return 0;
}

struct css_selector *css_compile(const char *sel, struct error *err)
{
    if (!sel || !*sel || strlen(sel) > CSS_MAX_LEN) {
        error_field(err, ERR_INVALID, "selector", "a selector is 1 to %d characters", CSS_MAX_LEN);
        return NULL;
    }
    struct css_selector *s = xcalloc(1, sizeof *s);
    const char *p = sel;
    for (;;) {
        s->alts = xrealloc(s->alts, (s->n + 1) * sizeof *s->alts);
        struct complex *cx = &s->alts[s->n++];
        memset(cx, 0, sizeof *cx);
        bool child = false;
        while (*p == ' ' || *p == '\t')
            p++;
        for (;;) {
            if (cx->n == CSS_MAX_PARTS) {
                bad(err, sel, p, "too many compounds");
                goto fail;
            }
            cx->parts = xrealloc(cx->parts, (cx->n + 1) * sizeof *cx->parts);
            struct compound *c = &cx->parts[cx->n++];
            memset(c, 0, sizeof *c);
            c->child = child;
            if (parse_compound(sel, &p, c, err))
                goto fail;
            bool space = false;
            while (*p == ' ' || *p == '\t') {
                p++;
                space = true;
            }
            child = false;
            if (*p == '>') {
                child = true;
                p++;
                while (*p == ' ' || *p == '\t')
                    p++;
            } else if (!*p || *p == ',') {
                break;
            } else if (!space) {
                bad(err, sel, p,
                    *p == ':'                ? "pseudo-classes are not supported"
                    : *p == '+' || *p == '~' ? "sibling combinators are not supported"
                                             : "unexpected character");
                goto fail;
            }
        }
        if (!*p)
            break;
        p++; /* ',' */
    }
    return s;
fail:
    css_free(s);
    return NULL;
}

static bool has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f')
            p++;
        const char *e = p;
        while (*e && !(*e == ' ' || *e == '\t' || *e == '\n' || *e == '\r' || *e == '\f'))
            e++;
        if ((size_t)(e - p) == n && !strncmp(p, word, n))
            return true;
        p = e;
    }
    return false;
}

static bool attr_ok(xmlNode *n, const struct css_attr *a)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)a->name);
    if (!v)
        return false;
    const char *s = (const char *)v;
    assert(a->op == A_HAS || a->value); /* parse_attr gives every other op a value */
    size_t sn = strlen(s), vn = a->value ? strlen(a->value) : 0;
    bool ok = false;
    switch (a->op) {
    case A_HAS:
        ok = true;
        break;
    case A_EQ:
        ok = !strcmp(s, a->value);
        break;
    case A_WORD:
        ok = vn && has_word(s, a->value);
        break;
    case A_PREFIX:
        ok = vn && !strncmp(s, a->value, vn);
        break;
    case A_SUFFIX:
        ok = vn && sn >= vn && !strcmp(s + sn - vn, a->value);
        break;
    case A_SUBSTR:
        ok = vn && strstr(s, a->value);
        break;
    }
    xmlFree(v);
    return ok;
}

static bool compound_ok(xmlNode *n, const struct compound *c)
{
    if (!n || n->type != XML_ELEMENT_NODE)
        return false;
    /* HTML's names are case-insensitive; libxml2's HTML parser lowers them. */
    if (c->type && strcasecmp((const char *)n->name, c->type))
        return false;
    if (c->id) {
        xmlChar *id = xmlGetProp(n, (const xmlChar *)"id");
        bool ok = id && !strcmp((const char *)id, c->id);
        xmlFree(id);
        if (!ok)
            return false;
    }
    if (c->n_classes) {
        xmlChar *cl = xmlGetProp(n, (const xmlChar *)"class");
        bool ok = cl != NULL;
        for (size_t i = 0; ok && i < c->n_classes; i++)
            ok = has_word((const char *)cl, c->classes[i]);
        xmlFree(cl);
        if (!ok)
            return false;
    }
    for (size_t i = 0; i < c->n_attrs; i++)
        if (!attr_ok(n, &c->attrs[i]))
            return false;
    return true;
}

static xmlNode *element_parent(xmlNode *n)
{
    n = n->parent;
    return n && n->type == XML_ELEMENT_NODE ? n : NULL;
}

/* Does n match parts[0..k] with parts[k] at n? Backtracks over ancestors
 * for descendant combinators. Backtracking can be exponential in the
 * number of compounds on a deep tree ("p div div div" over nested divs
 * without a p), so each element gets a budget of steps; past it, the
 * element does not match. */
#define CSS_STEPS_PER_ELEMENT 20000

static bool complex_ok(xmlNode *n, const struct complex *cx, size_t k, long *budget)
{
    if (--*budget < 0 || !compound_ok(n, &cx->parts[k]))
        return false;
    if (k == 0)
        return true;
    if (cx->parts[k].child)
        return complex_ok(element_parent(n), cx, k - 1, budget);
    for (xmlNode *a = element_parent(n); a && *budget > 0; a = element_parent(a))
        if (complex_ok(a, cx, k - 1, budget))
            return true;
    return false;
}

static bool matches(const struct css_selector *s, xmlNode *n)
{
    long budget = CSS_STEPS_PER_ELEMENT;
    for (size_t i = 0; i < s->n; i++)
        if (complex_ok(n, &s->alts[i], s->alts[i].n - 1, &budget))
            return true;
    return false;
}

static void walk(const struct css_selector *s, xmlNode *n, xmlNode **out, size_t max, size_t *count)
{
    for (; n && *count < max; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (matches(s, n))
            out[(*count)++] = n;
        walk(s, n->children, out, max, count);
    }
}

size_t css_select(const struct css_selector *s, xmlNode *root, xmlNode **out, size_t max)
{
    size_t count = 0;
    if (s && root)
        walk(s, root->children, out, max, &count);
    return count;
}
