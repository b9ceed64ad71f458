/* clicklog: the append-only file every click goes through. The redirect
 * writes one line and only then answers, so a click that was answered
 * survives kill -9; a thread stores new lines in batches and records the
 * last stored sequence number in the same transaction, so replaying the log
 * after a crash stores every click exactly once.
 *
 * File: a header "kanal-clicks 1 LOGID BASE\n", then one line per click:
 * "SEQ LINK AT DEVICE BOT VISITOR REFERRER CHECK\n" (REFERRER "-" for none,
 * CHECK the FNV-1a hash of what precedes it, to catch a torn tail).
 *
 * Lines are copied into a shared mapping of the file's end (a window of
 * WINDOW_BYTES whose blocks fallocate has reserved), not written with
 * write(2): the copy is the page cache itself, so a line in the window
 * survives kill -9 as a written one does, and fdatasync syncs it the same
 * way, without a system call a click (write(2) was 8% of a busy server's
 * time). Behind the last line the file holds the window's zeros until a
 * clean close cuts them off; a reopen after a crash reads zeros as the end.
 * When no window can be reserved (a full disk), a line is written with
 * pwrite(2) as before, and a failure is counted as a lost click. */
#include "links/links.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOG_MAGIC      "kanal-clicks 1 "
#define BATCH_MAX      5000
#define READ_CHUNK     (1 << 20)
#define COMPACT_AT     (8 << 20) /* bytes of fully stored log before it is started afresh */
#define LINE_MAX_BYTES 512
#define WINDOW_BYTES   (1 << 20) /* of the file mapped, and reserved, ahead of its last line */
/* The last sequence number a log takes: only a hand can put a larger one
 * there (a million clicks a second would take 146,000 years to), and
 * counting on from one near INT64_MAX would overflow. */
#define SEQ_MAX (INT64_MAX / 2)

struct click_log {
    pthread_mutex_t lock; /* appends, and the fields down to `size` */
    int fd;
    char *path;
    char id[33];
    enum fsync_policy policy;
    int64_t next_seq;
    off_t size;   /* bytes of complete lines */
    off_t synced; /* of which known to be on disk (fdatasync done) */
    unsigned gen; /* counts compactions: a size is of one file */
    char *map;    /* the window: bytes [map_off, map_end) of the file, or NULL */
    off_t map_off, map_end;

    pthread_mutex_t apply_lock; /* one applier at a time; the fields below */
    off_t read_off;
    int64_t applied;            /* -1: not read from the store yet */
    _Atomic int64_t stored_seq; /* `applied`, readable without apply_lock */

    pthread_t thread, sync_thread;
    bool running, syncing, stopping;
    pthread_cond_t wake; /* both threads wait on it, with `lock` */
    char *db_url;
    int interval_ms;

    /* Clicks answered but not written, and when a failure was last logged,
     * so that a full disk gives a line a minute, not one per click. */
    _Atomic uint64_t lost;
    _Atomic int64_t lost_logged_at; /* 0: never */
};

