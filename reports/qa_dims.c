/* qa_dims.c - quality by dimension (see qa_dims.h). */
#include "qa_dims.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "status.h"
#include "strmap.h"
#include "strpool.h"
#include "xmem.h"

size_t qa_dims_eval(const qa_form_t *form, const qa_result_t *results, size_t n,
                    qa_dim_score_t *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n && i < qa_form_item_count(form); i++) {
        const qa_item_t *it = qa_form_item(form, i);
        const qa_result_t *r = &results[i];
        if (!it->dimension || r->kind == QA_RESULT_NONE || r->kind == QA_RESULT_NA)
            continue;
        size_t d = 0;
        while (d < k && strcmp(out[d].dimension, it->dimension) != 0)
            d++;
        if (d == k)
            out[k++] = (qa_dim_score_t){.dimension = it->dimension};
        out[d].earned_c += r->kind == QA_RESULT_PASS ? (int64_t)it->max * 100 : r->centi;
        out[d].possible_c += (int64_t)it->max * 100;
    }
    for (size_t d = 0; d < k; d++)
        out[d].score = 100.0 * (double)out[d].earned_c / (double)out[d].possible_c;
    return k;
}

/* One (group, dimension) sum. */
typedef struct dims_sum {
    const char *group, *dimension;
    double sum;
    size_t n;
} dims_sum_t;

struct qa_dims_acc {
    bool copy;
    strpool_t *pool; /* the copies, and the (group, dimension) keys */
    strmap_t *by_key;
    dims_sum_t *sums;
    size_t n, cap;
    buf_t key;
};

qa_dims_acc_t *qa_dims_acc_new(bool copy)
{
    qa_dims_acc_t *a = xcalloc(1, sizeof *a);
    a->copy = copy;
    a->pool = strpool_new();
    a->by_key = strmap_new(64);
    buf_init(&a->key, 4096); /* ids are <= 64 characters */
    return a;
}

void qa_dims_acc_free(qa_dims_acc_t *a)
{
    if (!a)
        return;
    strpool_free(a->pool);
    strmap_free(a->by_key);
    free(a->sums);
    buf_free(&a->key);
    free(a);
}

int qa_dims_acc_add(qa_dims_acc_t *a, const qa_dims_obs_t *o)
{
    if (!o->dimension || !o->dimension[0] || !(o->score >= 0) || o->score > 100)
        return ST_ERR_INVALID;
    const char *group = o->group ? o->group : "";
    /* The key: the group's length, then both texts (no separator can be
     * confused with a byte of an id). */
    buf_reset(&a->key);
    if (buf_printf(&a->key, "%zu:%s%s", strlen(group), group, o->dimension) != ST_OK)
        return ST_ERR_TOO_LARGE;
    bool added = false;
    int64_t *slot = strmap_put(a->by_key, strpool_intern(a->pool, buf_cstr(&a->key)), &added);
    if (added) {
        if (a->n == a->cap) {
            a->cap = a->cap ? 2 * a->cap : 64;
            a->sums = xrealloc(a->sums, a->cap * sizeof *a->sums);
        }
        a->sums[a->n] = (dims_sum_t){.group = a->copy ? strpool_intern(a->pool, group) : group,
                                     .dimension = a->copy ? strpool_intern(a->pool, o->dimension)
                                                          : o->dimension};
        *slot = (int64_t)a->n++;
    }
    a->sums[*slot].sum += o->score;
    a->sums[*slot].n++;
    return ST_OK;
}

/* qsort order of cells: group, then dimension. */
static int cell_cmp(const void *a, const void *b)
{
    const qa_dims_cell_t *x = a, *y = b;
    int c = strcmp(x->group, y->group);
    return c ? c : strcmp(x->dimension, y->dimension);
}

void qa_dims_acc_cells(const qa_dims_acc_t *a, qa_dims_cell_t **out, size_t *n_out)
{
    qa_dims_cell_t *cells = xcalloc(a->n + 1, sizeof *cells);
    for (size_t i = 0; i < a->n; i++)
        cells[i] = (qa_dims_cell_t){.group = a->sums[i].group,
                                    .dimension = a->sums[i].dimension,
                                    .score = a->sums[i].sum / (double)a->sums[i].n,
                                    .n = a->sums[i].n};
    qsort(cells, a->n, sizeof *cells, cell_cmp);
    *out = cells;
    *n_out = a->n;
}

int qa_dims_aggregate(const qa_dims_obs_t *obs, size_t n, qa_dims_cell_t **out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    qa_dims_acc_t *a = qa_dims_acc_new(false);
    int rc = ST_OK;
    for (size_t i = 0; rc == ST_OK && i < n; i++)
        rc = qa_dims_acc_add(a, &obs[i]);
    if (rc == ST_OK)
        qa_dims_acc_cells(a, out, n_out);
    qa_dims_acc_free(a);
    return rc;
}

/* qsort order of names. */
static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t qa_dims_names(const qa_dims_cell_t *cells, size_t n, const char ***out)
{
    const char **names = xcalloc(n + 1, sizeof *names);
    for (size_t i = 0; i < n; i++)
        names[i] = cells[i].dimension;
    qsort(names, n, sizeof *names, name_cmp);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || strcmp(names[m - 1], names[i]) != 0)
            names[m++] = names[i];
    *out = names;
    return m;
}

const qa_dims_cell_t *qa_dims_find(const qa_dims_cell_t *cells, size_t n, const char *group,
                                   const char *dimension)
{
    qa_dims_cell_t key = {.group = group ? group : "", .dimension = dimension};
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(cells[mid].group, key.group);
        if (!c)
            c = strcmp(cells[mid].dimension, key.dimension);
        if (c == 0)
            return &cells[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}
