/* rules: each platform's limits on a variant, counted the way the platform
 * counts: X weighs code points and emoji and shortens URLs (twitter-text),
 * Bluesky and Mastodon count grapheme clusters, Meta, LinkedIn, YouTube and
 * TikTok count code points. Normalisation and grapheme breaks are ICU's. */
#include "publish/publish.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utext.h>

#define URL_WEIGHT 23 /* X's and Mastodon's t.co-like length of any link */

/* ---- links in text -------------------------------------------------------- */

static bool is_word(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c >= 0x80;
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Top-level domains a bare "name.tld" link is recognised by, as X does for
 * links without a scheme. A short list of the common ones: a rarer one
 * counts as text, which only ever overestimates the length. */
static const char *const bare_tlds[] = {"com",  "org", "net", "edu", "gov", "io",  "co",
                                        "se",   "fi",  "no",  "dk",  "de",  "uk",  "eu",
                                        "info", "nu",  "ly",  "me",  "app", "dev", NULL};

static size_t url_tail(const char *s, size_t n, size_t i)
{
    while (i < n && !is_space((unsigned char)s[i]))
        i++;
    /* Trailing punctuation belongs to the sentence, not the link. */
    while (i > 0 && strchr(".,;:!?'\")]", s[i - 1]))
        i--;
    return i;
}

/* The length of a bare domain link at s[i] ("example.com/x"), 0 if none. */
static size_t bare_link(const char *s, size_t n, size_t i)
{
    size_t j = i, last_dot = 0;
    while (j < n && (isalnum((unsigned char)s[j]) || s[j] == '-' || s[j] == '.')) {
        if (s[j] == '.')
            last_dot = j;
        j++;
    }
    if (!last_dot || last_dot == i)
        return 0;
    size_t tl = j - last_dot - 1;
    if (tl == 0) { /* "example.com." at the end of a sentence */
        j--;
        size_t k = last_dot;
        last_dot = 0;
        for (size_t m = i; m < k; m++)
            if (s[m] == '.')
                last_dot = m;
        if (!last_dot)
            return 0;
        tl = j - last_dot - 1;
    }
    bool known = false;
    for (const char *const *t = bare_tlds; *t && !known; t++)
        known = strlen(*t) == tl && strncasecmp(*t, s + last_dot + 1, tl) == 0;
    if (!known)
        return 0;
    if (j < n && (s[j] == '/' || s[j] == '?'))
        j = url_tail(s, n, j);
    return j - i;
}

/* Finds the next link at or after *from: sets *start and *end and returns
 * true. `bare`: also links without a scheme (X), not only http(s) (Mastodon). */
static bool next_url(const char *s, size_t n, size_t from, bool bare, size_t *start, size_t *end)
{
    for (size_t i = from; i < n; i++) {
        if (i > 0 && (is_word((unsigned char)s[i - 1]) || s[i - 1] == '@' || s[i - 1] == '.' ||
                      s[i - 1] == '/'))
            continue;
        size_t scheme = 0;
        if (n - i >= 8 && strncasecmp(s + i, "https://", 8) == 0)
            scheme = 8;
        else if (n - i >= 7 && strncasecmp(s + i, "http://", 7) == 0)
            scheme = 7;
        if (scheme) {
            size_t e = url_tail(s, n, i + scheme);
            if (e > i + scheme && s[i + scheme] != '/') {
                *start = i;
                *end = e;
                return true;
            }
            continue;
        }
        size_t len = bare ? bare_link(s, n, i) : 0;
        if (len) {
            *start = i;
            *end = i + len;
            return true;
        }
    }
    return false;
}

/* ---- counting -------------------------------------------------------------- */

int64_t publish_code_points(const char *text, size_t n)
{
    if (!utf8_valid(text, n))
        return -1;
    int64_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)text[i] & 0xC0) != 0x80;
    return c;
}

int64_t publish_graphemes(const char *text, size_t n)
{
    if (!utf8_valid(text, n))
        return -1;
    if (n == 0)
        return 0;
    UErrorCode st = U_ZERO_ERROR;
    UText *ut = utext_openUTF8(NULL, text, (int64_t)n, &st);
    UBreakIterator *bi = ubrk_open(UBRK_CHARACTER, "", NULL, 0, &st);
    if (U_SUCCESS(st))
        ubrk_setUText(bi, ut, &st);
    int64_t count = -1;
    if (U_SUCCESS(st)) {
        count = 0;
        ubrk_first(bi);
        while (ubrk_next(bi) != UBRK_DONE)
            count++;
    }
    ubrk_close(bi);
    utext_close(ut);
    return count;
}

