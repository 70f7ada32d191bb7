/* qa_records.c - calibration and appeal records (see qa_records.h). */
#include "qa_records.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "status.h"
#include "xmem.h"

/* One inspector of a session: owned id, its evaluation, its score. */
typedef struct session_part {
    char *inspector_id;
    qa_score_eval_t *eval;
} session_part_t;

struct qa_rec_session {
    const qa_form_t *form;
    size_t n;
    session_part_t parts[QA_REC_MAX_PARTICIPANTS];
    qa_rec_participant_t view[QA_REC_MAX_PARTICIPANTS]; /* what callers read */
    bool finished;
};

int qa_rec_outcome_parse(const char *text, qa_rec_outcome *out, char *err, size_t errlen)
{
    if (text && strcasecmp(text, "upheld") == 0) {
        *out = QA_REC_UPHELD;
        return ST_OK;
    }
    if (text && strcasecmp(text, "overturned") == 0) {
        *out = QA_REC_OVERTURNED;
        return ST_OK;
    }
    char q[QA_ID_MAX + 4];
    qa_form_quote(q, sizeof q, text);
    st_errf(err, errlen, "outcome: \"%s\" is not upheld or overturned", q);
    return ST_ERR_INVALID;
}

int qa_rec_score_parse(const char *text, double *out, char *err, size_t errlen)
{
    char q[QA_ID_MAX + 4];
    uint64_t mant = 0;
    size_t ni = 0;
    size_t nf = 0;
    const char *s = text ? text : "";

    for (; s[ni] >= '0' && s[ni] <= '9' && ni < 4; ni++)
        mant = mant * 10 + (uint64_t)(s[ni] - '0');
    const char *p = s + ni;
    if (*p == '.') {
        p++;
        for (; p[nf] >= '0' && p[nf] <= '9' && nf < 13; nf++)
            mant = mant * 10 + (uint64_t)(p[nf] - '0');
        if (nf == 0)
            goto fail;
        p += nf;
    }
    if (ni == 0 || ni > 3 || nf > 12 || *p != '\0')
        goto fail;
    /* At most 15 digits: mant is exact in a double, and so is 10^nf, so
     * one division gives the correctly rounded value. */
    *out = (double)mant / pow(10.0, (double)nf);
    return ST_OK;

fail:
    qa_form_quote(q, sizeof q, s);
    st_errf(err, errlen, "score \"%s\": must be a number like 87 or 83.33", q);
    return ST_ERR_INVALID;
}

int qa_rec_appeal_check(const qa_rec_appeal_t *a, char *err, size_t errlen)
{
    if (!qa_form_id_valid(a->evaluation_id)) {
        st_errf(err, errlen, "evaluation_id: must be 1-%d visible ASCII characters", QA_ID_MAX);
        return ST_ERR_INVALID;
    }
    if (a->outcome != QA_REC_UPHELD && a->outcome != QA_REC_OVERTURNED) {
        st_errf(err, errlen, "outcome: must be upheld or overturned");
        return ST_ERR_INVALID;
    }
    if (a->decided_at < a->appealed_at) {
        st_errf(err, errlen, "decided_at: before appealed_at");
        return ST_ERR_INVALID;
    }
    if (a->outcome == QA_REC_OVERTURNED) {
        if (!a->has_new_score) {
            st_errf(err, errlen, "new_score: required when the outcome is overturned");
            return ST_ERR_INVALID;
        }
        if (!(a->new_score >= 0 && a->new_score <= 100)) {
            st_errf(err, errlen, "new_score: must be 0..100");
            return ST_ERR_INVALID;
        }
    } else if (a->has_new_score) {
        st_errf(err, errlen, "new_score: must be empty when the outcome is upheld");
        return ST_ERR_INVALID;
    }
    return ST_OK;
}

double qa_rec_appeal_final_score(const qa_rec_appeal_t *a, double original)
{
    return a->outcome == QA_REC_OVERTURNED && a->has_new_score ? a->new_score : original;
}

