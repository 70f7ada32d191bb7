/* qrsvg.c - a QR code as inline SVG (see qrsvg.h). */
#include "qrsvg.h"

#include <errno.h>
#include <qrencode.h>

#include "status.h"

#define QRSVG_QUIET 4 /* modules of white around the code (ISO/IEC 18004) */

int qrsvg_render(const char *text, int px, buf_t *out)
{
    if (!text || !text[0])
        return ST_ERR_INVALID;
    QRcode *qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    if (!qr)
        return errno == ENOMEM ? ST_ERR_NOMEM : ST_ERR_INVALID;
    int side = qr->width + 2 * QRSVG_QUIET;
    buf_printf(out,
               "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"qr\" width=\"%d\" "
               "height=\"%d\" viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\" "
               "aria-hidden=\"true\"><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path "
               "fill=\"#000\" d=\"",
               px, px, side, side, side, side);
    for (int y = 0; y < qr->width; y++)
        for (int x = 0; x < qr->width; x++)
            if (qr->data[y * qr->width + x] & 1)
                buf_printf(out, "M%d %dh1v1h-1z", x + QRSVG_QUIET, y + QRSVG_QUIET);
    buf_puts(out, "\"/></svg>");
    QRcode_free(qr);
    return ST_OK;
}
