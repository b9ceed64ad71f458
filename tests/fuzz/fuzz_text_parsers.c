/* Fuzzes the small parsers of outside text: ISO 8601 times (checked against
 * formatting them back), UTF-8 validation (checked against decoding), whole
 * numbers, listen addresses, page limits and list cursors. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "model/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';

    int64_t t;
    if (time_parse_iso(s, &t) == 0) {
        char out[21];
        time_format_iso(t, out);
        int64_t back;
        /* Years 0..9999 round-trip exactly (fractions and offsets aside). */
        if (t >= -62167219200 && t <= 253402300799 && (time_parse_iso(out, &back) || back != t))
            abort();
    }
    bool valid = utf8_valid((const char *)data, size);
    const char *p = (const char *)data, *end = p + size;
    bool decoded_ok = true;
    while (p < end) {
        const char *before = p;
        int32_t cp = utf8_decode(&p, end);
        if (p <= before || p > end)
            abort();
        if (cp < 0)
            decoded_ok = false;
    }
    if (valid != decoded_ok)
        abort();

    int64_t v;
    str_to_i64(s, &v);
    struct server_config cfg = {0};
    char host[64];
    struct error err = {0};
    if (http_parse_listen(s, host, sizeof host, &cfg, &err) == 0 &&
        (cfg.port < 0 || cfg.port > 65535))
        abort();
    struct page pg;
    page_parse(&pg, s, s, &err);
    int64_t at, id;
    cursor_parse_at_id(s, &at, &id, &err);
    free(s);
    return 0;
}
