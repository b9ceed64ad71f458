/* click: what a click is reduced to before anything is written: short
 * codes, the device class and bot flag from the User-Agent, the referrer's
 * host only, and the day-salted visitor hash. No address, no cookie. */
#include "links/links.h"

#include <pthread.h>
#include <stdio.h>
#include <sodium.h>
#include <string.h>

const char links_code_alphabet[] = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
const char *const links_device_names[4] = {"desktop", "mobile", "tablet", "other"};

static void random_bytes(void *buf, size_t n)
{
    randombytes_buf(buf, n);
}
void (*links_random)(void *buf, size_t n) = random_bytes;

void links_code_new(char out[LINKS_CODE_LEN + 1])
{
    const size_t k = sizeof links_code_alphabet - 1;
    const unsigned limit = 256 - 256 % k; /* rejection keeps every letter equally likely */
    size_t n = 0;
    while (n < LINKS_CODE_LEN) {
        unsigned char bytes[16];
        links_random(bytes, sizeof bytes);
        for (size_t i = 0; i < sizeof bytes && n < LINKS_CODE_LEN; i++)
            if (bytes[i] < limit)
                out[n++] = links_code_alphabet[bytes[i] % k];
    }
    out[n] = '\0';
}

bool links_code_valid(const char *code)
{
    size_t n = 0;
    for (const char *p = code; *p; p++, n++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-'))
            return false;
    return n >= 3 && n <= 64;
}

/* ---- User-Agent ---------------------------------------------------------------------
 * Substrings, not a full parser: the classes only need to be right for the
 * browsers and crawlers that follow links from social media. */

static const char *const bot_marks[] = {
    "bot",           "crawl",          "spider",          "slurp",      "facebookexternalhit",
    "embedly",       "preview",        "curl/",           "wget",       "python-requests",
    "python-urllib", "go-http-client", "java/",           "libwww",     "httpclient",
    "headless",      "lighthouse",     "scrapy",          "node-fetch", "axios/",
    "okhttp",        "whatsapp",       "skypeuripreview", "monitor",    "validator",
};

static bool has(const char *lower_ua, const char *mark)
{
    return strstr(lower_ua, mark) != NULL;
}

void links_classify_ua(const char *ua, enum device *device, bool *bot)
{
    *device = DEVICE_OTHER;
    /* Every browser sends a User-Agent; a click without one is a program. */
    if (!ua || !*ua) {
        *bot = true;
        return;
    }
    /* Lower-cased once, so each mark is a plain search; the first 511
     * bytes bound the work a hostile header can cause. */
    char head[512];
    size_t n = 0;
    for (; n < sizeof head - 1 && ua[n]; n++)
        head[n] = (char)(ua[n] >= 'A' && ua[n] <= 'Z' ? ua[n] + 32 : ua[n]);
    head[n] = '\0';
    *bot = false;
    for (size_t i = 0; i < ARRAY_LEN(bot_marks) && !*bot; i++)
        *bot = has(head, bot_marks[i]);
    if (*bot)
        return;
    bool android = has(head, "android");
    if (has(head, "ipad") || has(head, "tablet") || has(head, "kindle") || has(head, "silk/") ||
        (android && !has(head, "mobile")))
        *device = DEVICE_TABLET;
    else if (has(head, "mobi") || has(head, "iphone") || has(head, "ipod") || android ||
             has(head, "windows phone") || has(head, "blackberry") || has(head, "opera mini"))
        *device = DEVICE_MOBILE;
    else if (has(head, "windows nt") || has(head, "macintosh") || has(head, "x11") ||
             has(head, "cros") || has(head, "linux"))
        *device = DEVICE_DESKTOP;
}

void links_referrer_host(const char *ref, char out[256])
{
    out[0] = '\0';
    if (!ref)
        return;
    const char *p;
    if (strncasecmp(ref, "https://", 8) == 0)
        p = ref + 8;
    else if (strncasecmp(ref, "http://", 7) == 0)
        p = ref + 7;
    else
        return;
    size_t n = strcspn(p, "/?#");
    const char *at = memchr(p, '@', n);
    if (at) {
        n -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    if (n && p[0] == '[') {
        const char *close = memchr(p, ']', n);
        n = close ? (size_t)(close + 1 - p) : 0;
    } else {
        const char *colon = memchr(p, ':', n);
        if (colon)
            n = (size_t)(colon - p);
    }
    if (n == 0 || n > 253)
        return;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("-.[]:", c))) {
            out[0] = '\0';
            return;
        }
        out[i] = c;
    }
    out[n] = '\0';
}

/* ---- the visitor hash ------------------------------------------------------------- */

static pthread_mutex_t salt_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char salt[crypto_generichash_KEYBYTES];
static int64_t salt_day = INT64_MIN;

void links_visitor_hash(const char *ip, const char *ua, int64_t now,
                        char out[LINKS_VISITOR_HEX + 1])
{
    unsigned char key[sizeof salt];
    int64_t day = now / 86400;
    pthread_mutex_lock(&salt_lock);
    if (day != salt_day) {
        /* Yesterday's salt is overwritten, so yesterday's hashes can no longer
         * be recomputed from an address, not even by kanal. */
        randombytes_buf(salt, sizeof salt);
        salt_day = day;
    }
    memcpy(key, salt, sizeof key);
    pthread_mutex_unlock(&salt_lock);
    crypto_generichash_state st;
    crypto_generichash_init(&st, key, sizeof key, LINKS_VISITOR_HEX / 2);
    crypto_generichash_update(&st, (const unsigned char *)(ip ? ip : ""), strlen(ip ? ip : "") + 1);
    crypto_generichash_update(&st, (const unsigned char *)(ua ? ua : ""), strlen(ua ? ua : ""));
    unsigned char h[LINKS_VISITOR_HEX / 2];
    crypto_generichash_final(&st, h, sizeof h);
    sodium_memzero(key, sizeof key);
    sodium_memzero(&st, sizeof st);
    str_hex(h, sizeof h, out);
}
