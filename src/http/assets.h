/* assets: the web UI's files, compiled into the binary by tools/embed.c. */
#ifndef KANAL_HTTP_ASSETS_H
#define KANAL_HTTP_ASSETS_H
#include <stddef.h>

struct asset {
    const char *name;         /* base name, e.g. "app.js"; NULL ends the table */
    const char *content_type;
    const unsigned char *data;
    size_t len;
};

extern const struct asset assets[];

#endif
