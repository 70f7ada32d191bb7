/*
 * qrsvg.h - a QR code (libqrencode, error correction M, 8-bit mode) drawn
 * as inline SVG markup: one <path> of dark modules on a white square with
 * the four-module quiet zone, so a page can show it without an image URL
 * (the portal's Content-Security-Policy allows images only from itself).
 * The SVG holds no text of the caller's (the caller labels it around).
 * Any thread.
 */
#ifndef SLT_QRSVG_H
#define SLT_QRSVG_H

#include "buf.h"

/*
 * Appends the SVG of text's QR code to out, `px` pixels wide.  ST_ERR_INVALID
 * when text does not fit a QR code (or is empty), ST_ERR_NOMEM otherwise failing.
 */
int qrsvg_render(const char *text, int px, buf_t *out);

#endif
