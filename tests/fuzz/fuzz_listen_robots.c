/* fuzz_listen_robots: robots.txt on arbitrary bytes, and every line of it
 * also tried as a path against the rules (wildcards and '$' on hostile
 * patterns must stay bounded in time and memory). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "listen/listen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct robots r;
    robots_parse((const char *)data, size, LISTEN_ROBOTS_AGENT, &r);
    if (r.crawl_delay_ms < -1 || r.crawl_delay_ms > 86400000)
        abort();
    (void)robots_allowed(&r, "/");
    (void)robots_allowed(&r, "/robots.txt");
    const char *p = (const char *)data, *end = p + size;
    char path[256];
    for (int k = 0; p < end && k < 16; k++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        if (n >= sizeof path)
            n = sizeof path - 1;
        memcpy(path, p, n);
        path[n] = '\0';
        if (!strlen(path) || strlen(path) != n) { /* a NUL inside: not a path */
            p = nl ? nl + 1 : end;
            continue;
        }
        bool a = robots_allowed(&r, path);
        if (a != robots_allowed(&r, path))
            abort(); /* the same question, the same answer */
        p = nl ? nl + 1 : end;
    }
    robots_free(&r);
    return 0;
}
