/* fuzz_listen_feed: the feed reader (XML and JSON feeds, encodings, dates,
 * HTML to text) on arbitrary bytes. The first line, if it starts with
 * "ct:", is taken as the Content-Type, so charset conflicts get fuzzed too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "listen/listen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char ct[128] = "";
    const char *p = (const char *)data;
    if (size > 3 && !memcmp(p, "ct:", 3)) {
        const char *nl = memchr(p, '\n', size);
        size_t n = nl ? (size_t)(nl - p) - 3 : size - 3;
        if (n >= sizeof ct)
            n = sizeof ct - 1;
        memcpy(ct, p + 3, n);
        ct[n] = '\0';
        size_t skip = nl ? (size_t)(nl - p) + 1 : size;
        p += skip;
        size -= skip;
    }
    struct feed f;
    struct error err = {0};
    struct feed_origin o = {.content_type = strlen(ct) == 0 ? NULL : ct,
                            .url = "http://example.com/feed/"};
    if (feed_parse(p, size, &o, &f, &err) == 0) {
        for (size_t i = 0; i < f.n_entries; i++)
            if (f.entries[i].title && strlen(f.entries[i].title) > FEED_MAX_BYTES * 4)
                abort();
        feed_free(&f);
    } else if (err.msg[0] == '\0') {
        abort(); /* a failure must say why */
    }
    /* The date parser alone, on the input as a string. */
    char s[128];
    size_t n = size < sizeof s - 1 ? size : sizeof s - 1;
    memcpy(s, p, n);
    s[n] = '\0';
    int64_t t;
    (void)feed_parse_date(s, &t);
    return 0;
}
