/* qa_score.c - item results and evaluation scores (see qa_score.h). */
#include "qa_score.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "status.h"
#include "xmem.h"

/* Slack for comparing doubles that were printed with 2 or 3 decimals. */
#define QA_EPS 1e-9

struct qa_score_eval {
    const qa_form_t *form;
    size_t n;     /* qa_form_item_count(form) */
    size_t given; /* results not QA_RESULT_NONE */
    qa_result_t results[];
};

/*
 * Reads unsigned decimal text with at most 2 significant decimals into
 * hundredths.  Returns 0, -1 when it is not such a number, -2 when it has
 * more than 2 decimals that are not zero.  Values past 10^7 saturate: they
 * are out of any item's range anyway.
 */
static int points_text_parse(const char *s, int64_t *centi)
{
    int64_t v = 0;
    size_t i = 0;
    for (; s[i] >= '0' && s[i] <= '9'; i++) {
        if (v < 10000000)
            v = v * 10 + (s[i] - '0');
    }
    if (i == 0)
        return -1;
    v *= 100;
    if (s[i] == '.') {
        i++;
        size_t d = 0;
        int rc = 0;
        for (; s[i] >= '0' && s[i] <= '9'; i++, d++) {
            if (d == 0)
                v += 10 * (s[i] - '0');
            else if (d == 1)
                v += s[i] - '0';
            else if (s[i] != '0')
                rc = -2;
        }
        if (d == 0)
            return -1;
        if (s[i] == '\0' && rc)
            return rc;
    }
    if (s[i] != '\0')
        return -1;
    *centi = v;
    return 0;
}

/* The message for a result that is not acceptable for `item`. */
static int result_outside(const qa_item_t *item, const char *shown, char *err, size_t errlen)
{
    char qi[QA_ID_MAX + 4];
    qa_form_quote(qi, sizeof qi, item->id);
    st_errf(err, errlen, "item \"%s\": result \"%s\" is outside pass|fail|na|0..%d", qi, shown,
            item->max);
    return ST_ERR_INVALID;
}

/* The message for points with more precision than hundredths. */
static int result_too_precise(const qa_item_t *item, const char *shown, char *err, size_t errlen)
{
    char qi[QA_ID_MAX + 4];
    qa_form_quote(qi, sizeof qi, item->id);
    st_errf(err, errlen, "item \"%s\": result \"%s\" has more than 2 decimals", qi, shown);
    return ST_ERR_INVALID;
}

/* Fills *out with points, refusing values past the item's max. */
static int points_set(const qa_item_t *item, int64_t centi, const char *shown, qa_result_t *out,
                      char *err, size_t errlen)
{
    if (centi < 0 || centi > (int64_t)item->max * 100)
        return result_outside(item, shown, err, errlen);
    out->kind = QA_RESULT_POINTS;
    out->centi = (int32_t)centi;
    return ST_OK;
}

int qa_score_result_parse(const char *text, const qa_item_t *item, qa_result_t *out, char *err,
                          size_t errlen)
{
    char shown[QA_ID_MAX + 4];
    if (!text)
        text = "";
    if (strcasecmp(text, "pass") == 0) {
        out->kind = QA_RESULT_PASS;
        out->centi = item->max * 100;
        return ST_OK;
    }
    if (strcasecmp(text, "fail") == 0) {
        out->kind = QA_RESULT_FAIL;
        out->centi = 0;
        return ST_OK;
    }
    if (strcasecmp(text, "na") == 0) {
        out->kind = QA_RESULT_NA;
        out->centi = 0;
        return ST_OK;
    }
    qa_form_quote(shown, sizeof shown, text);
    int64_t centi;
    int rc = points_text_parse(text, &centi);
    if (rc == -2)
        return result_too_precise(item, shown, err, errlen);
    if (rc != 0)
        return result_outside(item, shown, err, errlen);
    return points_set(item, centi, shown, out, err, errlen);
}

