/* token: the tokenizer every other part of the text engine reads through.
 * One pass, no allocation, so that scoring millions of short texts per
 * second is possible; the folding here defines what "the same word" means
 * for lexicons and for topic queries alike. */
#include "text/text_internal.h"

#include <string.h>

/* SSE2 is part of x86-64, so no dispatch at run time: where the compiler
 * has it, a word of ASCII and Latin-1 letters is taken 16 bytes at a time
 * (word_vec); elsewhere, or with -DTEXT_TOKEN_SCALAR, the letter-by-letter
 * loop (scan_word) takes it. text_tokenize_scalar is that loop alone in
 * every build, for the tests to hold the two to the same tokens. */
#if defined(__SSE2__) && !defined(TEXT_TOKEN_SCALAR)
#include <emmintrin.h>
#define TOKEN_VEC 1
#else
#define TOKEN_VEC 0
#endif

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME  0x100000001b3ULL

uint64_t text_hash(const char *s, size_t n)
{
    uint64_t h = FNV_OFFSET;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= FNV_PRIME;
    }
    return h;
}

uint32_t text_fold_lower(uint32_t c)
{
    if (c < 0x80)
        return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
        return c + 32;
    if (c >= 0x100 && c <= 0x17F) {
        if (c == 0x130)
            return 'i';
        if (c == 0x178)
            return 0xFF;
        if ((c <= 0x137 || (c >= 0x14A && c <= 0x177)) && !(c & 1))
            return c + 1;
        if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) && (c & 1))
            return c + 1;
        return c;
    }
    if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2)
        return c + 32;
    if (c >= 0x410 && c <= 0x42F)
        return c + 32;
    if (c >= 0x400 && c <= 0x40F)
        return c + 80;
    return c;
}

uint32_t text_fold_base(uint32_t c)
{
    /* '.' marks letters that keep their own identity (æ, þ, ligatures). */
    static const char latin1[] = "aaaaaa.ceeeeiiiidnooooo.ouuuuy.y";
    static const char exta[] = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii..jjkkkllllllllll"
                               "nnnnnnnnnoooooo..rrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";
    if (c < 0xE0)
        return c;
    if (c <= 0xFF)
        return latin1[c - 0xE0] == '.' ? c : (uint32_t)latin1[c - 0xE0];
    if (c <= 0x17F)
        return exta[c - 0x100] == '.' ? c : (uint32_t)exta[c - 0x100];
    if (c >= 0x300 && c <= 0x36F)
        return 0;
    return c;
}

static bool is_emoji(uint32_t c)
{
    return (c >= 0x1F000 && c <= 0x1FAFF) || (c >= 0x2600 && c <= 0x27BF) ||
           (c >= 0x2300 && c <= 0x23FF) || (c >= 0x2B00 && c <= 0x2BFF) ||
           (c >= 0x2190 && c <= 0x21FF) || (c >= 0x25A0 && c <= 0x25FF) || c == 0x3030 ||
           c == 0x303D || c == 0x3297 || c == 0x3299 || c == 0xA9 || c == 0xAE || c == 0x203C ||
           c == 0x2049 || c == 0x2122 || c == 0x2139;
}

/* Code points that continue an emoji rather than start a token. */
static bool is_emoji_mod(uint32_t c)
{
    return c == 0xFE0F || c == 0xFE0E || c == 0x200D || c == 0x20E3 ||
           (c >= 0x1F3FB && c <= 0x1F3FF) || (c >= 0xE0020 && c <= 0xE007F);
}

static bool is_word_cp(uint32_t c)
{
    if (c < 0x80)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_';
    if (c < 0xC0)
        return c == 0xAA || c == 0xB5 || c == 0xBA;
    if (c == 0xD7 || c == 0xF7)
        return false;
    if (c >= 0x2000 && c <= 0x2BFF) /* punctuation, symbols, arrows, boxes */
        return false;
    if ((c >= 0x3000 && c <= 0x303F) || (c >= 0xFE00 && c <= 0xFE0F) ||
        (c >= 0xFF00 && c <= 0xFF0F) || (c >= 0xE000 && c <= 0xF8FF) || c >= 0x1F000)
        return false;
    return true;
}

static inline bool ascii_alnum(unsigned char b)
{
    return (unsigned char)((b | 32) - 'a') < 26 || (unsigned char)(b - '0') < 10 || b == '_';
}

static bool is_upper(uint32_t c)
{
    return text_fold_lower(c) != c;
}

static bool is_letter_lower(uint32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 0xDF && c <= 0x24F && text_fold_lower(c) == c) ||
           (c >= 0x3B1 && c <= 0x3C9) || (c >= 0x430 && c <= 0x45F);
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* A literal "\u2019" left behind by a JSON export or a careless API client
 * is read as the character it names (surrogate pairs too): such texts are
 * common enough on social media that skipping them would lose words. 0 if
 * there is none at p. */
static int32_t json_escape(const char *p, const char *end, size_t *len)
{
    if (end - p < 6 || p[1] != 'u')
        return 0;
    int hi = hex4(p + 2);
    if (hi <= 0)
        return 0;
    if (hi >= 0xD800 && hi <= 0xDBFF) {
        int lo = end - p >= 12 && p[6] == '\\' && p[7] == 'u' ? hex4(p + 8) : -1;
        if (lo < 0xDC00 || lo > 0xDFFF)
            return 0;
        *len = 12;
        return 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
    }
    if (hi >= 0xDC00 && hi <= 0xDFFF)
        return 0;
    *len = 6;
    return hi;
}

