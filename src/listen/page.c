/* page: the sources that are not feeds, read into the same struct feed so
 * that storing, deduping and matching do not care where an item came
 * from: HTML pages read with CSS selectors, sitemaps, and Mastodon's
 * public and hashtag timelines. */
#include "listen/internal.h"
#include "listen/listen.h"

#include <ctype.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/uri.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* href resolved against base; NULL for a link within the page (#...) and
 * unless it is http or https (listen_resolve). */
static const char *link_to(struct feed *f, const char *href, const char *base)
{
    const char *h = href;
    while (h && isspace((unsigned char)*h))
        h++;
    return h && *h == '#' ? NULL : listen_resolve(f, h, base);
}

static void *grow_entries(struct feed *f, size_t *cap)
{
    if (f->n_entries == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        f->entries = xrealloc(f->entries, *cap * sizeof *f->entries);
    }
    struct feed_entry *e = &f->entries[f->n_entries++];
    memset(e, 0, sizeof *e);
    return e;
}

/* ---- HTML pages ------------------------------------------------------------ */

#define PAGE_MAX_ITEMS 1000

static xmlNode *first(const struct css_selector *s, xmlNode *in)
{
    xmlNode *n = NULL;
    return s && css_select(s, in, &n, 1) ? n : NULL;
}

static xmlNode *first_anchor(xmlNode *n)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (!strcasecmp((const char *)n->name, "a") && xmlHasProp(n, (const xmlChar *)"href"))
            return n;
        xmlNode *in = first_anchor(n->children);
        if (in)
            return in;
    }
    return NULL;
}

int listen_page_parse(const char *data, size_t len, const struct feed_origin *origin,
                      const struct page_selectors *sel, struct feed *out, struct error *err)
{
    static const struct feed_origin none = {0};
    const struct feed_origin *o = origin ? origin : &none;
    memset(out, 0, sizeof *out);
    out->version = "html";
    struct css_selector *s[5] = {0};
    const char *texts[5] = {sel->item, sel->title, sel->link, sel->time, sel->author};
    static const char *names[5] = {"item", "title", "link", "time", "author"};
    htmlDocPtr doc = NULL;
    xmlNode **items = NULL;
    xmlChar *base = NULL;
    int rc = -1;
    if (!sel->item) {
        error_field(err, ERR_INVALID, "selectors.item", "an html source needs an item selector");
        goto fail;
    }
    for (int i = 0; i < 5; i++) {
        if (!texts[i])
            continue;
        struct error e = {0};
        if (!(s[i] = css_compile(texts[i], &e))) {
            char field[32];
            snprintf(field, sizeof field, "selectors.%s", names[i]);
            error_field(err, ERR_INVALID, field, "%s: %s", field, e.msg);
            goto fail;
        }
    }
    if (len > FEED_MAX_BYTES || len > INT32_MAX) {
        error_set(err, ERR_INVALID, "page: %zu bytes is more than the %zu a page may have", len,
                  FEED_MAX_BYTES);
        goto fail;
    }
    char charset[64];
    bool has_charset = listen_charset(o->content_type, charset, sizeof charset);
    doc = htmlReadMemory(data, (int)len, o->url, has_charset ? charset : NULL,
                         HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                             HTML_PARSE_NONET);
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (!root) {
        error_set(err, ERR_INVALID, "page: no HTML could be read");
        goto fail;
    }
    out->encoding = arena_strdup(&out->arena, has_charset ? charset : "utf-8");
    /* <base href> wins over the page's address, as in a browser. */
    struct css_selector *base_sel = css_compile("head > base[href]", err);
    xmlNode *b = first(base_sel, root);
    css_free(base_sel);
    if (b) {
        xmlChar *href = xmlGetProp(b, (const xmlChar *)"href");
        base = o->url ? xmlBuildURI(href, (const xmlChar *)o->url) : xmlStrdup(href);
        xmlFree(href);
    }
    const char *base_url = base ? (const char *)base : o->url;
    struct css_selector *title_sel = css_compile("head > title", err);
    out->title = listen_element_text(out, first(title_sel, root));
    css_free(title_sel);
    out->link = listen_plain(out, o->url);
    xmlChar *lang = xmlGetProp(root, (const xmlChar *)"lang");
    out->lang = listen_plain(out, (const char *)lang);
    xmlFree(lang);
    if (!out->lang && o->content_language)
        out->lang = listen_plain(out, o->content_language);

    items = xmalloc(PAGE_MAX_ITEMS * sizeof *items);
    size_t n = css_select(s[0], root, items, PAGE_MAX_ITEMS), cap = 0;
    for (size_t i = 0; i < n; i++) {
        xmlNode *it = items[i];
        struct feed_entry *e = grow_entries(out, &cap);
        xmlNode *a = s[2] ? first(s[2], it) : first_anchor(it->children);
        if (a && !xmlHasProp(a, (const xmlChar *)"href"))
            a = first_anchor(a->children);
        if (a) {
            xmlChar *href = xmlGetProp(a, (const xmlChar *)"href");
            e->link = link_to(out, (const char *)href, base_url);
            xmlFree(href);
        }
        e->title = s[1] ? listen_element_text(out, first(s[1], it))
                   : a  ? listen_element_text(out, a)
                        : NULL;
        xmlNode *t = first(s[3], it);
        if (t) {
            xmlChar *dt = xmlGetProp(t, (const xmlChar *)"datetime");
            const char *when = dt ? (const char *)dt : listen_element_text(out, t);
            e->has_published = when && feed_parse_date(when, &e->published) == 0;
            xmlFree(dt);
        }
        e->author = listen_element_text(out, first(s[4], it));
        e->summary = listen_element_text(out, it);
        e->lang = out->lang;
    }
    rc = 0;
fail:
    free(items);
    xmlFree(base);
    xmlFreeDoc(doc);
    for (int i = 0; i < 5; i++)
        css_free(s[i]);
    if (rc)
        feed_free(out);
    return rc;
}

