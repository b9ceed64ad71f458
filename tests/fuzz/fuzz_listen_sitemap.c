/* fuzz_listen_sitemap: sitemaps (urlset, sitemapindex, Google News) and
 * Mastodon timelines on arbitrary bytes: the two other readers of what a
 * source serves. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "listen/listen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct feed_origin o = {.url = "http://example.com/sitemap.xml"};
    struct feed f;
    struct error err = {0};
    if (listen_sitemap_parse((const char *)data, size, &o, &f, &err) == 0) {
        for (size_t i = 0; i < f.n_entries; i++)
            if (!f.entries[i].link)
                abort(); /* an url without a link is left out, never kept */
        feed_free(&f);
    } else if (err.msg[0] == '\0') {
        abort();
    }
    memset(&err, 0, sizeof err);
    if (listen_mastodon_parse((const char *)data, size, &f, &err) == 0)
        feed_free(&f);
    else if (err.msg[0] == '\0')
        abort();
    return 0;
}
