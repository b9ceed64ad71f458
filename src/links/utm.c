/* utm: the URL checks and the UTM builder. A link's target is stored in the
 * canonical form made here, so the redirect only ever sends a Location that
 * was checked once: http(s), a real host, no credentials, nothing a browser
 * would read differently from kanal. */
#include "links/links.h"

#include <idn2.h>
#include <stdlib.h>
#include <string.h>

const char *const links_utm_names[UTM_COUNT] = {"utm_source", "utm_medium", "utm_campaign",
                                                "utm_term", "utm_content"};

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Characters that may stand as they are after the host; the rest is
 * percent-encoded (RFC 3986's unreserved, sub-delims, ':', '@', '/', '?'). */
static bool url_char_ok(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c && strchr("-._~!$&'()*+,;=:@/?#[]", c) != NULL;
}

static void put_encoded(struct buf *out, unsigned char c)
{
    static const char hex[] = "0123456789ABCDEF";
    buf_putc(out, '%');
    buf_putc(out, hex[c >> 4]);
    buf_putc(out, hex[c & 15]);
}

/* The host part: a bracketed IPv6 literal, or a name that becomes lower-case
 * ASCII (international names through IDNA2008 to their xn-- form). */
static int put_host(struct buf *out, const char *h, size_t n, struct error *err)
{
    if (n == 0)
        return error_field(err, ERR_INVALID, "url", "the URL has no host");
    if (h[0] == '[') {
        if (h[n - 1] != ']')
            return error_field(err, ERR_INVALID, "url", "the URL's IPv6 host lacks its ']'");
        for (size_t i = 1; i + 1 < n; i++)
            if (!is_hex(h[i]) && h[i] != ':' && h[i] != '.')
                return error_field(err, ERR_INVALID, "url", "the URL's IPv6 host is not valid");
        for (size_t i = 0; i < n; i++)
            buf_putc(out, lower(h[i]));
        return 0;
    }
    char *name = xmalloc(n + 1);
    memcpy(name, h, n);
    name[n] = '\0';
    bool ascii = true;
    for (size_t i = 0; i < n; i++)
        ascii = ascii && (unsigned char)name[i] < 0x80;
    char *ace = NULL;
    if (!ascii) {
        if (idn2_to_ascii_8z(name, &ace, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT) != IDN2_OK) {
            free(name);
            return error_field(err, ERR_INVALID, "url",
                               "the URL's host is not a valid international domain name");
        }
    }
    const char *s = ace ? ace : name;
    int rc = 0;
    if (s[0] == '.' || s[0] == '-' || strstr(s, ".."))
        rc = error_field(err, ERR_INVALID, "url", "the URL's host '%.80s' is not valid", s);
    for (const char *p = s; !rc && *p; p++) {
        char c = lower(*p);
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
            rc = error_field(err, ERR_INVALID, "url",
                             "the URL's host may hold letters, digits, '-' and '.' only");
        else
            buf_putc(out, c);
    }
    free(ace); /* idn2 allocates with malloc */
    free(name);
    return rc;
}

int links_url_normalise(const char *url, struct buf *out, struct error *err)
{
    size_t len = strlen(url);
    buf_reset(out);
    if (len > LINKS_URL_MAX)
        return error_field(err, ERR_INVALID, "url", "the URL is %zu bytes long; the limit is %d",
                           len, LINKS_URL_MAX);
    if (!utf8_valid(url, len))
        return error_field(err, ERR_INVALID, "url", "the URL is not valid UTF-8");
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return error_field(err, ERR_INVALID, "url", "the URL contains a control character");
    /* Leading and trailing spaces come from copying; inner ones are encoded. */
    while (*url == ' ')
        url++, len--;
    while (len && url[len - 1] == ' ')
        len--;
    const char *end = url + len;
    const char *rest;
    if (len >= 7 && strncasecmp(url, "http://", 7) == 0) {
        buf_puts(out, "http://");
        rest = url + 7;
    } else if (len >= 8 && strncasecmp(url, "https://", 8) == 0) {
        buf_puts(out, "https://");
        rest = url + 8;
    } else {
        return error_field(err, ERR_INVALID, "url",
                           "only http:// and https:// URLs can be short links");
    }
    const char *auth_end = rest;
    while (auth_end < end && *auth_end != '/' && *auth_end != '?' && *auth_end != '#')
        auth_end++;
    const char *host_end = auth_end;
    for (const char *p = rest; p < auth_end; p++) {
        if (*p == '@')
            return error_field(err, ERR_INVALID, "url",
                               "the URL carries a user name or password ('@' before the host); "
                               "such links are used to mislead readers");
        if (*p == '\\' || *p == ' ' || *p == '%')
            return error_field(err, ERR_INVALID, "url", "the URL's host is not valid");
    }
    /* A port: the last ':' outside an IPv6 literal's brackets. */
    const char *colon = NULL;
    for (const char *p = auth_end; p > rest; p--)
        if (p[-1] == ':') {
            colon = p - 1;
            break;
        } else if (p[-1] == ']') {
            break;
        }
    if (colon) {
        host_end = colon;
        if (colon + 1 == auth_end || auth_end - colon > 6)
            return error_field(err, ERR_INVALID, "url", "the URL's port is not valid");
        long port = 0;
        for (const char *p = colon + 1; p < auth_end; p++) {
            if (*p < '0' || *p > '9')
                return error_field(err, ERR_INVALID, "url", "the URL's port is not a number");
            port = port * 10 + (*p - '0');
        }
        if (port < 1 || port > 65535)
            return error_field(err, ERR_INVALID, "url", "the URL's port is not from 1 to 65535");
    }
    if (put_host(out, rest, (size_t)(host_end - rest), err))
        return -1;
    buf_append(out, host_end, (size_t)(auth_end - host_end)); /* ":port", digits only */
    if (auth_end == end || *auth_end != '/')
        buf_putc(out, '/');
    bool in_fragment = false;
    for (const char *p = auth_end; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        /* A second '#' would mean something else to each reader: encode it. */
        if (c == '#' && in_fragment) {
            put_encoded(out, c);
            continue;
        }
        in_fragment = in_fragment || c == '#';
        if (c == '%' && p + 2 < end && is_hex(p[1]) && is_hex(p[2]))
            buf_putc(out, '%');
        else if (c == '%' || !url_char_ok(c))
            put_encoded(out, c);
        else
            buf_putc(out, (char)c);
    }
    if (out->len > LINKS_URL_MAX)
        return error_field(err, ERR_INVALID, "url", "the URL is longer than %d bytes once encoded",
                           LINKS_URL_MAX);
    return 0;
}

int links_utm_normalise(enum utm_param p, const char *in, char out[LINKS_UTM_MAX + 1],
                        struct error *err)
{
    const char *name = links_utm_names[p];
    size_t len = strlen(in);
    out[0] = '\0';
    if (!utf8_valid(in, len))
        return error_field(err, ERR_INVALID, name, "field '%s' is not valid UTF-8", name);
    struct buf b = {0};
    bool space = false;
    const char *s = in, *end = in + len;
    while (s < end) {
        int32_t cp = utf8_decode(&s, end);
        if (cp < 0x20 || cp == 0x7f) {
            buf_free(&b);
            return error_field(err, ERR_INVALID, name, "field '%s' contains a control character",
                               name);
        }
        if (cp == ' ' || cp == 0xa0) {
            space = true;
            continue;
        }
        if (space && b.len)
            buf_putc(&b, '-');
        space = false;
        /* ASCII and Latin-1 capitals (Å, Ä, Ö and friends) to lower case. */
        if ((cp >= 'A' && cp <= 'Z') || (cp >= 0xc0 && cp <= 0xde && cp != 0xd7))
            cp += 32;
        char enc[4];
        buf_append(&b, enc, utf8_encode((uint32_t)cp, enc));
    }
    int rc = 0;
    if (b.len > LINKS_UTM_MAX)
        rc = error_field(err, ERR_INVALID, name, "field '%s' is longer than %d bytes", name,
                         LINKS_UTM_MAX);
    else if (b.len)
        memcpy(out, b.data, b.len + 1);
    buf_free(&b);
    return rc;
}

static const struct {
    const char *platform, *source, *medium;
} presets[] = {
    {"facebook", "facebook", "social"},
    {"instagram", "instagram", "social"},
    {"x", "x", "social"},
    {"linkedin", "linkedin", "social"},
    {"tiktok", "tiktok", "social"},
    {"youtube", "youtube", "video"},
    {"mastodon", "mastodon", "social"},
    {"threads", "threads", "social"},
    {"bluesky", "bluesky", "social"},
};

bool links_utm_preset(const char *platform, const char **source, const char **medium)
{
    for (size_t i = 0; i < ARRAY_LEN(presets); i++)
        if (str_eq(platform, presets[i].platform)) {
            *source = presets[i].source;
            *medium = presets[i].medium;
            return true;
        }
    return false;
}

/* Which UTM parameter a query item "name=value" names, or -1. */
static int utm_of(const char *item, size_t n)
{
    size_t k = 0;
    while (k < n && item[k] != '=')
        k++;
    for (int i = 0; i < UTM_COUNT; i++)
        if (strlen(links_utm_names[i]) == k && strncasecmp(item, links_utm_names[i], k) == 0)
            return i;
    return k >= 4 && strncasecmp(item, "utm_", 4) == 0 ? UTM_COUNT : -1;
}

void links_utm_apply(const char *url, const struct utm *u, struct buf *out, bool *had_utm)
{
    buf_reset(out);
    *had_utm = false;
    const char *hash = strchr(url, '#');
    const char *base_end = hash ? hash : url + strlen(url);
    const char *q = memchr(url, '?', (size_t)(base_end - url));
    buf_append(out, url, (size_t)((q ? q : base_end) - url));
    char sep = '?';
    if (q) {
        const char *item = q + 1;
        while (item < base_end) {
            const char *amp = memchr(item, '&', (size_t)(base_end - item));
            const char *item_end = amp ? amp : base_end;
            size_t n = (size_t)(item_end - item);
            int which = utm_of(item, n);
            if (which >= 0)
                *had_utm = true;
            /* Ours replace theirs; utm_ names we do not set are left alone. */
            bool replaced = which >= 0 && which < UTM_COUNT && u->v[which][0];
            if (n && !replaced) {
                buf_putc(out, sep);
                buf_append(out, item, n);
                sep = '&';
            }
            item = item_end + 1;
        }
    }
    for (int i = 0; i < UTM_COUNT; i++) {
        if (!u->v[i][0])
            continue;
        buf_printf(out, "%c%s=", sep, links_utm_names[i]);
        sep = '&';
        for (const unsigned char *p = (const unsigned char *)u->v[i]; *p; p++) {
            if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                strchr("-._~", *p))
                buf_putc(out, (char)*p);
            else
                put_encoded(out, *p);
        }
    }
    if (hash)
        buf_puts(out, hash);
}