/* ---- sitemaps ---------------------------------------------------------------- */

static bool named(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static xmlNode *child(xmlNode *n, const char *name)
{
    for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (named(c, name))
            return c;
    return NULL;
}

static const char *child_text(struct feed *f, xmlNode *n, const char *name)
{
    xmlNode *c = child(n, name);
    if (!c)
        return NULL;
    xmlChar *v = xmlNodeGetContent(c);
    const char *r = listen_plain(f, (const char *)v);
    xmlFree(v);
    return r;
}

int listen_sitemap_parse(const char *data, size_t len, const struct feed_origin *origin,
                         struct feed *out, struct error *err)
{
    static const struct feed_origin none = {0};
    const struct feed_origin *o = origin ? origin : &none;
    memset(out, 0, sizeof *out);
    out->version = "";
    if (len > FEED_MAX_BYTES || len > INT32_MAX)
        return error_set(err, ERR_INVALID, "sitemap: %zu bytes is more than the %zu allowed", len,
                         FEED_MAX_BYTES);
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt)
        return error_set(err, ERR_INTERNAL, "sitemap: libxml2 could not start");
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, data, (int)len, o->url, NULL,
                                      XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOERROR |
                                          XML_PARSE_NOWARNING);
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    int rc = -1;
    if (!root || !(named(root, "urlset") || named(root, "sitemapindex"))) {
        error_set(err, ERR_INVALID, "sitemap: the root is %s%s%s, not urlset or sitemapindex",
                  root ? "<" : "nothing readable", root ? (const char *)root->name : "",
                  root ? ">" : "");
        goto fail;
    }
    if (!ctxt->wellFormed) {
        out->bozo = true;
        out->bozo_reason = listen_xml_error(out, ctxt, "not well-formed XML");
    }
    bool index = named(root, "sitemapindex");
    out->version = index ? "sitemapindex" : "sitemap";
    out->encoding = "utf-8";
    const char *what = index ? "sitemap" : "url";
    size_t cap = 0;
    for (xmlNode *u = root->children; u; u = u->next) {
        if (!named(u, what))
            continue;
        if (out->n_entries == FEED_MAX_ENTRIES) {
            out->bozo = true;
            out->bozo_reason = "more entries than kanal reads: the rest were dropped";
            break;
        }
        const char *loc = child_text(out, u, "loc");
        const char *link = link_to(out, loc, o->url);
        if (!link)
            continue;
        struct feed_entry *e = grow_entries(out, &cap);
        e->link = link;
        const char *lastmod = child_text(out, u, "lastmod");
        e->has_updated = lastmod && feed_parse_date(lastmod, &e->updated) == 0;
        /* Google News sitemaps: <news:news><news:title>, <news:publication_date>. */
        xmlNode *news = child(u, "news");
        e->title = child_text(out, news, "title");
        const char *pub = child_text(out, news, "publication_date");
        e->has_published = pub && feed_parse_date(pub, &e->published) == 0;
        if (!e->has_published && e->has_updated) {
            e->published = e->updated;
            e->has_published = true;
        }
        if (news) {
            xmlNode *publication = child(news, "publication");
            e->lang = child_text(out, publication, "language");
        }
    }
    rc = 0;
