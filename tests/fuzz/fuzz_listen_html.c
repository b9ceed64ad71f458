/* fuzz_listen_html: HTML pages read with CSS selectors. The first line holds
 * the selectors, separated by '|' (item|title|link|time|author; empty ones
 * left out), so the selector parser and the matcher are fuzzed together
 * with the page; the rest is the page. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "listen/listen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    const char *nl = memchr(p, '\n', size);
    size_t head = nl ? (size_t)(nl - p) : 0;
    char line[1200];
    if (head >= sizeof line)
        head = sizeof line - 1;
    memcpy(line, p, head);
    line[head] = '\0';
    const char *sel[5] = {0};
    char *s = line;
    for (int i = 0; i < 5 && s; i++) {
        char *bar = strchr(s, '|');
        if (bar)
            *bar = '\0';
        sel[i] = *s ? s : NULL;
        s = bar ? bar + 1 : NULL;
    }
    if (!sel[0])
        sel[0] = "li";
    size_t skip = nl ? (size_t)(nl - p) + 1 : 0;
    struct page_selectors ps = {sel[0], sel[1], sel[2], sel[3], sel[4]};
    struct feed_origin o = {.url = "http://example.com/forum/", .content_type = "text/html"};
    struct feed f;
    struct error err = {0};
    if (listen_page_parse(p + skip, size - skip, &o, &ps, &f, &err) == 0) {
        for (size_t i = 0; i < f.n_entries; i++)
            if (f.entries[i].link && strncmp(f.entries[i].link, "javascript:", 11) == 0)
                abort(); /* a link that runs code must never come out */
        feed_free(&f);
    } else if (err.msg[0] == '\0') {
        abort(); /* a failure must say why */
    }
    return 0;
}
