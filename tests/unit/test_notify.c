/* Unit tests for notify/'s messages: the RFC 5322 e-mail (headers, date,
 * base64 body), RFC 2047 encoded-words (never splitting a character,
 * never letting a line break through) and the webhook's signature.
 * Expected values come from Python's hmac and base64 modules and RFC
 * 4231's test vector, not from kanal. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify/notify.h"

static char *encode(const char *s)
{
    struct buf b = {0};
    notify_header_encode(s, &b);
    buf_puts(&b, "");
    return buf_steal(&b);
}

static void test_header_plain_ascii(void **state)
{
    (void)state;
    char *s = encode("Approved: Road works on E4");
    assert_string_equal(s, "Approved: Road works on E4");
    free(s);
    /* A line break is never passed on: it would start a header of its own. */
    s = encode("Hi\r\nBcc: victim@example.org");
    assert_null(strchr(s, '\r'));
    assert_null(strchr(s, '\n'));
    assert_string_equal(s, "Hi  Bcc: victim@example.org");
    free(s);
    /* Text that looks like an encoded-word is encoded, so it is not read as one. */
    s = encode("=?UTF-8?B?QQ==?=");
    assert_true(str_starts_with(s, "=?UTF-8?B?"));
    assert_string_not_equal(s, "=?UTF-8?B?QQ==?=");
    free(s);
}

static void test_header_rfc2047(void **state)
{
    (void)state;
    char *s = encode("Granskning: Trafikolycka på E4");
    /* Python: base64.b64encode('Granskning: Trafikolycka på E4'.encode()) */
    assert_string_equal(s, "=?UTF-8?B?R3JhbnNrbmluZzogVHJhZmlrb2x5Y2thIHDDpSBFNA==?=");
    free(s);
    /* A long subject of two-byte characters: words of at most 75
     * characters, folded, each decoding to whole characters, together the
     * text. */
    char in[400] = "";
    for (int i = 0; i < 60; i++)
        strcat(in, i % 2 ? "ä" : "ö");
    strcat(in, " 日本");
    s = encode(in);
    struct buf joined = {0};
    int words = 0;
    for (char *p = s; *p;) {
        char *end = strstr(p, "\r\n ");
        size_t len = end ? (size_t)(end - p) : strlen(p);
        assert_true(len <= 75);
        assert_true(str_starts_with(p, "=?UTF-8?B?"));
        assert_memory_equal(p + len - 2, "?=", 2);
        char b64[80], raw[64];
        snprintf(b64, sizeof b64, "%.*s", (int)(len - 12), p + 10);
        size_t n;
        assert_int_equal(sodium_base642bin((unsigned char *)raw, sizeof raw, b64, strlen(b64), NULL,
                                           &n, NULL, sodium_base64_VARIANT_ORIGINAL),
                         0);
        assert_true(utf8_valid(raw, n)); /* no character cut in two */
        buf_append(&joined, raw, n);
        words++;
        p += len + (end ? 3 : 0);
    }
    buf_puts(&joined, "");
    assert_true(words >= 3);
    assert_string_equal(joined.data, in);
    buf_free(&joined);
    free(s);
}

