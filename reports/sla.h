/*
 * sla.h - the queue metrics of spec/METRICS.md ("Time", "Contact outcomes",
 * "Queue metrics", "First contact resolution", "Customer satisfaction",
 * "Staffing"), computed over rows the caller gives.
 *
 * What it owns: the result (sla_result_t) of one computation, released with
 * sla_result_free().  What the caller owns: the parameters, the time zone
 * and the input rows, which are only read during the call and not kept (no
 * string of an input row is referenced by the result).  Pure computation:
 * no I/O, no database, no global state; any thread may call any function,
 * and one tz_t may be shared by concurrent computations.
 *
 * Two input paths give the same numbers for what both can compute:
 *
 *  - sla_compute_contacts(): contact rows (the `contacts` table).  Every
 *    metric.
 *  - sla_compute_rollups(): rollup rows (`contact_rollups`, one per UTC
 *    15-minute slot and queue).  Enough for every count and sum metric:
 *    offered, answered, abandoned, short_abandoned, overflow,
 *    answered_within, abandoned_within, service_level, asa_s,
 *    avg_abandon_s, abandon_rate, answer_rate, aht_s, transfer_rate,
 *    interval compliance and Erlang C staffing.  NOT from rollups (they are
 *    NAN there, and grouping by agent is refused): max_wait_s and
 *    wait_p90_s (need each wait), fcr (needs each customer's later
 *    contacts, or each disposition), csat and csat_mean (need the surveys),
 *    and any agent grouping (rollups carry no agent).  A report that needs
 *    those reads contacts.
 *  - sla_compute_rollups_many(): rollup rows with their detail (wait
 *    histograms, surveys by score, FCR and disposition counts, built by
 *    reports/sla_acc.c) and agent rows (per agent and local day): every
 *    metric, the same numbers as from contacts, without reading one.
 *
 * Time (METRICS.md "Time"): a period is a range of local dates [from, to]
 * (a month is day 1 to its last day) in the zone of params.tz.  Days and
 * intervals come from lib/tz (23- and 25-hour days, 46 and 50 half-hours).
 * A contact belongs to the interval, day and month containing its
 * offered_at; contacts outside the period are ignored except as FCR
 * repeats.  A rollup slot belongs to the interval containing its start:
 * every UTC 15-minute slot lies inside one local interval because zone
 * offsets are whole quarter hours.
 *
 * Undefined is NAN (stats.h convention): every ratio with a zero
 * denominator, percentiles and maxima of nothing, and what an input path
 * cannot compute.  Callers test with isnan(), never with == 0.
 */
#ifndef SLT_SLA_H
#define SLT_SLA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ihist.h"
#include "tz.h"

#define SLA_KEY_MAX  64   /* bytes of a row key (queue and agent ids are <= 64) */
#define SLA_MAX_DAYS 1000 /* longest period accepted, in local days */

/* The contact outcome column (same values as the database and cdr.h). */
enum { SLA_ANSWERED = 1, SLA_ABANDONED = 2, SLA_OVERFLOW = 3 };
/* A rollup's wait histograms, by outcome. */
enum { SLA_WAIT_ANSWERED = 0, SLA_WAIT_ABANDONED, SLA_WAIT_OVERFLOW, SLA_WAITS };

/* The contract's sl_formula (METRICS.md). */
typedef enum sla_formula {
    SLA_SL_OFFERED = 0,      /* answered_within / offered (default) */
    SLA_SL_ANSWERED,         /* answered_within / answered */
    SLA_SL_ABANDON_NEUTRAL,  /* answered_within / (offered - abandoned_within) */
    SLA_SL_ABANDON_POSITIVE, /* (answered_within + abandoned_within) / offered */
} sla_formula_t;

/* The contract's fcr_method. */
typedef enum sla_fcr_method {
    SLA_FCR_REPEAT = 0, /* no contact of the same customer within the window */
    SLA_FCR_DISPOSITION,
} sla_fcr_method_t;

/* How result rows are grouped; every result also has a total row. */
typedef enum sla_by {
    SLA_BY_MONTH = 0, /* local months touched by the period (clipped to it) */
    SLA_BY_DAY,       /* every local day of the period, empty ones included */
    SLA_BY_INTERVAL,  /* every local interval of the period, empty ones included */
    SLA_BY_QUEUE,     /* queues with a contact in the period, by name */
    SLA_BY_AGENT,     /* agent ids with a contact in the period ("" = none) */
    SLA_BY_REASON,    /* contact reasons (case types) in the period ("" = none) */
} sla_by_t;

