/* beside: reading a file on a second thread while the importer writes.
 *
 * An import's work is two halves of about equal cost: parsing the file and
 * reading each text (language, sentiment, tags), and writing the rows. For
 * a large file the parser runs on its own thread and hands records over in
 * batches; the writer takes them in the file's order, so the outcome is the
 * one reading and writing in turn gives, in about half the time on two
 * cores. The reader never touches the database: the enricher it uses was
 * opened before it started. */
#include "ingest/enrich.h"
#include "ingest/internal.h"

#include <pthread.h>
#include <string.h>

#define BATCH_RECORDS 256
#define BATCHES       4

struct batch {
    int n;
    struct ingest_record recs[BATCH_RECORDS];
    struct enrichment reads[BATCH_RECORDS];
    struct arena strings; /* the records' strings, copied out of the parser's */
};

struct beside {
    pthread_mutex_t mu;
    pthread_cond_t changed;
    struct batch *ring[BATCHES];
    /* Batches handed over and not yet written; the reader fills
     * ring[next_fill], the writer writes ring[next_take]. */
    int filled, next_fill, next_take;
    bool parsed; /* the reader is done: rc and err say how */
    bool stop;   /* the writer failed: the reader stops at its next record */
    int rc;
    struct error err;
    /* the reader's own */
    enum ingest_format f;
    const char *data;
    size_t len;
    const struct ingest_opts *opts;
    struct enricher *enr;
    struct batch *cur;
};

/* The reader's next empty batch, once the writer has one free; NULL when
 * the writer has stopped. */
static struct batch *claim(struct beside *b)
{
    pthread_mutex_lock(&b->mu);
    while (b->filled == BATCHES && !b->stop)
        pthread_cond_wait(&b->changed, &b->mu);
    struct batch *bt = b->stop ? NULL : b->ring[b->next_fill];
    pthread_mutex_unlock(&b->mu);
    if (bt) {
        bt->n = 0;
        arena_free(&bt->strings);
    }
    return bt;
}

static void hand_over(struct beside *b)
{
    pthread_mutex_lock(&b->mu);
    b->filled++;
    b->next_fill = (b->next_fill + 1) % BATCHES;
    pthread_cond_signal(&b->changed);
    pthread_mutex_unlock(&b->mu);
    b->cur = NULL;
}

/* The records whose text the writer reads (language, sentiment, tags). */
static bool reads_text(const struct ingest_record *r)
{
    return r->kind == REC_POST || r->kind == REC_MESSAGE;
}

static void copy_text(struct arena *a, const char **s)
{
    if (*s)
        *s = arena_strdup(a, *s);
}

/* The parser's emit on the reader thread: a copy of r, its text read. */
static int keep(void *ctx, const struct ingest_record *r)
{
    struct beside *b = ctx;
    if (!b->cur && !(b->cur = claim(b)))
        return -1;
    struct batch *bt = b->cur;
    struct ingest_record *c = &bt->recs[bt->n];
    *c = *r;
    const char **texts[] = {
        &c->platform,      &c->account_id,       &c->account_name,    &c->post_id,
        &c->body,          &c->format,           &c->permalink,       &c->lang,
        &c->link_url,      &c->reply_to,         &c->msg_id,          &c->msg_kind,
        &c->parent_msg_id, &c->author_name,      &c->author_handle,   &c->status,
        &c->reason,        &c->reply_to_account, &c->reply_to_handle, &c->account_title};
    for (size_t i = 0; i < ARRAY_LEN(texts); i++)
        copy_text(&bt->strings, texts[i]);
    if (reads_text(r))
        enricher_apply(b->enr, r->body ? r->body : "", r->body ? strlen(r->body) : 0,
                       &bt->reads[bt->n]);
    if (++bt->n == BATCH_RECORDS)
        hand_over(b);
    return 0;
}

static void *read_file(void *arg)
{
    struct beside *b = arg;
    int rc = ingest_parse(b->f, b->data, b->len, b->opts, keep, b, &b->err);
    if (b->cur && b->cur->n)
        hand_over(b);
    pthread_mutex_lock(&b->mu);
    b->rc = rc;
    b->parsed = true;
    pthread_cond_signal(&b->changed);
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

/* The writer's next full batch; NULL when the reader is done and all are
 * written. */
static struct batch *take(struct beside *b)
{
    pthread_mutex_lock(&b->mu);
    while (!b->filled && !b->parsed)
        pthread_cond_wait(&b->changed, &b->mu);
    struct batch *bt = b->filled ? b->ring[b->next_take] : NULL;
    pthread_mutex_unlock(&b->mu);
    return bt;
}

static void written(struct beside *b, bool failed)
{
    pthread_mutex_lock(&b->mu);
    if (failed) {
        b->stop = true;
    } else {
        b->filled--;
        b->next_take = (b->next_take + 1) % BATCHES;
    }
    pthread_cond_signal(&b->changed);
    pthread_mutex_unlock(&b->mu);
}

int ingest_parse_beside(enum ingest_format f, const char *data, size_t len,
                        const struct ingest_opts *opts, struct enricher *enr, ingest_write_fn write,
                        void *ctx, struct error *err)
{
    struct beside b = {.f = f, .data = data, .len = len, .opts = opts, .enr = enr};
    for (int i = 0; i < BATCHES; i++)
        b.ring[i] = xcalloc(1, sizeof *b.ring[i]);
    pthread_mutex_init(&b.mu, NULL);
    pthread_cond_init(&b.changed, NULL);
    pthread_t reader;
    bool failed = false, threaded = pthread_create(&reader, NULL, read_file, &b) == 0;
    if (threaded) {
        for (struct batch *bt; !failed && (bt = take(&b));) {
            for (int i = 0; i < bt->n && !failed; i++)
                failed = write(ctx, &bt->recs[i], reads_text(&bt->recs[i]) ? &bt->reads[i] : NULL);
            written(&b, failed);
        }
        pthread_join(reader, NULL);
    }
    pthread_cond_destroy(&b.changed);
    pthread_mutex_destroy(&b.mu);
    for (int i = 0; i < BATCHES; i++) {
        arena_free(&b.ring[i]->strings);
        free(b.ring[i]);
    }
    if (!threaded)
        return 1; /* nothing was read: the caller reads and writes in turn */
    if (failed)
        return -1; /* the writer's error stands, not the stopped parse's */
    if (b.rc)
        *err = b.err;
    return b.rc ? -1 : 0;
}