int qa_score_result_from_json(const json_t *value, const qa_item_t *item, qa_result_t *out,
                              char *err, size_t errlen)
{
    char shown[32];
    if (json_is_string(value)) {
        if (strlen(json_string_value(value)) != json_string_length(value)) {
            char qi[QA_ID_MAX + 4];
            qa_form_quote(qi, sizeof qi, item->id);
            st_errf(err, errlen, "item \"%s\": result contains a NUL byte", qi);
            return ST_ERR_INVALID;
        }
        return qa_score_result_parse(json_string_value(value), item, out, err, errlen);
    }
    if (json_is_integer(value)) {
        json_int_t v = json_integer_value(value);
        snprintf(shown, sizeof shown, "%lld", (long long)v);
        if (v < 0 || v > item->max)
            return result_outside(item, shown, err, errlen);
        return points_set(item, (int64_t)v * 100, shown, out, err, errlen);
    }
    if (json_is_real(value)) {
        double v = json_real_value(value);
        snprintf(shown, sizeof shown, "%.10g", v);
        if (!(v >= 0) || v > item->max)
            return result_outside(item, shown, err, errlen);
        double c = v * 100.0;
        double r = round(c);
        if (fabs(c - r) > 1e-6)
            return result_too_precise(item, shown, err, errlen);
        return points_set(item, (int64_t)r, shown, out, err, errlen);
    }
    char qi[QA_ID_MAX + 4];
    qa_form_quote(qi, sizeof qi, item->id);
    st_errf(err, errlen, "item \"%s\": result must be a string or a number", qi);
    return ST_ERR_INVALID;
}

bool qa_score_result_failed(const qa_result_t *r)
{
    return r->kind == QA_RESULT_FAIL || (r->kind == QA_RESULT_POINTS && r->centi == 0);
}

void qa_score_result_format(const qa_result_t *r, char *dst, size_t dstlen)
{
    switch (r->kind) {
    case QA_RESULT_PASS:
        snprintf(dst, dstlen, "pass");
        return;
    case QA_RESULT_FAIL:
        snprintf(dst, dstlen, "fail");
        return;
    case QA_RESULT_NA:
        snprintf(dst, dstlen, "na");
        return;
    case QA_RESULT_POINTS:
        if (r->centi % 100 == 0)
            snprintf(dst, dstlen, "%d", (int)(r->centi / 100));
        else if (r->centi % 10 == 0)
            snprintf(dst, dstlen, "%d.%d", (int)(r->centi / 100), (int)(r->centi % 100 / 10));
        else
            snprintf(dst, dstlen, "%d.%02d", (int)(r->centi / 100), (int)(r->centi % 100));
        return;
    case QA_RESULT_NONE:
        break;
    }
    snprintf(dst, dstlen, "%s", "");
}

int qa_score_compute(const qa_form_t *form, const qa_result_t *results, size_t n, qa_score_t *out,
                     char *err, size_t errlen)
{
    qa_score_t sc = {0};
    double num = 0;
    double den = 0;
    char qi[QA_ID_MAX + 4];

    memset(out, 0, sizeof *out);
    if (n != qa_form_item_count(form)) {
        st_errf(err, errlen, "evaluation: %zu results for a form of %zu items", n,
                qa_form_item_count(form));
        return ST_ERR_INVALID;
    }
    for (size_t s = 0; s < qa_form_section_count(form); s++) {
        const qa_section_t *sec = qa_form_section(form, s);
        int64_t earned = 0;
        int64_t possible = 0;
        for (size_t i = sec->first_item; i < sec->first_item + sec->item_count; i++) {
            const qa_item_t *it = qa_form_item(form, i);
            const qa_result_t *r = &results[i];
            if (r->kind == QA_RESULT_NONE)
                continue;
            sc.given++;
            if (r->kind == QA_RESULT_NA)
                continue;
            sc.scored++;
            possible += (int64_t)it->max * 100;
            if (r->kind == QA_RESULT_PASS) {
                earned += (int64_t)it->max * 100;
            } else if (r->kind == QA_RESULT_POINTS) {
                if (r->centi < 0 || r->centi > it->max * 100) {
                    qa_form_quote(qi, sizeof qi, it->id);
                    st_errf(err, errlen, "item \"%s\": points outside 0..%d", qi, it->max);
                    return ST_ERR_INVALID;
                }
                earned += r->centi;
            } else if (r->kind != QA_RESULT_FAIL) {
                qa_form_quote(qi, sizeof qi, it->id);
                st_errf(err, errlen, "item \"%s\": unknown result kind", qi);
                return ST_ERR_INVALID;
            }
            if (qa_score_result_failed(r)) {
                sc.failed++;
                if (it->critical)
                    sc.fatal = true;
            }
        }
        if (possible > 0) {
            num += sec->weight * ((double)earned / (double)possible);
            den += sec->weight;
            sc.sections++;
        }
    }
    if (sc.given == 0) {
        st_errf(err, errlen, "evaluation has no items");
        return ST_ERR_INVALID;
    }
    if (sc.scored == 0) {
        st_errf(err, errlen, "evaluation: every item is na, so the score is undefined");
        return ST_ERR_INVALID;
    }
    sc.defect = sc.failed > 0;
    sc.raw = 100.0 * num / den;
    sc.score = (sc.fatal && qa_form_critical_zeroes(form)) ? 0.0 : sc.raw;
    *out = sc;
    return ST_OK;
}

