/* xl_digest.c - the data digest of a workbook (see xl_digest.h). */
#include "xl_digest.h"

#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gfmt.h"
#include "hash.h"
#include "idnum.h"
#include "status.h"
#include "xmem.h"

#define DIGEST_HEADER "slattest-data-digest 1\n"
#define STAGE_BYTES   32768 /* text handed to SHA-256 at once */
#define INT_EXACT     1e15  /* integers below this print the same as "%.17g" */

/* Where canonical text goes: a hash (through a staging buffer, so a
 * million short lines are not a million hash calls), and a buffer. */
struct xl_digest_run {
    EVP_MD_CTX *md;
    buf_t *out;
    int rc;
    size_t staged;
    char stage[STAGE_BYTES];
};
typedef struct xl_digest_run sink_t;

/* Hands the staged text to the hash. */
static void sink_flush(sink_t *k)
{
    if (k->rc == ST_OK && k->staged && EVP_DigestUpdate(k->md, k->stage, k->staged) != 1)
        k->rc = ST_ERR_CRYPTO;
    k->staged = 0;
}

/* Feeds n bytes to the sink; remembers the first failure. */
static void sink_put(sink_t *k, const char *p, size_t n)
{
    if (k->rc != ST_OK)
        return;
    if (k->out && buf_append(k->out, p, n) != ST_OK)
        k->rc = ST_ERR_TOO_LARGE;
    if (k->staged + n > sizeof k->stage)
        sink_flush(k);
    if (n > sizeof k->stage) {
        if (k->rc == ST_OK && EVP_DigestUpdate(k->md, p, n) != 1)
            k->rc = ST_ERR_CRYPTO;
        return;
    }
    memcpy(k->stage + k->staged, p, n);
    k->staged += n;
}

/* Feeds a NUL-terminated string. */
static void sink_str(sink_t *k, const char *s)
{
    sink_put(k, s, strlen(s));
}

/* Feeds an unsigned integer in decimal. */
static void sink_uint(sink_t *k, unsigned long long v)
{
    char d[IDNUM_MAX];
    sink_put(k, d, idnum_format(v, d));
}

/* A text value: quoted, with backslash, quote and control bytes escaped. */
static void sink_text(sink_t *k, const char *s)
{
    char esc[8];
    const char *run = s;
    sink_put(k, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != 0x7f && c != '\\' && c != '"')
            continue;
        sink_put(k, run, (size_t)(s - run));
        if (c == '\\' || c == '"')
            snprintf(esc, sizeof esc, "\\%c", c);
        else
            snprintf(esc, sizeof esc, "\\u%04x", c);
        sink_put(k, esc, strlen(esc));
        run = s + 1;
    }
    sink_put(k, run, (size_t)(s - run));
    sink_put(k, "\"", 1);
}

/* One line: id, row ("total" when row is 0), key, value. */
static void sink_line(sink_t *k, const char *id, size_t row, const char *key, xl_cell_t c)
{
    sink_str(k, id);
    sink_put(k, "\t", 1);
    if (row)
        sink_uint(k, row);
    else
        sink_put(k, "total", 5);
    sink_put(k, "\t", 1);
    sink_str(k, key);
    sink_put(k, "\t", 1);
    if (c.kind == XL_CELL_TEXT) {
        sink_text(k, c.text);
    } else if (isnan(c.num)) {
        sink_put(k, "null", 4);
    } else if (c.num == floor(c.num) && fabs(c.num) < INT_EXACT) {
        /* A whole number: "%.17g" prints its digits alone (no exponent below
         * 1e17), so skip the slow printf; -0 and 0 both give "0". */
        if (c.num < 0)
            sink_put(k, "-", 1);
        sink_uint(k, (unsigned long long)fabs(c.num));
    } else {
        char num[GFMT_MAX];
        sink_put(k, num, gfmt17(c.num, num));
    }
    sink_put(k, "\n", 1);
}

xl_digest_run_t *xl_digest_new(buf_t *text)
{
    sink_t *k = xcalloc(1, sizeof *k);
    k->out = text;
    k->md = EVP_MD_CTX_new();
    if (!k->md || EVP_DigestInit_ex(k->md, EVP_sha256(), NULL) != 1)
        k->rc = ST_ERR_CRYPTO;
    sink_put(k, DIGEST_HEADER, strlen(DIGEST_HEADER));
    return k;
}

void xl_digest_free(xl_digest_run_t *d)
{
    if (!d)
        return;
    EVP_MD_CTX_free(d->md);
    free(d);
}

