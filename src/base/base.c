/* base: error values, buffers, arenas, allocation, logging and strings.
 * Kept in one file because each piece is small and they lean on each other. */
#include "base.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- errors ---------------------------------------------------------- */

static void error_vset(struct error *err, enum error_kind kind, const char *field, const char *fmt,
                       va_list ap) PRINTF_LIKE(4, 0);

static void error_vset(struct error *err, enum error_kind kind, const char *field, const char *fmt,
                       va_list ap)
{
    if (!err)
        return;
    err->kind = kind;
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
}

/* The names are parenthesised because base.h makes them macros for the
 * static analyzer (see there). */
int(error_set)(struct error *err, enum error_kind kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_vset(err, kind, NULL, fmt, ap);
    va_end(ap);
    return -1;
}

int(error_field)(struct error *err, enum error_kind kind, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_vset(err, kind, field, fmt, ap);
    va_end(ap);
    return -1;
}

void error_clear(struct error *err)
{
    if (err) {
        err->kind = ERR_NONE;
        err->field[0] = '\0';
        err->msg[0] = '\0';
    }
}

const char *error_kind_name(enum error_kind kind)
{
    switch (kind) {
    case ERR_NONE:
        return "ok";
    case ERR_INVALID:
        return "invalid";
    case ERR_NOT_FOUND:
        return "not_found";
    case ERR_CONFLICT:
        return "conflict";
    case ERR_DENIED:
        return "forbidden";
    case ERR_AUTH:
        return "unauthorized";
    case ERR_LIMIT:
        return "limit";
    case ERR_INTERNAL:
        return "internal";
    }
    return "internal";
}

/* ---- allocation ------------------------------------------------------ */

