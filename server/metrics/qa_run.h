/*
 * qa_run.h - the QA and inspector metrics of a tenant's month from the
 * database (METRICS.md "Quality assurance", "QA inspector performance"):
 * the month's evaluations with their final scores and the contacts'
 * surveys, the calibration sessions with their item results (for
 * item_agreement), the inspector list in force, then reports/qa_metrics
 * and reports/inspector.  Shared by the report model and GET /qa/metrics.
 *
 * What it owns: a qa_run_t and everything it points to (qa_run_free()).
 * What the caller owns: the request, whose by_agent result is only read
 * during the call.  Runs on the caller's thread with the caller's
 * connection.
 */
#ifndef SLT_QA_RUN_H
#define SLT_QA_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "contract.h"
#include "db.h"
#include "inspector.h"
#include "qa_dims.h"
#include "qa_metrics.h"
#include "qa_records.h"
#include "sla.h"
#include "tenant.h"

typedef struct qa_run_req {
    const tenant_t *tenant;
    const contract_t *contract;   /* in force for the month; NULL: METRICS.md defaults */
    int year, month;              /* the month (for the inspector list in force) */
    int64_t start_us, end_us;     /* its UTC bounds: [start, end) */
    const sla_result_t *by_agent; /* the month's queue metrics by agent (answered, surveys) */
    int64_t tenant_answered;      /* the month's answered contacts (coverage) */
    bool inspectors;              /* also the inspector metrics */
} qa_run_req_t;

/* A computation's results.  Every field is read-only for the caller. */
typedef struct qa_run {
    qa_metrics_result_t qa; /* tenant and per-agent QA metrics */
    size_t n_evals;         /* evaluations of the month */
    /* The QA metrics by case type: qa_metrics over the evaluations whose
     * contact is known, each "agent" row being a contact reason ("": none);
     * coverage and CSAT are not filled in (no answered counts by reason). */
    qa_metrics_result_t by_reason;
    /* Dimension scores (qa_dims.h), sorted by group then dimension: the
     * month's (group ""), by agent, by inspector, and by the contact's
     * reason (evaluations of a known contact only). */
    qa_dims_cell_t *dims[4];
    size_t n_dims[4];
    /* With req.inspectors only (else zero): */
    inspector_result_t insp;
    inspector_session_t *sessions; /* the month's calibration sessions, by instant */
    size_t n_sessions;
    qa_rec_participant_t *parts; /* the sessions' participants, session by session */
    const char **part_call;      /* each participant row's call_id */
    int64_t *part_us;            /* each participant row's evaluated_us */
    inspector_entry_t *entries;  /* the inspector list in force, by id */
    const char **entry_names;
    size_t n_entries;
    struct qa_run_store *store; /* private: the rows everything borrows from */
} qa_run_t;

/* The groupings of qa_run_t.dims. */
enum { QA_DIMS_MONTH = 0, QA_DIMS_AGENT, QA_DIMS_INSPECTOR, QA_DIMS_REASON };

/*
 * Computes the month's QA metrics (and inspector metrics when asked).  On
 * ST_OK *out is the caller's (qa_run_free).  A failing read or computation
 * returns its code with the reason in err.
 */
int qa_run_compute(db_t *db, const qa_run_req_t *req, qa_run_t **out, char *err, size_t errlen);

/* The listed name of an inspector, "" when not on the list.  Borrowed from r. */
const char *qa_run_inspector_name(const qa_run_t *r, const char *inspector_id);

/* Releases a run; NULL does nothing. */
void qa_run_free(qa_run_t *r);

#endif
