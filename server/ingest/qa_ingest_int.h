/*
 * qa_ingest_int.h - what the QA ingestion files share and nobody else sees
 * (libevent's http-internal.h pattern).  Only qa_ingest*.c and the three
 * kinds (qa_eval.c, qa_cal.c, qa_appeal.c) include it; everyone else uses
 * qa_ingest.h.
 *
 * qa_ingest.c owns the public API and the batch life: the staging tables,
 * the CSV header and the dispatch of each CSV row or JSON object to the
 * kind, the counting of changes and the verdict.  qa_ingest_util.c owns the
 * helpers every kind uses: refusing a record, the bulk stagers, the checks
 * of ids, instants and scorecard versions (with the batch's cache of loaded
 * forms), the staged items, the record hash and the reading of JSON members.
 *
 * Each kind is one file with one exported table, qa_kind_ops_t: its columns,
 * its staging row, and the functions that parse a CSV row or a JSON object,
 * end a record that spans rows, resolve repeats and apply the batch.  A
 * table rather than one prototype per function per kind because the batch
 * life picks the kind once, at qa_ingest_begin(), and then only calls
 * through it; a kind's file stays the only place that knows its record.
 *
 * Everything here runs on the thread that owns the qa_ingest_t.
 */
#ifndef SLT_QA_INGEST_INT_H
#define SLT_QA_INGEST_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "buf.h"
#include "csv.h"
#include "db.h"
#include "json_split.h"
#include "qa_dims.h"
#include "qa_form.h"
#include "qa_ingest.h"
#include "qa_records.h"
#include "qa_score.h"

#define QA_ID_BUF   (QA_ID_MAX + 1)
#define QA_MAX_COLS 12 /* known columns of any kind */

/* A bulk column bound to field f of a staging row type (row-wise binding, db.h). */
#define QA_BULK_COL(type, f, t)                                                                    \
    {                                                                                              \
        t, offsetof(type, f), -1                                                                   \
    }
/* A string column of a staging row type; every string shares the row's ind_str. */
#define QA_BULK_STR(type, f)                                                                       \
    {                                                                                              \
        DBB_STR, offsetof(type, f), (long)offsetof(type, ind_str)                                  \
    }

/* A bulk statement with its buffer of pending rows. */
typedef struct qa_stager {
    db_bulk_t *bulk;
    char *rows;
    size_t row_size, n;
} qa_stager_t;

/* One known column of a kind (CSV header name, JSON member). */
typedef struct qa_col_spec {
    const char *name;
    bool required;
} qa_col_spec_t;

/* A scorecard version loaded for this batch (form NULL: no such version). */
typedef struct qa_form_entry {
    char form_id[QA_ID_BUF];
    int64_t version;
    qa_form_t *form;
    qa_score_eval_t *ev;
    qa_rec_session_t *sess;
} qa_form_entry_t;

/*
 * A kind of QA record.  Values handed to csv_row are the record's columns
 * in spec order ("" when absent), QA_MAX_COLS of them.  Every function
 * returns ST_OK or the database status (a refused record is ST_OK).
 */
typedef struct qa_kind_ops {
    const qa_col_spec_t *spec; /* the kind's columns, in value order */
    size_t nspec;
    size_t cur_size;       /* bytes of the record being assembled (qa_ingest.cur); 0: none */
    const char *stage_sql; /* the bulk insert into the kind's staging table */
    const db_bulk_col_t *stage_cols;
    size_t nstage_cols, row_size;
    /* One CSV row. */
    int (*csv_row)(qa_ingest_t *g, const char *const *v, uint64_t line);
    /* One JSON object. */
    int (*json_record)(qa_ingest_t *g, json_t *o, uint64_t line);
    /* Ends the record open across rows; NULL when a row is a whole record. */
    int (*end)(qa_ingest_t *g);
    /* Resolves records staged twice (batch_dedupe) and any other refusal at the end. */
    int (*dedupe)(qa_ingest_t *g);
    /* Writes the new and changed records and fills the counts. */
    int (*apply)(qa_ingest_t *g);
    /* The receipt's periods (batch_periods: rows of UTC slot, count); with
     * periods_tenant its one parameter is the tenant id. */
    const char *periods_sql;
    bool periods_tenant;
    /* Records by inspector and UTC slot: rows (inspector_id, slot, count,
     * first line) ordered by inspector and slot; NULL for a kind without
     * inspectors.  What the records are called in a warning. */
    const char *inspectors_sql;
    const char *records_name;
} qa_kind_ops_t;

extern const qa_kind_ops_t qa_eval_ops;   /* qa_eval.c */
extern const qa_kind_ops_t qa_cal_ops;    /* qa_cal.c */
extern const qa_kind_ops_t qa_appeal_ops; /* qa_appeal.c */