/* Business hours of one weekday, in local wall-clock minutes after
 * midnight: an interval is a business-hour interval when its start label
 * (its "HH:MM") is in [open_min, close_min).  open = close: closed. */
typedef struct sla_hours {
    int open_min, close_min; /* 0 <= open_min <= close_min <= 1440 */
} sla_hours_t;

typedef struct sla_params {
    const tz_t *tz;           /* the contract's zone (borrowed) */
    int sl_threshold_s;       /* T, >= 0; wait_s == T is within */
    sla_formula_t sl_formula; /* service_level variant */
    int short_abandon_s;      /* >= 0; 0 turns short abandons off */
    int interval_min;         /* 15, 30 or 60 */
    bool has_hours;           /* false: every interval is a business interval */
    sla_hours_t hours[7];     /* by local weekday, 0 = Sunday */
    sla_fcr_method_t fcr_method;
    int fcr_window_h;     /* >= 0 */
    int csat_good_min;    /* 1..5: a survey >= this is good */
    double sl_target;     /* service_level target in [0, 1]; NAN: none */
    int64_t generated_us; /* when the report is made (FCR provisional flag) */
    const char *queue;    /* NULL: all queues; else only this queue */
} sla_params_t;

/* A range of local dates, both inclusive. */
typedef struct sla_period {
    int from_y, from_m, from_d;
    int to_y, to_m, to_d;
} sla_period_t;

/*
 * One contact: what the metrics need of a contacts row (its wait_s already
 * derived from answered_at or ended_at; outcome says whether it was
 * answered).  The strings are borrowed for the call; "" when absent, never
 * NULL (reason may be NULL: none).  Kept small (64 bytes): a large month
 * holds a million of them.
 */
typedef struct sla_contact {
    int64_t offered_us;            /* UTC microseconds */
    int32_t wait_s;                /* >= 0, METRICS.md "Contact outcomes" */
    int32_t talk_s, hold_s, acw_s; /* >= 0 */
    int8_t outcome;                /* SLA_ANSWERED, SLA_ABANDONED, SLA_OVERFLOW */
    int8_t transferred;            /* 0 or 1 */
    int8_t resolved;               /* 0, 1, or -1 when not given */
    int8_t csat;                   /* 1..5, or 0 when no survey */
    const char *queue, *agent, *customer_id;
    const char *reason; /* the case type (SLA_BY_REASON); NULL or "" when none */
} sla_contact_t;

/*
 * One contact_rollups row (see migrations/0002_contacts.sql for the exact
 * meaning of each sum: abandoned_n includes the short abandons,
 * abandoned_within_n does not).  sl_threshold_s and short_abandon_s are the
 * thresholds the row was built with; they must equal the parameters'.
 */
typedef struct sla_rollup {
    int64_t slot_us; /* UTC start of the 15-minute slot */
    const char *queue;
    int sl_threshold_s, short_abandon_s;
    int64_t answered_n, answered_within_n, answered_wait_sum;
    int64_t abandoned_n, abandoned_wait_sum, abandoned_within_n;
    int64_t short_abandoned_n, short_wait_sum;
    int64_t overflow_n, overflow_wait_sum;
    int64_t talk_sum, hold_sum, acw_sum, transferred_n;

    /* The detail (when has_detail): what the contact-only metrics need, so
     * that a row serves every metric.  The three wait histograms are
     * lib/ihist.h encodings of wait_s (abandoned: short abandons included),
     * borrowed for the call; their counts and sums must equal the counts
     * and sums above (a row that disagrees is refused as inconsistent). */
    bool has_detail;
    int fcr_window_h;                    /* the window fcr_repeat_n was counted with */
    int64_t csat_n[5];                   /* surveys of any outcome by score 1..5 */
    int64_t resolved_base_n, resolved_n; /* answered with a disposition; resolved */
    int64_t fcr_base_n, fcr_repeat_n;    /* answered with a customer_id; repeats */
    ihist_view_t waits[SLA_WAITS];       /* wait_s by outcome */
    /* Agent rows (sla_rollups_t.agents) only: the agent id ("" = none),
     * whose row is one local day starting at slot_us (queue unused), and
     * the day's contacts by 15-minute slot (value k: slot_us + k x 15 min). */
    const char *agent;
    ihist_view_t slots;
    /* Reason rows (sla_rollups_t.reasons) only: the case type ("" = none),
     * whose row is one local day starting at slot_us (queue, agent and
     * slots unused). */
    const char *reason;
} sla_rollup_t;