static uint32_t fnv1a(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static int write_all(int fd, const char *s, size_t n, off_t at)
{
    while (n) {
        ssize_t w = pwrite(fd, s, n, at);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        s += w;
        at += w;
        n -= (size_t)w;
    }
    return 0;
}

static void sync_dir(const char *path)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    const char *d = ".";
    if (slash) {
        slash[slash == dir ? 1 : 0] = '\0';
        d = dir;
    }
    int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

/* Moves tmp to path unless a file is there (EEXIST then). A file system
 * without RENAME_NOREPLACE gets link(2), which fails the same way, though
 * the open file then shows its first, removed, name. */
static int place_new(const char *tmp, const char *path)
{
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
        return 0;
    if ((errno != EINVAL && errno != ENOSYS) || link(tmp, path))
        return -1;
    unlink(tmp);
    return 0;
}

/* A new log file at path, written under a name of its own first so that
 * no one ever sees it without its whole header. With `replace` it takes the
 * place of the file there (compaction: the old one is ours and locked);
 * else it appears only where there is none, since two servers starting at
 * once must not empty each other's file. Returns 0 with *fd set and locked,
 * 1 when another file was there first, or -1. */
static int create_file(const char *path, const char *id, int64_t base, bool replace, int *fd,
                       off_t *size, struct error *err)
{
    char header[128];
    int n = snprintf(header, sizeof header, LOG_MAGIC "%s %lld\n", id, (long long)base);
    unsigned char raw[4];
    char tag[9];
    randombytes_buf(raw, sizeof raw);
    str_hex(raw, sizeof raw, tag);
    struct buf tmp = {0};
    buf_printf(&tmp, "%s.%s.new", path, tag);
    int rc = -1;
    *fd = open(tmp.data, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (*fd < 0 || flock(*fd, LOCK_EX | LOCK_NB) || write_all(*fd, header, (size_t)n, 0) ||
        fdatasync(*fd))
        goto fail;
    if (replace ? rename(tmp.data, path) : place_new(tmp.data, path)) {
        if (!replace && errno == EEXIST)
            rc = 1;
        goto fail;
    }
    buf_free(&tmp);
    sync_dir(path);
    *size = n;
    return 0;
fail:
    if (rc < 0)
        error_set(err, ERR_INTERNAL, "cannot create the click log %s: %s", path, strerror(errno));
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
    unlink(tmp.data);
    buf_free(&tmp);
    return rc;
}

/* A decimal number, as str_to_i64 reads one ("[+-]digits", within
 * int64_t), from the n bytes at s. */
static bool span_i64(const char *s, size_t n, int64_t *out)
{
    bool neg = n && s[0] == '-';
    size_t i = n && (s[0] == '-' || s[0] == '+');
    if (i == n)
        return false;
    uint64_t v = 0, max = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    /* v * 10 + d <= max, without a division for every digit. */
    uint64_t most = max / 10;
    unsigned last = (unsigned)(max % 10);
    for (; i < n; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9 || v > most || (v == most && d > last))
            return false;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* Splits a record line (without its '\n') into a click and its sequence
 * number; false if it is not one this file format wrote. Read in place, by
 * hand: strtok_r, strtoll and strtoul took a sixth of storing a click. */
static bool parse_line(const char *line, size_t n, int64_t *seq, struct click *c)
{
    if (n < 10 || n >= LINE_MAX_BYTES)
        return false;
    const char *sp = line + n;
    while (sp > line && sp[-1] != ' ')
        sp--;
    if (sp == line || line + n - sp != 8)
        return false;
    uint32_t want = 0;
    for (int i = 0; i < 8; i++) {
        unsigned x = (unsigned char)sp[i];
        unsigned d = x >= '0' && x <= '9'   ? x - '0'
                     : x >= 'a' && x <= 'f' ? x - 'a' + 10u
                     : x >= 'A' && x <= 'F' ? x - 'A' + 10u
                                            : 16u;
        if (d > 15)
            return false;
        want = want << 4 | d;
    }
    const char *end = sp - 1;
    if (want != fnv1a(line, (size_t)(end - line)) || memchr(line, '\0', (size_t)(end - line)))
        return false;
    /* Seven fields between runs of spaces; anything after them is not read. */
    const char *f[7];
    size_t len[7];
    int k = 0;
    for (const char *p = line; k < 7;) {
        while (p < end && *p == ' ')
            p++;
        if (p == end)
            break;
        f[k] = p;
        while (p < end && *p != ' ')
            p++;
        len[k] = (size_t)(p - f[k]);
        k++;
    }
    int64_t dev, bot;
    if (k != 7 || !span_i64(f[0], len[0], seq) || !span_i64(f[1], len[1], &c->link_id) ||
        c->link_id <= 0 || !span_i64(f[2], len[2], &c->at) || !span_i64(f[3], len[3], &dev) ||
        dev < 0 || dev > DEVICE_OTHER || !span_i64(f[4], len[4], &bot) ||
        len[5] > LINKS_VISITOR_HEX || len[6] > 255)
        return false;
    c->device = (enum device)dev;
    c->bot = bot != 0;
    for (int i = 5; i < 7; i++) {
        char *to = i == 5 ? c->visitor : c->referrer_host;
        size_t m = len[i] == 1 && f[i][0] == '-' ? 0 : len[i]; /* "-": none */
        memcpy(to, f[i], m);
        to[m] = '\0';
    }
    return true;
}

/* Writes a header with a new id at the start of the (empty or torn, and
 * locked) file the log has open. */
static int fresh_header(struct click_log *log, struct error *err)
{
    unsigned char raw[16];
    randombytes_buf(raw, sizeof raw);
    str_hex(raw, sizeof raw, log->id);
    char header[128];
    int n = snprintf(header, sizeof header, LOG_MAGIC "%s 0\n", log->id);
    if (ftruncate(log->fd, 0) || write_all(log->fd, header, (size_t)n, 0) || fdatasync(log->fd))
        return error_set(err, ERR_INTERNAL, "cannot repair the click log %s: %s", log->path,
                         strerror(errno));
    log->next_seq = 1;
    log->size = n;
    return 0;
}

/* Reads the existing file: its id and base from the header, the last
 * sequence number, and cuts off a torn last line left by a crash. */
static int load_file(struct click_log *log, struct error *err)
{
    struct stat sb;
    if (fstat(log->fd, &sb))
        return error_set(err, ERR_INTERNAL, "cannot read the click log %s", log->path);
    char *data = xmalloc((size_t)sb.st_size + 1);
    ssize_t got = pread(log->fd, data, (size_t)sb.st_size, 0);
    int rc = -1;
    if (got != sb.st_size) {
        error_set(err, ERR_INTERNAL, "cannot read the click log %s", log->path);
        goto fail;
    }
    data[got] = '\0';
    size_t magic = strlen(LOG_MAGIC);
    if (!memchr(data, '\n', (size_t)got) &&
        strncmp(data, LOG_MAGIC, (size_t)got < magic ? (size_t)got : magic) == 0) {
        /* Empty, or the start of a header and nothing after: a log that
         * was being made when its server died, with no click in it. */
        log_warn("click log %s: starting afresh over %lld bytes of an unfinished header", log->path,
                 (long long)got);
        rc = fresh_header(log, err);
        goto fail;
    }
    long long base;
    char id[33];
    /* The header is the whole first line, "kanal-clicks 1 ID BASE". */
    const char *eol = memchr(data, '\n', (size_t)got);
    size_t hn = eol ? (size_t)(eol - data) : 0;
    char head[128];
    int used = 0;
    if (hn < sizeof head) {
        memcpy(head, data, hn);
        head[hn] = '\0';
    }
    if (!eol || hn >= sizeof head ||
        sscanf(head, LOG_MAGIC "%32[0-9a-f] %lld%n", id, &base, &used) != 2 || (size_t)used != hn ||
        strlen(id) != 32 || base < 0) {
        error_set(err, ERR_INTERNAL,
                  "%s is not a kanal click log; move it away or give another --click-log",
                  log->path);
        goto fail;
    }
    memcpy(log->id, id, sizeof id);
    int64_t last = base;
    off_t good = (off_t)hn + 1;
    for (char *p = data + good; p < data + got;) {
        char *nl = memchr(p, '\n', (size_t)(data + got - p));
        if (!nl)
            break;
        struct click c;
        int64_t seq;
        if (parse_line(p, (size_t)(nl - p), &seq, &c) && seq > last)
            last = seq;
        else if (strspn(p, " ") < (size_t)(nl - p)) /* blank: a click whose sync failed */
            log_warn("click log %s: skipping a damaged line at byte %lld", log->path,
                     (long long)(p - data));
        p = nl + 1;
        good = p - data;
    }
    if (good != got) {
        /* Zeros are the rest of the window a crash left mapped: the end. */
        bool zeros = true;
        for (off_t i = good; i < got && zeros; i++)
            zeros = data[i] == '\0';
        if (!zeros)
            log_warn("click log %s: cutting off %lld bytes of an unfinished line", log->path,
                     (long long)(got - good));
        if (ftruncate(log->fd, good)) {
            error_set(err, ERR_INTERNAL, "cannot repair the click log %s", log->path);
            goto fail;
        }
    }
    if (last > SEQ_MAX) {
        error_set(err, ERR_INTERNAL,
                  "click log %s: sequence number %lld is beyond any real log; move it away or "
                  "give another --click-log",
                  log->path, (long long)last);
        goto fail;
    }
    log->next_seq = last + 1;
    log->size = good;
    rc = 0;
fail:
    free(data);
    return rc;
}

struct click_log *clicklog_open(const char *path, enum fsync_policy policy, struct error *err)
{
    struct click_log *log = xcalloc(1, sizeof *log);
    pthread_mutexattr_t adaptive;
    pthread_mutexattr_init(&adaptive);
    pthread_mutexattr_settype(&adaptive, PTHREAD_MUTEX_ADAPTIVE_NP);
    pthread_mutex_init(&log->lock, &adaptive);
    pthread_mutexattr_destroy(&adaptive);
    pthread_mutex_init(&log->apply_lock, NULL);
    pthread_cond_init(&log->wake, NULL);
    log->path = xstrdup(path);
    log->policy = policy;
    log->applied = -1;
    log->fd = -1;
    bool made_here = false;
    /* Opened if it is there, else made; if another server makes it in
     * between, opened after all (and then found locked). */
    for (int tries = 0; log->fd < 0 && tries < 3; tries++) {
        log->fd = open(path, O_RDWR | O_CLOEXEC);
        if (log->fd >= 0 || errno != ENOENT)
            break;
        unsigned char raw[16];
        randombytes_buf(raw, sizeof raw);
        str_hex(raw, sizeof raw, log->id);
        int made = create_file(path, log->id, 0, false, &log->fd, &log->size, err);
        if (made < 0)
            goto fail;
        made_here = made == 0;
        log->next_seq = 1;
    }
    if (log->fd < 0) {
        error_set(err, ERR_INTERNAL, "cannot open the click log %s: %s", path, strerror(errno));
        goto fail;
    }
    if (!made_here) {
        if (flock(log->fd, LOCK_EX | LOCK_NB)) {
            error_set(err, ERR_INTERNAL,
                      "the click log %s is in use by another kanal server; give each server "
                      "its own --click-log",
                      path);
            goto fail;
        }
        if (load_file(log, err))
            goto fail;
    }
    log->read_off = 0;
    log->synced = log->size; /* taken as on disk, as it always was */
    return log;
fail:
    clicklog_close(log);
    return NULL;
}

/* Called with log->lock held, or by the log's only user. */
static void unmap(struct click_log *log)
{
    if (log->map)
        munmap(log->map, (size_t)(log->map_end - log->map_off));
    log->map = NULL;
    log->map_off = log->map_end = 0;
}

void clicklog_close(struct click_log *log)
{
    if (!log)
        return;
    if (log->fd >= 0) {
        bool mapped = log->map;
        unmap(log);
        if (mapped && ftruncate(log->fd, log->size)) /* the window's zeros */
            log_warn("click log %s: cannot cut off its unused end", log->path);
        if (log->synced < log->size)
            fdatasync(log->fd);
        close(log->fd);
    }
    pthread_mutex_destroy(&log->lock);
    pthread_mutex_destroy(&log->apply_lock);
    pthread_cond_destroy(&log->wake);
    free(log->path);
    free(log->db_url);
    free(log);
}

uint64_t clicklog_lost(struct click_log *log)
{
    return log->lost;
}

int64_t clicklog_pending(struct click_log *log)
{
    pthread_mutex_lock(&log->lock);
    int64_t written = log->next_seq - 1;
    pthread_mutex_unlock(&log->lock);
    int64_t stored = atomic_load(&log->stored_seq);
    return written > stored ? written - stored : 0;
}

/* Called with log->lock held, after a failed write or sync: a written line
 * is cut back to the last whole one, so that the next append neither runs
 * into a half line nor repeats a sequence number (a line in the window is
 * blanked by the caller). */
static int lose(struct click_log *log, const char *what, struct error *err)
{
    int why = errno;
    if (!log->map && ftruncate(log->fd, log->size))
        log_error("click log %s: cannot cut off a failed write", log->path);
    uint64_t n = ++log->lost;
    int64_t now = time_now(), last = log->lost_logged_at;
    if (now - last >= 60 && atomic_compare_exchange_strong(&log->lost_logged_at, &last, now))
        log_error("cannot %s the click log %s: %s; %llu click%s lost since start (redirects "
                  "still answered; see kanal_clicks_lost_total)",
                  what, log->path, strerror(why), (unsigned long long)n, n == 1 ? "" : "s");
    return error_set(err, ERR_INTERNAL, "cannot %s the click log %s: %s", what, log->path,
                     strerror(why));
}

/* Writes v in decimal at p; returns the end. */
static char *put_int(char *p, int64_t v)
{
    char digits[20];
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    size_t n = 0;
    do
        digits[n++] = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *p++ = '-';
    while (n)
        *p++ = digits[--n];
    return p;
}

static char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

/* A click's line without its sequence number: " LINK AT DEVICE BOT VISITOR
 * REFERRER". Written by hand: snprintf was a tenth of the redirect's own
 * work. The fields are bounded (20-digit numbers, a 32-byte hash, a
 * 255-byte host), so the line fits LINE_MAX_BYTES. */
static size_t click_fields(const struct click *c, char *out)
{
    char *p = out;
    *p++ = ' ';
    p = put_int(p, c->link_id);
    *p++ = ' ';
    p = put_int(p, c->at);
    *p++ = ' ';
    p = put_int(p, (int64_t)c->device);
    *p++ = ' ';
    *p++ = c->bot ? '1' : '0';
    *p++ = ' ';
    p = put_str(p, c->visitor[0] ? c->visitor : "-");
    *p++ = ' ';
    p = put_str(p, c->referrer_host[0] ? c->referrer_host : "-");
    return (size_t)(p - out);
}

/* Whether the window holds n more bytes after the last line, moving it on
 * (reserving its blocks first, so that a full disk is an error here and not
 * a SIGBUS on the copy) when it does not. Called with log->lock held; the
 * window left behind goes to *old, for the caller to unmap once it has let
 * go of the lock (a megabyte's unmapping took up to half a millisecond). */
static bool window(struct click_log *log, size_t n, void **old)
{
    if (log->map && log->size + (off_t)n <= log->map_end)
        return true;
    *old = log->map;
    log->map = NULL;
    off_t page = (off_t)sysconf(_SC_PAGESIZE);
    off_t from = log->size / page * page;
    if (posix_fallocate(log->fd, from, WINDOW_BYTES))
        return false;
    void *m = mmap(NULL, WINDOW_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, log->fd, from);
    if (m == MAP_FAILED)
        return false;
    log->map = m;
    log->map_off = from;
    log->map_end = from + WINDOW_BYTES;
    return true;
}

int clicklog_append(struct click_log *log, const struct click *c, struct error *err)
{
    static const char hex[] = "0123456789abcdef";
    char fields[LINE_MAX_BYTES - 40], line[LINE_MAX_BYTES];
    static_assert(20 + 3 * 21 + 3 + LINKS_VISITOR_HEX + 1 + 255 < sizeof fields,
                  "a click's fields fit its line");
    size_t nf = click_fields(c, fields);
    int rc = 0;
    void *old = NULL;
    pthread_mutex_lock(&log->lock);
    if (log->next_seq > SEQ_MAX) {
        errno = EOVERFLOW;
        rc = lose(log, "number a click in", err);
        goto done;
    }
    char *p = put_int(line, log->next_seq);
    memcpy(p, fields, nf);
    p += nf;
    uint32_t sum = fnv1a(line, (size_t)(p - line));
    *p++ = ' ';
    for (int shift = 28; shift >= 0; shift -= 4)
        *p++ = hex[(sum >> shift) & 0xf];
    *p++ = '\n';
    size_t n = (size_t)(p - line);
    if (window(log, n, &old)) {
        char *at = log->map + (log->size - log->map_off);
        memcpy(at, line, n);
        if (log->policy == FSYNC_ALWAYS && fdatasync(log->fd)) {
            /* Not known to be on disk, so not a click: its place stays
             * taken, by a line that reads as nothing, and its number goes
             * to the next click. */
            memset(at, ' ', n - 1);
            log->size += n;
            rc = lose(log, "sync", err);
            goto done;
        }
    } else if (write_all(log->fd, line, n, log->size)) {
        rc = lose(log, "write", err);
        goto done;
    } else if (log->policy == FSYNC_ALWAYS && fdatasync(log->fd)) {
        rc = lose(log, "sync", err);
        goto done;
    }
    log->next_seq++;
    log->size += n;
    if (log->policy == FSYNC_ALWAYS)
        log->synced = log->size;
done:
    pthread_mutex_unlock(&log->lock);
    if (old)
        munmap(old, WINDOW_BYTES);
    return rc;
}

/* One statement stores INSERT_ROWS clicks: a statement's own cost (starting,
 * opening its cursors, finishing, resetting) was a quarter of storing a
 * click one row at a time. A batch's last few go one by one. */
#define INSERT_ROWS 16
#define CLICK_ROW   "(?, ?, ?, ?, ?, ?)"
#define CLICK_ROWS4 CLICK_ROW ", " CLICK_ROW ", " CLICK_ROW ", " CLICK_ROW
#define INSERT_CLICKS                                                                              \
    "INSERT INTO clicks (link_id, at, referrer_host, device, is_bot, visitor_hash) VALUES "
static const char insert_click[] = INSERT_CLICKS CLICK_ROW;
static const char insert_clicks[] =
    INSERT_CLICKS CLICK_ROWS4 ", " CLICK_ROWS4 ", " CLICK_ROWS4 ", " CLICK_ROWS4;
static_assert(INSERT_ROWS == 16, "insert_clicks holds INSERT_ROWS rows");

/* Whether a click's link still exists (a link deleted since the click takes
 * its clicks along), asked once per link and batch: a busy batch is mostly a
 * few links clicked many times. 1 yes, 0 no, -1 error. */
struct link_seen {
    int64_t id[64];
    bool exists[64];
};

static int link_exists(struct db *db, struct link_seen *seen, int64_t id, struct error *err)
{
    size_t at = (size_t)id % ARRAY_LEN(seen->id);
    if (seen->id[at] == id)
        return seen->exists[at];
    int found = db_scalar(db, err, NULL, "SELECT 1 FROM links WHERE id = ?", "i", id);
    if (found < 0)
        return -1;
    seen->id[at] = id;
    seen->exists[at] = found == 1;
    return found == 1;
}

/* Binds a click to the row'th row of an insert. Its strings are read in
 * place: the batch outlives the statement's step. */
static void bind_click(struct db_stmt *st, int row, const struct click *c)
{
    int at = row * 6;
    db_bind_int(st, at + 1, c->link_id);
    db_bind_int(st, at + 2, c->at);
    db_bind_text_ref(st, at + 3, c->referrer_host);
    db_bind_text_ref(st, at + 4, links_device_names[c->device]);
    db_bind_int(st, at + 5, c->bot);
    db_bind_text_ref(st, at + 6, c->visitor);
}

/* Runs an insert of `rows` bound clicks; adds the rows stored to *inserted. */
static int insert_rows(struct db *db, const char *sql, const struct click *c, int rows,
                       int64_t *inserted, struct error *err)
{
    struct db_stmt *st = db_prepare(db, sql, err);
    if (!st)
        return -1;
    for (int i = 0; i < rows; i++)
        bind_click(st, i, &c[i]);
    int rc = db_step(st, err);
    if (rc >= 0)
        *inserted += db_stmt_changes(st);
    db_finalize(st); /* back to the connection's cache, for the next rows */
    return rc < 0 ? -1 : 0;
}

/* Stores clicks[0..n) and the new high-water mark in one transaction;
 * *stored counts the clicks whose link still exists. The clicks of links
 * deleted since are dropped from the array first. */
static int store_batch(struct click_log *log, struct db *db, struct click *clicks, size_t n,
                       int64_t last_seq, int64_t *stored, struct error *err)
{
    int64_t inserted = 0;
    struct link_seen seen;
    memset(&seen, 0, sizeof seen); /* link ids start at 1, so 0 is an empty slot */
    if (db_begin(db, err))
        return -1;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        assert(clicks[i].link_id > 0);
        int exists = link_exists(db, &seen, clicks[i].link_id, err);
        if (exists < 0)
            goto fail;
        if (exists && kept++ != i)
            clicks[kept - 1] = clicks[i];
    }
    size_t i = 0;
    for (; kept - i >= INSERT_ROWS; i += INSERT_ROWS)
        if (insert_rows(db, insert_clicks, &clicks[i], INSERT_ROWS, &inserted, err))
            goto fail;
    for (; i < kept; i++)
        if (insert_rows(db, insert_click, &clicks[i], 1, &inserted, err))
            goto fail;
    /* How far the log is stored commits with the clicks, or neither does. */
    if (db_run(db, err,
               "INSERT INTO click_log_applied (log_id, seq) VALUES (?, ?) "
               "ON CONFLICT (log_id) DO UPDATE SET seq = excluded.seq",
               "ti", log->id, last_seq) < 0 ||
        db_commit(db, err))
        goto fail;
    *stored += inserted;
    return 0;
fail:
    db_rollback(db);
    return -1;
}

/* Starts the file afresh once everything in it is stored, so it does not
 * grow for ever. Called with apply_lock held. */
static void compact(struct click_log *log)
{
    pthread_mutex_lock(&log->lock);
    if (log->size >= COMPACT_AT && log->read_off == log->size &&
        log->applied == log->next_seq - 1) {
        struct error err = {0};
        off_t size;
        int fd;
        if (create_file(log->path, log->id, log->applied, true, &fd, &size, &err)) {
            log_warn("%s", err.msg);
        } else {
            unmap(log);
            close(log->fd);
            log->fd = fd;
            log->size = log->read_off = log->synced = size; /* create_file syncs */
            log->gen++;
        }
    }
    pthread_mutex_unlock(&log->lock);
}

int64_t clicklog_apply(struct click_log *log, struct db *db, struct error *err)
{
    int64_t stored = 0;
    char *chunk = xmalloc(READ_CHUNK);
    struct click *batch = xmalloc(BATCH_MAX * sizeof *batch);
    pthread_mutex_lock(&log->apply_lock);
    if (log->applied < 0) {
        int64_t v = 0;
        if (db_scalar(db, err, &v, "SELECT seq FROM click_log_applied WHERE log_id = ?", "t",
                      log->id) < 0)
            goto fail;
        log->applied = v;
        atomic_store(&log->stored_seq, v);
    }
    /* One round stores what the log held when it began. Chasing the end
     * while redirects keep writing would turn a busy server's batches into
     * a sync and a small transaction per few clicks, which cost the
     * redirects a fifth of the CPU; what comes in meanwhile waits for the
     * next round. */
    pthread_mutex_lock(&log->lock);
    off_t end = log->size;
    int fd = log->fd;
    bool sync = log->synced < end;
    pthread_mutex_unlock(&log->lock);
    /* The store must not get ahead of what a power loss leaves of the log:
     * clicks stored past its end would give their sequence numbers again. */
    if (sync && fdatasync(fd) == 0) {
        pthread_mutex_lock(&log->lock);
        if (log->synced < end)
            log->synced = end;
        pthread_mutex_unlock(&log->lock);
    }
    while (log->read_off < end) {
        size_t want =
            (size_t)(end - log->read_off) < READ_CHUNK ? (size_t)(end - log->read_off) : READ_CHUNK;
        ssize_t got = pread(fd, chunk, want, log->read_off);
        if (got <= 0) {
            error_set(err, ERR_INTERNAL, "cannot read the click log %s", log->path);
            goto fail;
        }
        size_t n = 0, used = 0;
        int64_t last = log->applied;
        for (char *p = chunk; p < chunk + got && n < BATCH_MAX;) {
            char *nl = memchr(p, '\n', (size_t)(chunk + got - p));
            if (!nl)
                break;
            int64_t seq;
            /* The header and damaged lines parse as nothing and are passed over. */
            if (parse_line(p, (size_t)(nl - p), &seq, &batch[n]) && seq > last) {
                last = seq;
                n++;
            }
            p = nl + 1;
            used = (size_t)(p - chunk);
        }
        if (used == 0) {
            error_set(err, ERR_INTERNAL, "click log %s: a line longer than %d bytes", log->path,
                      READ_CHUNK);
            goto fail;
        }
        if (n && store_batch(log, db, batch, n, last, &stored, err))
            goto fail;
        log->read_off += (off_t)used;
        log->applied = last;
        atomic_store(&log->stored_seq, last);
    }
    compact(log);
    pthread_mutex_unlock(&log->apply_lock);
    free(chunk);
    free(batch);
    return stored;
fail:
    pthread_mutex_unlock(&log->apply_lock);
    free(chunk);
    free(batch);
    return -1;
}

/* Waits until `interval_ms` from now, or a stop; called with log->lock held. */
static void wait_round(struct click_log *log)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += (long)(log->interval_ms % 1000) * 1000000L;
    until.tv_sec += log->interval_ms / 1000 + until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    pthread_cond_timedwait(&log->wake, &log->lock, &until);
}

/* The batch policy's sync, every `interval_ms` at the answering threads'
 * priority: the applier runs behind them and can fall behind in a burst,
 * but what a power loss can take stays under one interval of clicks. The
 * file is synced through a dup of its descriptor, since a compaction may
 * close the original meanwhile. */
static void *syncer(void *arg)
{
    struct click_log *log = arg;
    pthread_mutex_lock(&log->lock);
    while (!log->stopping) {
        wait_round(log);
        if (log->stopping || log->synced >= log->size)
            continue;
        off_t target = log->size;
        unsigned gen = log->gen;
        int fd = dup(log->fd);
        pthread_mutex_unlock(&log->lock);
        bool done = fd >= 0 && fdatasync(fd) == 0;
        if (fd >= 0)
            close(fd);
        pthread_mutex_lock(&log->lock);
        if (done && gen == log->gen && log->synced < target)
            log->synced = target;
    }
    pthread_mutex_unlock(&log->lock);
    return NULL;
}

static void *applier(void *arg)
{
    struct click_log *log = arg;
    struct error err = {0};
    /* A click is safe once it is in the log, so storing it can wait while
     * redirects are answered: on a busy server this thread takes a quarter
     * of the process's CPU, and at the same priority it took it from the
     * answers. At nice +10 (Linux sets it per thread) its share of a busy
     * CPU is weighed at a tenth of theirs, and an idle CPU is all its own,
     * so it catches up after a burst; kanal_clicks_pending shows how far
     * behind it is. Not SCHED_IDLE, which a server busy for good would
     * starve for good. */
    errno = 0;
    int nice_now = getpriority(PRIO_PROCESS, (id_t)gettid()); /* -1 is a nice value too */
    if (errno || setpriority(PRIO_PROCESS, (id_t)gettid(), nice_now + 10)) /* above 19: 19 */
        log_warn("click log: cannot lower the applier's priority: %s", strerror(errno));
    struct db *db = db_open(log->db_url, &err);
    if (!db)
        log_error("click log: cannot open the store: %s", err.msg);
    pthread_mutex_lock(&log->lock);
    while (!log->stopping) {
        wait_round(log);
        if (log->stopping)
            break;
        pthread_mutex_unlock(&log->lock);
        if (!db)
            db = db_open(log->db_url, &err);
        /* On failure the clicks stay in the log and the next round retries. */
        if (db && clicklog_apply(log, db, &err) < 0)
            log_error("click log: %s (will retry)", err.msg);
        pthread_mutex_lock(&log->lock);
    }
    pthread_mutex_unlock(&log->lock);
    if (db && clicklog_apply(log, db, &err) < 0)
        log_error("click log: %s; the clicks stay in the log for the next start", err.msg);
    db_close(db);
    return NULL;
}

int clicklog_start(struct click_log *log, const char *db_url, int interval_ms, struct error *err)
{
    struct db *db = db_open(db_url, err);
    if (!db)
        return -1;
    /* Replay before serving, so that what a crash left behind is counted
     * before anyone asks for statistics. */
    int64_t n = clicklog_apply(log, db, err);
    db_close(db);
    if (n < 0)
        return -1;
    if (n)
        log_info("click log: stored %lld clicks left from the last run", (long long)n);
    log->db_url = xstrdup(db_url);
    log->interval_ms = interval_ms;
    log->stopping = false;
    /* Made from this thread, so that it does not inherit the applier's nice. */
    if (log->policy == FSYNC_BATCH) {
        if (pthread_create(&log->sync_thread, NULL, syncer, log))
            return error_set(err, ERR_INTERNAL, "cannot start the click log's sync thread");
        log->syncing = true;
    }
    if (pthread_create(&log->thread, NULL, applier, log)) {
        clicklog_stop(log);
        return error_set(err, ERR_INTERNAL, "cannot start the click log thread");
    }
    log->running = true;
    return 0;
}

void clicklog_stop(struct click_log *log)
{
    if (!log || (!log->running && !log->syncing))
        return;
    pthread_mutex_lock(&log->lock);
    log->stopping = true;
    pthread_cond_broadcast(&log->wake);
    pthread_mutex_unlock(&log->lock);
    if (log->syncing)
        pthread_join(log->sync_thread, NULL);
    if (log->running)
        pthread_join(log->thread, NULL); /* its last round stores, and syncs, what is left */
    log->running = log->syncing = false;
}