bool qa_score_matches(double supplied, double computed)
{
    return fabs(supplied - computed) <= QA_SCORE_TOLERANCE + QA_EPS;
}

int qa_score_check_total(double supplied, double computed, char *err, size_t errlen)
{
    if (qa_score_matches(supplied, computed))
        return ST_OK;
    st_errf(err, errlen, "supplied score %.10g disagrees with the computed score %.10g", supplied,
            computed);
    return ST_ERR_INVALID;
}

qa_score_eval_t *qa_score_eval_new(const qa_form_t *form)
{
    size_t n = qa_form_item_count(form);
    qa_score_eval_t *ev = xcalloc(1, sizeof *ev + n * sizeof ev->results[0]);
    ev->form = form;
    ev->n = n;
    return ev;
}

void qa_score_eval_reset(qa_score_eval_t *ev)
{
    memset(ev->results, 0, ev->n * sizeof ev->results[0]);
    ev->given = 0;
}

void qa_score_eval_free(qa_score_eval_t *ev)
{
    free(ev);
}

const qa_form_t *qa_score_eval_form(const qa_score_eval_t *ev)
{
    return ev->form;
}

/* Finds the slot for item_id, refusing unknown and repeated items. */
static int eval_slot(qa_score_eval_t *ev, const char *item_id, const qa_item_t **item, char *err,
                     size_t errlen)
{
    char qi[QA_ID_MAX + 4];
    char qf[QA_ID_MAX + 4];
    const qa_item_t *it = qa_form_item_find(ev->form, item_id);
    if (!it) {
        qa_form_quote(qi, sizeof qi, item_id);
        qa_form_quote(qf, sizeof qf, qa_form_id(ev->form));
        st_errf(err, errlen, "item \"%s\": not in form %s version %d", qi, qf,
                qa_form_version(ev->form));
        return ST_ERR_INVALID;
    }
    if (ev->results[it->index].kind != QA_RESULT_NONE) {
        qa_form_quote(qi, sizeof qi, item_id);
        st_errf(err, errlen, "item \"%s\": given twice", qi);
        return ST_ERR_INVALID;
    }
    *item = it;
    return ST_OK;
}

int qa_score_eval_add(qa_score_eval_t *ev, const char *item_id, const char *result, char *err,
                      size_t errlen)
{
    const qa_item_t *it;
    qa_result_t r;
    int rc = eval_slot(ev, item_id, &it, err, errlen);
    if (rc != ST_OK)
        return rc;
    if ((rc = qa_score_result_parse(result, it, &r, err, errlen)) != ST_OK)
        return rc;
    ev->results[it->index] = r;
    ev->given++;
    return ST_OK;
}

int qa_score_eval_add_json(qa_score_eval_t *ev, const char *item_id, const json_t *value, char *err,
                           size_t errlen)
{
    const qa_item_t *it;
    qa_result_t r;
    int rc = eval_slot(ev, item_id, &it, err, errlen);
    if (rc != ST_OK)
        return rc;
    if ((rc = qa_score_result_from_json(value, it, &r, err, errlen)) != ST_OK)
        return rc;
    ev->results[it->index] = r;
    ev->given++;
    return ST_OK;
}

int qa_score_eval_finish(const qa_score_eval_t *ev, qa_score_t *out, char *err, size_t errlen)
{
    return qa_score_compute(ev->form, ev->results, ev->n, out, err, errlen);
}

const qa_result_t *qa_score_eval_results(const qa_score_eval_t *ev)
{
    return ev->results;
}

size_t qa_score_eval_given(const qa_score_eval_t *ev)
{
    return ev->given;
}