/* Decodes at p without advancing; *len gets the byte length (1 for an
 * invalid byte, whose value is -1). */
static int32_t peek(const char *p, const char *end, size_t *len)
{
    unsigned char b0 = (unsigned char)p[0];
    /* Two-byte sequences (å ä ö é) inline: they are most of the non-ASCII. */
    if (b0 >= 0xC2 && b0 <= 0xDF && p + 1 < end && ((unsigned char)p[1] & 0xC0) == 0x80) {
        *len = 2;
        return ((b0 & 0x1F) << 6) | ((unsigned char)p[1] & 0x3F);
    }
    if (*p == '\\') {
        int32_t e = json_escape(p, end, len);
        if (e > 0)
            return e;
    }
    const char *q = p;
    int32_t c = utf8_decode(&q, end);
    *len = (size_t)(q - p);
    return c;
}

size_t text_fold_word(const char *s, size_t n, int keep, char *out)
{
    const char *p = s, *end = s + n;
    size_t o = 0;
    while (p < end) {
        int32_t c = utf8_decode(&p, end);
        if (c < 0)
            continue;
        if (c == 0x2019 || c == 0x2018)
            c = '\'';
        uint32_t f = text_fold_lower((uint32_t)c);
        /* Count the run ahead: only runs of three or more are elongation. */
        int run = 1;
        const char *q = p;
        while (q < end) {
            const char *r = q;
            int32_t d = utf8_decode(&r, end);
            if (d < 0 || text_fold_lower((uint32_t)d) != f)
                break;
            run++;
            q = r;
        }
        if (run >= 3 && f != '\'' && !(f >= '0' && f <= '9')) {
            run = keep;
            p = q;
        } else {
            run = 1;
        }
        for (int i = 0; i < run; i++)
            o += utf8_encode(f, out + o);
    }
    return o;
}

struct emoticon {
    const char *s;
    unsigned char len;
};

/* Longest first where one is a prefix of another. */
static const struct emoticon emoticons[] = {
    {":'-(", 4}, {":'(", 3}, {":-)", 3}, {":-(", 3}, {":-D", 3}, {":-P", 3}, {":-p", 3},
    {":-/", 3},  {":-|", 3}, {":-*", 3}, {";-)", 3}, {"='(", 3}, {"</3", 3}, {"^_^", 3},
    {"-_-", 3},  {"T_T", 3}, {":)", 2},  {":(", 2},  {":D", 2},  {":P", 2},  {":p", 2},
    {"=)", 2},   {"=D", 2},  {"=(", 2},  {";)", 2},  {";D", 2},  {";P", 2},  {":/", 2},
    {":|", 2},   {":*", 2},  {"<3", 2},  {":o", 2},  {":O", 2},  {"D:", 2},  {":S", 2},
    {":@", 2},   {"^^", 2},  {":]", 2},  {":[", 2},  {"8)", 2},  {":c", 2},
};

/* Whether an emoticon may start at p: a cheap test before the table, since
 * 'T' and 'D' also start many words ("The", "Det", "Tämä"). */
static inline bool emoticon_start(const char *p, const char *end)
{
    char next = p + 1 < end ? p[1] : '\0';
    switch (*p) {
    case ':':
    case ';':
    case '=':
    case '<':
    case '^':
        return true;
    case '-':
    case 'T':
        return next == '_';
    case '8':
        return next == ')';
    case 'D':
        return next == ':';
    default:
        return false;
    }
}

static bool boundary_after(const char *p, const char *end)
{
    return p >= end || *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '.' ||
           *p == ',' || *p == '!' || *p == '?' || (unsigned char)*p >= 0x80;
}

/* An emoticon at p (which starts a token), or 0. Repeats of the last
 * character belong to it: ":)))" is one smile. */
static size_t match_emoticon(const char *p, const char *end)
{
    for (size_t i = 0; i < ARRAY_LEN(emoticons); i++) {
        size_t n = emoticons[i].len;
        if ((size_t)(end - p) < n || memcmp(p, emoticons[i].s, n) != 0)
            continue;
        char last = p[n - 1];
        if (last == ')' || last == '(' || last == 'D' || last == '3')
            while (p + n < end && p[n] == last)
                n++;
        if (boundary_after(p + n, end))
            return n;
    }
    return 0;
}

/* Whether a link may start at p: starts_url's test before its calls, where
 * most words that start with h or w end. */
static inline bool maybe_url(const char *p, const char *end)
{
    return end - p >= 5 && (((p[1] | 32) == 't' && (p[2] | 32) == 't') || (p[1] | 32) == 'w');
}

static bool starts_url(const char *p, const char *end)
{
    size_t n = (size_t)(end - p);
    if (!maybe_url(p, end))
        return false;
    return (n > 7 && strncasecmp(p, "http://", 7) == 0) ||
           (n > 8 && strncasecmp(p, "https://", 8) == 0) ||
           (n > 4 && strncasecmp(p, "www.", 4) == 0);
}

/* A new token, the (*n)th: text_tokenize counts them in a local, which the
 * folded bytes it writes (char stores, which may alias anything) do not
 * make the compiler reload. */
