/* qa_dims.c - quality by dimension (see qa_dims.h). */
#include "qa_dims.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
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

/* qsort order of observations: group, then dimension. */
static int obs_cmp(const void *a, const void *b)
{
    const qa_dims_obs_t *x = a, *y = b;
    int c = strcmp(x->group, y->group);
    return c ? c : strcmp(x->dimension, y->dimension);
}

int qa_dims_aggregate(const qa_dims_obs_t *obs, size_t n, qa_dims_cell_t **out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    for (size_t i = 0; i < n; i++)
        if (!obs[i].dimension || !obs[i].dimension[0] || !(obs[i].score >= 0) || obs[i].score > 100)
            return ST_ERR_INVALID;
    qa_dims_obs_t *s = xcalloc(n + 1, sizeof *s);
    for (size_t i = 0; i < n; i++) {
        s[i] = obs[i];
        if (!s[i].group)
            s[i].group = "";
    }
    qsort(s, n, sizeof *s, obs_cmp);
    qa_dims_cell_t *cells = xcalloc(n + 1, sizeof *cells);
    size_t m = 0;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (m == 0 || obs_cmp(&s[i], &s[i - 1]) != 0) {
            if (m > 0)
                cells[m - 1].score = sum / (double)cells[m - 1].n;
            cells[m++] = (qa_dims_cell_t){.group = s[i].group, .dimension = s[i].dimension};
            sum = 0;
        }
        sum += s[i].score;
        cells[m - 1].n++;
    }
    if (m > 0)
        cells[m - 1].score = sum / (double)cells[m - 1].n;
    free(s);
    *out = cells;
    *n_out = m;
    return ST_OK;
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
