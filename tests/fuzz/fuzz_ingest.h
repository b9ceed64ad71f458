/* The body of every ingest fuzz target: one parser over arbitrary bytes,
 * every string of every record it emits read to the end (so a dangling or
 * unterminated one shows under ASan). Each fuzz_ingest_NAME.c defines
 * FUZZ_FORMAT and includes this. */
#include <stdint.h>
#include <string.h>

#include "ingest/ingest.h"

static size_t sink;

static void touch(const char *s)
{
    if (s)
        sink += strlen(s);
}

static int emit(void *ctx, const struct ingest_record *r)
{
    const char *all[] = {r->platform,    r->account_id,    r->account_name, r->post_id,
                         r->body,        r->format,        r->permalink,    r->lang,
                         r->link_url,    r->msg_id,        r->msg_kind,     r->parent_msg_id,
                         r->author_name, r->author_handle, r->status,       r->reason,
                         r->reply_to,    r->where};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        touch(all[i]);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ingest_opts o = {.taken_at = 1700000000};
    struct error err = {0};
    log_set_level(LOG_QUIET);
    ingest_parse(FUZZ_FORMAT, (const char *)data, size, &o, emit, NULL, &err);
    /* Detection reads the same untrusted bytes. */
    (void)ingest_detect((const char *)data, size, "x.csv");
    return 0;
}
