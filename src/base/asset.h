/* asset: files compiled into the binary by tools/embed.c: the web UI
 * (`web_assets`, served by http/), the SQL migrations (`db_migrations`,
 * run by db/) and the common passwords model/ refuses (`password_lists`).
 * Tables end with a NULL name. */
#ifndef KANAL_BASE_ASSET_H
#define KANAL_BASE_ASSET_H
#include <stddef.h>

struct asset {
    const char *name; /* base name, e.g. "app.js"; NULL ends the table */
    const char *content_type;
    const unsigned char *data; /* NUL-terminated after len bytes */
    size_t len;
};

extern const struct asset web_assets[];
extern const struct asset db_migrations[];
extern const struct asset password_lists[];

#endif
