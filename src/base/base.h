/* base: the small things every other part of kanal stands on: error values,
 * growable buffers, arenas, logging and UTC time. Nothing here knows about
 * the store, the network or the platforms. */
#ifndef KANAL_BASE_H
#define KANAL_BASE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdbool.h>

/* "1a2b3c4" or "1a2b3c4-dirty": the git commit kanal was built from. */
extern const char kanal_version[];
#define KANAL_VERSION kanal_version

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

/* ---- errors ----------------------------------------------------------
 * A failing function fills a caller-owned struct error with a message a
 * user can act on, and, where the failure is about one input field, the
 * field's name. `kind` lets the HTTP layer pick a status code without
 * parsing messages. */
enum error_kind {
    ERR_NONE = 0,
    ERR_INVALID,   /* the input is wrong: 400 */
    ERR_NOT_FOUND, /* 404 */
    ERR_CONFLICT,  /* unique key taken, stale state: 409 */
    ERR_DENIED,    /* authenticated but not allowed: 403 */
    ERR_AUTH,      /* not authenticated: 401 */
    ERR_LIMIT,     /* too large, too many: 413 / 429 */
    ERR_INTERNAL,  /* our fault or the machine's: 500 */
};

struct error {
    enum error_kind kind;
    char field[64];
    char msg[512];
};

/* Sets kind and message (printf-style); clears field. Returns -1 so that
 * `return error_set(...)` reads naturally. NULL err is allowed. */
int error_set(struct error *err, enum error_kind kind, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* As error_set, and names the input field the error is about. */
int error_field(struct error *err, enum error_kind kind, const char *field, const char *fmt, ...)
    PRINTF_LIKE(4, 5);
void error_clear(struct error *err);
const char *error_kind_name(enum error_kind kind);

/* The static analyzer (`make analyze`) reads one file at a time, so it
 * cannot see that error_set and its kin in other files always fail, and
 * walks on past `return error_set(...)` as if it could have succeeded. For
 * it alone, the calls are wrapped so that the result is visible. */
#ifdef __clang_analyzer__
static inline int analyzer_fails(int rc)
{
    (void)rc;
    return -1;
}
static inline bool analyzer_false(bool rc)
{
    (void)rc;
    return false;
}
#define error_set(...)   analyzer_fails(error_set(__VA_ARGS__))
#define error_field(...) analyzer_fails(error_field(__VA_ARGS__))
#endif

/* ---- growable buffer -------------------------------------------------
 * Always NUL-terminated after any append (data may still hold NULs).
 * Allocation failure aborts: kanal cannot do anything useful without
 * memory, and checking every append would hide the real logic. */
struct buf {
    char *data;
    size_t len;
    size_t cap;
};

void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) PRINTF_LIKE(2, 3);
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) PRINTF_LIKE(2, 0);
/* Appends s with HTML's five special characters escaped. */
void buf_html_escape(struct buf *b, const char *s);
/* Appends the n strings of items (n < 0: up to a NULL) as a reader lists
 * choices, "a, b or c", for the errors that say what a value may be. */
void buf_put_choices(struct buf *b, const char *const *items, int n);
/* Little-endian numbers for the model files and the learners' blobs: u32,
 * u64, and a float as its IEEE-754 bits in a u32. */
void buf_put_le32(struct buf *b, uint32_t v);
void buf_put_le64(struct buf *b, uint64_t v);
void buf_put_f32(struct buf *b, float f);
uint32_t le32_get(const unsigned char *p);
uint64_t le64_get(const unsigned char *p);
float f32_get(const unsigned char *p);
/* A big-endian u32: TZif files' numbers, an image's header fields. */
uint32_t be32_get(const unsigned char *p);
void buf_reset(struct buf *b);
/* Gives the caller ownership of the data (free() it); leaves b empty. */
char *buf_steal(struct buf *b);
void buf_free(struct buf *b);
/* Appends the whole file at path to b. A file longer than max bytes is an
 * error rather than cut short, so a caller never parses half a file. On
 * failure returns -1 and err says "PATH: why" (kind ERR_NOT_FOUND when the
 * file does not exist, ERR_LIMIT when it is too long), and b holds what it
 * held before. */
int buf_read_file(struct buf *b, const char *path, size_t max, struct error *err);

/* ---- arena -----------------------------------------------------------
 * Many small allocations freed together: one request, one import. */
struct arena_block;
struct arena {
    struct arena_block *head;
};

void *arena_alloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) PRINTF_LIKE(2, 3);
void arena_free(struct arena *a);

/* Allocation wrappers that abort on failure (see struct buf). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Zeroed, aligned to align (a power of two); release with free(). */
void *xzalloc_aligned(size_t align, size_t size);
char *xstrdup(const char *s);

/* qsort that accepts an empty array given as NULL: C leaves qsort(NULL, 0)
 * undefined, and a list with nothing in it is often still NULL. */