int qa_rec_calibration_check(const qa_rec_participant_t *p, size_t n, char *err, size_t errlen)
{
    char q[QA_ID_MAX + 4];
    char q2[QA_ID_MAX + 4];
    size_t ref = n;

    if (n == 0) {
        st_errf(err, errlen, "session: a calibration session needs at least one participant");
        return ST_ERR_INVALID;
    }
    for (size_t i = 0; i < n; i++) {
        qa_form_quote(q, sizeof q, p[i].inspector_id);
        if (!qa_form_id_valid(p[i].inspector_id)) {
            st_errf(err, errlen, "inspector_id: \"%s\" is not 1-%d visible ASCII characters", q,
                    QA_ID_MAX);
            return ST_ERR_INVALID;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(p[j].inspector_id, p[i].inspector_id) == 0) {
                st_errf(err, errlen, "inspector \"%s\": appears twice in one session", q);
                return ST_ERR_INVALID;
            }
        }
        if (!(p[i].score >= 0 && p[i].score <= 100)) {
            st_errf(err, errlen, "inspector \"%s\": score must be 0..100", q);
            return ST_ERR_INVALID;
        }
        if (p[i].is_reference) {
            if (ref < n) {
                qa_form_quote(q2, sizeof q2, p[ref].inspector_id);
                st_errf(err, errlen,
                        "is_reference: a reference marked twice in one session (inspectors "
                        "\"%s\" and \"%s\")",
                        q2, q);
                return ST_ERR_INVALID;
            }
            ref = i;
        }
    }
    return ST_OK;
}

int qa_rec_calibration_reference(const qa_rec_participant_t *p, size_t n, size_t who, double *ref)
{
    size_t r = n;
    if (who >= n)
        return ST_ERR_INVALID;
    for (size_t i = 0; i < n; i++) {
        if (!p[i].is_reference)
            continue;
        if (r < n)
            return ST_ERR_INVALID;
        r = i;
    }
    if (r < n) {
        if (r == who)
            return ST_ERR_NOT_FOUND;
        *ref = p[r].score;
        return ST_OK;
    }
    if (n < 2)
        return ST_ERR_NOT_FOUND;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (i != who)
            sum += p[i].score;
    }
    *ref = sum / (double)(n - 1);
    return ST_OK;
}

/* Whether a result takes part in a comparison (anything but na or missing). */
static bool result_scored(const qa_result_t *r)
{
    return r->kind == QA_RESULT_PASS || r->kind == QA_RESULT_FAIL || r->kind == QA_RESULT_POINTS;
}

void qa_rec_item_agreement(const qa_form_t *form, const qa_result_t *mine, const qa_result_t *ref,
                           qa_rec_agreement_t *out)
{
    out->compared = 0;
    out->agreed = 0;
    for (size_t i = 0; i < qa_form_item_count(form); i++) {
        bool a = result_scored(&mine[i]);
        bool b = result_scored(&ref[i]);
        if (!a && !b)
            continue;
        out->compared++;
        /* pass and fail are stored as max and 0 points, so comparing the
         * earned hundredths makes `pass` equal to full marks. */
        if (a && b && mine[i].centi == ref[i].centi)
            out->agreed++;
    }
}

double qa_rec_agreement_share(const qa_rec_agreement_t *a)
{
    if (a->compared == 0)
        return NAN;
    return (double)a->agreed / (double)a->compared;
}

qa_rec_session_t *qa_rec_session_new(const qa_form_t *form)
{
    qa_rec_session_t *s = xcalloc(1, sizeof *s);
    s->form = form;
    return s;
}

void qa_rec_session_reset(qa_rec_session_t *s)
{
    for (size_t i = 0; i < s->n; i++) {
        qa_score_eval_free(s->parts[i].eval);
        free(s->parts[i].inspector_id);
    }
    memset(s->parts, 0, sizeof s->parts);
    memset(s->view, 0, sizeof s->view);
    s->n = 0;
    s->finished = false;
}

void qa_rec_session_free(qa_rec_session_t *s)
{
    if (!s)
        return;
    qa_rec_session_reset(s);
    free(s);
}

