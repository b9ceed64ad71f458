/* linkedin_xls: LinkedIn page analytics exports (Excel 97-2003 .xls),
 * read with Debian's libfreexl. The sheets kanal reads:
 *   "All posts" (older: "Update engagement"): one post a row, with Post
 *     title, Post link, Created date, Impressions, Views, Clicks, Likes,
 *     Comments, Reposts: a post with a metric snapshot;
 *   "Metrics" (older: "Update metrics (aggregated)"): the page's daily
 *     figures; Impressions (total) and Unique impressions (organic) are the
 *     day's impressions and reach.
 * Every other sheet (the followers export's daily gains in "New
 * followers", demographics such as "Location" or "Seniority", visitors) is
 * counted as not read. A sheet may have a note above its header: the header
 * is the first of the first five rows that names the sheet's key column.
 *
 * libfreexl reads the workbook in a child process, which writes the cells
 * to a pipe: a workbook that makes libfreexl fail or crash (fuzzing found
 * a stack overflow in its text conversion, in Debian's 1.0.6) costs only
 * the child, and the import reports the file as unreadable. The child asks
 * libfreexl for every cell a sheet declares, and a crafted header may
 * declare billions of rows (fuzzing found 3,657,433,088, which kept a
 * sanitizer build busy 16 s): the rows, columns and cells a workbook may
 * declare are bounded, and so is the child's time. */
#include "ingest/internal.h"

#include <ctype.h>
#include <errno.h>
#include <freexl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

enum col {
    C_TITLE,
    C_LINK,
    C_CREATED,
    C_IMPRESSIONS,
    C_VIEWS,
    C_CLICKS,
    C_LIKES,
    C_COMMENTS,
    C_REPOSTS,
    C_DATE,
    C_DAY_IMPRESSIONS,
    C_DAY_REACH,
    C_COUNT
};

/* Each column's names, '|' between alternatives, as csv_named reads them. */
static const char *const col_names[C_COUNT] = {
    [C_TITLE] = "Post title|Update title",
    [C_LINK] = "Post link|Update link",
    [C_CREATED] = "Created date",
    [C_IMPRESSIONS] = "Impressions",
    [C_VIEWS] = "Views|Video views",
    [C_CLICKS] = "Clicks",
    [C_LIKES] = "Likes|Reactions",
    [C_COMMENTS] = "Comments",
    [C_REPOSTS] = "Reposts|Shares",
    [C_DATE] = "Date",
    [C_DAY_IMPRESSIONS] = "Impressions (total)",
    [C_DAY_REACH] = "Unique impressions (organic)",
};

/* ---- the child: libfreexl's cells onto a pipe ------------------------------------- */

/* The cells all sheets of a workbook may declare, empty or not: a year of
 * LinkedIn's daily figures is 365 rows of some 40 columns, and its posts
 * a few thousand rows of 20. */
#define XLS_MAX_CELLS (4u << 20)
/* What an Excel 97-2003 sheet can hold. */
#define XLS_MAX_ROWS 65536u
#define XLS_MAX_COLS 256u
/* How long the child may read, in seconds, before it is stopped. */
#define XLS_MAX_SECONDS 60

/* What the child writes, in the machine's own byte order:
 *   'S' u32 n, n bytes          a sheet begins: its name
 *   'C' u32 row, u16 col, 'n' double        a number cell
 *   'C' u32 row, u16 col, 't' u32 n, n bytes  a text cell (dates as
 *                                             "YYYY-MM-DD"), NUL included
 *   'F' u32 n, n bytes          the workbook cannot be read: why
 *   'D'                         done
 * Empty cells are not written. */

static bool put(int fd, const void *p, size_t n)
{
    for (const char *c = p; n;) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        c += w;
        n -= (size_t)w;
    }
    return true;
}

static bool put_text(int fd, char tag, const char *text)
{
    uint32_t n = (uint32_t)strlen(text) + 1;
    return put(fd, &tag, 1) && put(fd, &n, 4) && put(fd, text, n);
}

static void child_fail(int fd, const char *why, int code)
{
    char msg[200];
    if (code)
        snprintf(msg, sizeof msg, "%s (libfreexl error %d)", why, code);
    else
        snprintf(msg, sizeof msg, "%s", why);
    put_text(fd, 'F', msg);
}