static struct token *push(struct text_tokens *t, size_t *n, enum token_kind kind, const char *src,
                          const char *start, const char *stop)
{
    struct token *k = &t->tok[(*n)++];
    memset(k, 0, sizeof *k);
    k->kind = (uint8_t)kind;
    k->off = (uint32_t)(start - src);
    k->len = (uint32_t)(stop - start);
    return k;
}

static void finish(struct text_tokens *t, struct token *k, size_t *norm_len)
{
    k->nlen = (uint32_t)(*norm_len - k->norm);
    k->hash = text_hash(t->norm + k->norm, k->nlen);
}

/* A word's state while it is scanned, handed from scan_word's fast path to
 * scan_word_rest. */
struct word_scan {
    const char *first; /* the word's first byte */
    size_t o;          /* the folded form so far ends at t->norm + o */
    uint64_t h;        /* text_hash of the folded form so far */
    uint32_t prev;     /* the last character, folded, */
    int run;           /* and how many times in a row it came */
    int upper, lower;  /* letters in capitals, in lower case */
    bool digits_only, elong, exta, first_upper;
};

/* A word's flags from its letters. */
static inline uint8_t word_flags(int upper, int lower, bool first_upper, bool elong, bool exta)
{
    uint8_t f = 0;
    if (upper >= 2 && lower == 0)
        f |= TOKF_CAPS;
    if (upper == 1 && lower >= 1 && first_upper)
        f |= TOKF_TITLE;
    if (elong)
        f |= TOKF_ELONG;
    if (exta)
        f |= TOKF_EXTA;
    return f;
}

/* scan_word past its fast path: any word, from the state w (a fresh one or
 * what the fast path stopped at). Sets k->norm, nlen, hash, kind and flags. */
static __attribute__((noinline)) const char *scan_word_rest(struct text_tokens *t, struct token *k,
                                                            const char *p, const char *end,
                                                            size_t *norm_len,
                                                            const struct word_scan *w)
{
    uint32_t prev = w->prev;
    int run = w->run, upper = w->upper, lower = w->lower;
    bool digits_only = w->digits_only, elong = w->elong, exta = w->exta;
    bool first_upper = w->first_upper;
    const char *first = w->first;
    char *out = t->norm;
    size_t o = w->o;
    uint64_t h = w->h;
    k->norm = (uint32_t)*norm_len;
    const size_t full = k->norm + 257; /* no real word is longer: see below */
    while (p < end) {
        unsigned char b = (unsigned char)*p;
        /* Fast path: ASCII letters and digits, most of every text. */
        if (o < full) {
            if ((unsigned char)((b | 32) - 'a') < 26) {
                /* A run of ASCII letters in a loop of its own, on copies
                 * that stay in registers (the loop around it calls out,
                 * which would keep them in memory): a third of the
                 * instructions of the letter-by-letter version. */
                const unsigned char *q = (const unsigned char *)p;
                size_t oo = o;
                uint64_t hh = h;
                uint32_t pv = prev;
                int rr = run, ups = 0;
                bool el = false;
                /* One bound for both ends: the text's and the folded
                 * buffer's (an elongation skips letters without writing
                 * them, so this may stop early; the loop around resumes). */
                size_t room = (size_t)(end - p), lim = full - o < room ? full - o : room, i = 0;
                for (; i < lim; i++) {
                    uint32_t c = q[i], f = c | 32;
                    if ((unsigned char)(f - 'a') >= 26)
                        break;
                    ups += c < 0x60; /* 'A'-'Z' are 0x41-0x5A, 'a'-'z' 0x61-0x7A */
                    if (f == pv) {
                        if (++rr > 2) {
                            el = true;
                            continue;
                        }
                    } else {
                        rr = 1;
                        pv = f;
                    }
                    out[oo++] = (char)f;
                    hh = (hh ^ f) * FNV_PRIME;
                }
                upper += ups;
                lower += (int)i - ups;
                digits_only = false;
                elong |= el;
                run = rr;
                prev = pv;
                h = hh;
                o = oo;
                p += i;
                continue;
            }
            if ((unsigned char)(b - '0') < 10) {
                run = 1; /* digits are never elongation, and stop a letter's run */
                prev = b;
                p++;
                out[o++] = (char)b;
                h = (h ^ b) * FNV_PRIME;
                continue;
            }
            /* Latin-1 letters (å ä ö é, U+00C0-U+00FF: 0xC3 and one more
             * byte), most of the non-ASCII in Swedish and Finnish: what the
             * general path below does for them, without decoding, table
             * tests or re-encoding. × and ÷ take the general path, which ends
             * the word at them. */
            unsigned char b1;
            if (b == 0xC3 && p + 1 < end && ((b1 = (unsigned char)p[1]) & 0xC0) == 0x80 &&
                b1 != 0x97 && b1 != 0xB7) {
                uint32_t cp = 0xC0u | (b1 & 0x3Fu);
                bool up = cp <= 0xDE; /* À-Þ; ß (0xDF) and the rest are lower case */
                if (up) {
                    upper++;
                    first_upper |= p == first;
                }
                uint32_t lc = up ? cp + 32 : cp;
                lower += !up;
                digits_only = false;
                run = (lc == prev) ? run + 1 : 1;
                prev = lc;
                p += 2;
                if (run > 2) {
                    elong = true;
                    continue;
                }
                unsigned char f1 = (unsigned char)(0x80u | (lc & 0x3Fu));
                out[o++] = (char)0xC3;
                out[o++] = (char)f1;
                h = (h ^ 0xC3) * FNV_PRIME;
                h = (h ^ f1) * FNV_PRIME;
                continue;
            }
        }
        /* Other ASCII ends the word, but for the few that may continue it
         * (an underscore, an apostrophe, a decimal mark, a \u escape; and
         * in a word too long to keep, the letters skipped below). */
        if (b < 0x80 && !ascii_alnum(b) && b != '\'' && b != '.' && b != ',' && b != '\\')
            break;
        size_t len;
        int32_t c = peek(p, end, &len);
        if (c == '\'' || c == 0x2019) { /* inner apostrophe: "don't", "it’s" */
            size_t l2;
            int32_t d = p + len < end ? peek(p + len, end, &l2) : -1;
            if (d < 0 || !is_word_cp((uint32_t)d) || o == k->norm)
                break;
            c = '\'';
        } else if (c == '.' || c == ',') { /* 6,1 and 3.79 stay one number */
            size_t l2;
            int32_t d = p + len < end ? peek(p + len, end, &l2) : -1;
            if (!digits_only || !(d >= '0' && d <= '9') || o == k->norm)
                break;
        } else if (c < 0 || !(is_word_cp((uint32_t)c) || (c >= 0x300 && c <= 0x36F))) {
            break;
        }
        if (o - k->norm > 256) { /* no real word is this long: skip the rest */
            p += len;
            continue;
        }
        if (!(c >= '0' && c <= '9') && c != '.' && c != ',')
            digits_only = false;
        if (is_upper((uint32_t)c)) {
            upper++;
            first_upper |= p == first;
        }
        uint32_t f = text_fold_lower((uint32_t)c);
        if (is_letter_lower(f) && f == (uint32_t)c)
            lower++;
        run = (f == prev) ? run + 1 : 1;
        prev = f;
        p += len;
        if (run > 2 && f != '.' && !(f >= '0' && f <= '9')) {
            elong = true;
            continue;
        }
        exta |= f >= 0x100 && f <= 0x17F;
        size_t e = utf8_encode(f, out + o);
        for (size_t j = 0; j < e; j++)
            h = (h ^ (unsigned char)out[o + j]) * FNV_PRIME;
        o += e;
    }
    *norm_len = o;
    k->nlen = (uint32_t)(o - k->norm);
    k->hash = h;
    k->kind = digits_only ? TOK_NUMBER : TOK_WORD;
    k->flags = word_flags(upper, lower, first_upper, elong, exta);
    return p;
}

