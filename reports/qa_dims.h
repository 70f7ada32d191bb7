/*
 * qa_dims.h - quality by dimension (the four service qualities: empathy,
 * accuracy, responsiveness, reliability, or a tenant's own names; issue 19,
 * METRICS.md "Quality by dimension").
 *
 *   - An evaluation's score on a dimension is 100 x points earned / points
 *     possible over the items of that dimension that are applicable (given
 *     and not na; an item's dimension is its own, else its section's,
 *     qa_form.h).  Section weights do not enter: a dimension cuts across
 *     sections.  A dimension with no applicable item has no score in that
 *     evaluation.
 *   - The critical rule (critical_zeroes) zeroes the evaluation's score but
 *     NOT its dimension scores, which stay diagnostic; an appeal's new
 *     score does not change them either.
 *   - A group's (the month's, an agent's, an inspector's, a case type's)
 *     score on a dimension is the mean of its evaluations' scores on that
 *     dimension, over the evaluations that have one, with their number n.
 *
 * Pure computation: no I/O, no global state; any thread.  Strings are
 * borrowed from the form or the caller's rows, never copied; results point
 * into them and live as long as they do.
 */
#ifndef SLT_QA_DIMS_H
#define SLT_QA_DIMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qa_form.h"
#include "qa_score.h"

/* One evaluation's score on one dimension. */
typedef struct qa_dim_score {
    const char *dimension; /* borrowed from the form */
    int64_t earned_c;      /* points earned x 100 on its applicable items */
    int64_t possible_c;    /* points possible x 100 (> 0) */
    double score;          /* 100 x earned / possible */
} qa_dim_score_t;

/*
 * An evaluation's dimension scores: results[i] is the result of
 * qa_form_item(form, i), n = qa_form_item_count(form).  Writes one entry per
 * dimension that has an applicable item into out (room for n entries is
 * always enough), in the order the dimensions first appear in the form, and
 * returns how many.  0 for a form without dimensions.
 */
size_t qa_dims_eval(const qa_form_t *form, const qa_result_t *results, size_t n,
                    qa_dim_score_t *out);

/* One evaluation's score on one dimension, with the group it counts in. */
typedef struct qa_dims_obs {
    const char *group;     /* agent, inspector, case type...; "" for the whole */
    const char *dimension; /* non-empty */
    double score;          /* 0..100 */
} qa_dims_obs_t;

/* A group's mean score on a dimension. */
typedef struct qa_dims_cell {
    const char *group;     /* borrowed from the observations */
    const char *dimension; /* borrowed from the observations */
    double score;          /* mean of the scores */
    size_t n;              /* evaluations with a score on the dimension */
} qa_dims_cell_t;

/*
 * Means by (group, dimension) of n observations (each evaluation at most
 * once per group and dimension).  *out (free()) gets the cells sorted by
 * group then dimension (strcmp), *n_out their number.  Returns ST_OK, or
 * ST_ERR_INVALID for a NULL/empty dimension or a score outside 0..100.
 */
int qa_dims_aggregate(const qa_dims_obs_t *obs, size_t n, qa_dims_cell_t **out, size_t *n_out);

/*
 * The same means fed one observation at a time (a database cursor): one
 * sum per (group, dimension), each summed in the order given, which is
 * the order qa_dims_aggregate() sums its array in.  With copy, the acc
 * keeps its own copies of the strings (the cells then point into the acc,
 * which must outlive them); without, the cells borrow the observations'.
 * One thread at a time per acc.
 */
typedef struct qa_dims_acc qa_dims_acc_t;

qa_dims_acc_t *qa_dims_acc_new(bool copy);
/* Adds one observation; ST_ERR_INVALID as qa_dims_aggregate(). */
int qa_dims_acc_add(qa_dims_acc_t *a, const qa_dims_obs_t *o);
/* The cells so far, as qa_dims_aggregate() gives them (*out: free()). */
void qa_dims_acc_cells(const qa_dims_acc_t *a, qa_dims_cell_t **out, size_t *n_out);
/* Releases an acc (and its copies); NULL does nothing. */
void qa_dims_acc_free(qa_dims_acc_t *a);

/*
 * The dimensions named by cells, each once, sorted (strcmp): *out (free())
 * borrows the cells' strings.  Returns their number.
 */
size_t qa_dims_names(const qa_dims_cell_t *cells, size_t n, const char ***out);

/* The cell of (group, dimension), or NULL.  cells sorted as qa_dims_aggregate gives them. */
const qa_dims_cell_t *qa_dims_find(const qa_dims_cell_t *cells, size_t n, const char *group,
                                   const char *dimension);

#endif