/* The weight twitter-text gives one code point that is not part of an emoji. */
static int x_weight(UChar32 c)
{
    if ((c >= 0 && c <= 0x10FF) || (c >= 0x2000 && c <= 0x200D) || (c >= 0x2010 && c <= 0x201F) ||
        (c >= 0x2032 && c <= 0x2037))
        return 1;
    return 2;
}

/* Whether a grapheme cluster is an emoji as twitter-text's emoji pattern
 * matches them: one shown as emoji by default, one made so by U+FE0F, a
 * flag (regional indicators) or a keycap. */
static bool cluster_is_emoji(const UChar *u, int32_t from, int32_t to)
{
    int32_t i = from;
    bool pictographic = false;
    while (i < to) {
        UChar32 c;
        U16_NEXT(u, i, to, c);
        if (u_hasBinaryProperty(c, UCHAR_EMOJI_PRESENTATION) ||
            u_hasBinaryProperty(c, UCHAR_REGIONAL_INDICATOR) || c == 0x20E3)
            return true;
        if (u_hasBinaryProperty(c, UCHAR_EXTENDED_PICTOGRAPHIC))
            pictographic = true;
        if (c == 0xFE0F && pictographic)
            return true;
    }
    return false;
}

/* X's weight of text without links: NFC, then cluster by cluster. */
static int64_t x_weigh_text(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    UErrorCode st = U_ZERO_ERROR;
    int32_t ulen = 0;
    u_strFromUTF8(NULL, 0, &ulen, s, (int32_t)n, &st);
    if (st != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st))
        return -1;
    st = U_ZERO_ERROR;
    UChar *u = xmalloc(((size_t)ulen + 1) * sizeof *u);
    u_strFromUTF8(u, ulen + 1, NULL, s, (int32_t)n, &st);
    const UNormalizer2 *nfc = unorm2_getNFCInstance(&st);
    /* NFC never more than triples UTF-16 length (Unicode's stated bound). */
    int32_t cap = ulen * 3 + 1;
    UChar *norm = xmalloc((size_t)cap * sizeof *norm);
    int32_t nlen = U_SUCCESS(st) ? unorm2_normalize(nfc, u, ulen, norm, cap, &st) : 0;
    free(u);
    int64_t weight = -1;
    UBreakIterator *bi = U_SUCCESS(st) ? ubrk_open(UBRK_CHARACTER, "", norm, nlen, &st) : NULL;
    if (U_SUCCESS(st)) {
        weight = 0;
        int32_t from = ubrk_first(bi), to;
        while ((to = ubrk_next(bi)) != UBRK_DONE) {
            if (cluster_is_emoji(norm, from, to)) {
                weight += 2;
            } else {
                int32_t i = from;
                while (i < to) {
                    UChar32 c;
                    U16_NEXT(norm, i, to, c);
                    weight += x_weight(c);
                }
            }
            from = to;
        }
    }
    ubrk_close(bi);
    free(norm);
    return weight;
}

int64_t publish_x_length(const char *text, size_t n)
{
    if (!utf8_valid(text, n))
        return -1;
    int64_t total = 0;
    size_t at = 0, us, ue;
    while (next_url(text, n, at, true, &us, &ue)) {
        int64_t w = x_weigh_text(text + at, us - at);
        if (w < 0)
            return -1;
        total += w + URL_WEIGHT;
        at = ue;
    }
    int64_t w = x_weigh_text(text + at, n - at);
    return w < 0 ? -1 : total + w;
}

int64_t publish_mastodon_length(const char *text, size_t n)
{
    if (!utf8_valid(text, n))
        return -1;
    /* The text with each link as 23 characters and each remote mention's
     * domain left out, then counted in graphemes. */
    struct buf b = {0};
    size_t at = 0, us, ue;
    while (next_url(text, n, at, false, &us, &ue)) {
        buf_append(&b, text + at, us - at);
        for (int i = 0; i < URL_WEIGHT; i++)
            buf_putc(&b, 'x');
        at = ue;
    }
    buf_append(&b, text + at, n - at);
    struct buf c = {0};
    for (size_t i = 0; i < b.len; i++) {
        buf_putc(&c, b.data[i]);
        if (b.data[i] != '@' || (i > 0 && is_word((unsigned char)b.data[i - 1])))
            continue;
        size_t j = i + 1;
        while (j < b.len && (is_word((unsigned char)b.data[j]) && (unsigned char)b.data[j] < 0x80))
            j++;
        if (j == i + 1 || j >= b.len || b.data[j] != '@')
            continue;
        size_t k = j + 1;
        while (k < b.len &&
               (isalnum((unsigned char)b.data[k]) || b.data[k] == '.' || b.data[k] == '-'))
            k++;
        if (k == j + 1)
            continue;
        buf_append(&c, b.data + i + 1, j - i - 1); /* @user, without @domain */
        i = k - 1;
    }
    int64_t len = publish_graphemes(c.data ? c.data : "", c.len);
    buf_free(&b);
    buf_free(&c);
    return len;
}