/* ASCII letters folded to lower case, 0 for every other byte: the word
 * loop's test and fold in one load. */
#define L(c) [c] = c, [c - 32] = c
static const uint8_t ascii_letter[256] = {
    L('a'), L('b'), L('c'), L('d'), L('e'), L('f'), L('g'), L('h'), L('i'),
    L('j'), L('k'), L('l'), L('m'), L('n'), L('o'), L('p'), L('q'), L('r'),
    L('s'), L('t'), L('u'), L('v'), L('w'), L('x'), L('y'), L('z'),
};
#undef L

/* Bytes that end a word for certain: ASCII but for letters, digits, '_',
 * an apostrophe and a backslash (which may go on as "don't" or a \u
 * escape), and in a number so far '.' and ',' ("6,1"). */
static inline bool ends_word(unsigned char b, bool digits_only)
{
    return b < 0x80 && !ascii_alnum(b) && b != '\'' && b != '\\' &&
           !(digits_only && (b == '.' || b == ','));
}

/* A word: letters, digits, marks, inner apostrophes. Folds and hashes
 * (text_hash of the folded form) while it scans, so the text is read once;
 * fills k but for off and len. This fast path, inline in text_tokenize,
 * takes the common word (ASCII letters and digits, Latin-1 letters, then a
 * space or punctuation) with its state in registers and no call; at
 * anything else it hands the state to scan_word_rest, which goes on from
 * there exactly as if it had scanned the word from its start. */
