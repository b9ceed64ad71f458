/* internal: what the files of listen/ share and no other part sees. */
#ifndef KANAL_LISTEN_INTERNAL_H
#define KANAL_LISTEN_INTERNAL_H

#include "base/base.h"

#include <libxml/tree.h>

/* Appends the text of n and its siblings (and their children), as
 * feed_html_to_text does for parsed HTML: scripts and styles left out. */
void listen_node_text(xmlNode *n, struct buf *out);

struct feed;

/* What feeds and pages keep of a text, in the feed's arena: one reading
 * for both, so that an item's text is the same whatever it came from. */

/* s with white space collapsed to one space and trimmed; NULL for NULL or
 * when nothing is left. (listen/feed.c) */
const char *listen_plain(struct feed *f, const char *s);

/* A link as the desk may show it, in the feed's arena: http or https, and
 * nothing else; NULL otherwise. The scheme is read on the link as a
 * browser reads an href (blanks and control characters before it
 * dropped, tabs and newlines in it ignored), so none of them can slip
 * `javascript:` past the check. (listen/feed.c) */
const char *listen_link(struct feed *f, const char *url);

/* href (blanks before it dropped) resolved against base (NULL: none), then
 * listen_link's. (listen/feed.c) */
const char *listen_resolve(struct feed *f, const char *href, const char *base);

/* The text of an element that holds markup as elements (XHTML content, RSS
 * descriptions written unescaped, an HTML page's item): scripts and styles
 * left out; NULL for no element or no text. (listen/feed.c) */
const char *listen_element_text(struct feed *f, xmlNode *n);

/* The charset parameter of a Content-Type ("text/html; charset=ISO-8859-1",
 * quoted or not, blanks after '=' passed over), lower case, into out (cap
 * bytes); false when there is none. Feeds and pages read it alike.
 * (listen/feed.c) */
bool listen_charset(const char *ct, char *out, size_t cap);

/* Why the XML that ctxt read is not well-formed, for a person: "line N:
 * libxml2's words" without the newline they end in, in the feed's arena,
 * or `otherwise` when libxml2 kept no error. (listen/feed.c) */
const char *listen_xml_error(struct feed *f, xmlParserCtxt *ctxt, const char *otherwise);

#endif
