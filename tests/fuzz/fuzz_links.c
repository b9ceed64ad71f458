/* Fuzzes the parsers of outside text in links/: URLs (their canonical form
 * must be printable ASCII, http(s), and a fixed point of normalisation), UTM
 * values (idem), the UTM builder on canonical URLs, and the User-Agent and
 * Referer reducers, which see every header a stranger sends. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "links/links.h"

static void check_url(const char *s)
{
    struct buf a = {0}, b = {0}, tagged = {0};
    struct error err = {0};
    if (links_url_normalise(s, &a, &err) == 0) {
        if (!str_starts_with(a.data, "http://") && !str_starts_with(a.data, "https://"))
            abort();
        for (const char *p = a.data; *p; p++)
            if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
                abort();
        if (links_url_normalise(a.data, &b, &err) || !str_eq(a.data, b.data))
            abort();
        struct utm u = {0};
        strcpy(u.v[UTM_SOURCE], "fb");
        strcpy(u.v[UTM_CAMPAIGN], "v\xc3\xa5r");
        bool had;
        links_utm_apply(a.data, &u, &tagged, &had);
        if (!strstr(tagged.data, "utm_source=fb") || !strstr(tagged.data, "utm_campaign=v%C3%A5r"))
            abort();
    }
    buf_free(&a);
    buf_free(&b);
    buf_free(&tagged);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';

    check_url(s);

    char out[LINKS_UTM_MAX + 1], again[LINKS_UTM_MAX + 1];
    struct error err = {0};
    if (links_utm_normalise(UTM_CAMPAIGN, s, out, &err) == 0) {
        if (links_utm_normalise(UTM_CAMPAIGN, out, again, &err) || !str_eq(out, again))
            abort();
        if (strchr(out, ' ') || strlen(out) > LINKS_UTM_MAX)
            abort();
    }

    enum device d;
    bool bot;
    links_classify_ua(s, &d, &bot);
    if ((unsigned)d > DEVICE_OTHER)
        abort();

    char host[256];
    links_referrer_host(s, host);
    for (const char *p = host; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789.-[]:", *p))
            abort();

    free(s);
    return 0;
}