static inline __attribute__((always_inline)) const char *
scan_word(struct text_tokens *t, struct token *k, const char *p, const char *end, size_t *norm_len)
{
    const char *first = p;
    char *out = t->norm;
    const size_t start = *norm_len;
    size_t o = start;
    uint64_t h = FNV_OFFSET;
    /* The letter loop's values are 64-bit, as the hash is, so that gcc
     * extends no byte in it (two instructions a letter fewer). */
    uint64_t pv = 0;
    /* Capitals and lower-case letters are counted after the loop: ASCII
     * letters as the sums of their bytes as written (sc) and folded (sf),
     * which differ by 32 a capital, and the bytes they take; the rare
     * digits and Latin-1 letters count themselves. */
    int rr = 0, digits = 0, up1 = 0, low1 = 0;
    uint64_t sc = 0, sf = 0;
    bool el = false;
    /* An ASCII capital first is seen here; the letter loop does not look. */
    bool first_upper = (unsigned char)(*p - 'A') < 26;
    /* One bound: this path writes no more bytes than it reads, so within
     * 257 bytes of the word's start the folded buffer's bound
     * (scan_word_rest's `full`) cannot be reached. */
    const char *stop = end - p > 257 ? p + 257 : end;
    while (p < stop) {
        uint64_t c = (unsigned char)*p, f = ascii_letter[c];
        if (f) {
            sc += c;
            sf += f;
            p++;
            if (__builtin_expect(f == pv, 0)) { /* one letter in eight */
                if (++rr > 2) {
                    el = true;
                    continue;
                }
            } else {
                rr = 1;
                pv = f;
            }
            out[o++] = (char)f;
            h = (h ^ f) * FNV_PRIME;
            continue;
        }
        unsigned char b1;
        if ((unsigned char)(c - '0') < 10) { /* as in scan_word_rest */
            digits++;
            rr = 1;
            pv = c;
            p++;
            out[o++] = (char)c;
            h = (h ^ c) * FNV_PRIME;
            continue;
        }
        if (c == 0xC3 && p + 1 < end && ((b1 = (unsigned char)p[1]) & 0xC0) == 0x80 && b1 != 0x97 &&
            b1 != 0xB7) { /* Latin-1 letters, as in scan_word_rest */
            uint32_t cp = 0xC0u | (b1 & 0x3Fu);
            bool up = cp <= 0xDE;
            if (up) {
                up1++;
                first_upper |= p == first;
            }
            uint32_t lc = up ? cp + 32 : cp;
            low1 += !up;
            rr = (lc == pv) ? rr + 1 : 1;
            pv = lc;
            p += 2;
            if (rr > 2) {
                el = true;
                continue;
            }
            unsigned char f1 = (unsigned char)(0x80u | (lc & 0x3Fu));
            out[o++] = (char)0xC3;
            out[o++] = (char)f1;
            h = (h ^ 0xC3) * FNV_PRIME;
            h = (h ^ f1) * FNV_PRIME;
            continue;
        }
        break;
    }
    int ascii = (int)(p - first) - digits - 2 * (up1 + low1), ups = (int)((sf - sc) >> 5);
    int upper = ups + up1, lower = ascii - ups + low1;
    bool digits_only = ascii + up1 + low1 == 0;
    if (p == end || (p < stop && ends_word((unsigned char)*p, digits_only))) {
        *norm_len = o;
        k->norm = (uint32_t)start;
        k->nlen = (uint32_t)(o - start);
        k->hash = h;
        k->kind = digits_only ? TOK_NUMBER : TOK_WORD;
        k->flags = word_flags(upper, lower, first_upper, el, false);
        return p;
    }
    struct word_scan w = {
        .first = first,
        .o = o,
        .h = h,
        .prev = (uint32_t)pv,
        .run = rr,
        .upper = upper,
        .lower = lower,
        .digits_only = digits_only,
        .elong = el,
        .first_upper = first_upper,
    };
    return scan_word_rest(t, k, p, end, norm_len, &w);
}

/* What a byte may start, for text_tokenize's dispatch: one table load
 * instead of a chain of comparisons per token. */
enum {
    B_SPACE = 1,  /* skipped */
    B_URL = 2,    /* h H w W: may start a link */
    B_EMO = 4,    /* may start an emoticon (emoticon_start decides) */
    B_TAG = 8,    /* # @ */
    B_ALNUM = 16, /* ASCII letter, digit, underscore */
    B_PUNCT = 32, /* . , ; : ! ? */
};
/* Bytes 0x00-0x7F sixteen a row, as the comments above say; bytes from
 * 0x80 are 0 (decoded, below). */
#define S B_SPACE
#define U B_URL
#define E B_EMO
#define G B_TAG
#define A B_ALNUM
#define P B_PUNCT
/* clang-format off */
static const uint8_t byte_class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, S, S, S, S, S, 0, 0, /* 00 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 10 */
    S, P, 0, G, 0, 0, 0, 0, 0, 0, 0, 0, P, E, P, 0, /* 20 */
    A, A, A, A, A, A, A, A, A|E, A, P|E, P|E, E, E, 0, P, /* 30 */
    G, A, A, A, A|E, A, A, A, A|U, A, A, A, A, A, A, A, /* 40 */
    A, A, A, A, A|E, A, A, A|U, A, A, A, 0, 0, 0, E, A, /* 50 */
    0, A, A, A, A, A, A, A, A|U, A, A, A, A, A, A, A, /* 60 */
    A, A, A, A, A, A, A, A|U, A, A, A, 0, 0, 0, 0, 0, /* 70 */
};
/* clang-format on */
#undef S
#undef U
#undef E
#undef G
#undef A
#undef P

#if TOKEN_VEC
/* Bytes that end a word of letters: ASCII but for letters, digits, '_', an
 * apostrophe and a backslash (ends_word's, for a word that is no number). */
static const uint8_t word_end[256] = {
    [0 ... '&'] = 1,   ['(' ... '/'] = 1, [':' ... '@'] = 1,  ['['] = 1,
    [']' ... '^'] = 1, ['`'] = 1,         ['{' ... 0x7F] = 1,
};

/* For a word of n bytes hashed with zeros to 8 or to 15 bytes: FNV_PRIME
 * to the power of minus the zeros, mod 2^64 (it is odd, so it has an
 * inverse): unpad8[n] * FNV_PRIME^(8 - n) == 1. */
