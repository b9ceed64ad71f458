/* feed: reads RSS 0.9x / 1.0 / 2.0, Atom 0.3 / 1.0 and JSON Feed into
 * struct feed. Feeds are often broken, so this reads what can be read:
 * the encoding is chosen from the HTTP header, the BOM and the XML prolog
 * (RFC 3023's order), bytes that do not decode fall back to windows-1252,
 * libxml2 runs in recover mode, and the feed is marked bozo instead of
 * refused. Links resolve against xml:base and the feed's URL. */
#include "listen/internal.h"
#include "listen/listen.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <jansson.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/uri.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- encodings ------------------------------------------------------- */

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

bool listen_charset(const char *ct, char *out, size_t cap)
{
    const char *p = ct ? strcasestr(ct, "charset=") : NULL;
    if (!p)
        return false;
    p += 8;
    while (*p == ' ')
        p++;
    if (*p == '"' || *p == '\'')
        p++;
    size_t n = 0;
    while (p[n] && !strchr("\"'; \t", p[n]) && n + 1 < cap)
        n++;
    memcpy(out, p, n);
    out[n] = '\0';
    lower(out);
    return n > 0;
}

/* The media type alone, lower case. */
static void media_type(const char *ct, char *out, size_t cap)
{
    size_t n = 0;
    while (ct && ct[n] && ct[n] != ';' && !isspace((unsigned char)ct[n]) && n + 1 < cap)
        n++;
    if (ct)
        memcpy(out, ct, n);
    out[n] = '\0';
    lower(out);
}

static const char *bom_encoding(const unsigned char *d, size_t len, size_t *skip)
{
    /* In order: UTF-32LE's mark starts with UTF-16LE's. The last two are
     * no mark but "<?" in a wide encoding: nothing to skip. */
    static const struct {
        const char *mark;
        size_t n, skip;
        const char *encoding;
    } marks[] = {
        {"\x00\x00\xfe\xff", 4, 4, "utf-32be"}, {"\xff\xfe\x00\x00", 4, 4, "utf-32le"},
        {"\xef\xbb\xbf", 3, 3, "utf-8"},        {"\xfe\xff", 2, 2, "utf-16be"},
        {"\xff\xfe", 2, 2, "utf-16le"},         {"\x00<\x00?", 4, 0, "utf-16be"},
        {"<\x00?\x00", 4, 0, "utf-16le"},
    };
    for (size_t i = 0; i < ARRAY_LEN(marks); i++)
        if (len >= marks[i].n && !memcmp(d, marks[i].mark, marks[i].n))
            return *skip = marks[i].skip, marks[i].encoding;
    *skip = 0;
    return NULL;
}

/* encoding="..." of the XML prolog, read as ASCII (so after a UTF-16 BOM it
 * is not found, and the BOM decides). */
static bool prolog_encoding(const char *d, size_t len, char *out, size_t cap)
{
    if (len < 5 || memcmp(d, "<?xml", 5) != 0)
        return false;
    const char *end = memchr(d, '>', len < 512 ? len : 512);
    if (!end)
        return false;
    for (const char *p = d; p + 8 < end; p++) {
        if (memcmp(p, "encoding", 8) != 0)
            continue;
        p += 8;
        while (p < end && (*p == ' ' || *p == '='))
            p++;
        if (p >= end || (*p != '"' && *p != '\''))
            return false;
        char q = *p++;
        size_t n = 0;
        while (p + n < end && p[n] != q && n + 1 < cap)
            n++;
        memcpy(out, p, n);
        out[n] = '\0';
        lower(out);
        return n > 0;
    }
    return false;
}

/* Converts to UTF-8 into out; false if the encoding is unknown or a byte
 * does not decode. */
static bool to_utf8(const char *d, size_t len, const char *enc, struct buf *out)
{
    const char *name = enc;
    if (!strcmp(enc, "us-ascii") || !strcmp(enc, "ascii"))
        name = "ASCII";
    /* What browsers do: the C1 bytes of Latin-1 are windows-1252's quotes. */
    if (!strcmp(enc, "iso-8859-1") || !strcmp(enc, "latin-1") || !strcmp(enc, "latin1"))
        name = "WINDOWS-1252";
    iconv_t cd = iconv_open("UTF-8", name);
    if (cd == (iconv_t)-1)
        return false;
    buf_reset(out);
    buf_reserve(out, len * 2 + 16);
    char *in = (char *)d;
    size_t left = len;
    bool ok = true;
    while (left > 0) {
        buf_reserve(out, left * 4 + 16);
        char *o = out->data + out->len;
        size_t room = out->cap - out->len - 1;
        size_t r = iconv(cd, &in, &left, &o, &room);
        out->len = (size_t)(o - out->data);
        if (r == (size_t)-1 && errno != E2BIG) {
            ok = false;
            break;
        }
    }
    iconv_close(cd);
    out->data[out->len] = '\0';
    return ok;
}