/* The rollups of a period: per UTC slot and queue, and (optional) per agent
 * and per reason and local day of the contract's zone, with detail. */
typedef struct sla_rollups {
    const sla_rollup_t *slots;
    size_t n_slots;
    const sla_rollup_t *agents; /* NULL: none given (agent grouping refused) */
    size_t n_agents;
    const sla_rollup_t *reasons; /* NULL: none given (reason grouping refused) */
    size_t n_reasons;
} sla_rollups_t;

/* One result row.  Counts are exact; every double may be NAN (undefined). */
typedef struct sla_row {
    /* "2026-11", "2026-11-01", "2026-11-01T01:30-04:00" (local start and
     * offset: unique even on a fall-back day), a queue or agent id, or
     * "total". */
    char key[SLA_KEY_MAX + 1];
    int year, month, day;       /* time rows: local date of the first instant */
    int index;                  /* interval rows: position in its day */
    char label[6];              /* interval rows: local "HH:MM" of the start */
    int32_t offset;             /* interval rows: UTC offset at the start */
    bool business;              /* interval rows: a business-hour interval */
    int64_t start_utc, end_utc; /* time rows and total: [start, end), seconds */

    int64_t offered, answered, abandoned, short_abandoned, overflow;
    int64_t answered_within, abandoned_within, transferred;
    double service_level, asa_s, avg_abandon_s, max_wait_s, wait_p90_s;
    double abandon_rate, answer_rate, aht_s, transfer_rate;

    /* FCR by params.fcr_method: fcr = fcr_resolved / fcr_base.  Repeat:
     * base = answered with a customer_id; provisional when generated_us is
     * before the row's end (the period end for non-time rows) + window. */
    int64_t fcr_base, fcr_resolved;
    double fcr;
    bool fcr_provisional;

    int64_t csat_n, csat_good; /* surveys, and those >= csat_good_min */
    double csat, csat_mean;

    /* Business-hour intervals with offered > 0 inside the row, and how
     * many met sl_target (an undefined service_level does not meet it).
     * interval_compliance = met / intervals; NAN without a target, and for
     * agent rows (an agent has no interval service level). */
    int64_t compliance_intervals, compliance_met;
    double interval_compliance;

    /* Interval rows only (else NAN): Erlang C agents for sl_target within
     * sl_threshold_s; NAN without a target or without any AHT to use. */
    double required_agents;
    /* Interval rows computed from contacts: the distinct agent ids (not
     * "") with a contact in the interval, the staffing that actually
     * handled it; -1 elsewhere and from rollups. */
    int64_t agents;
} sla_row_t;

typedef struct sla_result sla_result_t;

/* Fills *p with the METRICS.md defaults (T = 20, offered, short 5, 30-min
 * intervals, no business hours, repeat over 72 h, csat_good_min 4, no
 * target, all queues, generated_us 0) and the given zone.  Any thread. */
void sla_params_default(sla_params_t *p, const tz_t *tz);

/* Sets *p to the local month y-m (day 1 to its last day). */
void sla_period_month(sla_period_t *p, int y, int m);

/*
 * Parses a period from its bounds as a user writes them: each a local date
 * "YYYY-MM-DD" or a month "YYYY-MM" (from a month's first day, to its last
 * day).  ST_ERR_INVALID with the reason in err ("from: ...", "to: ...",
 * "to is before from"); *out is set on ST_OK only.  Pure; any thread.
 */
int sla_period_parse(const char *from, const char *to, sla_period_t *out, char *err, size_t errlen);

/* The grouping named by the len bytes at s ("month", "day", "interval",
 * "queue", "agent"); ST_ERR_INVALID when none.  Pure; any thread. */
int sla_by_parse(const char *s, size_t len, sla_by_t *out);
/* The name of a grouping ("month"...); NULL past SLA_BY_REASON, so a loop
 * from SLA_BY_MONTH lists them all.  Pure; any thread. */
const char *sla_by_name(sla_by_t by);

