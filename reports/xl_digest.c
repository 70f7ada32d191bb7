/* xl_digest.c - the data digest of a workbook (see xl_digest.h). */
#include "xl_digest.h"

#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "hash.h"
#include "status.h"

#define DIGEST_HEADER "slattest-data-digest 1\n"
#define LINE_MAX_HEAD 256 /* "<id>\t<row>\t<key>\t" and a number */

/* Where canonical text goes: a hash, a buffer, or both. */
typedef struct sink {
    EVP_MD_CTX *md;
    buf_t *out;
    int rc;
} sink_t;

/* Feeds n bytes to the sink; remembers the first failure. */
static void sink_put(sink_t *k, const char *p, size_t n)
{
    if (k->rc != ST_OK)
        return;
    if (k->md && EVP_DigestUpdate(k->md, p, n) != 1)
        k->rc = ST_ERR_CRYPTO;
    if (k->out && buf_append(k->out, p, n) != ST_OK)
        k->rc = ST_ERR_TOO_LARGE;
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
    char head[LINE_MAX_HEAD];
    int n;
    if (row)
        n = snprintf(head, sizeof head, "%s\t%zu\t%s\t", id, row, key);
    else
        n = snprintf(head, sizeof head, "%s\ttotal\t%s\t", id, key);
    sink_put(k, head, (size_t)n);
    if (c.kind == XL_CELL_TEXT) {
        sink_text(k, c.text);
    } else if (isnan(c.num)) {
        sink_put(k, "null", 4);
    } else {
        /* -0 and 0 are the same value to a reader: one spelling. */
        n = snprintf(head, sizeof head, "%.17g", c.num == 0 ? 0.0 : c.num);
        sink_put(k, head, (size_t)n);
    }
    sink_put(k, "\n", 1);
}

/* Writes the canonical text of the whole model into the sink. */
static int digest_run(const xl_tpl_t *t, const xl_model_t *m, sink_t *k, char *err, size_t errlen)
{
    int rc = xl_model_check(m, t, err, errlen);
    if (rc != ST_OK)
        return rc;
    sink_put(k, DIGEST_HEADER, strlen(DIGEST_HEADER));
    for (size_t s = 0; s < xl_tpl_sheet_count(t); s++) {
        const xl_tpl_sheet_t *sh = xl_tpl_sheet(t, s);
        if (!sh->digest)
            continue;
        const xl_table_t *tb = xl_model_find(m, sh->table);
        size_t rows = sh->kind == XL_TPL_FACTS ? 1 : xl_table_row_count(tb);
        int ids[XL_TPL_MAX_COLUMNS];
        for (size_t c = 0; c < sh->n_columns; c++)
            ids[c] = xl_table_key_id(tb, sh->columns[c].key);
        for (size_t r = 0; r < rows; r++) {
            for (size_t c = 0; c < sh->n_columns; c++)
                sink_line(k, sh->id, r + 1, sh->columns[c].key, xl_table_cell(tb, r, ids[c]));
        }
        if (sh->kind != XL_TPL_TABLE || !sh->has_totals)
            continue;
        for (size_t c = 0; c < sh->n_columns; c++) {
            if (sh->columns[c].total.fn == XL_TOTAL_NONE)
                continue;
            xl_cell_t v = {XL_CELL_NUMBER, xl_model_total(tb, sh, c), NULL};
            sink_line(k, sh->id, 0, sh->columns[c].key, v);
        }
    }
    if (k->rc != ST_OK)
        st_errf(err, errlen, "digest: %s", st_strerror(k->rc));
    return k->rc;
}

int xl_digest(const xl_tpl_t *t, const xl_model_t *m, char hex[XL_DIGEST_HEX_LEN + 1], char *err,
              size_t errlen)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    sink_t k = {EVP_MD_CTX_new(), NULL, ST_OK};
    int rc;
    hex[0] = '\0';
    if (!k.md || EVP_DigestInit_ex(k.md, EVP_sha256(), NULL) != 1) {
        st_errf(err, errlen, "digest: cannot start SHA-256");
        rc = ST_ERR_CRYPTO;
        goto fail;
    }
    if ((rc = digest_run(t, m, &k, err, errlen)) != ST_OK)
        goto fail;
    if (EVP_DigestFinal_ex(k.md, md, &mdlen) != 1 || mdlen != HASH_SHA256_LEN) {
        st_errf(err, errlen, "digest: cannot finish SHA-256");
        rc = ST_ERR_CRYPTO;
        goto fail;
    }
    hash_hex(md, mdlen, hex);
fail:
    EVP_MD_CTX_free(k.md);
    return rc;
}

int xl_digest_text(const xl_tpl_t *t, const xl_model_t *m, buf_t *out, char *err, size_t errlen)
{
    sink_t k = {NULL, out, ST_OK};
    return digest_run(t, m, &k, err, errlen);
}