/* HTML's named entities (&nbsp;, &eacute;) are not XML's, but feeds use
 * them everywhere; written as numeric references they parse. Left alone
 * when the document declares entities of its own. */
static void html_entities_to_numeric(struct buf *b)
{
    if (!memchr(b->data, '&', b->len) || strstr(b->data, "<!ENTITY"))
        return;
    struct buf o = {0};
    buf_reserve(&o, b->len + 16);
    for (size_t i = 0; i < b->len; i++) {
        if (b->data[i] == '<' && b->len - i > 9 && !memcmp(b->data + i, "<![CDATA[", 9)) {
            const char *end = strstr(b->data + i, "]]>");
            size_t stop = end ? (size_t)(end - b->data) + 3 : b->len;
            buf_append(&o, b->data + i, stop - i);
            i = stop - 1;
            continue;
        }
        if (b->data[i] == '&') {
            size_t j = i + 1;
            while (j < b->len && j - i < 32 && isalnum((unsigned char)b->data[j]))
                j++;
            if (j < b->len && b->data[j] == ';' && j > i + 1) {
                char name[33];
                memcpy(name, b->data + i + 1, j - i - 1);
                name[j - i - 1] = '\0';
                const htmlEntityDesc *e = htmlEntityLookup((const xmlChar *)name);
                if (!strcmp(name, "amp") || !strcmp(name, "lt") || !strcmp(name, "gt") ||
                    !strcmp(name, "quot") || !strcmp(name, "apos")) {
                    /* XML's own: as they are */
                } else if (e) {
                    buf_printf(&o, "&#%u;", e->value);
                    i = j;
                    continue;
                } else if (isalpha((unsigned char)name[0])) {
                    buf_puts(&o, "&amp;"); /* unknown: kept as the text it is */
                    continue;
                }
            } else if (j < b->len && b->data[j] == '#') {
                if (j + 1 < b->len && b->data[j + 1] == 'X') {
                    buf_puts(&o, "&#x");
                    i = j + 1;
                    continue;
                }
            } else {
                /* A bare & (a query string's): the text means the character. */
                buf_puts(&o, "&amp;");
                continue;
            }
        }
        buf_putc(&o, b->data[i]);
    }
    buf_free(b);
    *b = o;
}

/* ---- text ------------------------------------------------------------ */

const char *listen_plain(struct feed *f, const char *s)
{
    struct buf b = {0};
    bool space = false;
    for (; s && *s; s++) {
        if (isspace((unsigned char)*s)) {
            space = true;
            continue;
        }
        if (space && b.len)
            buf_putc(&b, ' ');
        space = false;
        buf_putc(&b, *s);
    }
    const char *r = b.len ? arena_strndup(&f->arena, b.data, b.len) : NULL;
    buf_free(&b);
    return r;
}

const char *listen_link(struct feed *f, const char *url)
{
    if (!url)
        return NULL;
    /* An allowlist: a list of schemes that run code (javascript:, vbscript:,
     * data:) is one a browser's leniency gets around. */
    const unsigned char *p = (const unsigned char *)url;
    while (*p && *p <= 0x20)
        p++;
    for (const unsigned char *q = p; *q; q++)
        if (*q < 0x20 || *q == 0x7f)
            return NULL; /* never part of a link kanal stores */
    if (strncasecmp((const char *)p, "http://", 7) && strncasecmp((const char *)p, "https://", 8))
        return NULL;
    return listen_plain(f, (const char *)p);
}

const char *listen_resolve(struct feed *f, const char *href, const char *base)
{
    if (!href)
        return NULL;
    while (isspace((unsigned char)*href))
        href++;
    if (!*href)
        return NULL;
    xmlChar *abs = base ? xmlBuildURI((const xmlChar *)href, (const xmlChar *)base) : NULL;
    const char *out = listen_link(f, abs ? (const char *)abs : href);
    xmlFree(abs);
    return out;
}

