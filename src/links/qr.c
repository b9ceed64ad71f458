/* qr: QR codes of short links for print, as SVG (scales to any size) and
 * PNG (for tools that take only bitmaps), drawn from libqrencode's modules. */
#include "links/links.h"

#include <png.h>
#include <qrencode.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#define QUIET 4 /* modules of white border the standard asks for */

static QRcode *encode(const char *text, struct error *err)
{
    QRcode *qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    if (!qr)
        error_set(err, ERR_INVALID, "the text is too long for a QR code");
    return qr;
}

int links_qr_svg(const char *text, struct buf *out, struct error *err)
{
    QRcode *qr = encode(text, err);
    if (!qr)
        return -1;
    int w = qr->width, size = w + 2 * QUIET;
    buf_printf(out,
               "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
               "shape-rendering=\"crispEdges\">\n"
               "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n<path fill=\"#000\" d=\"",
               size, size, size, size);
    for (int y = 0; y < w; y++)
        for (int x = 0; x < w; x++)
            if (qr->data[y * w + x] & 1)
                buf_printf(out, "M%d %dh1v1h-1z", x + QUIET, y + QUIET);
    buf_puts(out, "\"/>\n</svg>\n");
    QRcode_free(qr);
    return 0;
}

static void png_write(png_structp png, png_bytep data, png_size_t n)
{
    buf_append(png_get_io_ptr(png), data, n);
}

static void png_flush(png_structp png)
{
    (void)png;
}

int links_qr_png(const char *text, int scale, struct buf *out, struct error *err)
{
    QRcode *qr = encode(text, err);
    if (!qr)
        return -1;
    int w = qr->width;
    int size = (w + 2 * QUIET) * scale;
    png_bytep row = xmalloc((size_t)size);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    volatile int rc = -1; /* kept across libpng's longjmp */
    if (!info)
        goto fail;
    if (setjmp(png_jmpbuf(png)))
        goto fail;
    png_set_write_fn(png, out, png_write, png_flush);
    png_set_IHDR(png, info, (png_uint_32)size, (png_uint_32)size, 8, PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int py = 0; py < size; py++) {
        int y = py / scale - QUIET;
        for (int px = 0; px < size; px++) {
            int x = px / scale - QUIET;
            bool dark = x >= 0 && y >= 0 && x < w && y < w && (qr->data[y * w + x] & 1);
            row[px] = dark ? 0 : 255;
        }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    rc = 0;
fail:
    if (rc)
        error_set(err, ERR_INTERNAL, "libpng could not write the QR code");
    png_destroy_write_struct(&png, info ? &info : NULL);
    free(row);
    QRcode_free(qr);
    return rc;
}