static inline void sort_array(void *base, size_t n, size_t size,
                              int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(base, n, size, cmp);
}

/* ---- int64 hash map ----------------------------------------------------
 * Maps int64 keys to int64 values (e.g. an id to an index), open addressing.
 * Grows as needed; zero-initialise, free with imap_free. */
struct imap {
    int64_t *keys, *vals;
    uint8_t *used;
    size_t cap, len;
};
/* The value for key, or NULL. The pointer is valid until the next put. */
int64_t *imap_get(const struct imap *m, int64_t key);
/* Sets key to val; returns the stored value's slot. */
int64_t *imap_put(struct imap *m, int64_t key, int64_t val);
void imap_free(struct imap *m);

/* ---- logging ---------------------------------------------------------
 * One line per event on stderr: time, level, message. */
enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_QUIET };
void log_set_level(enum log_level level);
/* Parses "debug", "info", "warn", "error", "quiet"; -1 if unknown. */
int log_level_parse(const char *s);
void log_msg(enum log_level level, const char *fmt, ...) PRINTF_LIKE(2, 3);
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/* ---- time ------------------------------------------------------------
 * kanal stores instants as seconds since the Unix epoch, UTC. */
int64_t time_now(void);
/* Monotonic clock in nanoseconds, for measuring durations. */
uint64_t time_mono_ns(void);
/* Formats t as "2026-11-23T09:30:00Z" into out (at least 21 bytes). */
void time_format_iso(int64_t t, char out[static 21]);
/* Parses RFC 3339 / ISO 8601: "2026-11-23", "2026-11-23T09:30:00Z",
 * "2026-11-23T09:30:00.123+01:00", "2026-11-23 09:30:00" (taken as UTC).
 * Returns 0 and sets *t, or -1. */
int time_parse_iso(const char *s, int64_t *t);
/* Days since 1970-01-01 for a civil date, and back (proleptic Gregorian). */
int64_t time_days_from_civil(int64_t y, unsigned m, unsigned d);
void time_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d);

/* ---- time zones --------------------------------------------------------
 * IANA zones read from /usr/share/zoneinfo, for cutting local days, weeks
 * and months in reports. Instants stay UTC everywhere else. */
struct tz;
/* "Europe/Stockholm". Caller frees with tz_free. NULL and err if unknown. */
struct tz *tz_load(const char *name, struct error *err);
void tz_free(struct tz *z);
const char *tz_name(const struct tz *z);
/* Seconds east of UTC in force at instant t. */
int32_t tz_offset(const struct tz *z, int64_t t);
/* The local calendar day (days since 1970-01-01) that instant t falls on. */
int64_t tz_local_day(const struct tz *z, int64_t t);
/* The instant local day `day` begins. */
int64_t tz_day_start(const struct tz *z, int64_t day);

/* One step of Marsaglia's xorshift64 (13, 7, 17): the shuffles of training
 * and of `sentiment --eval --learn`, repeatable from a seed (never 0). */
static inline uint64_t xorshift64(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* ---- strings ---------------------------------------------------------- */
bool str_eq(const char *a, const char *b);
bool str_starts_with(const char *s, const char *prefix);
/* Whether `word` is one of the items of a comma-separated list ("admin,editor"),
 * whole and to the letter. */
bool str_listed(const char *list, const char *word);
/* str_listed with ASCII case ignored (e-mail addresses). */
bool str_listed_nocase(const char *list, const char *word);
/* The index of `s` in `set` (NULL-terminated), or -1 when it is not there. */
int str_index(const char *const *set, const char *s);
/* Strict decimal integer: optional sign, digits, nothing else, no overflow. */
int str_to_i64(const char *s, int64_t *out);
/* Hex-encodes n bytes into out (2n+1 bytes). */
void str_hex(const unsigned char *p, size_t n, char *out);
/* An IPv4 address (four bytes, network order) in dotted decimal, as
 * inet_ntop writes it, into out (at least 16 bytes); its length. */
size_t str_ipv4(const unsigned char a[4], char *out);

/* ---- UTF-8 ------------------------------------------------------------
 * Strict: no overlong forms, no surrogates, nothing above U+10FFFF. */
bool utf8_valid(const char *s, size_t n);
/* Whether s is a text of min to max bytes, valid UTF-8; false for NULL. The
 * length is checked first, so an oversized string is never scanned. */
bool utf8_text(const char *s, size_t min, size_t max);
/* Decodes one code point at *p (< end) and advances *p. Returns the code
 * point, or -1 for an invalid sequence (then *p advances by one byte). */
int32_t utf8_decode(const char **p, const char *end);
/* Writes cp as UTF-8 into out; returns the number of bytes (1..4), 0 if cp
 * is not a scalar value. */
size_t utf8_encode(uint32_t cp, char out[4]);

#endif
