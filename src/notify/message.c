/* message: the bytes that leave kanal for a person or a chat tool. An
 * e-mail as RFC 5322 text (headers encoded per RFC 2047, a UTF-8 body in
 * base64 so that no relay has to know 8BITMIME), and the webhook's
 * signature, which a receiver recomputes to trust the body. */
#include "notify/notify.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The longest run of bytes one encoded-word carries: "=?UTF-8?B?" and
 * "?=" take 12 of the 75 characters RFC 2047 allows, leaving 63, so 60
 * base64 characters, which hold 45 bytes. */
#define WORD_BYTES 45

static bool plain_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return false;
    return true;
}

static void put_word(struct buf *out, const char *p, size_t n)
{
    char b64[sodium_base64_ENCODED_LEN(WORD_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof b64, (const unsigned char *)p, n, sodium_base64_VARIANT_ORIGINAL);
    buf_printf(out, "=?UTF-8?B?%s?=", b64);
}

void notify_header_encode(const char *s, struct buf *out)
{
    /* Line breaks would end the header (and start one an attacker wrote). */
    struct buf clean = {0};
    for (const char *p = s; *p; p++)
        buf_putc(&clean, (*p == '\r' || *p == '\n' || *p == '\t') ? ' ' : *p);
    buf_puts(&clean, "");
    /* "=?" in plain text would be read as the start of an encoded-word. */
    if (plain_ascii(clean.data) && !strstr(clean.data, "=?")) {
        buf_puts(out, clean.data);
        buf_free(&clean);
        return;
    }
    const char *p = clean.data, *end = p + clean.len;
    bool first = true;
    while (p < end) {
        /* Take whole characters while they fit, so no word splits one. */
        const char *start = p, *q = p;
        while (q < end) {
            const char *at = q;
            if (utf8_decode(&q, end) < 0)
                q = at + 1; /* an invalid byte goes on its own */
            if ((size_t)(q - start) > WORD_BYTES) {
                q = at;
                break;
            }
        }
        if (q == start)
            q = start + 1;
        if (!first)
            buf_puts(out, "\r\n "); /* folded: the space between words is not shown */
        put_word(out, start, (size_t)(q - start));
        first = false;
        p = q;
    }
    buf_free(&clean);
}

/* An address as the message names it: no line breaks, angle brackets only
 * in the "Name <a@b>" form, one '@'. */
static bool address_ok(const char *a)
{
    if (!utf8_text(a, 1, 320))
        return false;
    for (const char *p = a; *p; p++)
        if (*p == '\r' || *p == '\n' || *p == '\0')
            return false;
    const char *lt = strchr(a, '<');
    if (lt && (strchr(lt + 1, '<') || a[strlen(a) - 1] != '>'))
        return false;
    const char *at = strchr(lt ? lt : a, '@');
    return at != NULL;
}

/* "Name <a@b>" with the name encoded when it is not plain ASCII. */
static void put_address(struct buf *out, const char *a)
{
    const char *lt = strchr(a, '<');
    if (!lt) {
        buf_puts(out, a);
        return;
    }
    char name[330];
    size_t n = (size_t)(lt - a);
    while (n && a[n - 1] == ' ')
        n--;
    snprintf(name, sizeof name, "%.*s", (int)n, a);
    if (*name) {
        if (plain_ascii(name) && !strpbrk(name, "\"(),.:;<>@[\\]")) {
            buf_puts(out, name);
        } else if (plain_ascii(name)) {
            buf_putc(out, '"');
            for (const char *p = name; *p; p++) {
                if (*p == '"' || *p == '\\')
                    buf_putc(out, '\\');
                buf_putc(out, *p);
            }
            buf_putc(out, '"');
        } else {
            notify_header_encode(name, out);
        }
        buf_putc(out, ' ');
    }
    buf_puts(out, lt);
}

int notify_mail_format(const struct notify_mail *m, struct buf *out, struct error *err)
{
    if (!address_ok(m->from))
        return error_field(err, ERR_INVALID, "from", "from: '%.80s' is not an e-mail address",
                           m->from ? m->from : "");
    if (!address_ok(m->to))
        return error_field(err, ERR_INVALID, "to", "to: '%.80s' is not an e-mail address",
                           m->to ? m->to : "");
    const char *subject = m->subject ? m->subject : "", *body = m->body ? m->body : "";
    if (!utf8_valid(subject, strlen(subject)) || !utf8_valid(body, strlen(body)))
        return error_set(err, ERR_INVALID, "the %s is not UTF-8",
                         utf8_valid(subject, strlen(subject)) ? "body" : "subject");
    if (!m->message_id || !strchr(m->message_id, '@') || strpbrk(m->message_id, "<>\r\n "))
        return error_field(err, ERR_INVALID, "message_id", "message_id: expected id@domain");
    /* RFC 5322's date, in UTC and in English whatever the locale. */
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)m->date;
    struct tm tm;
    gmtime_r(&t, &tm);
    buf_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday], tm.tm_mday,
               months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    buf_puts(out, "From: ");
    put_address(out, m->from);
    buf_puts(out, "\r\nTo: ");
    put_address(out, m->to);
    buf_puts(out, "\r\nSubject: ");
    notify_header_encode(subject, out);
    buf_printf(out, "\r\nMessage-ID: <%s>\r\n", m->message_id);
    if (m->event)
        buf_printf(out, "X-Kanal-Event: %s\r\n", m->event);
    /* Mail from a program: no out-of-office answers back (RFC 3834). */
    buf_puts(out, "Auto-Submitted: auto-generated\r\n"
                  "MIME-Version: 1.0\r\n"
                  "Content-Type: text/plain; charset=UTF-8\r\n"
                  "Content-Transfer-Encoding: base64\r\n\r\n");
    /* The text with CRLF line ends (what a text/plain body has on the
     * wire), in base64 lines of 76 characters. */
    struct buf text = {0};
    for (const char *p = body; *p; p++) {
        if (*p == '\n' && (p == body || p[-1] != '\r'))
            buf_putc(&text, '\r');
        buf_putc(&text, *p);
    }
    for (size_t at = 0; at < text.len; at += 57) {
        size_t n = text.len - at < 57 ? text.len - at : 57;
        char line[sodium_base64_ENCODED_LEN(57, sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(line, sizeof line, (const unsigned char *)text.data + at, n,
                          sodium_base64_VARIANT_ORIGINAL);
        buf_printf(out, "%s\r\n", line);
    }
    buf_free(&text);
    return 0;
}

void notify_sign(const char *secret, int64_t timestamp, const char *body, size_t n, char *out)
{
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char ts[24];
    int len = snprintf(ts, sizeof ts, "%lld.", (long long)timestamp);
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, (unsigned long long)len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, n);
    crypto_auth_hmacsha256_final(&st, mac);
    memcpy(out, "sha256=", 7);
    str_hex(mac, sizeof mac, out + 7);
}