static void test_mail_format(void **state)
{
    (void)state;
    struct notify_mail m = {.from = "Kanal Desk <desk@example.org>",
                            .to = "författare@example.org",
                            .subject = "Rejected: Väder",
                            .body = "Line one\nLine två\n.\n",
                            .date = 1700000000, /* Tue, 14 Nov 2023 22:13:20 UTC */
                            .message_id = "kanal.7.ab@example.org",
                            .event = "rejected"};
    struct buf out = {0};
    struct error err = {0};
    assert_int_equal(notify_mail_format(&m, &out, &err), 0);
    buf_puts(&out, "");
    const char *t = out.data;
    assert_non_null(strstr(t, "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"));
    assert_non_null(strstr(t, "\r\nFrom: Kanal Desk <desk@example.org>\r\n"));
    assert_non_null(strstr(t, "\r\nTo: författare@example.org\r\n"));
    assert_non_null(strstr(t, "\r\nSubject: =?UTF-8?B?UmVqZWN0ZWQ6IFbDpGRlcg==?=\r\n"));
    assert_non_null(strstr(t, "\r\nMessage-ID: <kanal.7.ab@example.org>\r\n"));
    assert_non_null(strstr(t, "\r\nContent-Type: text/plain; charset=UTF-8\r\n"));
    assert_non_null(strstr(t, "\r\nContent-Transfer-Encoding: base64\r\n"));
    /* Every line ends in CRLF; no bare LF anywhere. */
    for (const char *p = t; *p; p++)
        if (*p == '\n')
            assert_true(p > t && p[-1] == '\r');
    /* The body decodes to the text with CRLF line ends. Python:
     * base64.b64encode(b'Line one\r\nLine tv\xc3\xa5\r\n.\r\n') */
    const char *body = strstr(t, "\r\n\r\n");
    assert_non_null(body);
    assert_string_equal(body + 4, "TGluZSBvbmUNCkxpbmUgdHbDpQ0KLg0K\r\n");
    buf_free(&out);

    /* A name that is not plain ASCII is encoded; a header-breaking address refused. */
    m.from = "Polisen Syd <syd@example.org>";
    m.to = "Åsa Öberg <asa@example.org>";
    assert_int_equal(notify_mail_format(&m, &out, &err), 0);
    buf_puts(&out, "");
    assert_non_null(strstr(out.data, "\r\nTo: =?UTF-8?B?w4VzYSDDlmJlcmc=?= <asa@example.org>\r\n"));
    buf_free(&out);
    m.to = "a@example.org\r\nBcc: b@example.org";
    assert_int_equal(notify_mail_format(&m, &out, &err), -1);
    assert_string_equal(err.field, "to");
    buf_free(&out);
    m.to = "nobody";
    assert_int_equal(notify_mail_format(&m, &out, &err), -1);
    buf_free(&out);
}

static void test_signature(void **state)
{
    (void)state;
    char sig[NOTIFY_SIGNATURE_SIZE];
    const char *body = "{\"event\":\"approved\"}";
    notify_sign("Jefe", 1700000000, body, strlen(body), sig);
    /* Python: hmac.new(b'Jefe', b'1700000000.' + body, hashlib.sha256).hexdigest() */
    assert_string_equal(sig,
                        "sha256=3bfcf417379cb260c46eae78df1be2407e050ca2e74e942b4b7bef339a4bf6c5");
    /* Another time or body, another signature (what stops a replay). */
    char other[NOTIFY_SIGNATURE_SIZE];
    notify_sign("Jefe", 1700000001, body, strlen(body), other);
    assert_string_not_equal(sig, other);
    /* The primitive notify_sign is built on, against RFC 4231 test case 2
     * (its data cannot be written as "TIMESTAMP.BODY"). */
    unsigned char mac[32];
    crypto_auth_hmacsha256_state st;
    const char *data = "what do ya want for nothing?";
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)"Jefe", 4);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)data, strlen(data));
    crypto_auth_hmacsha256_final(&st, mac);
    char hex[65];
    str_hex(mac, sizeof mac, hex);
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

/* ---- who is told, on a store ------------------------------------------------------ */

static int64_t make(struct db *db, const struct entity *e, int64_t ws, json_t *in)
{
    struct error err = {0};
    json_t *out = entity_create(db, e, ws, in, NULL, &err);
    json_decref(in);
    if (!out)
        fail_msg("%s", err.msg);
    int64_t id = json_integer_value(json_object_get(out, "id"));
    json_decref(out);
    return id;
}

static int64_t user(struct db *db, const char *email, const char *role)
{
    struct error err = {0};
    int64_t id;
    assert_int_equal(user_create(db, email, email, role, "a long password 1", &id, &err), 0);
    return id;
}

static int64_t count(struct db *db, const char *sql, int64_t arg)
{
    struct error err = {0};
    int64_t n = -1;
    assert_int_equal(db_scalar(db, &err, &n, sql, "i", arg), 1);
    return n;
}

/* What the scheduler calls when a variant fails: the author and the desk
 * (admins, editors) are told, with the channel and the platform's error;
 * nobody else; e-mail only for those who left it on; nothing sent yet,
 * only queued as jobs. */