/*
 * Computes every metric for the period, grouped by `by`, from contacts.
 *
 * FCR by repeat looks at every contact given, of any queue and outcome,
 * whatever params.queue says: pass all of the tenant's contacts with
 * offered_at in [period start, period end + fcr_window_h] (contacts before
 * the period cannot be a repeat; those after its end count only as
 * repeats).  For the disposition method the period's contacts suffice.
 *
 * On ST_OK *out is a new result the caller frees with sla_result_free().
 * ST_ERR_INVALID (with the reason in err) for bad parameters, a bad period
 * or an inconsistent contact row; ST_ERR_TOO_LARGE for a period longer than
 * SLA_MAX_DAYS.  Rows are read, not copied or kept.  Any thread.
 */
int sla_compute_contacts(const sla_params_t *p, const sla_period_t *period, sla_by_t by,
                         const sla_contact_t *rows, size_t n, sla_result_t **out, char *err,
                         size_t errlen);

/*
 * sla_compute_contacts() for n_by groupings of the same rows into outs[i]
 * (the FCR repeat test runs once for all).  On failure every outs[i] is
 * NULL.  Ownership, errors and threads as for sla_compute_contacts().
 */
int sla_compute_contacts_many(const sla_params_t *p, const sla_period_t *period, const sla_by_t *by,
                              size_t n_by, const sla_contact_t *rows, size_t n, sla_result_t **outs,
                              char *err, size_t errlen);

/*
 * Completes a result computed from rollups (dst) with the metrics only
 * contacts give (max_wait_s, wait_p90_s, fcr, csat and their counts), from
 * src: the same parameters, period and grouping computed from contacts
 * (whose other fields are not used, so the contacts may lack talk, hold,
 * acw and transferred).  Rows are matched by key and must count the same
 * offered, answered and short-abandoned contacts: ST_ERR_INVALID with the
 * row in err when they do not (rollups out of step with contacts).  dst
 * is modified, src only read.  Any thread.
 */
int sla_result_merge_contacts(sla_result_t *dst, const sla_result_t *src, char *err, size_t errlen);

/*
 * The same from rollup rows (see the top of this file for what is NAN
 * then).  SLA_BY_AGENT is ST_ERR_INVALID, as is a row inside the period
 * whose thresholds differ from the parameters' (the month's rollups must be
 * rebuilt first) or that has a negative count.  Ownership, errors and
 * threads as for sla_compute_contacts().
 */
int sla_compute_rollups(const sla_params_t *p, const sla_period_t *period, sla_by_t by,
                        const sla_rollup_t *rows, size_t n, sla_result_t **out, char *err,
                        size_t errlen);

/*
 * Every metric from rollups alone, n_by groupings into outs[i]: the slot
 * rows give the counts and, when every row of the period has its detail
 * (and was counted with the parameters' thresholds and FCR window), p90
 * and maximum wait, FCR and CSAT exactly as from contacts; without detail
 * those are NAN as for sla_compute_rollups().  With agent rows: the agent
 * grouping (its rows from the agent rows, its total from the slot rows,
 * which must count the same contacts) and each interval's distinct agents
 * (sla_row_t.agents).  With reason rows: the reason grouping, like the
 * agent one (its total from the slot rows, which must count the same).
 * The agent and reason rows must be local days of params.tz.
 * ST_ERR_INVALID with the reason for a refused or inconsistent row, or an
 * agent (reason) grouping without agent (reason) rows or with params.queue.  On failure
 * every outs[i] is NULL.  Ownership and threads as for the others.
 */
int sla_compute_rollups_many(const sla_params_t *p, const sla_period_t *period, const sla_by_t *by,
                             size_t n_by, const sla_rollups_t *in, sla_result_t **outs, char *err,
                             size_t errlen);

/* Number of grouped rows (the total row is separate). */
size_t sla_result_count(const sla_result_t *r);
/* Row i (< count), in time order or by key; owned by r. */
const sla_row_t *sla_result_row(const sla_result_t *r, size_t i);
/* The whole period (all groups together); owned by r. */
const sla_row_t *sla_result_total(const sla_result_t *r);
/* Releases a result; NULL does nothing. */
void sla_result_free(sla_result_t *r);

/*
 * service_level by formula f, NAN when its denominator is 0 (also for an
 * unknown f).  Pure; any thread.
 */
double sla_service_level(sla_formula_t f, int64_t offered, int64_t answered,
                         int64_t answered_within, int64_t abandoned_within);

/* The contract spelling of f ("offered", "answered", "abandon_neutral",
 * "abandon_positive"); "?" when unknown.  Static string. */
const char *sla_formula_name(sla_formula_t f);
/* Parses a contract spelling; ST_ERR_INVALID when unknown (out untouched). */
int sla_formula_parse(const char *s, sla_formula_t *out);

#endif
