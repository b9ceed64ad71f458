/* Fuzzes the click log's reader: whatever a crash, a full disk or a hand
 * left in the file, every start reads it. An input is the file's content;
 * a log that opens must store its clicks once (a second round and a reopen
 * store nothing more), take a new click after them (or, past the last
 * number a log takes, count it lost), and be left ending in a whole line;
 * one that does not open must say why. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db.h"
#include "links/links.h"

/* Stops on a broken promise, naming it. */
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_clicklog:%d: %s\n", __LINE__, #cond);                            \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static struct db *db;
static char path[64];

static void setup(void)
{
    struct error err = {0};
    log_set_level(LOG_QUIET);
    db = db_open(":memory:", &err);
    CHECK(db && db_migrate(db, &err) >= 1);
    CHECK(db_exec(db,
                  "INSERT INTO workspaces (id, name, slug, created_at, updated_at) "
                  "VALUES (1, 'W', 'w', 0, 0);"
                  "INSERT INTO links (id, workspace_id, code, url, target_url, created_at) "
                  "VALUES (1, 1, 'a', 'https://e.se/', 'https://e.se/', 0);",
                  &err) == 0);
    /* tmpfs where there is one: the store's round syncs the log */
    snprintf(path, sizeof path, "%s/kanal-fuzz-clicklog-%d",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (int)getpid());
}

static int64_t apply(struct click_log *log)
{
    struct error err = {0};
    int64_t n = clicklog_apply(log, db, &err);
    CHECK(n >= 0 || err.msg[0]); /* a failure says why */
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!db)
        setup();
    struct error err = {0};
    /* Each input is a log of its own: ids repeat across inputs, not logs. */
    CHECK(db_exec(db, "DELETE FROM clicks; DELETE FROM click_log_applied", &err) == 0);
    FILE *f = fopen(path, "w");
    CHECK(f && fwrite(data, 1, size, f) == size && fclose(f) == 0);
    struct click_log *log = clicklog_open(path, FSYNC_BATCH, &err);
    if (!log) {
        CHECK(err.msg[0]);
        unlink(path);
        return 0;
    }
    if (apply(log) >= 0) {
        CHECK(apply(log) == 0);
        struct click c = {.link_id = 1, .at = 1795000000, .device = DEVICE_MOBILE};
        if (clicklog_append(log, &c, &err) == 0)
            CHECK(apply(log) == 1);
        else /* only past the last number a log takes */
            CHECK(clicklog_lost(log) == 1 && strstr(err.msg, "cannot number a click"));
    }
    clicklog_close(log);
    struct stat sb;
    char last = 0;
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0 && fstat(fd, &sb) == 0 && sb.st_size > 0);
    CHECK(pread(fd, &last, 1, sb.st_size - 1) == 1 && last == '\n'); /* whole lines, no zeros */
    close(fd);
    log = clicklog_open(path, FSYNC_BATCH, &err);
    CHECK(log);
    CHECK(apply(log) == 0); /* reopened, nothing is stored twice */
    clicklog_close(log);
    unlink(path);
    return 0;
}
