/*
 * qa_score.h - item results and the score of one QA evaluation.
 *
 * The rules (METRICS.md "Quality assurance"), with the choices this module
 * makes where the spec leaves room:
 *
 *   - A result is `pass` (earns the item's max), `fail` (earns 0), `na`, or
 *     points 0..max.  Points may have at most 2 decimals ("2.5", "4.75"):
 *     half points are common on 0-5 items, and 2 decimals are kept exactly
 *     (as hundredths); zeros past the second decimal are fine ("4.500").
 *     The words are matched without regard to case
 *     ("PASS", "Na"); no spaces, signs or exponents ("4.5e0", "+4", " 4").
 *   - An item the evaluation does not mention counts as `na`.
 *   - Section ratio = earned / possible over its items that are not na.
 *     Score = 100 x sum(w x ratio) / sum(w) over sections with at least one
 *     item that is not na, so an all-na section drops out and the remaining
 *     weights are renormalised.
 *   - An item FAILS when it earns 0: result `fail` or 0 points.  Partial
 *     points (0 < p < max) are not a failure.  The same test decides both:
 *     fatal = a critical item failed; defect = any item failed (the
 *     inspector defect_rate "at least one failed item").
 *   - When fatal and the form says critical_zeroes, the score is 0; the raw
 *     weighted score is kept alongside.
 *   - An evaluation whose items are all na has no defined score: it is
 *     refused (ST_ERR_INVALID), as is an evaluation with no items.
 *   - A supplied total agrees with the computed score when they differ by
 *     at most QA_SCORE_TOLERANCE (scores are shown with 2 decimals, so a
 *     total rounded to 2 decimals always agrees).
 *
 * Errors name the item: `item "empathy": result "6" is outside
 * pass|fail|na|0..5`.  Every function is pure; a qa_score_eval_t is used by
 * one thread at a time, and borrows (does not copy) the form, which must
 * outlive it.
 */
#ifndef SLT_QA_SCORE_H
#define SLT_QA_SCORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qa_form.h"

#define QA_SCORE_TOLERANCE 0.005

typedef enum qa_result_kind {
    QA_RESULT_NONE = 0, /* not given in the evaluation: counts as na */
    QA_RESULT_PASS,
    QA_RESULT_FAIL,
    QA_RESULT_NA,
    QA_RESULT_POINTS,
} qa_result_kind;

/* One item's result.  A plain value; copy freely. */
typedef struct qa_result {
    qa_result_kind kind;
    int32_t centi; /* points earned x 100: max*100 for pass, 0 for fail, na, none */
} qa_result_t;

/* The outcome of scoring one evaluation. */
typedef struct qa_score {
    double score;    /* 0..100, what every metric uses: 0 when fatal && critical_zeroes */
    double raw;      /* the weighted score before the critical rule */
    bool fatal;      /* a critical item failed */
    bool defect;     /* at least one item failed */
    size_t given;    /* items given in the evaluation */
    size_t scored;   /* items that are not na */
    size_t failed;   /* items that failed (fail or 0 points) */
    size_t sections; /* sections that counted (had an item that is not na) */
} qa_score_t;

/* An evaluation being filled in item by item (one CSV row, one JSON member). */
typedef struct qa_score_eval qa_score_eval_t;

/*
 * Parses a textual result ("pass", "fail", "na", "4", "2.5") for `item`.
 * ST_OK with *out filled, or ST_ERR_INVALID with err naming the item.
 * Any thread.
 */
int qa_score_result_parse(const char *text, const qa_item_t *item, qa_result_t *out, char *err,
                          size_t errlen);

/*
 * Same for a JSON value: a string as qa_score_result_parse(), or a number
 * (integer or real with at most 2 decimals) 0..max.  `value` is only read.
 */
int qa_score_result_from_json(const json_t *value, const qa_item_t *item, qa_result_t *out,
                              char *err, size_t errlen);

/* Whether a result is a failure: `fail` or 0 points (na and none are not). */
bool qa_score_result_failed(const qa_result_t *r);

/*
 * Writes the canonical text of a result ("pass", "fail", "na", "" for none,
 * points as "4" or "2.5" or "4.75") into dst (at least 16 bytes is always
 * enough).  qa_score_result_parse() reads it back to the same value.
 */
void qa_score_result_format(const qa_result_t *r, char *dst, size_t dstlen);

/*
 * Scores an evaluation from one result per form item: results[i] is the
 * result of qa_form_item(form, i), n must be qa_form_item_count(form).
 * ST_OK with *out filled; ST_ERR_INVALID when no item is given or every
 * given item is na (err says which).  Reads only; any thread.
 */
int qa_score_compute(const qa_form_t *form, const qa_result_t *results, size_t n, qa_score_t *out,
                     char *err, size_t errlen);

/* Whether a supplied total agrees with the computed score (see above). */
bool qa_score_matches(double supplied, double computed);

/*
 * ST_OK when qa_score_matches(supplied, computed), else ST_ERR_INVALID
 * with err naming both numbers.
 */
int qa_score_check_total(double supplied, double computed, char *err, size_t errlen);

/*
 * A new, empty evaluation against `form` (borrowed: it must outlive the
 * evaluation).  The caller frees it with qa_score_eval_free(); reuse it for
 * the next evaluation of the same form with qa_score_eval_reset().
 */
qa_score_eval_t *qa_score_eval_new(const qa_form_t *form);

/* Forgets every item given, keeping the form. */
void qa_score_eval_reset(qa_score_eval_t *ev);

/* Releases an evaluation; qa_score_eval_free(NULL) does nothing. */
void qa_score_eval_free(qa_score_eval_t *ev);

/* The form the evaluation is scored against. */
const qa_form_t *qa_score_eval_form(const qa_score_eval_t *ev);

/*
 * Adds one item's textual result.  ST_ERR_INVALID, naming the item, when
 * the item is not in the form version, is given twice, or the result is
 * outside pass|fail|na|0..max; the evaluation is unchanged then.  Strings
 * are not kept.
 */
int qa_score_eval_add(qa_score_eval_t *ev, const char *item_id, const char *result, char *err,
                      size_t errlen);

/* Same with the result as a JSON value (a member of "items"). */
int qa_score_eval_add_json(qa_score_eval_t *ev, const char *item_id, const json_t *value, char *err,
                           size_t errlen);

/*
 * Scores the items added so far (qa_score_compute()).  The evaluation is
 * unchanged, so it can be read again with qa_score_eval_results().
 */
int qa_score_eval_finish(const qa_score_eval_t *ev, qa_score_t *out, char *err, size_t errlen);

/*
 * The results so far, one per form item in qa_form_item() order
 * (QA_RESULT_NONE where not given).  Owned by the evaluation; valid until
 * it is reset or freed.
 */
const qa_result_t *qa_score_eval_results(const qa_score_eval_t *ev);

/* How many items have been added since the last reset. */
size_t qa_score_eval_given(const qa_score_eval_t *ev);

#endif
