/* internal: what the files of listen/ share and no other part sees. */
#ifndef KANAL_LISTEN_INTERNAL_H
#define KANAL_LISTEN_INTERNAL_H

#include "base/base.h"

#include <libxml/tree.h>

/* Appends the text of n and its siblings (and their children), as
 * feed_html_to_text does for parsed HTML: scripts and styles left out. */
void listen_node_text(xmlNode *n, struct buf *out);

#endif