fail:
    xmlFreeDoc(doc);
    xmlFreeParserCtxt(ctxt);
    if (rc)
        feed_free(out);
    return rc;
}

/* ---- Mastodon timelines ------------------------------------------------------- */

/* Mastodon's ids are decimal strings that grow with time (snowflakes); the
 * larger of two is the longer, else the later in byte order. */
static bool id_greater(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    return na != nb ? na > nb : strcmp(a, b) > 0;
}

static bool digits(const char *s)
{
    if (!s || !*s || strlen(s) > 30)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

int listen_mastodon_parse(const char *data, size_t len, struct feed *out, struct error *err)
{
    memset(out, 0, sizeof *out);
    out->version = "mastodon";
    out->encoding = "utf-8";
    json_error_t je;
    json_t *root = json_loadb(data, len, 0, &je);
    if (!json_is_array(root)) {
        json_decref(root);
        return error_set(err, ERR_INVALID, "mastodon: line %d: %s", je.line,
                         root ? "a timeline is a JSON array of statuses" : je.text);
    }
    size_t cap = 0, i;
    json_t *st;
    const char *newest = NULL;
    json_array_foreach (root, i, st) {
        if (!json_is_object(st) || out->n_entries == FEED_MAX_ENTRIES)
            continue;
        const char *id = json_string_value(json_object_get(st, "id"));
        if (!digits(id)) {
            out->bozo = true;
            out->bozo_reason = "a status without a numeric id was left out";
            continue;
        }
        if (!newest || id_greater(id, newest))
            newest = id;
        /* A boost carries the boosted status: that is what was said. */
        json_t *s = json_object_get(st, "reblog");
        if (!json_is_object(s))
            s = st;
        struct feed_entry *e = grow_entries(out, &cap);
        const char *uri = json_string_value(json_object_get(s, "uri"));
        e->guid = listen_plain(out, uri ? uri : id);
        const char *url = json_string_value(json_object_get(s, "url"));
        e->link = link_to(out, url ? url : uri, NULL);
        if (e->link && strncasecmp(e->link, "http://", 7) && strncasecmp(e->link, "https://", 8))
            e->link = NULL;
        struct buf text = {0};
        const char *spoiler = json_string_value(json_object_get(s, "spoiler_text"));
        if (spoiler && *spoiler) {
            feed_html_to_text(spoiler, strlen(spoiler), &text);
            buf_putc(&text, '\n');
        }
        const char *content = json_string_value(json_object_get(s, "content"));
        if (content)
            feed_html_to_text(content, strlen(content), &text);
        e->summary = text.len ? arena_strndup(&out->arena, text.data, text.len) : NULL;
        buf_free(&text);
        json_t *acct = json_object_get(s, "account");
        const char *dn = json_string_value(json_object_get(acct, "display_name"));
        const char *handle = json_string_value(json_object_get(acct, "acct"));
        e->author = listen_plain(out, dn && *dn ? dn : handle);
        e->author_uri = listen_plain(out, json_string_value(json_object_get(acct, "url")));
        const char *created = json_string_value(json_object_get(s, "created_at"));
        e->has_published = created && feed_parse_date(created, &e->published) == 0;
        e->lang = listen_plain(out, json_string_value(json_object_get(s, "language")));
    }
    out->title = newest ? arena_strdup(&out->arena, newest) : NULL;
    json_decref(root);
    return 0;
}
