/* Fuzzes what an uploaded image's first bytes go through: the type and the
 * size read from PNG, GIF, JPEG (its segment walk) and WebP headers. Any
 * crash or sanitizer report fails. */
#include <stdint.h>
#include <stdlib.h>

#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t w, h;
    const char *t = media_sniff(data, size, &w, &h);
    if (t && (w < 0 || h < 0))
        abort();
    return 0;
}