static const uint64_t unpad8[9] = {
    0x48e254e75f5eb9e1ULL, 0x375026270df5d953ULL, 0xf30a275cb8c04809ULL,
    0xba88eb8deeba674bULL, 0xb10f8d2ca6bd8471ULL, 0x9af153df54080c03ULL,
    0x501d877bc9ac6919ULL, 0xce965057aff6957bULL, 0x0000000000000001ULL,
};
static const uint64_t unpad15[16] = {
    0x80f5733a889afcf3ULL, 0xbc0fbf761f5bd0e9ULL, 0xea933eb74903fbebULL, 0x9c2f7c7111c51051ULL,
    0x29c0c52131dab9a3ULL, 0xcd489a67b6a96ff9ULL, 0x7bce573b61e9441bULL, 0x48e254e75f5eb9e1ULL,
    0x375026270df5d953ULL, 0xf30a275cb8c04809ULL, 0xba88eb8deeba674bULL, 0xb10f8d2ca6bd8471ULL,
    0x9af153df54080c03ULL, 0x501d877bc9ac6919ULL, 0xce965057aff6957bULL, 0x0000000000000001ULL,
};

/* text_hash of the n (1-15) bytes at q, followed by zeros up to q + 15.
 * A zero byte only multiplies the hash by FNV_PRIME ((h ^ 0) * P), so the
 * hash of a fixed 8 or 15 bytes times the inverse of P to the power of the
 * zeros among them is the hash of the n bytes: no jump on n, which the
 * branch predictor cannot know and which cost more than the steps it
 * saves. */
static inline uint64_t hash_padded(const unsigned char *q, unsigned n)
{
#define STEP(i) h = (h ^ q[i]) * FNV_PRIME
    uint64_t h = FNV_OFFSET;
    STEP(0), STEP(1), STEP(2), STEP(3), STEP(4), STEP(5), STEP(6), STEP(7);
    if (n <= 8)
        return h * unpad8[n];
    STEP(8), STEP(9), STEP(10), STEP(11), STEP(12), STEP(13), STEP(14);
    return h * unpad15[n];
#undef STEP
}

/* The common word, 16 bytes at a time: 1-15 bytes of ASCII letters and
 * Latin-1 letters (0xC3 and one byte, as in scan_word: å ä ö é, not × ÷),
 * no three equal letters in a row, then a byte that ends it or the text's
 * end. The 16 bytes are read at src: p itself, or near the text's end a copy
 * of the text from p on with zeros after it. Fills k as scan_word would but
 * for off and len, and returns the word's end; NULL for any other word,
 * which scan_word then takes from its start. */
static inline __attribute__((always_inline)) const char *
word_vec(struct text_tokens *t, struct token *k, const char *p, const char *src, size_t *norm_len)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)src);
    /* ASCII letters: with bit 5 set (folded), +0x1F maps them to 0x80-0x99,
     * the only bytes below 0x9A as signed. */
    __m128i f = _mm_or_si128(v, _mm_set1_epi8(0x20));
    __m128i ascii = _mm_cmplt_epi8(_mm_add_epi8(f, _mm_set1_epi8(0x1F)), _mm_set1_epi8((char)0x9A));
    unsigned am = (unsigned)_mm_movemask_epi8(ascii);
    unsigned n = (unsigned)__builtin_ctz(~am); /* bytes of letters from p: 0-16 */
    unsigned run, up, low, first = 1, bad;
    if (__builtin_expect((unsigned char)src[n & 15] != 0xC3, 1)) {
        /* ASCII letters alone: each letter against the one before it (the
         * first against 0): three equal are an elongation, for scan_word. */
        run = (1u << n) - 1;
        unsigned eq = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(f, _mm_slli_si128(f, 1)));
        bad = eq & eq << 1 & run;
        up = ~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, f)) & run;
        low = run & ~up;
    } else {
        /* Latin-1 letters too: 0xC3 (lead) then 0x80-0xBF (trail, below
         * 0xC0 as signed) but 0x97 and 0xB7 (× ÷, the same with bit 5 set).
         * A lead in the last byte has no trail here: the run stops before
         * it. */
        __m128i next = _mm_srli_si128(v, 1);
        __m128i trail_ok = _mm_andnot_si128(
            _mm_cmpeq_epi8(_mm_or_si128(next, _mm_set1_epi8(0x20)), _mm_set1_epi8((char)0xB7)),
            _mm_cmplt_epi8(next, _mm_set1_epi8((char)0xC0)));
        __m128i lead = _mm_and_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8((char)0xC3)), trail_ok);
        __m128i trail = _mm_slli_si128(lead, 1);
        /* Capitals: an ASCII letter without bit 5, a trail below 0x9F (À-Þ;
         * ß is lower case), which folds by setting bit 5 as well. */
        __m128i lower_ascii = _mm_and_si128(ascii, _mm_cmpeq_epi8(v, f));
        __m128i upper_trail = _mm_and_si128(trail, _mm_cmplt_epi8(v, _mm_set1_epi8((char)0x9F)));
        __m128i upper = _mm_or_si128(_mm_andnot_si128(lower_ascii, ascii), upper_trail);
        f = _mm_or_si128(v, _mm_and_si128(upper, _mm_set1_epi8(0x20)));
        unsigned lm = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(ascii, lead), trail));
        n = (unsigned)__builtin_ctz(~lm);
        run = (1u << n) - 1;
        /* Three equal letters in a row: three equal ASCII bytes (no Latin-1
         * byte equals the one before it), or three equal trails two bytes
         * apart. */
        unsigned eq1 = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(f, _mm_slli_si128(f, 1)));
        unsigned eq2 = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(f, _mm_slli_si128(f, 2)));
        unsigned tm = (unsigned)_mm_movemask_epi8(trail);
        bad = ((eq1 & eq1 << 1) | (eq2 & eq2 << 2 & tm)) & run;
        /* Each letter counted once: an ASCII one at its byte, a Latin-1 one
         * at its trail (so the first letter's mark is at byte 1 if it is
         * Latin-1). */
        up = (unsigned)_mm_movemask_epi8(upper) & run;
        low = (unsigned)_mm_movemask_epi8(
                  _mm_or_si128(lower_ascii, _mm_andnot_si128(upper_trail, trail))) &
              run;
        first = 1u + (tm & 2u) / 2u;
    }
    if (n == 0 || n == 16 || bad || !word_end[(unsigned char)src[n]])
        return NULL;
    size_t o = *norm_len;
    /* The word's bytes and zeros after them, for hash_padded; the next
     * token writes over the zeros. No folded form is longer than what it
     * folds, so o is at most p's offset in the text, and the buffer has room
     * for 16 bytes more than the text. */
    __m128i in_word =
        _mm_cmplt_epi8(_mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                       _mm_set1_epi8((char)n));
    _mm_storeu_si128((__m128i *)(void *)(t->norm + o), _mm_and_si128(f, in_word));
    k->norm = (uint32_t)o;
    k->nlen = n;
    k->hash = hash_padded((const unsigned char *)t->norm + o, n);
    k->kind = TOK_WORD;
    /* word_flags: in capitals if two or more and no lower case; capitalised
     * if one, the first letter, and a lower-case one */
    k->flags = low == 0 ? ((up & (up - 1)) ? TOKF_CAPS : 0) : up == first ? TOKF_TITLE : 0;
    *norm_len = o + n;
    return p + n;
}
#endif

