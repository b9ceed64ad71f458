/* fuzz_query: the query compiler and matcher on arbitrary bytes. The input's
 * first line is the query, the rest the text it is matched against. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct text_tokens t;
    const uint8_t *nl = memchr(data, '\n', size);
    size_t qlen = nl ? (size_t)(nl - data) : size;
    char *src = malloc(qlen + 1);
    memcpy(src, data, qlen);
    src[qlen] = '\0'; /* an inner NUL just ends the query early */
    struct error err = {0};
    struct query *q = query_compile(src, &err);
    if (q) {
        size_t off = nl ? qlen + 1 : size;
        text_tokenize(&t, (const char *)data + off, size - off);
        (void)query_match(q, &t);
        query_free(q);
    } else if (err.msg[0] == '\0') {
        abort(); /* a failure must say why */
    }
    free(src);
    return 0;
}