/* Reads the workbook at path and writes it to fd. */
static void child_read(const char *path, int fd)
{
    /* SIGALRM ends the child, whatever handler it inherited: a loop in
     * libfreexl ends there. */
    signal(SIGALRM, SIG_DFL);
    alarm(XLS_MAX_SECONDS);
    const void *xls = NULL;
    int rc = freexl_open(path, &xls);
    unlink(path);
    if (rc != FREEXL_OK) {
        child_fail(fd, "not an Excel 97-2003 workbook (.xls) that can be read", rc);
        return;
    }
    unsigned info = 0, nsheets = 0;
    if (freexl_get_info(xls, FREEXL_BIFF_PASSWORD, &info) == FREEXL_OK &&
        info == FREEXL_BIFF_OBFUSCATED) {
        child_fail(fd, "the workbook is protected by a password", 0);
        return;
    }
    if (freexl_get_info(xls, FREEXL_BIFF_SHEET_COUNT, &nsheets) != FREEXL_OK) {
        child_fail(fd, "the workbook's sheets cannot be read", 0);
        return;
    }
    uint64_t declared = 0;
    for (unsigned i = 0; i < nsheets && i < 256; i++) {
        const char *name = NULL;
        unsigned rows = 0;
        unsigned short cols = 0;
        if (freexl_get_worksheet_name(xls, (unsigned short)i, &name) != FREEXL_OK || !name ||
            freexl_select_active_worksheet(xls, (unsigned short)i) != FREEXL_OK ||
            freexl_worksheet_dimensions(xls, &rows, &cols) != FREEXL_OK) {
            char why[64];
            snprintf(why, sizeof why, "sheet %u cannot be read", i + 1);
            child_fail(fd, why, 0);
            return;
        }
        /* Excel 97-2003 has at most 65,536 rows of 256 columns a sheet; a
         * header that says more (fuzzing found 3,657,433,088 rows of none)
         * is not a workbook's. */
        declared += (uint64_t)rows * cols;
        if (rows > XLS_MAX_ROWS || cols > XLS_MAX_COLS || declared > XLS_MAX_CELLS) {
            char why[200];
            snprintf(why, sizeof why, "sheet '%.40s' declares %u rows of %u columns: more than %s",
                     name, rows, (unsigned)cols,
                     rows > XLS_MAX_ROWS || cols > XLS_MAX_COLS
                         ? "an Excel 97-2003 sheet has (65,536 rows of 256)"
                         : "the 4,194,304 cells kanal reads in a workbook");
            child_fail(fd, why, 0);
            return;
        }
        if (!put_text(fd, 'S', name))
            return;
        for (unsigned r = 0; r < rows; r++)
            for (unsigned short c = 0; c < cols; c++) {
                FreeXL_CellValue v;
                if (freexl_get_cell_value(xls, r, c, &v) != FREEXL_OK)
                    continue;
                double num = 0;
                const char *text = NULL;
                if (v.type == FREEXL_CELL_INT)
                    num = v.value.int_value;
                else if (v.type == FREEXL_CELL_DOUBLE)
                    num = v.value.double_value;
                else if (v.type == FREEXL_CELL_TEXT || v.type == FREEXL_CELL_SST_TEXT ||
                         v.type == FREEXL_CELL_DATE || v.type == FREEXL_CELL_DATETIME ||
                         v.type == FREEXL_CELL_TIME)
                    text = v.value.text_value;
                else
                    continue;
                if (text && !*text)
                    continue;
                char tag = 'C', kind = text ? 't' : 'n';
                uint32_t row = r;
                if (!put(fd, &tag, 1) || !put(fd, &row, 4) || !put(fd, &c, 2) || !put(fd, &kind, 1))
                    return;
                bool ok = text ? put_text(fd, 't', text) : put(fd, &num, sizeof num);
                if (!ok)
                    return;
            }
    }
    put(fd, "D", 1);
    /* Not freexl_close: the process ends here, and the parent never waits
     * on what libfreexl would free. */
}