int publish_hashtags(const char *text, size_t n)
{
    int count = 0;
    for (size_t i = 0; i + 1 < n; i++)
        if (text[i] == '#' && (i == 0 || !is_word((unsigned char)text[i - 1])) &&
            is_word((unsigned char)text[i + 1]))
            count++;
    return count;
}

/* ---- the platforms' rules --------------------------------------------------------- */

enum unit { U_POINTS, U_X, U_GRAPHEMES, U_MASTODON };

struct platform_rules {
    const char *platform;
    enum unit unit;
    int64_t text_max;    /* 0: none */
    int64_t bytes_max;   /* 0: none (Bluesky also limits bytes) */
    int hashtags_max;    /* 0: none */
    int media_min;       /* media the post needs */
    int images_max;      /* images (and GIFs where they count as images) in one post */
    int videos_max;      /* videos in one post */
    bool mix;            /* images and videos together (a carousel) */
    bool gif;            /* GIFs allowed (as their own kind: alone, one) */
    int64_t comment_max; /* a first comment's limit; 0: the platform has none */
    int64_t title_max;   /* 0: no title */
    const char *unit_name;
};

/* The limits the platforms document for an organisation's account (see
 * docs/publish.md for the sources). */
static const struct platform_rules rules[] = {
    {"x", U_X, 280, 0, 0, 0, 4, 1, false, true, 0, 0, "characters as X counts them"},
    {"instagram", U_POINTS, 2200, 0, 30, 1, 10, 10, true, false, 2200, 0, "characters"},
    {"linkedin", U_POINTS, 3000, 0, 0, 0, 20, 1, false, true, 1250, 0, "characters"},
    {"facebook", U_POINTS, 63206, 0, 0, 0, 10, 1, false, true, 8000, 0, "characters"},
    {"mastodon", U_MASTODON, 500, 0, 0, 0, 4, 1, false, true, 0, 0,
     "characters as Mastodon counts them"},
    {"bluesky", U_GRAPHEMES, 300, 3000, 0, 0, 4, 1, false, false, 0, 0, "graphemes"},
    {"youtube", U_POINTS, 5000, 0, 0, 1, 0, 1, false, false, 10000, 100, "characters"},
    {"threads", U_POINTS, 500, 0, 0, 0, 20, 20, true, false, 0, 0, "characters"},
    {"tiktok", U_POINTS, 2200, 0, 0, 1, 35, 1, false, false, 0, 0, "characters"},
};

static const struct platform_rules *rules_for(const char *platform)
{
    for (size_t i = 0; i < ARRAY_LEN(rules); i++)
        if (str_eq(rules[i].platform, platform))
            return &rules[i];
    return NULL;
}

int64_t publish_text_limit(const char *platform)
{
    const struct platform_rules *r = rules_for(platform);
    return r ? r->text_max : 0;
}

static int64_t count(enum unit u, const char *s, size_t n)
{
    switch (u) {
    case U_POINTS:
        return publish_code_points(s, n);
    case U_X:
        return publish_x_length(s, n);
    case U_GRAPHEMES:
        return publish_graphemes(s, n);
    case U_MASTODON:
        return publish_mastodon_length(s, n);
    }
    assert(!"a unit without a count");
    return -1;
}

