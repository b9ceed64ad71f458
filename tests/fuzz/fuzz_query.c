/* fuzz_query: the query compiler and matcher on arbitrary bytes. The input's
 * first line is the query, the rest the text it is matched against (its
 * first line also the title). A query that compiles is matched by the plain
 * evaluator and through a query set, which must agree. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct text_tokens t, title;
    const uint8_t *nl = memchr(data, '\n', size);
    size_t qlen = nl ? (size_t)(nl - data) : size;
    char *src = malloc(qlen + 1);
    memcpy(src, data, qlen);
    src[qlen] = '\0'; /* an inner NUL just ends the query early */
    struct error err = {0};
    struct query *q = query_compile(src, &err);
    if (q) {
        size_t off = nl ? qlen + 1 : size;
        const char *text = (const char *)data + off;
        size_t n = size - off;
        const char *tl = memchr(text, '\n', n);
        text_tokenize(&t, text, n);
        text_tokenize(&title, text, tl ? (size_t)(tl - text) : n);
        (void)query_match(q, &t);
        struct query_doc d = {.field = {&t, &title, &title, NULL}, .lang = "fi"};
        bool plain = query_match_doc(q, &d);
        struct query_set *set = query_set_new();
        query_set_add(set, q);
        uint32_t got[1];
        uint32_t m = query_set_match(set, &d, got);
        if (m != (plain ? 1u : 0u))
            abort(); /* the index lost (or invented) a match */
        query_set_free(set);
    } else if (err.msg[0] == '\0') {
        abort(); /* a failure must say why */
    }
    free(src);
    return 0;
}
