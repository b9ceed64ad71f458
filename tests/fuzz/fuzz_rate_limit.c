/* Fuzzes the reading of the platforms' rate-limit headers (connect/http.c):
 * the first byte picks the header, the rest is its value. Any crash, leak or
 * sanitizer report fails; so does a result that breaks rate_limit's rules. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "connect/connect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {
        "Retry-After",        "x-rate-limit-limit",    "x-rate-limit-remaining",
        "x-rate-limit-reset", "X-App-Usage",           "X-Business-Use-Case-Usage",
        "X-RateLimit-Limit",  "X-RateLimit-Remaining", "X-RateLimit-Reset"};
    if (size < 1)
        return 0;
    const char *name = names[data[0] % (sizeof names / sizeof *names)];
    char *value = malloc(size);
    memcpy(value, data + 1, size - 1);
    value[size - 1] = '\0';
    struct rate_limit rl;
    rate_limit_init(&rl);
    bool ok = rate_limit_header(&rl, name, value, 1764900000);
    free(value);
    if ((!ok && !rl.problem[0]) || (ok && rl.problem[0]) || rl.retry_at < 0 ||
        (rl.retry_at && !rl.limited) || memchr(rl.problem, '\0', sizeof rl.problem) == NULL)
        abort();
    return 0;
}
