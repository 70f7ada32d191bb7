/*
 * qa_records.h - validation of QA calibration and appeal records, and the
 * comparisons the inspector metrics need (METRICS.md "QA inspector
 * performance").
 *
 * Appeals (INTERFACES.md: evaluation_id, appealed_at, decided_at, outcome,
 * new_score):
 *   - outcome is `upheld` or `overturned` (any case);
 *   - decided_at before appealed_at is refused (the same instant is fine);
 *   - overturned needs new_score 0..100; upheld leaves the score as it was,
 *     so a new_score with `upheld` contradicts it and is refused.
 *
 * Calibrations (session_id, call_id, inspector_id, is_reference,
 * evaluated_at, item_id, result): in one session several inspectors score
 * the same contact.  A session needs at least one participant and at most
 * one reference ("a reference marked twice in one session").
 *   - Reference score for participant P: the reference inspector's score;
 *     with no reference, the mean score of the participants other than P
 *     (so it depends on who is compared).  The reference inspector is not
 *     compared with itself, and a lone participant without a reference has
 *     nothing to compare with: both give ST_ERR_NOT_FOUND.
 *   - Item agreement of P with the reference inspector: over the items
 *     where at least one of the two gave a result other than na (a missing
 *     item counts as na), the share where both earned the same points
 *     (`pass` equals max points, `fail` equals 0; na against a scored
 *     result is a disagreement).  Only defined against a reference
 *     inspector: a mean of other participants has no item results.
 *
 * Errors are "field: reason" (or "inspector \"X\": reason"), so an ingest
 * receipt can name the field.  Every function is pure.  A qa_rec_session_t
 * is used by one thread at a time and borrows the form, which must outlive
 * it.
 */
#ifndef SLT_QA_RECORDS_H
#define SLT_QA_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qa_form.h"
#include "qa_score.h"

#define QA_REC_MAX_PARTICIPANTS 100 /* inspectors in one calibration session */

typedef enum qa_rec_outcome {
    QA_REC_UPHELD = 1,
    QA_REC_OVERTURNED = 2,
} qa_rec_outcome;

/* One appeal row.  Strings are borrowed for the duration of a call. */
typedef struct qa_rec_appeal {
    const char *evaluation_id;
    int64_t appealed_at; /* instants, both in the same unit (e.g. Unix microseconds) */
    int64_t decided_at;
    qa_rec_outcome outcome;
    bool has_new_score; /* false when the new_score field is empty */
    double new_score;
} qa_rec_appeal_t;

/* One participant of a calibration session.  Strings are borrowed. */
typedef struct qa_rec_participant {
    const char *inspector_id;
    bool is_reference;
    double score; /* the participant's score of the session's contact, 0..100 */
} qa_rec_participant_t;

/* Item agreement counts; sum them over sessions before dividing. */
typedef struct qa_rec_agreement {
    size_t compared; /* items where at least one of the two is not na */
    size_t agreed;   /* of those, items where both earned the same points */
} qa_rec_agreement_t;

/* A calibration session being filled in row by row. */
typedef struct qa_rec_session qa_rec_session_t;

/* Parses "upheld" / "overturned" (any case).  ST_ERR_INVALID otherwise. */
int qa_rec_outcome_parse(const char *text, qa_rec_outcome *out, char *err, size_t errlen);

/*
 * Parses a score written as unsigned decimal text ("87", "83.333333"): no
 * sign, exponent or spaces, at most 3 integer and 12 decimal digits.  The
 * range is checked by qa_rec_appeal_check().  Locale-independent.
 */
int qa_rec_score_parse(const char *text, double *out, char *err, size_t errlen);

/* Checks one appeal against the rules above.  ST_OK or ST_ERR_INVALID. */
int qa_rec_appeal_check(const qa_rec_appeal_t *a, char *err, size_t errlen);

/* The score every metric uses after a (checked) appeal. */
double qa_rec_appeal_final_score(const qa_rec_appeal_t *a, double original);

/*
 * Checks a session's participants: at least one, ids valid, no inspector
 * twice, at most one reference, scores 0..100.  ST_OK or ST_ERR_INVALID.
 */
int qa_rec_calibration_check(const qa_rec_participant_t *p, size_t n, char *err, size_t errlen);

/*
 * The reference score participant `who` is compared with (see above).
 * ST_OK with *ref set; ST_ERR_NOT_FOUND when there is nothing to compare
 * with; ST_ERR_INVALID when who >= n or two references are marked.
 */
int qa_rec_calibration_reference(const qa_rec_participant_t *p, size_t n, size_t who, double *ref);

/*
 * Counts item agreement between two evaluations of one form (`mine` and
 * `ref`, each qa_form_item_count() results in qa_form_item() order, as
 * qa_score_eval_results() gives them).
 */
void qa_rec_item_agreement(const qa_form_t *form, const qa_result_t *mine, const qa_result_t *ref,
                           qa_rec_agreement_t *out);

/* agreed / compared, or NAN when nothing was compared. */
double qa_rec_agreement_share(const qa_rec_agreement_t *a);

/*
 * A new, empty calibration session scored against `form` (borrowed).  Free
 * with qa_rec_session_free(); reuse with qa_rec_session_reset().
 */
qa_rec_session_t *qa_rec_session_new(const qa_form_t *form);

/* Forgets every participant, keeping the form. */
void qa_rec_session_reset(qa_rec_session_t *s);

/* Releases a session; qa_rec_session_free(NULL) does nothing. */
void qa_rec_session_free(qa_rec_session_t *s);

/*
 * Adds one calibration row.  Refused (session unchanged) when the
 * inspector id is invalid, a second inspector is marked as reference, one
 * inspector's rows disagree on is_reference, or the item is refused as in
 * qa_score_eval_add().  ST_ERR_TOO_LARGE past QA_REC_MAX_PARTICIPANTS.
 * Strings are copied.
 */
int qa_rec_session_add(qa_rec_session_t *s, const char *inspector_id, bool is_reference,
                       const char *item_id, const char *result, char *err, size_t errlen);

/*
 * Scores every participant and checks the session (qa_rec_calibration_check).
 * Must succeed before the scores and comparisons below are read; adding a
 * row afterwards requires finishing again.
 */
int qa_rec_session_finish(qa_rec_session_t *s, char *err, size_t errlen);

/* Participants in order of first appearance. */
size_t qa_rec_session_count(const qa_rec_session_t *s);

/*
 * Participant i (score valid after qa_rec_session_finish()), or NULL when
 * out of range.  Owned by the session; valid until reset or free.
 */
const qa_rec_participant_t *qa_rec_session_participant(const qa_rec_session_t *s, size_t i);

/* Participant i's item results (see qa_score_eval_results()), or NULL. */
const qa_result_t *qa_rec_session_results(const qa_rec_session_t *s, size_t i);

/*
 * qa_rec_calibration_reference() for participant i of a finished session;
 * ST_ERR_INVALID when the session is not finished.
 */
int qa_rec_session_reference(const qa_rec_session_t *s, size_t i, double *ref);

/*
 * Item agreement of participant i with the session's reference inspector.
 * ST_ERR_NOT_FOUND when the session has no reference or i is the
 * reference; ST_ERR_INVALID when not finished or i is out of range.
 */
int qa_rec_session_agreement(const qa_rec_session_t *s, size_t i, qa_rec_agreement_t *out);

#endif