void xl_digest_row(xl_digest_run_t *d, const xl_tpl_sheet_t *sh, const xl_cursor_t *c)
{
    if (!sh->digest)
        return;
    for (size_t k = 0; k < sh->n_columns; k++)
        sink_line(d, sh->id, xl_cursor_row(c), sh->columns[k].key, xl_cursor_cell(c, k));
}

void xl_digest_totals(xl_digest_run_t *d, const xl_tpl_sheet_t *sh, const xl_cursor_t *c)
{
    if (!sh->digest || !sh->has_totals)
        return;
    for (size_t k = 0; k < sh->n_columns; k++) {
        if (sh->columns[k].total.fn == XL_TOTAL_NONE)
            continue;
        xl_cell_t v = {XL_CELL_NUMBER, xl_cursor_total(c, k), NULL};
        sink_line(d, sh->id, 0, sh->columns[k].key, v);
    }
}

void xl_digest_facts(xl_digest_run_t *d, const xl_tpl_sheet_t *sh, const xl_table_t *tb)
{
    if (!sh->digest)
        return;
    for (size_t k = 0; k < sh->n_columns; k++) {
        if (sh->columns[k].type != XL_TPL_HEADING) /* a title, not a value */
            sink_line(d, sh->id, 1, sh->columns[k].key, xl_table_get(tb, 0, sh->columns[k].key));
    }
}

int xl_digest_finish(xl_digest_run_t *d, char hex[XL_DIGEST_HEX_LEN + 1], char *err, size_t errlen)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    sink_flush(d);
    int rc = d->rc;
    if (rc == ST_OK && hex &&
        (EVP_DigestFinal_ex(d->md, md, &mdlen) != 1 || mdlen != HASH_SHA256_LEN))
        rc = ST_ERR_CRYPTO;
    if (rc == ST_OK && hex)
        hash_hex(md, mdlen, hex);
    if (rc != ST_OK)
        st_errf(err, errlen, "digest: %s", st_strerror(rc));
    xl_digest_free(d);
    return rc;
}

/* Feeds every sheet of the model in template order; the one walk over a
 * whole model (the writer feeds the same functions as it writes). */
static int digest_run(const xl_tpl_t *t, const xl_model_t *m, bool streamed, sink_t *k, char *err,
                      size_t errlen)
{
    int rc = xl_model_check(m, t, err, errlen);
    for (size_t s = 0; rc == ST_OK && s < xl_tpl_sheet_count(t); s++) {
        const xl_tpl_sheet_t *sh = xl_tpl_sheet(t, s);
        if (!sh->digest)
            continue;
        const xl_table_t *tb = xl_model_find(m, sh->table);
        if (!streamed && tb && xl_table_streamed(tb))
            continue;
        if (sh->kind == XL_TPL_FACTS) {
            xl_digest_facts(k, sh, xl_model_find(m, sh->table));
            continue;
        }
        xl_cursor_t *c = NULL;
        if ((rc = xl_cursor_open(m, sh, &c, err, errlen)) != ST_OK)
            break;
        while ((rc = xl_cursor_next(c, err, errlen)) == 1)
            xl_digest_row(k, sh, c);
        if (rc == 0)
            xl_digest_totals(k, sh, c);
        xl_cursor_free(c);
    }
    return rc;
}

int xl_digest(const xl_tpl_t *t, const xl_model_t *m, char hex[XL_DIGEST_HEX_LEN + 1], char *err,
              size_t errlen)
{
    sink_t *k = xl_digest_new(NULL);
    hex[0] = '\0';
    int rc = digest_run(t, m, true, k, err, errlen);
    if (rc != ST_OK) {
        xl_digest_free(k);
        return rc;
    }
    return xl_digest_finish(k, hex, err, errlen);
}

/* The canonical text into out, streamed tables included or not. */
static int digest_text(const xl_tpl_t *t, const xl_model_t *m, bool streamed, buf_t *out, char *err,
                       size_t errlen)
{
    sink_t *k = xl_digest_new(out);
    int rc = digest_run(t, m, streamed, k, err, errlen);
    if (rc != ST_OK) {
        xl_digest_free(k);
        return rc;
    }
    return xl_digest_finish(k, NULL, err, errlen);
}

int xl_digest_text(const xl_tpl_t *t, const xl_model_t *m, buf_t *out, char *err, size_t errlen)
{
    return digest_text(t, m, true, out, err, errlen);
}

int xl_digest_text_held(const xl_tpl_t *t, const xl_model_t *m, buf_t *out, char *err,
                        size_t errlen)
{
    return digest_text(t, m, false, out, err, errlen);
}
