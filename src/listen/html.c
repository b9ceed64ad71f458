/* html: turns the HTML that feeds put in titles and descriptions into
 * plain text, with libxml2's forgiving HTML parser, so that what the desk
 * shows and matches is text and never markup a browser would run. */
#include "listen/internal.h"
#include "listen/listen.h"

#include <ctype.h>
#include <libxml/HTMLparser.h>
#include <string.h>
#include <strings.h>

static bool is_block(const char *name)
{
    static const char *blocks[] = {"p",   "br",    "div", "li", "ul", "ol", "tr",
                                   "h1",  "h2",    "h3",  "h4", "h5", "h6", "blockquote",
                                   "pre", "table", "hr",  "dd", "dt"};
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++)
        if (strcasecmp(name, blocks[i]) == 0)
            return true;
    return false;
}

/* Appends text with runs of white space as one space; a pending break is
 * written before the next word only, so text never starts or ends blank. */
struct textout {
    struct buf *b;
    size_t start;
    bool space, brk;
};

static void put_text(struct textout *o, const char *s)
{
    for (; *s; s++) {
        if (isspace((unsigned char)*s)) {
            o->space = true;
            continue;
        }
        if (o->b->len > o->start) {
            if (o->brk)
                buf_putc(o->b, '\n');
            else if (o->space)
                buf_putc(o->b, ' ');
        }
        o->space = o->brk = false;
        buf_putc(o->b, *s);
    }
}

static void walk(xmlNode *n, struct textout *o, int depth)
{
    for (; n; n = n->next) {
        if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            if (n->content)
                put_text(o, (const char *)n->content);
        } else if (n->type == XML_ELEMENT_NODE && depth < 256) {
            const char *name = (const char *)n->name;
            if (strcasecmp(name, "script") == 0 || strcasecmp(name, "style") == 0 ||
                strcasecmp(name, "noscript") == 0 || strcasecmp(name, "template") == 0)
                continue;
            bool block = is_block(name);
            if (block)
                o->brk = true;
            walk(n->children, o, depth + 1);
            if (block)
                o->brk = true;
        }
    }
}

void listen_node_text(xmlNode *n, struct buf *out)
{
    struct textout o = {.b = out, .start = out->len};
    walk(n, &o, 0);
}

void feed_html_to_text(const char *html, size_t len, struct buf *out)
{
    struct textout o = {.b = out, .start = out->len};
    if (!memchr(html, '<', len) && !memchr(html, '&', len)) {
        struct buf tmp = {0};
        buf_append(&tmp, html, len);
        buf_putc(&tmp, '\0');
        put_text(&o, tmp.data);
        buf_free(&tmp);
        return;
    }
    /* The fragment goes in a body so the parser reads it as content, never
     * as a head of <title>s and <meta>s. */
    struct buf doc = {0};
    buf_puts(&doc, "<html><head><meta charset=\"utf-8\"></head><body>");
    buf_append(&doc, html, len);
    htmlDocPtr d = htmlReadMemory(doc.data, (int)doc.len, NULL, "UTF-8",
                                  HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                      HTML_PARSE_NONET);
    buf_free(&doc);
    if (!d)
        return;
    xmlNode *root = xmlDocGetRootElement(d);
    for (xmlNode *c = root ? root->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcasecmp((const char *)c->name, "body") == 0)
            walk(c->children, &o, 0);
    xmlFreeDoc(d);
}