struct qa_ingest {
    db_t *db;
    uint64_t tenant_id;
    qa_kind kind;
    const qa_kind_ops_t *ops;
    ingest_format fmt;
    batch_t *batch;
    batch_counts_t *n;
    csv_reader_t *csv;
    json_split_t *split;
    int *col_of;  /* spec index of each CSV column, -1 for x_ columns */
    size_t ncols; /* CSV columns in the header; 0 before it */
    qa_stager_t main, items, dims;
    int64_t seq, grp;
    qa_form_entry_t **forms; /* pointers: entries stay put while the list grows */
    size_t nforms;
    void *cur; /* the kind's record being assembled (ops->cur_size bytes), or NULL */
    buf_t hash_text;
    uint64_t unknown_contacts;
    json_t *updated_ids;
    bool fatal, finished, header_failed;
    int db_rc;
};

/* ---- qa_ingest_util.c ---- */

/* Copies src into a QA_ID_BUF buffer (ids are checked to fit before). */
void qa_ingest_copy_id(char *dst, const char *src);

/*
 * The field a qa_form/qa_score/qa_records message is about ("field:
 * reason"), else fallback.  Returns a static string or fallback.
 */
const char *qa_ingest_message_field(const char *msg, const char *fallback);

/* Formats a score for a DOUBLE column, exactly. */
void qa_ingest_score_text(double v, char out[32]);

/* Rejects one record (counted) with "field: message"; keeps ingesting. */
void qa_ingest_reject(qa_ingest_t *g, uint64_t line, const char *field, const char *msg);

/* Prepares a stager for `sql` with the given columns (cols only read). */
int qa_stager_open(qa_ingest_t *g, qa_stager_t *st, const char *sql, const db_bulk_col_t *cols,
                   size_t ncols, size_t row_size);
/* Sends a stager's pending rows; a failure sticks in g->db_rc. */
int qa_stager_flush(qa_ingest_t *g, qa_stager_t *st);
/*
 * The next free row of a stager, zeroed (flushing when full), or NULL after
 * a database error.  The row belongs to the stager until its next flush.
 */
void *qa_stager_next(qa_ingest_t *g, qa_stager_t *st);

/* Prepares g->items, the stager of qa_stage_item. */
int qa_ingest_items_open(qa_ingest_t *g);
/*
 * Appends one item row per given result (owner = a staged record's seq).
 * res holds one result per item of form.
 */
int qa_ingest_stage_items(qa_ingest_t *g, const qa_form_t *form, const qa_result_t *res,
                          int64_t owner);
/* Prepares g->dims, the stager of qa_stage_dim (evaluations' dimension scores). */
int qa_ingest_dims_open(qa_ingest_t *g);
/* Appends one row per dimension scored in the evaluation (owner = its seq). */
int qa_ingest_stage_dims(qa_ingest_t *g, const qa_form_t *form, const qa_result_t *res,
                         int64_t owner);
/* Adds a result list to the record's canonical text (g->hash_text). */
void qa_ingest_hash_items(qa_ingest_t *g, const qa_form_t *form, const qa_result_t *res);
/* Hashes the canonical text collected in g->hash_text into 32 hex digits and clears it. */
void qa_ingest_hash_record(qa_ingest_t *g, char out[33]);

/* Checks an id column; false after rejecting the record. */
bool qa_ingest_check_id(qa_ingest_t *g, uint64_t line, const char *name, const char *value);
/* Parses an instant column; false after rejecting the record. */
bool qa_ingest_check_instant(qa_ingest_t *g, uint64_t line, const char *name, const char *value,
                             int64_t *us);
/*
 * Resolves form_id + form_version to a form loaded once per batch (the
 * entry belongs to g); false after rejecting the record or a database
 * error (then in g->db_rc).
 */
bool qa_ingest_check_form(qa_ingest_t *g, uint64_t line, const char *form_id, const char *version,
                          int64_t *v, qa_form_entry_t **fe);

/*
 * The text of member `key` of o: a string as is, an integer or real
 * written out into buf, "" when absent or null.  false after rejecting the
 * record for another type.  *out points into o or buf.
 */
bool qa_ingest_json_text(qa_ingest_t *g, uint64_t line, json_t *o, const char *key, char *buf,
                         size_t buflen, const char **out);
/* Refuses members outside `allowed` (NULL-ended; x_ members are ignored); false after rejecting. */
bool qa_ingest_json_known(qa_ingest_t *g, uint64_t line, json_t *o, const char *const *allowed);
/* Reads the members of a spec into text values (v[i] as qa_ingest_json_text); false after
 * rejecting. */
bool qa_ingest_json_values(qa_ingest_t *g, uint64_t line, json_t *o, const qa_col_spec_t *spec,
                           size_t n, char (*bufs)[40], const char **v);

/* ---- qa_ingest.c ---- */

/*
 * Fills qa_stage_changed with the new and changed records (`changed_sql`
 * takes the tenant id), then counts them against `staged_sql` and lists
 * some updated ids.
 */
int qa_ingest_count_changes(qa_ingest_t *g, const char *changed_sql, const char *staged_sql);
/* Runs n statements; statement i takes the first nparams[i] of (tenant_id, batch_id). */
int qa_ingest_run_all(qa_ingest_t *g, const char *const *sql, const int *nparams, size_t n);

#endif
