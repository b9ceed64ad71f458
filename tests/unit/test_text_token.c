/* The tokenizer's SSE2 path against its letter-by-letter loop
 * (text_tokenize_scalar): every field of every token and every folded byte,
 * on the sentiment sets' texts in ../shared/data and on random texts made
 * to reach each of the SSE2 path's edges (runs of 15, 16 and 17 bytes of
 * letters, three equal letters, Latin-1 letters among ASCII ones, a word's
 * end 16 bytes from the text's, capitals, apostrophes, digits, escapes,
 * other non-ASCII letters, broken UTF-8). Each text is copied to
 * a buffer of its own size, so that under ASan a byte read past it fails. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared_data.h"
#include "text/text_internal.h"

static struct text_tokens fast, slow;

/* Tokenizes s[0..n) both ways and fails at the first difference. */
static void same_tokens(const char *s, size_t n)
{
    char *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    memcpy(copy, s, n);
    text_tokenize(&fast, copy, n);
    text_tokenize_scalar(&slow, copy, n);
    if (fast.n != slow.n)
        fail_msg("%zu tokens against %zu in \"%.*s\"", fast.n, slow.n, (int)n, s);
    assert_int_equal(fast.truncated, slow.truncated);
    assert_int_equal(fast.invalid_utf8, slow.invalid_utf8);
    for (size_t i = 0; i < fast.n; i++) {
        const struct token *a = &fast.tok[i], *b = &slow.tok[i];
        if (a->off != b->off || a->len != b->len || a->nlen != b->nlen || a->norm != b->norm ||
            a->hash != b->hash || a->kind != b->kind || a->flags != b->flags ||
            memcmp(text_token_norm(&fast, i), text_token_norm(&slow, i), a->nlen) != 0)
            fail_msg("token %zu (\"%.*s\", kind %d flags %d, folded \"%.*s\") against kind %d "
                     "flags %d, folded \"%.*s\" in \"%.*s\"",
                     i, (int)a->len, copy + a->off, a->kind, a->flags, (int)a->nlen,
                     text_token_norm(&fast, i), b->kind, b->flags, (int)b->nlen,
                     text_token_norm(&slow, i), (int)n, s);
    }
    free(copy);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* Latin-1 letters (the second byte after 0xC3) in lower case; 0x9F is ß,
 * which has no capital here. */
static const unsigned char latin1[] = {0xA4, 0xB6, 0xA5, 0xA9, 0xBC, 0x9F, 0xA0, 0xBE};

/* A word of 1-20 letters, ASCII and sometimes Latin-1, in one of four
 * cases, sometimes with a letter doubled or tripled. */
static size_t word(char *o, bool with_latin1)
{
    size_t len = 1 + rnd(rnd(4) ? 12 : 20), w = 0;
    unsigned style = rnd(4); /* lower, Capitalised, CAPITALS, mixed */
    for (size_t i = 0; i < len; i++) {
        bool up = style == 2 || (style == 1 && i == 0) || (style == 3 && rnd(3) == 0);
        size_t times = rnd(8) == 0 ? 2 + rnd(3) : 1;
        if (with_latin1 && rnd(3) == 0) {
            unsigned char c = latin1[rnd(sizeof latin1)];
            for (size_t j = 0; j < times; j++) {
                /* each one in its case, so that "Ää" is two of a kind */
                bool cap = (j == 0 ? up : rnd(2)) && c != 0x9F;
                o[w++] = (char)0xC3;
                o[w++] = (char)(cap ? c - 0x20 : c);
            }
            continue;
        }
        char c = (char)('a' + rnd(rnd(3) ? 6 : 26));
        for (size_t j = 0; j < times; j++)
            o[w++] = up ? (char)(c - 32) : c;
    }
    return w;
}

/* What may stand in or beside a word. */
static const char *const pieces[] = {
    "'",
    "'t",
    "\xe2\x80\x99s",
    "_",
    "0",
    "42",
    "3.5",
    "6,1",
    ".",
    ",",
    "!",
    "!!!",
    "?",
    ";",
    ":",
    ":)",
    ":-(",
    "<3",
    "#",
    "@",
    "-",
    "\"",
    "(",
    ")",
    "\\",
    "\\u00e4",
    "\\u2019",
    "\xc3\xa4",
    "\xc3\x84",
    "\xc3\xa9",
    "\xc3\x97",
    "\xc3\xb7",
    "\xc3\x9f",
    "\xc3\x9e",
    "\xc3\x80",
    "\xc3\xbf",
    "\xc3\xa4\xc3\x84",
    "\xc5\x82",
    "\xce\xb1",
    "\xd0\x96",
    "\xf0\x9f\x98\x80",
    "\xff",
    "\xc3",
    "https://x.fi/a",
    "www.kanal.fi",
    "\t",
    "\n",
    "  ",
    "`",
    "[",
    "{",
    "~",
    "\x7f",
    "D:",
    "T_T",
    "8)",
    "^^",
};

/* A random text of about `words` words in buf (at least 96 * words + 64
 * bytes); returns its length. */
static size_t random_text(char *buf, size_t words)
{
    size_t n = 0;
    for (size_t i = 0; i < words; i++) {
        unsigned what = rnd(10);
        if (what < 6) {
            n += word(buf + n, what < 3);
        } else {
            const char *p = pieces[rnd(sizeof pieces / sizeof pieces[0])];
            memcpy(buf + n, p, strlen(p));
            n += strlen(p);
        }
        /* most often a space; sometimes nothing, so pieces join a word */
        if (rnd(4))
            buf[n++] = ' ';
    }
    return n;
}

static void test_sse2_matches_scalar_random(void **state)
{
    enum { WORDS = 300 };
    char *buf = malloc(96 * WORDS + 64);
    assert_non_null(buf);
    for (int i = 0; i < 200000; i++) {
        size_t n = random_text(buf, 1 + rnd(rnd(8) ? 12 : WORDS));
        same_tokens(buf, n);
        /* every cut near the end: a word's end 16 bytes or less from the
         * text's takes the letter loop */
        if (i % 16 == 0)
            for (size_t cut = 1; cut <= 20 && cut <= n; cut++)
                same_tokens(buf, n - cut);
    }
    /* past the limits: over-long words, more than 1,024 tokens, 16 KiB */
    size_t big = TEXT_MAX_BYTES + 300;
    char *b = malloc(big);
    assert_non_null(b);
    for (size_t i = 0; i < big; i++)
        b[i] = (char)('a' + (i / 3) % 26);
    same_tokens(b, big);
    for (size_t i = 0; i < big; i++)
        b[i] = i % 3 == 2 ? ' ' : (char)('A' + i % 26);
    same_tokens(b, big);
    free(b);
    free(buf);
}

/* The sentiment sets' texts as they are, and each cut short at random. */
static void test_sse2_matches_scalar_real(void **state)
{
    static const char *const files[] = {
        SHARED_DATA "sentiment/en.train.tsv", SHARED_DATA "sentiment/sv.train.tsv",
        SHARED_DATA "sentiment/fi.train.tsv", SHARED_DATA "sentiment/en.dev.tsv",
        SHARED_DATA "sentiment/sv.dev.tsv",   SHARED_DATA "sentiment/fi.dev.tsv",
    };
    size_t texts = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        FILE *f = open_shared_data(files[i]);
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        while ((len = getline(&line, &cap, f)) > 0) {
            const char *tab = memchr(line, '\t', (size_t)len);
            const char *s = tab ? tab + 1 : line;
            size_t n = (size_t)(line + len - s);
            same_tokens(s, n);
            if (n)
                same_tokens(s, rnd((unsigned)n));
            texts++;
        }
        free(line);
        fclose(f);
    }
    assert_true(texts > 10000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sse2_matches_scalar_random),
        cmocka_unit_test(test_sse2_matches_scalar_real),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