/* Whether the byte at p (before end) starts a word for certain, as the
 * dispatch in tokenize would find (taking an emoticon to be possible): a
 * letter, digit or underscore, but h and w not before "tt" or "w" (a link
 * may start there), nor T, D or 8 where an emoticon may start. */
static inline bool word_starts(const char *p, const char *end)
{
    unsigned cls = byte_class[(unsigned char)*p];
    if (cls == B_ALNUM)
        return true;
    if (cls == (B_ALNUM | B_URL))
        return !maybe_url(p, end);
    if (cls == (B_ALNUM | B_EMO))
        return !emoticon_start(p, end);
    return false;
}

/* The text's last 16 bytes (all of a shorter one) and 16 zeros after them:
 * word_vec reads a word that ends less than 16 bytes before the text's end
 * here, not past the text. */
struct tail {
    const char *at; /* b[0] is the text's byte at */
    char b[32] __attribute__((aligned(16)));
};

/* A word at p: word_vec's if it takes it, else scan_word's. */
static inline __attribute__((always_inline)) const char *
word_at(struct text_tokens *t, struct token *k, const char *p, const char *end,
        const struct tail *tail, size_t *norm_len, bool vec)
{
#if TOKEN_VEC
    if (vec) {
        const char *q = word_vec(t, k, p, end - p >= 16 ? p : tail->b + (p - tail->at), norm_len);
        if (q)
            return q;
    }
#endif
    return scan_word(t, k, p, end, norm_len);
}