/* "en_US" as written by some feeds is the tag "en-US". */
static const char *lang_tag(struct feed *f, const char *s)
{
    const char *r = listen_plain(f, s);
    if (r)
        for (char *p = (char *)r; *p; p++)
            if (*p == '_')
                *p = '-';
    return r;
}

static const char *html_text(struct feed *f, const char *s)
{
    if (!s)
        return NULL;
    struct buf b = {0};
    feed_html_to_text(s, strlen(s), &b);
    const char *r = b.len ? arena_strndup(&f->arena, b.data, b.len) : NULL;
    buf_free(&b);
    return r;
}

static char *content_of(xmlNode *n)
{
    return (char *)xmlNodeGetContent(n);
}

const char *listen_element_text(struct feed *f, xmlNode *n)
{
    if (!n)
        return NULL;
    struct buf b = {0};
    listen_node_text(n->children, &b);
    const char *r = b.len ? arena_strndup(&f->arena, b.data, b.len) : NULL;
    buf_free(&b);
    return r;
}

const char *listen_xml_error(struct feed *f, xmlParserCtxt *ctxt, const char *otherwise)
{
    const xmlError *e = xmlCtxtGetLastError(ctxt);
    if (!e || !e->message)
        return otherwise;
    int n = (int)strcspn(e->message, "\r\n");
    return arena_printf(&f->arena, "line %d: %.*s", e->line, n, e->message);
}

static bool has_element_child(const xmlNode *n)
{
    for (const xmlNode *c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return true;
    return false;
}

static const char *base64_text(struct feed *f, const char *s, bool html)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    struct buf b = {0};
    unsigned acc = 0;
    int bits = 0;
    for (; s && *s; s++) {
        const char *p = strchr(tbl, *s);
        if (!p || !*s)
            continue;
        acc = (acc << 6) | (unsigned)(p - tbl);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf_putc(&b, (char)((acc >> bits) & 0xff));
        }
    }
    buf_putc(&b, '\0');
    const char *r = NULL;
    if (utf8_valid(b.data, b.len - 1))
        r = html ? html_text(f, b.data) : listen_plain(f, b.data);
    buf_free(&b);
    return r;
}

/* ---- XML feeds ------------------------------------------------------- */

enum ns {
    NS_NONE,
    NS_RSS,
    NS_ATOM10,
    NS_ATOM03,
    NS_DC,
    NS_DCTERMS,
    NS_CONTENT,
    NS_XHTML,
    NS_OTHER
};

static enum ns ns_of(const xmlNode *n)
{
    if (!n->ns || !n->ns->href)
        return NS_NONE;
    const char *h = (const char *)n->ns->href;
    if (!strcmp(h, "http://www.w3.org/2005/Atom"))
        return NS_ATOM10;
    if (!strcmp(h, "http://purl.org/atom/ns#"))
        return NS_ATOM03;
    if (!strncmp(h, "http://purl.org/dc/elements/1.1", 31))
        return NS_DC;
    if (!strncmp(h, "http://purl.org/dc/terms", 24))
        return NS_DCTERMS;
    if (!strcmp(h, "http://purl.org/rss/1.0/modules/content/"))
        return NS_CONTENT;
    if (!strcmp(h, "http://www.w3.org/1999/xhtml"))
        return NS_XHTML;
    if (!strcmp(h, "http://purl.org/rss/1.0/") ||
        !strcmp(h, "http://my.netscape.com/rdf/simple/0.9/") ||
        strstr(h, "backend.userland.com/rss") || strstr(h, "blogs.law.harvard.edu/tech/rss"))
        return NS_RSS;
    return NS_OTHER;
}