static void test_post_failed_reaches_author_and_desk(void **state)
{
    (void)state;
    struct error err = {0};
    struct db *db = db_open(":memory:", &err);
    assert_non_null(db);
    log_set_level(LOG_WARN);
    assert_true(db_migrate(db, &err) >= 1);
    int64_t ws = make(db, &entity_workspace, 0, json_pack("{s:s, s:s}", "name", "P", "slug", "p"));
    int64_t ch = make(db, &entity_channel, ws,
                      json_pack("{s:s, s:s, s:s}", "platform", "mastodon", "handle", "p@m.se",
                                "name", "Polisen M"));
    int64_t author = user(db, "author@example.org", "author");
    int64_t editor = user(db, "editor@example.org", "editor");
    int64_t admin = user(db, "admin@example.org", "admin");
    int64_t analyst = user(db, "analyst@example.org", "analyst");
    struct actor who = {.user_id = author, .role = ROLE_AUTHOR};
    json_t *in = json_pack("{s:s, s:[{s:I}]}", "body", "Storm i kväll", "variants", "channel_id",
                           (json_int_t)ch);
    json_t *post = post_create(db, ws, in, &who, &err);
    json_decref(in);
    if (!post)
        fail_msg("%s", err.msg);
    int64_t pid = json_integer_value(json_object_get(post, "id"));
    int64_t vid = json_integer_value(
        json_object_get(json_array_get(json_object_get(post, "variants"), 0), "id"));
    json_decref(post);
    json_t *off = json_pack("{s:{s:b}}", "email", "post_failed", 0);
    json_t *prefs = notify_prefs_set(db, admin, off, &err);
    json_decref(off);
    assert_non_null(prefs);
    json_decref(prefs);

    assert_int_equal(notify_post_failed(db, ws, pid, vid, "HTTP 500 from the instance", &err), 0);
    const char *mine = "SELECT COUNT(*) FROM notifications WHERE user_id = ? "
                       "AND event = 'post_failed'";
    assert_int_equal(count(db, mine, author), 1);
    assert_int_equal(count(db, mine, editor), 1);
    assert_int_equal(count(db, mine, admin), 1);
    assert_int_equal(count(db, mine, analyst), 0);
    json_t *list = notify_list(db, author, true, 10, &err);
    json_t *n = json_array_get(json_object_get(list, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(n, "title")),
                        "Post failed: Storm i kväll");
    const char *body = json_string_value(json_object_get(n, "body"));
    assert_non_null(strstr(body, "on Polisen M (mastodon): HTTP 500 from the instance"));
    json_decref(list);
    /* E-mail to the author and the editor; the admin turned it off. */
    assert_int_equal(count(db,
                           "SELECT COUNT(*) FROM notify_deliveries WHERE workspace_id = ? "
                           "AND via = 'email' AND state = 'queued'",
                           ws),
                     2);
    assert_int_equal(count(db,
                           "SELECT COUNT(*) FROM notify_deliveries WHERE workspace_id = ? "
                           "AND target = 'admin@example.org'",
                           ws),
                     0);
    assert_int_equal(count(db,
                           "SELECT COUNT(*) FROM jobs WHERE kind = 'notify' AND state = 'queued' "
                           "AND id > ?",
                           0),
                     2);
    /* Marking read: one that is not theirs is refused, theirs is marked once. */
    int64_t nid = 0;
    assert_int_equal(
        db_scalar(db, &err, &nid, "SELECT id FROM notifications WHERE user_id = ?", "i", editor),
        1);
    assert_int_equal(notify_mark_read(db, author, nid, &err), -1);
    assert_int_equal(err.kind, ERR_NOT_FOUND);
    assert_int_equal(notify_mark_read(db, editor, nid, &err), 1);
    assert_int_equal(notify_mark_read(db, editor, nid, &err), 0);
    db_close(db);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_plain_ascii),
        cmocka_unit_test(test_header_rfc2047),
        cmocka_unit_test(test_mail_format),
        cmocka_unit_test(test_signature),
        cmocka_unit_test(test_post_failed_reaches_author_and_desk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