int qa_rec_session_add(qa_rec_session_t *s, const char *inspector_id, bool is_reference,
                       const char *item_id, const char *result, char *err, size_t errlen)
{
    char q[QA_ID_MAX + 4];
    char q2[QA_ID_MAX + 4];
    char detail[256];
    qa_score_eval_t *fresh = NULL;
    size_t who = s->n;
    int rc;

    qa_form_quote(q, sizeof q, inspector_id);
    if (!qa_form_id_valid(inspector_id)) {
        st_errf(err, errlen, "inspector_id: \"%s\" is not 1-%d visible ASCII characters", q,
                QA_ID_MAX);
        return ST_ERR_INVALID;
    }
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->parts[i].inspector_id, inspector_id) == 0)
            who = i;
    }
    if (who < s->n && s->view[who].is_reference != is_reference) {
        st_errf(err, errlen, "is_reference: differs between rows of inspector \"%s\"", q);
        return ST_ERR_INVALID;
    }
    if (who == s->n) {
        if (s->n == QA_REC_MAX_PARTICIPANTS) {
            st_errf(err, errlen, "inspector_id: more than %d participants in one session",
                    QA_REC_MAX_PARTICIPANTS);
            return ST_ERR_TOO_LARGE;
        }
        for (size_t i = 0; is_reference && i < s->n; i++) {
            if (s->view[i].is_reference) {
                qa_form_quote(q2, sizeof q2, s->parts[i].inspector_id);
                st_errf(err, errlen,
                        "is_reference: a reference marked twice in one session (inspectors "
                        "\"%s\" and \"%s\")",
                        q2, q);
                return ST_ERR_INVALID;
            }
        }
        fresh = qa_score_eval_new(s->form);
    }
    qa_score_eval_t *ev = fresh ? fresh : s->parts[who].eval;
    rc = qa_score_eval_add(ev, item_id, result, detail, sizeof detail);
    if (rc != ST_OK) {
        st_errf(err, errlen, "inspector \"%s\": %s", q, detail);
        goto fail;
    }
    if (fresh) {
        s->parts[who].inspector_id = xstrdup(inspector_id);
        s->parts[who].eval = fresh;
        s->view[who].inspector_id = s->parts[who].inspector_id;
        s->view[who].is_reference = is_reference;
        s->view[who].score = 0;
        s->n++;
    }
    s->finished = false;
    return ST_OK;

fail:
    qa_score_eval_free(fresh);
    return rc;
}

int qa_rec_session_finish(qa_rec_session_t *s, char *err, size_t errlen)
{
    char q[QA_ID_MAX + 4];
    char detail[256];
    qa_score_t sc;

    s->finished = false;
    for (size_t i = 0; i < s->n; i++) {
        int rc = qa_score_eval_finish(s->parts[i].eval, &sc, detail, sizeof detail);
        if (rc != ST_OK) {
            qa_form_quote(q, sizeof q, s->parts[i].inspector_id);
            st_errf(err, errlen, "inspector \"%s\": %s", q, detail);
            return rc;
        }
        s->view[i].score = sc.score;
    }
    int rc = qa_rec_calibration_check(s->view, s->n, err, errlen);
    if (rc != ST_OK)
        return rc;
    s->finished = true;
    return ST_OK;
}

size_t qa_rec_session_count(const qa_rec_session_t *s)
{
    return s->n;
}

const qa_rec_participant_t *qa_rec_session_participant(const qa_rec_session_t *s, size_t i)
{
    return i < s->n ? &s->view[i] : NULL;
}

const qa_result_t *qa_rec_session_results(const qa_rec_session_t *s, size_t i)
{
    return i < s->n ? qa_score_eval_results(s->parts[i].eval) : NULL;
}

int qa_rec_session_reference(const qa_rec_session_t *s, size_t i, double *ref)
{
    if (!s->finished)
        return ST_ERR_INVALID;
    return qa_rec_calibration_reference(s->view, s->n, i, ref);
}

int qa_rec_session_agreement(const qa_rec_session_t *s, size_t i, qa_rec_agreement_t *out)
{
    if (!s->finished || i >= s->n)
        return ST_ERR_INVALID;
    for (size_t r = 0; r < s->n; r++) {
        if (!s->view[r].is_reference)
            continue;
        if (r == i)
            return ST_ERR_NOT_FOUND;
        qa_rec_item_agreement(s->form, qa_score_eval_results(s->parts[i].eval),
                              qa_score_eval_results(s->parts[r].eval), out);
        return ST_OK;
    }
    return ST_ERR_NOT_FOUND;
}