static bool is(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static bool plain_ns(enum ns s)
{
    return s == NS_NONE || s == NS_RSS || s == NS_ATOM10 || s == NS_ATOM03;
}

static const char *attr(xmlNode *n, const char *name, char **tofree)
{
    *tofree = (char *)xmlGetProp(n, (const xmlChar *)name);
    return *tofree;
}

/* Resolves a link against xml:base and the document's URL; keeps it only
 * when it is http or https (listen_link). */
static const char *resolve(struct feed *f, xmlNode *n, const char *href)
{
    if (!href)
        return NULL;
    xmlChar *base = xmlNodeGetBase(n->doc, n);
    const char *out = listen_resolve(f, href, (const char *)base);
    xmlFree(base);
    return out;
}

/* An Atom text construct (type text, html or xhtml; Atom 0.3's mode). */
static const char *atom_text(struct feed *f, xmlNode *n)
{
    char *type_s, *mode_s;
    const char *type = attr(n, "type", &type_s);
    const char *mode = attr(n, "mode", &mode_s);
    char *c = content_of(n);
    const char *r;
    /* Atom 1.0: a media type neither text nor XML means base64. */
    bool binary = type && strchr(type, '/') && strncmp(type, "text/", 5) && !strstr(type, "xml");
    if ((mode && !strcmp(mode, "base64")) || binary)
        r = base64_text(f, c, type && strstr(type, "html"));
    else if (has_element_child(n))
        r = listen_element_text(f, n);
    else if (type && (strstr(type, "html") && !strstr(type, "xhtml")))
        r = html_text(f, c);
    else if (mode && !strcmp(mode, "escaped"))
        r = html_text(f, c);
    else
        r = listen_plain(f, c);
    xmlFree(c);
    xmlFree(type_s);
    xmlFree(mode_s);
    return r;
}

/* RSS text that may hold HTML (descriptions always may). */
static const char *rss_text(struct feed *f, xmlNode *n, bool html)
{
    if (has_element_child(n))
        return listen_element_text(f, n);
    char *c = content_of(n);
    const char *r = html || (c && strchr(c, '<')) ? html_text(f, c) : listen_plain(f, c);
    xmlFree(c);
    return r;
}

static void set_date(xmlNode *n, int64_t *t, bool *has)
{
    if (*has)
        return;
    char *c = content_of(n);
    if (feed_parse_date(c, t) == 0)
        *has = true;
    xmlFree(c);
}

/* RSS's author is "email (Name)" or either alone. */
static void rss_author(struct feed *f, struct feed_entry *e, xmlNode *n)
{
    char *c = content_of(n);
    const char *s = listen_plain(f, c);
    xmlFree(c);
    if (!s || e->author)
        return;
    const char *open = strchr(s, '('), *close = strrchr(s, ')');
    if (open && close && close > open + 1 && strchr(s, '@')) {
        const char *in =
            listen_plain(f, arena_strndup(&f->arena, open + 1, (size_t)(close - open - 1)));
        const char *out = listen_plain(f, arena_strndup(&f->arena, s, (size_t)(open - s)));
        bool email_inside = in && strchr(in, '@') && !(out && strchr(out, '@'));
        e->author = email_inside ? out : in;
        e->author_email = email_inside ? in : out;
    } else {
        e->author = s;
        if (strchr(s, '@') && !strchr(s, ' '))
            e->author_email = s;
    }
}

static void atom_person(struct feed *f, xmlNode *n, const char **name, const char **email,
                        const char **uri)
{
    for (xmlNode *c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        char *v = content_of(c);
        if (is(c, "name") && !*name)
            *name = listen_plain(f, v);
        else if (is(c, "email") && !*email)
            *email = listen_plain(f, v);
        else if ((is(c, "uri") || is(c, "url")) && !*uri)
            *uri = resolve(f, c, v);
        xmlFree(v);
    }
}

static bool rel_alternate(xmlNode *n)
{
    char *rel_s;
    const char *rel = attr(n, "rel", &rel_s);
    bool r = !rel || !strcmp(rel, "alternate");
    xmlFree(rel_s);
    return r;
}

static void read_entry(struct feed *f, xmlNode *item, struct feed_entry *e)
{
    bool guid_is_link = false;
    const char *guid_link = NULL;
    for (xmlNode *n = item->children; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        enum ns s = ns_of(n);
        bool atom = s == NS_ATOM10 || s == NS_ATOM03;
        if (is(n, "title") && (plain_ns(s) || s == NS_DC) && !e->title)
            e->title = atom ? atom_text(f, n) : rss_text(f, n, false);
        else if (is(n, "link") && plain_ns(s)) {
            char *href_s;
            const char *href = attr(n, "href", &href_s);
            if (href && rel_alternate(n) && !e->link)
                e->link = resolve(f, n, href);
            else if (!href && !e->link) {
                char *c = content_of(n);
                e->link = resolve(f, n, c);
                xmlFree(c);
            }
            xmlFree(href_s);
        } else if ((is(n, "guid") && plain_ns(s)) || (is(n, "id") && atom)) {
            char *c = content_of(n);
            if (!e->guid)
                e->guid = listen_plain(f, c);
            char *perm_s;
            const char *perm = attr(n, "isPermaLink", &perm_s);
            if (is(n, "guid") && (!perm || strcasecmp(perm, "false"))) {
                guid_is_link = true;
                guid_link = resolve(f, n, c);
            }
            xmlFree(perm_s);
            xmlFree(c);
        } else if (is(n, "author") && atom)
            atom_person(f, n, &e->author, &e->author_email, &e->author_uri);
        else if ((is(n, "author") && plain_ns(s)) || (is(n, "creator") && s == NS_DC))
            rss_author(f, e, n);
        else if ((is(n, "pubDate") && plain_ns(s)) || (is(n, "published") && atom) ||
                 (is(n, "issued") && atom) || (is(n, "created") && atom) ||
                 (is(n, "date") && s == NS_DC) || (is(n, "issued") && s == NS_DCTERMS) ||
                 (is(n, "created") && s == NS_DCTERMS))
            set_date(n, &e->published, &e->has_published);
        else if ((is(n, "updated") && atom) || (is(n, "modified") && (atom || s == NS_DCTERMS)))
            set_date(n, &e->updated, &e->has_updated);
        else if ((is(n, "description") && (plain_ns(s) || s == NS_DC)) && !e->summary)
            e->summary = rss_text(f, n, true);
        else if (is(n, "summary") && atom && !e->summary)
            e->summary = atom_text(f, n);
        else if (is(n, "encoded") && s == NS_CONTENT && !e->content)
            e->content = rss_text(f, n, true);
        else if (is(n, "content") && atom && !e->content)
            e->content = atom_text(f, n);
        else if (is(n, "body") && s == NS_XHTML && !e->content)
            e->content = rss_text(f, n, false);
        else if (is(n, "language") && s == NS_DC && !e->lang)
            e->lang = rss_text(f, n, false);
    }
    if (!e->link && guid_is_link && guid_link &&
        (!strncmp(guid_link, "http://", 7) || !strncmp(guid_link, "https://", 8)))
        e->link = guid_link;
    if (!e->summary)
        e->summary = e->content;
    if (!e->lang) {
        xmlChar *l = xmlNodeGetLang(item);
        if (l)
            e->lang = lang_tag(f, (const char *)l);
        xmlFree(l);
    }
    if (!e->lang)
        e->lang = f->lang;
    if (!e->has_published && e->has_updated) {
        e->published = e->updated;
        e->has_published = true;
    }
}

static void add_entry(struct feed *f, xmlNode *item, size_t *cap)
{
    if (f->n_entries >= FEED_MAX_ENTRIES) {
        f->bozo = true;
        f->bozo_reason = "too many entries; the rest were dropped";
        return;
    }
    if (f->n_entries == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        f->entries = xrealloc(f->entries, *cap * sizeof *f->entries);
    }
    struct feed_entry *e = &f->entries[f->n_entries++];
    memset(e, 0, sizeof *e);
    read_entry(f, item, e);
}

/* Feed-level fields of a channel / feed element, entries of it too. */
static void read_channel(struct feed *f, xmlNode *ch, size_t *cap, bool atom_feed)
{
    struct feed_entry who = {0};
    for (xmlNode *n = ch->children; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        enum ns s = ns_of(n);
        bool atom = s == NS_ATOM10 || s == NS_ATOM03;
        if ((is(n, "item") && plain_ns(s)) || (is(n, "entry") && atom))
            continue; /* read after the feed's language is known */
        if (is(n, "title") && (plain_ns(s) || s == NS_DC) && !f->title)
            f->title = atom ? atom_text(f, n) : rss_text(f, n, false);
        else if (is(n, "link") && plain_ns(s) && !f->link) {
            char *href_s;
            const char *href = attr(n, "href", &href_s);
            if (href && rel_alternate(n))
                f->link = resolve(f, n, href);
            else if (!href) {
                char *c = content_of(n);
                f->link = resolve(f, n, c);
                xmlFree(c);
            }
            xmlFree(href_s);
        } else if (((is(n, "language") && plain_ns(s)) || (is(n, "language") && s == NS_DC)) &&
                   !f->lang)
            f->lang = lang_tag(f, rss_text(f, n, false));
        else if (((is(n, "description") && plain_ns(s)) ||
                  ((is(n, "tagline") || is(n, "subtitle")) && atom)) &&
                 !f->subtitle)
            f->subtitle = atom ? atom_text(f, n) : rss_text(f, n, true);
        else if (is(n, "author") && atom)
            atom_person(f, n, &who.author, &who.author_email, &who.author_uri);
        else if (((is(n, "managingEditor") || is(n, "webMaster")) && plain_ns(s)) ||
                 (is(n, "creator") && s == NS_DC))
            rss_author(f, &who, n);
    }
    f->author = who.author;
    f->author_email = who.author_email;
    if (!f->lang) {
        xmlChar *l = xmlNodeGetLang(ch);
        if (l)
            f->lang = lang_tag(f, (const char *)l);
        xmlFree(l);
    }
    for (xmlNode *n = ch->children; n; n = n->next) {
        enum ns s = n->type == XML_ELEMENT_NODE ? ns_of(n) : NS_OTHER;
        if ((is(n, "item") && plain_ns(s) && !atom_feed) ||
            (is(n, "entry") && (s == NS_ATOM10 || s == NS_ATOM03 || s == NS_NONE)))
            add_entry(f, n, cap);
    }
}

static const char *rss_version(struct feed *f, xmlNode *root)
{
    char *v_s;
    const char *v = attr(root, "version", &v_s);
    const char *r = "rss";
    if (v) {
        if (!strcmp(v, "2.0") || !strcmp(v, "2"))
            r = "rss20";
        else if (!strcmp(v, "0.91"))
            r = "rss091u";
        else if (!strcmp(v, "0.92"))
            r = "rss092";
        else if (!strcmp(v, "0.93"))
            r = "rss093";
        else if (!strcmp(v, "0.94"))
            r = "rss094";
        else if (!strncmp(v, "2.", 2))
            r = "rss20";
    }
    xmlFree(v_s);
    return r;
}

static int read_xml(struct feed *f, const struct buf *utf8, const char *url, struct error *err)
{
    int rc = -1;
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    xmlDocPtr doc = NULL;
    if (!ctxt) {
        error_set(err, ERR_INTERNAL, "feed: out of memory");
        goto fail;
    }
    /* Never XML_PARSE_NOENT or DTDLOAD: no external entities, no fetches. */
    doc = xmlCtxtReadMemory(ctxt, utf8->data, (int)utf8->len, url, "UTF-8",
                            XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOERROR |
                                XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    if (!ctxt->wellFormed || !ctxt->nsWellFormed) {
        f->bozo = true;
        if (!f->bozo_reason) {
            f->bozo_reason = listen_xml_error(f, ctxt, "not well-formed XML");
        }
    }
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (!root) {
        error_set(err, ERR_INVALID, "feed: no XML element could be read");
        goto fail;
    }
    size_t cap = 0;
    enum ns rs = ns_of(root);
    if (is(root, "rss") || is(root, "channel")) {
        f->version = rss_version(f, root);
        xmlDtd *dtd = xmlGetIntSubset(doc);
        if (!strcmp(f->version, "rss091u") && dtd && dtd->ExternalID &&
            strstr((const char *)dtd->ExternalID, "Netscape"))
            f->version = "rss091n";
        if (is(root, "channel"))
            read_channel(f, root, &cap, false);
        for (xmlNode *n = root->children; n; n = n->next)
            if (is(n, "channel"))
                read_channel(f, n, &cap, false);
        for (xmlNode *n = root->children; n; n = n->next)
            if (is(n, "item"))
                add_entry(f, n, &cap);
    } else if (is(root, "RDF")) {
        bool netscape = false;
        for (xmlNs *ns = root->nsDef; ns; ns = ns->next)
            if (!ns->prefix && ns->href &&
                !strcmp((const char *)ns->href, "http://my.netscape.com/rdf/simple/0.9/"))
                netscape = true;
        f->version = netscape ? "rss090" : "rss10";
        for (xmlNode *n = root->children; n; n = n->next)
            if (is(n, "channel")) {
                if (n->ns && n->ns->href &&
                    !strcmp((const char *)n->ns->href, "http://my.netscape.com/rdf/simple/0.9/"))
                    f->version = "rss090";
                read_channel(f, n, &cap, false);
            }
        for (xmlNode *n = root->children; n; n = n->next)
            if (is(n, "item"))
                add_entry(f, n, &cap);
    } else if (is(root, "feed")) {
        f->version = rs == NS_ATOM10 ? "atom10" : rs == NS_ATOM03 ? "atom03" : "atom";
        read_channel(f, root, &cap, true);
    } else {
        error_set(err, ERR_INVALID, "feed: the root element <%s> is no RSS, RDF or Atom",
                  (const char *)root->name);
        goto fail;
    }
    rc = 0;
fail:
    xmlFreeDoc(doc);
    xmlFreeParserCtxt(ctxt);
    return rc;
}

/* ---- JSON Feed ------------------------------------------------------- */

static const char *jstr(struct feed *f, json_t *o, const char *key)
{
    return listen_plain(f, json_string_value(json_object_get(o, key)));
}

static const char *jlink(struct feed *f, json_t *o, const char *key, const char *base)
{
    return listen_resolve(f, json_string_value(json_object_get(o, key)), base);
}

static void json_author(struct feed *f, json_t *o, const char **name, const char **uri)
{
    json_t *a = json_object_get(o, "author");
    if (!json_is_object(a)) {
        json_t *as = json_object_get(o, "authors");
        a = json_is_array(as) ? json_array_get(as, 0) : NULL;
    }
    if (json_is_object(a)) {
        *name = jstr(f, a, "name");
        *uri = jstr(f, a, "url");
    }
}

static int read_json(struct feed *f, const struct buf *utf8, const char *url, struct error *err)
{
    json_error_t je;
    json_t *root = json_loadb(utf8->data, utf8->len, 0, &je);
    if (!json_is_object(root)) {
        json_decref(root);
        return error_set(err, ERR_INVALID, "feed: line %d: %s", je.line,
                         root ? "a JSON Feed is an object" : je.text);
    }
    const char *v = json_string_value(json_object_get(root, "version"));
    if (!v || !strstr(v, "jsonfeed.org/version/")) {
        json_decref(root);
        return error_set(err, ERR_INVALID, "feed: JSON without a jsonfeed.org version");
    }
    f->version = strstr(v, "version/1.1") ? "json11" : "json1";
    f->title = jstr(f, root, "title");
    f->link = jlink(f, root, "home_page_url", url);
    f->subtitle = jstr(f, root, "description");
    f->lang = jstr(f, root, "language");
    const char *furi = NULL;
    json_author(f, root, &f->author, &furi);
    json_t *items = json_object_get(root, "items");
    size_t n = json_is_array(items) ? json_array_size(items) : 0;
    if (n > FEED_MAX_ENTRIES) {
        n = FEED_MAX_ENTRIES;
        f->bozo = true;
        f->bozo_reason = "too many entries; the rest were dropped";
    }
    f->entries = n ? xcalloc(n, sizeof *f->entries) : NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *it = json_array_get(items, i);
        if (!json_is_object(it))
            continue;
        struct feed_entry *e = &f->entries[f->n_entries++];
        e->title = jstr(f, it, "title");
        e->link = jlink(f, it, "url", url);
        json_t *id = json_object_get(it, "id");
        e->guid = json_is_string(id) ? listen_plain(f, json_string_value(id))
                  : json_is_integer(id)
                      ? arena_printf(&f->arena, "%lld", (long long)json_integer_value(id))
                      : NULL;
        const char *html = json_string_value(json_object_get(it, "content_html"));
        e->content = html ? html_text(f, html) : jstr(f, it, "content_text");
        e->summary = jstr(f, it, "summary");
        if (!e->summary)
            e->summary = e->content;
        json_author(f, it, &e->author, &e->author_uri);
        if (!e->author)
            e->author = f->author;
        e->lang = jstr(f, it, "language");
        if (!e->lang)
            e->lang = f->lang;
        e->has_published = feed_parse_date(json_string_value(json_object_get(it, "date_published")),
                                           &e->published) == 0;
        e->has_updated = feed_parse_date(json_string_value(json_object_get(it, "date_modified")),
                                         &e->updated) == 0;
        if (!e->has_published && e->has_updated) {
            e->published = e->updated;
            e->has_published = true;
        }
    }
    json_decref(root);
    return 0;
}

/* ---- the entry point ------------------------------------------------- */

/* Chooses the encoding (RFC 3023: the HTTP charset wins; text/xml without
 * one means us-ascii; else the BOM, then the prolog, then UTF-8) and
 * converts to UTF-8, marking the feed bozo on conflicts and bad bytes. */
static void decode(struct feed *f, const char *data, size_t len, const struct feed_origin *o,
                   struct buf *utf8)
{
    char http[64] = "", prolog[64] = "", media[128] = "";
    bool has_http = listen_charset(o->content_type, http, sizeof http);
    media_type(o->content_type, media, sizeof media);
    size_t skip;
    const char *bom = bom_encoding((const unsigned char *)data, len, &skip);
    bool has_prolog = prolog_encoding(data + skip, len - skip, prolog, sizeof prolog);
    bool text_xml = !strncmp(media, "text/", 5) && (strstr(media, "xml") != NULL);
    if (media[0] && !strstr(media, "xml") && !strstr(media, "rss") && !strstr(media, "atom") &&
        !strstr(media, "rdf") && !strstr(media, "json")) {
        f->bozo = true;
        f->bozo_reason = arena_printf(&f->arena, "served as %s, which is not XML", media);
    }
    const char *enc;
    /* GB2312 names a subset: its superset reads the same bytes and more. */
    if (!strcmp(http, "gb2312"))
        strcpy(http, "gb18030");
    if (!strcmp(prolog, "gb2312"))
        strcpy(prolog, "gb18030");
    if (has_http)
        enc = http;
    else if (text_xml)
        enc = "us-ascii";
    else if (bom)
        enc = bom;
    else if (has_prolog)
        enc = prolog;
    else
        enc = "utf-8";
    if (bom && strcmp(enc, bom) && !(has_http && !strncmp(bom, http, 6))) {
        f->bozo = true;
        f->bozo_reason = arena_printf(&f->arena, "the BOM says %s but %s was declared", bom, enc);
    }
    const char *from = data + (bom && !strcmp(enc, bom) ? skip : 0);
    size_t n = len - (size_t)(from - data);
    bool declared = has_http || text_xml || bom || has_prolog;
    if (!to_utf8(from, n, enc, utf8)) {
        /* Nothing declared and not UTF-8: windows-1252 is what such feeds
         * are written in, and reading them so is no error of theirs. */
        f->bozo |= declared;
        if (declared)
            f->bozo_reason = arena_printf(&f->arena, "the bytes are not %s", enc);
        /* Read what can be read: UTF-8 if the bytes are, else windows-1252,
         * which decodes nearly any byte. */
        if (utf8_valid(from, n))
            enc = "utf-8";
        else
            enc = "windows-1252";
        if (!to_utf8(from, n, enc, utf8)) {
            enc = "iso-8859-1";
            to_utf8(from, n, enc, utf8);
        }
    }
    f->encoding = arena_strdup(&f->arena, enc);
    lower((char *)f->encoding);
    /* A BOM left by the conversion would hide the prolog from libxml2. */
    if (utf8->len >= 3 && !memcmp(utf8->data, "\xef\xbb\xbf", 3)) {
        memmove(utf8->data, utf8->data + 3, utf8->len - 3);
        utf8->len -= 3;
        utf8->data[utf8->len] = '\0';
    }
}

int feed_parse(const char *data, size_t len, const struct feed_origin *origin, struct feed *out,
               struct error *err)
{
    static const struct feed_origin none = {0};
    const struct feed_origin *o = origin ? origin : &none;
    struct buf utf8 = {0};
    memset(out, 0, sizeof *out);
    out->version = "";
    if (len > FEED_MAX_BYTES) {
        error_set(err, ERR_INVALID, "feed: %zu bytes is more than the %zu a feed may have", len,
                  FEED_MAX_BYTES);
        goto fail;
    }
    decode(out, data, len, o, &utf8);
    const char *p = utf8.data;
    while (p && isspace((unsigned char)*p))
        p++;
    int rc = p && *p == '{' ? read_json(out, &utf8, o->url, err)
                            : (html_entities_to_numeric(&utf8), read_xml(out, &utf8, o->url, err));
    if (rc < 0)
        goto fail;
    /* The feed's own language wins over the server's Content-Language. */
    if (!out->lang && o->content_language) {
        out->lang = listen_plain(out, o->content_language);
        for (size_t i = 0; i < out->n_entries; i++)
            if (!out->entries[i].lang)
                out->entries[i].lang = out->lang;
    }
    buf_free(&utf8);
    return 0;
fail:
    buf_free(&utf8);
    feed_free(out);
    return -1;
}

void feed_free(struct feed *f)
{
    free(f->entries);
    arena_free(&f->arena);
    memset(f, 0, sizeof *f);
}
