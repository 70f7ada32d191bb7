/*
 * page_list.c - paging and CSV for every list the portal shows
 * (page_mgr.h): one helper, so every list takes ?page=N and ?format=csv
 * the same way.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csv.h"
#include "page_mgr.h"
#include "status.h"
#include "tz.h"
#include "xmem.h"

#define CSV_MAX_BYTES ((size_t)64 << 20) /* the largest CSV answered */

/* The request's query without page, format, list and lang ("" or "a=1&b=2&"), raw as sent. */
static void kept_query(const api_ctx_t *ctx, buf_t *out)
{
    static const char *const dropped[] = {"page=", "format=", "list=", "lang=", NULL};
    const char *q = ctx->req->query;
    while (q && *q) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        bool drop = len == 0;
        for (size_t i = 0; !drop && dropped[i]; i++)
            drop = strncmp(q, dropped[i], strlen(dropped[i])) == 0;
        if (!drop) {
            buf_append(out, q, len);
            buf_putc(out, '&');
        }
        q = amp ? amp + 1 : NULL;
    }
}

/* A link to this page with `extra` query members ("page=2", "format=csv&list=x"). */
static json_t *self_link(const api_ctx_t *ctx, const char *extra)
{
    buf_t b;
    buf_init(&b, 8192);
    buf_puts(&b, ctx->req->raw_path);
    buf_putc(&b, '?');
    kept_query(ctx, &b);
    buf_puts(&b, extra);
    json_t *s = json_string(buf_cstr(&b));
    buf_free(&b);
    return s;
}

/* Writes one CSV cell of a JSON value. */
static void csv_cell(buf_t *out, const json_t *v, bool text)
{
    char num[64];
    if (json_is_string(v)) {
        csv_write_field(out, json_string_value(v), text);
    } else if (json_is_integer(v)) {
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        buf_puts(out, num);
    } else if (json_is_real(v)) {
        snprintf(num, sizeof num, "%.15g", json_real_value(v));
        buf_puts(out, num);
    } else if (json_is_boolean(v)) {
        buf_puts(out, json_is_true(v) ? "true" : "false");
    } else if (json_is_array(v)) { /* a list of texts (tenant slugs): one cell, spaced */
        buf_t joined;
        buf_init(&joined, CSV_MAX_BYTES);
        size_t i;
        const json_t *e;
        json_array_foreach(v, i, e)
        {
            if (i)
                buf_putc(&joined, ' ');
            if (json_is_string(e))
                buf_puts(&joined, json_string_value(e));
        }
        csv_write_field(out, buf_cstr(&joined), text);
        buf_free(&joined);
    }
}

/* Answers rows [from, to) as CSV and ends the page. */
static void answer_csv(page_t *pg, const char *name, const json_t *rows, size_t from, size_t to,
                       const page_col_t *cols, size_t ncols)
{
    api_ctx_t *ctx = pg->ctx;
    buf_t out;
    buf_init(&out, CSV_MAX_BYTES);
    for (size_t c = 0; c < ncols; c++) {
        if (c)
            buf_putc(&out, ',');
        csv_write_field(&out, cols[c].key, true);
    }
    buf_puts(&out, "\r\n");
    for (size_t i = from; i < to; i++) {
        const json_t *row = json_array_get(rows, i);
        for (size_t c = 0; c < ncols; c++) {
            if (c)
                buf_putc(&out, ',');
            csv_cell(&out, json_object_get(row, cols[c].key), cols[c].text);
        }
        buf_puts(&out, "\r\n");
    }
    buf_free(&ctx->raw);
    ctx->raw = out;
    ctx->status = 200;
    ctx->content_type = "text/csv; charset=utf-8";
    buf_t h;
    buf_init(&h, 8192);
    buf_printf(&h, "Content-Disposition: attachment; filename=\"%s-%s.csv\"\r\n",
               ctx->tenant.id ? ctx->tenant.slug : "slattest", name);
    page_security_headers(&h);
    free(ctx->extra_headers);
    ctx->extra_headers = xstrdup(buf_cstr(&h));
    buf_free(&h);
    page_end(pg);
}

bool page_list(page_t *pg, const char *name, json_t *rows, const page_col_t *cols, size_t ncols)
{
    api_ctx_t *ctx = pg->ctx;
    size_t total = json_array_size(rows);
    size_t pages = total ? (total + PAGE_LIST_SIZE - 1) / PAGE_LIST_SIZE : 1;
    char v[32], list[64];
    unsigned long page = 1;
    bool asked = api_query(ctx, "page", v, sizeof v);
    if (asked) {
        char *end = NULL;
        page = strtoul(v, &end, 10);
        if (!end || *end || page < 1)
            page = 1;
    }
    size_t from = (page - 1) * PAGE_LIST_SIZE;
    if (page > pages) /* past the end: an empty page */
        from = total;
    size_t to = from + PAGE_LIST_SIZE < total ? from + PAGE_LIST_SIZE : total;
    bool csv = api_query(ctx, "format", v, sizeof v) && strcmp(v, "csv") == 0;
    bool mine = !api_query(ctx, "list", list, sizeof list) || strcmp(list, name) == 0;
    if (csv && mine) {
        answer_csv(pg, name, rows, asked ? from : 0, asked ? to : total, cols, ncols);
        json_decref(rows);
        return true;
    }
    json_t *slice = json_array();
    for (size_t i = from; i < to; i++)
        json_array_append(slice, json_array_get(rows, i));
    json_decref(rows);
    char key[96], extra[96];
    snprintf(key, sizeof key, "%s", name);
    json_object_set_new(pg->data, key, slice);
    json_t *p = json_pack("{s:I, s:I, s:I}", "page", (json_int_t)page, "pages", (json_int_t)pages,
                          "total", (json_int_t)total);
    if (page > 1) {
        snprintf(extra, sizeof extra, "page=%lu", page - 1 <= pages ? page - 1 : pages);
        json_object_set_new(p, "prev", self_link(ctx, extra));
    }
    if (page < pages) {
        snprintf(extra, sizeof extra, "page=%lu", page + 1);
        json_object_set_new(p, "next", self_link(ctx, extra));
    }
    snprintf(extra, sizeof extra, "format=csv&list=%s", name);
    json_object_set_new(p, "csv", self_link(ctx, extra));
    snprintf(key, sizeof key, "%s_paging", name);
    json_object_set_new(pg->data, key, json_pack("[o]", p));
    return false;
}

void page_tenant_data(page_t *pg)
{
    const tenant_t *t = &pg->ctx->tenant;
    json_object_set_new(pg->data, "tenant",
                        json_pack("{s:s, s:s, s:s, s:b}", "slug", t->slug, "name", t->name,
                                  "timezone", t->timezone, "manager",
                                  pg->ctx->who.role == ROLE_MANAGER));
}

void page_default_month(const api_ctx_t *ctx, char *out, size_t outlen)
{
    tz_t *tz = NULL;
    char err[128];
    tz_civil_t c = {0};
    int64_t now = (int64_t)time(NULL);
    if (tz_load(ctx->tenant.timezone, &tz, err, sizeof err) == ST_OK)
        tz_to_local(tz, now, &c);
    else
        tz_civil_from_days(now / 86400, &c.year, &c.month, &c.day);
    tz_free(tz);
    int y = c.month == 1 ? c.year - 1 : c.year, m = c.month == 1 ? 12 : c.month - 1;
    snprintf(out, outlen, "%04d-%02d", y, m);
}