static inline __attribute__((always_inline)) void tokenize(struct text_tokens *t, const char *s,
                                                           size_t n, bool vec)
{
    t->src = s;
    t->n = 0;
    t->truncated = false;
    t->invalid_utf8 = false;
    if (n > TEXT_MAX_BYTES) {
        n = TEXT_MAX_BYTES;
        t->truncated = true;
    }
    const char *p = s, *end = s + n;
    size_t norm_len = 0, nt = 0; /* nt: tokens so far, t->n at the end */
    bool at_start = true;        /* emoticons only where a token may begin */
    struct tail tail;
    if (TOKEN_VEC && vec) {
        tail.at = n >= 16 ? end - 16 : s;
        memset(tail.b + 16, 0, 16);
        if (n >= 16) {
            memcpy(tail.b, tail.at, 16);
        } else {
            memset(tail.b, 0, 16);
            memcpy(tail.b, s, n);
        }
    }
    while (p < end) {
        if (nt == TEXT_MAX_TOKENS) {
            t->truncated = true;
            break;
        }
        unsigned char b = (unsigned char)*p;
        unsigned cls = byte_class[b];
        if (cls & B_SPACE) {
            p++;
            at_start = true;
            continue;
        }
        const char *start = p;
        /* Most tokens are words that could be nothing else (word_starts):
         * straight there, past the tests for links, emoticons and tags. */
        if (word_starts(p, end))
            goto word;
        if ((cls & B_URL) && starts_url(p, end)) {
            while (p < end && (unsigned char)*p > ' ')
                p++;
            /* Sentence punctuation right after a URL is not part of it. */
            while (p > start + 4 && strchr(".,!?;:)\"'", p[-1]))
                p--;
            struct token *k = push(t, &nt, TOK_URL, s, start, p);
            k->norm = (uint32_t)norm_len;
            memcpy(t->norm + norm_len, start,
                   (size_t)(p - start) > 512 ? 512 : (size_t)(p - start));
            norm_len += (size_t)(p - start) > 512 ? 512 : (size_t)(p - start);
            finish(t, k, &norm_len);
            at_start = false;
            continue;
        }
        /* Every emoticon starts with one of these: test that before the table. */
        size_t em =
            at_start && (cls & B_EMO) && emoticon_start(p, end) ? match_emoticon(p, end) : 0;
        if (em) {
            struct token *k = push(t, &nt, TOK_EMOTICON, s, start, p + em);
            k->norm = (uint32_t)norm_len;
            /* ":)))" looks up as ":)" */
            size_t keep = em;
            while (keep > 2 && p[keep - 1] == p[keep - 2] && strchr(")(D3", p[keep - 1]))
                keep--;
            /* Folded like the lexicon's terms: ":D" is listed as ":d". */
            for (size_t i = 0; i < keep; i++)
                t->norm[norm_len + i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] | 32 : p[i]);
            norm_len += keep;
            finish(t, k, &norm_len);
            p += em;
            at_start = false;
            continue;
        }
        if ((cls & B_TAG) && p + 1 < end) {
            size_t len;
            int32_t c = peek(p + 1, end, &len);
            if (c > 0 && is_word_cp((uint32_t)c)) {
                struct token *k = push(t, &nt, b == '#' ? TOK_HASHTAG : TOK_MENTION, s, start, p);
                p = word_at(t, k, p + 1, end, &tail, &norm_len, vec);
                k->kind = b == '#' ? TOK_HASHTAG : TOK_MENTION;
                k->len = (uint32_t)(p - start);
                at_start = false;
                continue;
            }
        }
        if (cls & B_ALNUM) { /* the common case, without decoding */
        word:;
            /* scan_word sets every field but these two: no push, whose
             * memset and stores cost a word as much again. */
            struct token *k = &t->tok[nt++];
            k->off = (uint32_t)(start - s);
            p = word_at(t, k, p, end, &tail, &norm_len, vec);
            k->len = (uint32_t)(p - start);
            at_start = false;
            /* Most often a word is followed by one space and another word:
             * straight there, past the loop's tests for the space and the
             * word's first byte. */
            if (end - p > 1 && *p == ' ' && word_starts(p + 1, end) && nt < TEXT_MAX_TOKENS) {
                start = ++p;
                goto word;
            }
            continue;
        }
        if (cls & B_PUNCT) {
            while (p < end && *p == (char)b)
                p++;
            struct token *k = push(t, &nt, TOK_PUNCT, s, start, p);
            k->norm = (uint32_t)norm_len;
            t->norm[norm_len++] = (char)b;
            finish(t, k, &norm_len);
            at_start = true;
            continue;
        }
        size_t len;
        int32_t c = peek(p, end, &len);
        if (c < 0) {
            t->invalid_utf8 = true;
            p += len;
            continue;
        }
        if (is_word_cp((uint32_t)c)) {
            struct token *k = push(t, &nt, TOK_WORD, s, start, p);
            p = word_at(t, k, p, end, &tail, &norm_len, vec);
            k->len = (uint32_t)(p - start);
            at_start = false;
            continue;
        }
        if (is_emoji((uint32_t)c)) {
            struct token *k = push(t, &nt, TOK_EMOJI, s, start, p);
            k->norm = (uint32_t)norm_len;
            bool regional = c >= 0x1F1E6 && c <= 0x1F1FF;
            p += len;
            norm_len += utf8_encode((uint32_t)c, t->norm + norm_len);
            /* modifiers, ZWJ sequences, the second half of a flag */
            while (p < end && norm_len - k->norm < 48) {
                int32_t d = peek(p, end, &len);
                if (d < 0)
                    break;
                if (d == 0x200D && p + len < end) {
                    size_t l2;
                    int32_t e = peek(p + len, end, &l2);
                    if (e < 0 || !is_emoji((uint32_t)e))
                        break;
                    norm_len += utf8_encode(0x200D, t->norm + norm_len);
                    norm_len += utf8_encode((uint32_t)e, t->norm + norm_len);
                    p += len + l2;
                } else if (is_emoji_mod((uint32_t)d)) {
                    if (d == 0x20E3)
                        norm_len += utf8_encode((uint32_t)d, t->norm + norm_len);
                    p += len;
                } else if (regional && d >= 0x1F1E6 && d <= 0x1F1FF) {
                    norm_len += utf8_encode((uint32_t)d, t->norm + norm_len);
                    p += len;
                    regional = false;
                } else {
                    break;
                }
            }
            k->len = (uint32_t)(p - start);
            finish(t, k, &norm_len);
            at_start = true;
            continue;
        }
        /* Other symbols (quotes, dashes, brackets) only separate tokens. */
        p += len;
        at_start = true;
    }
    t->n = nt;
}

void text_tokenize(struct text_tokens *t, const char *s, size_t n)
{
    tokenize(t, s, n, true);
}

void text_tokenize_scalar(struct text_tokens *t, const char *s, size_t n)
{
    tokenize(t, s, n, false);
}