static int check_media(const struct platform_rules *r, const struct variant_check *v,
                       struct error *err)
{
    int images = 0, videos = 0, gifs = 0;
    for (size_t i = 0; i < v->nmedia; i++) {
        const char *t = v->media[i];
        char field[32];
        snprintf(field, sizeof field, "media[%zu]", i);
        if (str_eq(t, "image"))
            images++;
        else if (str_eq(t, "video"))
            videos++;
        else if (str_eq(t, "gif"))
            gifs++;
        else
            return error_field(err, ERR_INVALID, field,
                               "%s: unknown media type '%.20s' (image, video or gif)", field,
                               t ? t : "");
        if ((str_eq(t, "gif") && !r->gif) || (str_eq(t, "image") && r->images_max == 0))
            return error_field(err, ERR_INVALID, field, "%s: %s takes no %s", field, r->platform,
                               t);
    }
    if (v->complete && (int)v->nmedia < r->media_min)
        return error_field(err, ERR_INVALID, "media", "media: a %s post needs %s", r->platform,
                           r->images_max ? "an image or a video" : "a video");
    if (videos > r->videos_max)
        return error_field(err, ERR_INVALID, "media", "media: %d videos; %s takes at most %d",
                           videos, r->platform, r->videos_max);
    if (gifs > 1 || (gifs && (images || videos)))
        return error_field(err, ERR_INVALID, "media",
                           "media: a GIF on %s must be the post's only medium", r->platform);
    if (!r->mix && videos && images)
        return error_field(err, ERR_INVALID, "media",
                           "media: %s does not take images and a video in one post", r->platform);
    int items = images + (r->mix ? videos : 0);
    if (items > r->images_max)
        return error_field(err, ERR_INVALID, "media", "media: %d items; %s takes at most %d", items,
                           r->platform, r->images_max);
    return 0;
}

int publish_check(const struct variant_check *v, struct error *err)
{
    assert(v && v->platform);
    const char *body = v->body ? v->body : "";
    size_t n = strlen(body);
    if (!utf8_valid(body, n))
        return error_field(err, ERR_INVALID, "body", "body: not valid UTF-8");
    const struct platform_rules *r = rules_for(v->platform);
    if (!r) /* "other": kanal knows no rules of its own for it */
        return v->text_limit > 0 && publish_code_points(body, n) > v->text_limit
                   ? error_field(err, ERR_INVALID, "body",
                                 "body: %lld characters; this channel takes at most %lld",
                                 (long long)publish_code_points(body, n), (long long)v->text_limit)
                   : 0;
    int64_t max = v->text_limit > 0 ? v->text_limit : r->text_max;
    int64_t len = count(r->unit, body, n);
    if (len < 0)
        return error_field(err, ERR_INVALID, "body", "body: its text cannot be counted");
    if (max && len > max)
        return error_field(err, ERR_INVALID, "body", "body: %lld %s; %s takes at most %lld",
                           (long long)len, r->unit_name, r->platform, (long long)max);
    if (r->bytes_max && (int64_t)n > r->bytes_max)
        return error_field(err, ERR_INVALID, "body", "body: %zu bytes; %s takes at most %lld", n,
                           r->platform, (long long)r->bytes_max);
    int tags = r->hashtags_max ? publish_hashtags(body, n) : 0;
    if (r->hashtags_max && tags > r->hashtags_max)
        return error_field(err, ERR_INVALID, "body", "body: %d hashtags; %s takes at most %d", tags,
                           r->platform, r->hashtags_max);
    if (r->title_max) {
        const char *t = v->title ? v->title : "";
        int64_t tl = publish_code_points(t, strlen(t));
        if (tl <= 0 && v->complete)
            return error_field(err, ERR_INVALID, "title", "title: a %s video needs a title",
                               r->platform);
        if (tl > r->title_max)
            return error_field(err, ERR_INVALID, "title",
                               "title: %lld characters; %s takes at "
                               "most %lld",
                               (long long)tl, r->platform, (long long)r->title_max);
        if (strpbrk(t, "<>"))
            return error_field(err, ERR_INVALID, "title",
                               "title: %s titles may not contain '<' or '>'", r->platform);
    } else if (v->title && *v->title) {
        return error_field(err, ERR_INVALID, "title", "title: %s posts have no title", r->platform);
    }
    if (v->first_comment && *v->first_comment) {
        size_t cn = strlen(v->first_comment);
        int64_t cl = publish_code_points(v->first_comment, cn);
        if (!r->comment_max)
            return error_field(err, ERR_INVALID, "first_comment",
                               "first_comment: kanal posts no first comment on %s", r->platform);
        if (cl < 0 || cl > r->comment_max)
            return error_field(err, ERR_INVALID, "first_comment",
                               "first_comment: %lld characters; %s takes at most %lld",
                               (long long)cl, r->platform, (long long)r->comment_max);
    }
    return check_media(r, v, err);
}