static void oom(size_t n)
{
    fprintf(stderr, "kanal: out of memory allocating %zu bytes\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *xzalloc_aligned(size_t align, size_t size)
{
    assert(align && (align & (align - 1)) == 0);
    size = (size + align - 1) & ~(align - 1); /* aligned_alloc wants a multiple */
    void *p = aligned_alloc(align, size ? size : align);
    if (!p)
        oom(size);
    return memset(p, 0, size);
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = xmalloc(n);
    memcpy(p, s, n);
    return p;
}

/* ---- buffers --------------------------------------------------------- */

void buf_reserve(struct buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1)
        oom(SIZE_MAX);
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
    assert(b->cap > b->len + extra);
}

void buf_append(struct buf *b, const void *p, size_t n)
{
    assert(p || n == 0);
    buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

void buf_putc(struct buf *b, char c)
{
    buf_append(b, &c, 1);
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        buf_append(b, small, (size_t)n);
        return;
    }
    buf_reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void buf_put_le32(struct buf *b, uint32_t v)
{
    unsigned char p[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    buf_append(b, p, 4);
}

void buf_put_le64(struct buf *b, uint64_t v)
{
    unsigned char p[8];
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
    buf_append(b, p, 8);
}

void buf_put_f32(struct buf *b, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    buf_put_le32(b, u);
}

uint32_t le32_get(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t be32_get(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint64_t le64_get(const unsigned char *p)
{
    return (uint64_t)le32_get(p) | (uint64_t)le32_get(p + 4) << 32;
}

float f32_get(const unsigned char *p)
{
    uint32_t u = le32_get(p);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

void buf_put_choices(struct buf *b, const char *const *items, int n)
{
    if (n < 0) {
        n = 0;
        while (items[n])
            n++;
    }
    for (int i = 0; i < n; i++)
        buf_printf(b, "%s%s", i == 0 ? "" : i == n - 1 ? " or " : ", ", items[i]);
}

void buf_html_escape(struct buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            buf_puts(b, "&amp;");
            break;
        case '<':
            buf_puts(b, "&lt;");
            break;
        case '>':
            buf_puts(b, "&gt;");
            break;
        case '"':
            buf_puts(b, "&quot;");
            break;
        case '\'':
            buf_puts(b, "&#39;");
            break;
        default:
            buf_putc(b, *s);
        }
    }
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *buf_steal(struct buf *b)
{
    if (!b->data)
        buf_reserve(b, 0), b->data[0] = '\0';
    char *p = b->data;
    *b = (struct buf){0};
    return p;
}

void buf_free(struct buf *b)
{
    free(b->data);
    *b = (struct buf){0};
}

int buf_read_file(struct buf *b, const char *path, size_t max, struct error *err)
{
    size_t before = b->len;
    FILE *f = fopen(path, "rb");
    if (!f)
        return error_set(err, errno == ENOENT ? ERR_NOT_FOUND : ERR_INVALID, "%s: %s", path,
                         strerror(errno));
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (n > max - (b->len - before)) {
            error_set(err, ERR_LIMIT, "%s: longer than %zu bytes", path, max);
            goto fail;
        }
        buf_append(b, chunk, n);
    }
    if (ferror(f)) {
        error_set(err, ERR_INVALID, "%s: %s", path, strerror(errno));
        goto fail;
    }
    fclose(f);
    assert(b->len - before <= max);
    return 0;
fail:
    fclose(f);
    b->len = before;
    if (b->data)
        b->data[before] = '\0';
    return -1;
}

/* ---- arenas ---------------------------------------------------------- */

struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    max_align_t data[]; /* aligned for any object */
};

#define ARENA_BLOCK 16384

void *arena_alloc(struct arena *a, size_t n)
{
    size_t align = _Alignof(max_align_t);
    n = (n + align - 1) / align * align;
    if (n == 0)
        n = align;
    struct arena_block *blk = a->head;
    if (!blk || blk->cap - blk->used < n) {
        size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        blk = xmalloc(sizeof *blk + cap);
        blk->used = 0;
        blk->cap = cap;
        /* A large one-off goes behind the current block so the current
         * block's free space is not wasted. */
        if (a->head && n > ARENA_BLOCK) {
            blk->next = a->head->next;
            a->head->next = blk;
        } else {
            blk->next = a->head;
            a->head = blk;
        }
    }
    assert(blk->cap - blk->used >= n && n % align == 0);
    void *p = (char *)blk->data + blk->used;
    blk->used += n;
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    struct buf b = {0};
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    char *p = arena_strndup(a, b.data ? b.data : "", b.len);
    buf_free(&b);
    return p;
}

void arena_free(struct arena *a)
{
    struct arena_block *blk = a->head;
    while (blk) {
        struct arena_block *next = blk->next;
        free(blk);
        blk = next;
    }
    a->head = NULL;
}

/* ---- int64 hash map --------------------------------------------------- */

static size_t imap_slot(const struct imap *m, int64_t key)
{
    /* A power of two, never full: the probe below masks and must end. */
    assert(m->cap && (m->cap & (m->cap - 1)) == 0 && m->len < m->cap);
    uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15u; /* Fibonacci hashing */
    size_t i = (size_t)(h >> 17) & (m->cap - 1);
    while (m->used[i] && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    return i;
}

int64_t *imap_get(const struct imap *m, int64_t key)
{
    if (!m->cap)
        return NULL;
    size_t i = imap_slot(m, key);
    return m->used[i] ? &m->vals[i] : NULL;
}

int64_t *imap_put(struct imap *m, int64_t key, int64_t val)
{
    if ((m->len + 1) * 4 > m->cap * 3) { /* keep the load under 3/4 */
        struct imap old = *m;
        m->cap = old.cap ? old.cap * 2 : 16;
        m->keys = xcalloc(m->cap, sizeof *m->keys);
        m->vals = xcalloc(m->cap, sizeof *m->vals);
        m->used = xcalloc(m->cap, 1);
        m->len = 0;
        for (size_t i = 0; i < old.cap; i++)
            if (old.used[i])
                imap_put(m, old.keys[i], old.vals[i]);
        imap_free(&old);
    }
    size_t i = imap_slot(m, key);
    if (!m->used[i]) {
        m->used[i] = 1;
        m->keys[i] = key;
        m->len++;
    }
    m->vals[i] = val;
    return &m->vals[i];
}

void imap_free(struct imap *m)
{
    free(m->keys);
    free(m->vals);
    free(m->used);
    *m = (struct imap){0};
}

/* ---- logging --------------------------------------------------------- */

static enum log_level log_threshold = LOG_INFO;

void log_set_level(enum log_level level)
{
    log_threshold = level;
}

int log_level_parse(const char *s)
{
    static const char *names[] = {"debug", "info", "warn", "error", "quiet"};
    for (size_t i = 0; i < ARRAY_LEN(names); i++)
        if (str_eq(s, names[i]))
            return (int)i;
    return -1;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const char *tags[] = {"debug", "info", "warn", "error"};
    if (level < log_threshold || level >= LOG_QUIET)
        return;
    assert((size_t)level < ARRAY_LEN(tags));
    char ts[21];
    time_format_iso(time_now(), ts);
    struct buf b = {0};
    buf_printf(&b, "%s %-5s ", ts, tags[level]);
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    buf_putc(&b, '\n');
    fwrite(b.data, 1, b.len, stderr); /* one write per line keeps threads' lines whole */
    buf_free(&b);
}

/* ---- strings --------------------------------------------------------- */

bool str_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

bool str_starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool listed(const char *list, const char *word,
                   int (*same)(const char *, const char *, size_t))
{
    size_t n = strlen(word);
    for (const char *p = list; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && same(p, word, n) == 0)
            return true;
        p += len + (comma ? 1 : 0);
    }
    return false;
}

bool str_listed(const char *list, const char *word)
{
    return listed(list, word, strncmp);
}

bool str_listed_nocase(const char *list, const char *word)
{
    return listed(list, word, strncasecmp);
}

int str_index(const char *const *set, const char *s)
{
    for (int i = 0; set[i]; i++)
        if (str_eq(set[i], s))
            return i;
    return -1;
}

int str_to_i64(const char *s, int64_t *out)
{
    if (!s || !*s)
        return -1;
    const char *p = s;
    if (*p == '-' || *p == '+')
        p++;
    if (*p < '0' || *p > '9')
        return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno == ERANGE || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

void str_hex(const unsigned char *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

size_t str_ipv4(const unsigned char a[4], char *out)
{
    char *p = out;
    for (int i = 0; i < 4; i++) {
        unsigned v = a[i];
        if (v >= 100)
            *p++ = (char)('0' + v / 100);
        if (v >= 10)
            *p++ = (char)('0' + v / 10 % 10);
        *p++ = (char)('0' + v % 10);
        *p++ = i < 3 ? '.' : '\0';
    }
    return (size_t)(p - out - 1);
}