/* The workbook's cells as the child wrote them into out; 0, or -1 and err. */
static int read_workbook(const char *data, size_t len, struct buf *out, struct error *err)
{
    const char *dir = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/kanal-xls-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        return error_set(err, ERR_INTERNAL, "cannot make a temporary file for the workbook: %s",
                         strerror(errno));
    bool wrote = put(fd, data, len);
    close(fd);
    int p[2];
    if (!wrote || pipe(p)) {
        unlink(path);
        return error_set(err, ERR_INTERNAL, "cannot hand the workbook to its reader: %s",
                         strerror(errno));
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        unlink(path);
        close(p[0]);
        close(p[1]);
        return error_set(err, ERR_INTERNAL, "cannot start the workbook's reader: %s",
                         strerror(errno));
    }
    if (pid == 0) {
        close(p[0]);
        child_read(path, p[1]);
        _exit(0);
    }
    close(p[1]);
    char chunk[65536];
    bool too_big = false;
    for (;;) {
        ssize_t n = read(p[0], chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        /* A workbook's cells are bounded by its size; a reader that writes
         * far more than that is lost in a loop. */
        if (out->len + (size_t)n > ((size_t)256 << 20)) {
            too_big = true;
            kill(pid, SIGKILL);
            break;
        }
        buf_append(out, chunk, (size_t)n);
    }
    close(p[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    unlink(path); /* the child's unlink, should it have died first */
    if (too_big)
        return error_set(err, ERR_INVALID, "the workbook's cells are larger than 256 MB");
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
        return error_set(err, ERR_INVALID,
                         "the workbook cannot be read: its reader (libfreexl) took longer than "
                         "%d s",
                         XLS_MAX_SECONDS);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return error_set(err, ERR_INVALID,
                         "the workbook cannot be read: its reader (libfreexl) stopped%s%d",
                         WIFSIGNALED(status) ? " on signal " : " with status ",
                         WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    return 0;
}

/* ---- the parent: sheets from the child's cells ------------------------------------- */

struct xcell {
    uint32_t row;
    uint16_t col;
    bool number;
    double num;
    const char *text; /* into the child's output, NUL-terminated */
};

struct sheet {
    struct pctx *pc;
    char name[64];
    struct xcell *cells; /* in row order, then column order */
    size_t ncells;
    int col[C_COUNT];
    char *hdr[C_COUNT];
    char where[128];
};

/* Row r's cell in column col: its text ("" for an empty cell, numbers as
 * decimal text); NULL for no column. *number set for numbers. */
static const char *cell_at(struct sheet *s, size_t first, size_t n, int col, bool *number,
                           double *num)
{
    *number = false;
    if (col < 0)
        return NULL;
    for (size_t i = first; i < first + n; i++) {
        const struct xcell *x = &s->cells[i];
        if (x->col != col)
            continue;
        if (x->text)
            return x->text;
        *number = true;
        *num = x->num;
        return arena_printf(&s->pc->arena, "%.17g", x->num);
    }
    return "";
}

/* The row whose cells start at first: how many cells it has. */
static size_t row_len(const struct sheet *s, size_t first)
{
    size_t n = 0;
    while (first + n < s->ncells && s->cells[first + n].row == s->cells[first].row)
        n++;
    return n;
}

/* The header row: the first of the sheet's first five rows with a cell
 * named key; fills s->col and returns the index of the row's first cell,
 * or -1. */
static long find_header(struct sheet *s, int key)
{
    for (size_t first = 0, nrows = 0; first < s->ncells && nrows < 5; nrows++) {
        size_t n = row_len(s, first);
        if (s->cells[first].row >= 5)
            break;
        for (int c = 0; c < C_COUNT; c++)
            s->col[c] = -1;
        for (size_t i = first; i < first + n; i++) {
            const char *t = s->cells[i].text;
            while (t && *t == ' ')
                t++;
            for (int k = 0; t && k < C_COUNT; k++)
                if (s->col[k] < 0 && csv_named(t, strlen(t), col_names[k])) {
                    s->col[k] = s->cells[i].col;
                    free(s->hdr[k]);
                    s->hdr[k] = xstrdup(t);
                }
        }
        if (s->col[key] >= 0)
            return (long)first;
        first += n;
    }
    return -1;
}

/* A count: a whole number cell, or text of digits grouped by ',' or ' ';
 * -1 in *n for an empty cell (not reported); -1 returned for anything
 * else. */
static int count_of(const char *t, bool number, double num, int64_t *n)
{
    *n = -1;
    if (number) {
        if (!(num >= 0 && num < 9e15) || num != floor(num))
            return -1;
        *n = (int64_t)num;
        return 0;
    }
    if (!t || !*t || str_eq(t, "-") || strcasecmp(t, "N/A") == 0)
        return 0;
    return csv_count(t, n);
}

/* "03/01/2024" (month first, as LinkedIn writes), "2024-03-01" (a date
 * cell): the day's number. */
static int day_of(const char *t, int64_t *day)
{
    int64_t at;
    int mo, d, y, used = 0;
    if (t && strlen(t) == 10 && time_parse_iso(t, &at) == 0) {
        *day = at / 86400;
        return 0;
    }
    if (!t || sscanf(t, "%2d/%2d/%4d%n", &mo, &d, &y, &used) != 3 || t[used] || mo < 1 || mo > 12 ||
        d < 1 || y < 1970 || y > 9999)
        return -1;
    char iso[48];
    snprintf(iso, sizeof iso, "%04d-%02d-%02d", y, mo, d);
    if (time_parse_iso(iso, &at))
        return -1; /* 02/30 and the like */
    *day = at / 86400;
    return 0;
}

static int reject_col(struct sheet *s, int c, const char *what)
{
    return rec_reject(s->pc, s->where, "column '%s' %s", s->hdr[c], what);
}

static int post_row(struct sheet *s, size_t r, size_t rn)
{
    struct pctx *pc = s->pc;
    bool number;
    double num = 0;
    struct ingest_record rec;
    rec_start(&rec, REC_POST, "linkedin", s->where);
    rec.format = "status";
    const char *link = cell_at(s, r, rn, s->col[C_LINK], &number, &num);
    /* https://www.linkedin.com/feed/update/urn:li:activity:ID (or share:,
     * ugcPost:): the urn is the post's id. */
    const char *urn = link ? strstr(link, "urn:li:") : NULL;
    size_t un = urn ? strcspn(urn, "/?#") : 0;
    const char *last = urn ? memchr(urn + 7, ':', un > 7 ? un - 7 : 0) : NULL;
    if (!last || last + 1 >= urn + un || !isdigit((unsigned char)last[1]))
        return reject_col(s, C_LINK,
                          "is not a post's link (https://www.linkedin.com/feed/update/urn:li:"
                          "activity:ID)");
    rec.post_id = arena_strndup(&pc->arena, urn, un);
    rec.permalink = link;
    int64_t day;
    if (day_of(cell_at(s, r, rn, s->col[C_CREATED], &number, &num), &day))
        return reject_col(s, C_CREATED, "is not a date like \"03/01/2024\" (month first)");
    /* A date without a time: the start of the workspace's day. */
    rec.published_at = csv_local_instant(pc->opts->zone, day * 86400);
    const char *title = cell_at(s, r, rn, s->col[C_TITLE], &number, &num);
    rec.body = title && *title ? title : NULL;
    static const struct {
        int col, metric;
    } figures[] = {{C_IMPRESSIONS, PM_IMPRESSIONS}, {C_VIEWS, PM_VIDEO_VIEWS},
                   {C_CLICKS, PM_CLICKS},           {C_LIKES, PM_REACTIONS},
                   {C_COMMENTS, PM_COMMENTS},       {C_REPOSTS, PM_SHARES}};
    for (size_t i = 0; i < ARRAY_LEN(figures); i++) {
        int c = s->col[figures[i].col];
        if (c < 0)
            continue;
        const char *t = cell_at(s, r, rn, c, &number, &num);
        if (count_of(t, number, num, &rec.metrics[figures[i].metric]))
            return reject_col(s, figures[i].col, "is not a count (1234 or \"1,234\")");
        rec.has_metrics |= rec.metrics[figures[i].metric] >= 0;
    }
    if (rec.metrics[PM_VIDEO_VIEWS] >= 0)
        rec.format = "video";
    rec.taken_at = pc->opts->taken_at;
    return rec_emit(pc, &rec);
}

static int day_row(struct sheet *s, size_t r, size_t rn)
{
    struct pctx *pc = s->pc;
    bool number;
    double num = 0;
    int64_t day;
    if (day_of(cell_at(s, r, rn, s->col[C_DATE], &number, &num), &day))
        return reject_col(s, C_DATE, "is not a date like \"03/01/2024\" (month first)");
    struct ingest_record rec;
    rec_start(&rec, REC_CHANNEL_METRICS, "linkedin", s->where);
    /* A day's figure is complete at its end: the next local midnight. */
    rec.taken_at = csv_local_instant(pc->opts->zone, (day + 1) * 86400);
    const struct {
        int col;
        int64_t *out;
    } figures[] = {{C_DAY_IMPRESSIONS, &rec.impressions}, {C_DAY_REACH, &rec.reach}};
    for (size_t i = 0; i < ARRAY_LEN(figures); i++) {
        int c = s->col[figures[i].col];
        if (c < 0)
            continue;
        const char *t = cell_at(s, r, rn, c, &number, &num);
        if (count_of(t, number, num, figures[i].out))
            return reject_col(s, figures[i].col, "is not a count (1234 or \"1,234\")");
    }
    return rec_emit(pc, &rec);
}

/* Reads one sheet; its rows go through fn after the header. */
static int read_table(struct sheet *s, int key, int (*fn)(struct sheet *, size_t, size_t),
                      struct error *err)
{
    long h = find_header(s, key);
    if (h < 0)
        return error_set(err, ERR_INVALID,
                         "sheet '%.60s': no header row naming '%s' in its first five rows", s->name,
                         col_names[key]);
    if (fn == post_row && (s->col[C_LINK] < 0 || s->col[C_CREATED] < 0))
        return error_set(err, ERR_INVALID,
                         "sheet '%.60s', row %u: the header needs 'Post link' and 'Created date'",
                         s->name, (unsigned)s->cells[h].row + 1);
    size_t first = (size_t)h + row_len(s, (size_t)h);
    for (int rows = 1; first < s->ncells; rows++) {
        size_t n = row_len(s, first);
        snprintf(s->where, sizeof s->where, "sheet '%.60s', row %u", s->name,
                 (unsigned)s->cells[first].row + 1);
        if (fn(s, first, n))
            return -1;
        first += n;
        if (rows % 1024 == 0)
            arena_free(&s->pc->arena);
    }
    return 0;
}

/* Reads a u32, u16, double or bytes from the child's output at *p. */
static bool take(const char **p, const char *end, void *out, size_t n)
{
    if ((size_t)(end - *p) < n)
        return false;
    memcpy(out, *p, n);
    *p += n;
    return true;
}

/* The sheet that starts at *p, up to the next 'S', 'F' or 'D'. */
static bool take_sheet(struct sheet *s, const char **p, const char *end)
{
    size_t cap = 0;
    while (*p < end && **p == 'C') {
        (*p)++;
        struct xcell x = {0};
        char kind;
        if (!take(p, end, &x.row, 4) || !take(p, end, &x.col, 2) || !take(p, end, &kind, 1))
            return false;
        if (kind == 'n') {
            x.number = true;
            if (!take(p, end, &x.num, sizeof x.num))
                return false;
        } else {
            char tag;
            uint32_t n;
            if (!take(p, end, &tag, 1) || !take(p, end, &n, 4) || !n || (size_t)(end - *p) < n ||
                (*p)[n - 1] != '\0')
                return false;
            x.text = *p;
            *p += n;
        }
        if (s->ncells == cap) {
            cap = cap ? cap * 2 : 256;
            s->cells = xrealloc(s->cells, cap * sizeof *s->cells);
        }
        s->cells[s->ncells++] = x;
    }
    return true;
}

int parse_linkedin_xls(struct pctx *pc, const char *data, size_t len, struct error *err)
{
    struct buf out = {0};
    if (read_workbook(data, len, &out, err)) {
        buf_free(&out);
        return -1;
    }
    int rc = -1;
    const char *p = out.data ? out.data : "", *end = p + out.len;
    while (p < end && *p == 'S') {
        p++;
        uint32_t n;
        struct sheet s = {.pc = pc};
        if (!take(&p, end, &n, 4) || !n || (size_t)(end - p) < n || p[n - 1] != '\0')
            break;
        snprintf(s.name, sizeof s.name, "%s", p);
        p += n;
        if (!take_sheet(&s, &p, end)) {
            free(s.cells);
            break;
        }
        int r;
        if (str_eq(s.name, "All posts") || str_eq(s.name, "Update engagement")) {
            r = read_table(&s, C_CREATED, post_row, err);
        } else if (str_eq(s.name, "Metrics") || str_eq(s.name, "Update metrics (aggregated)")) {
            r = read_table(&s, C_DATE, day_row, err);
        } else {
            /* Demographics, visitors, the followers export's daily gains:
             * figures kanal has no place for. Their rows below the header
             * are counted. */
            int64_t rows = 0;
            for (size_t i = 0; i < s.ncells; i += row_len(&s, i))
                rows++;
            char what[96], where[96];
            snprintf(what, sizeof what, "rows of the sheet '%.40s'", s.name);
            snprintf(where, sizeof where, "sheet '%.60s'", s.name);
            r = rec_skip(pc, where, rows > 0 ? rows - 1 : 0, what);
        }
        for (int c = 0; c < C_COUNT; c++)
            free(s.hdr[c]);
        free(s.cells);
        if (r)
            goto done;
    }
    if (p < end && *p == 'F') {
        uint32_t n;
        p++;
        if (take(&p, end, &n, 4) && n && (size_t)(end - p) >= n && p[n - 1] == '\0')
            error_set(err, ERR_INVALID, "%s", p);
        else
            error_set(err, ERR_INVALID, "the workbook cannot be read");
        goto done;
    }
    if (p >= end || *p != 'D') {
        error_set(err, ERR_INVALID, "the workbook cannot be read: its reader's output ended early");
        goto done;
    }
    rc = 0;
done:
    buf_free(&out);
    return rc;
}
