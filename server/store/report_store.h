/*
 * report_store.h - report jobs and their artifacts in the database.
 *
 * A report is a row of `reports` that goes queued -> running -> done (or
 * failed, with the reason).  Workers claim the oldest queued job, or a
 * running one whose heartbeat is stale (its server died), with SELECT ...
 * FOR UPDATE SKIP LOCKED, so two instances never build the same report.
 * A done report's workbook and signature are stored in report_artifacts, so
 * any instance can serve any report, and it never changes: generating the
 * same period and template again makes the next version, which supersedes
 * the previous one.
 *
 * A portfolio report (audience "portfolio") is requested under one tenant
 * and covers the tenants the requesting principal may see at that moment
 * (auth_may_see: an admin, and the command line, every tenant); the set is
 * stored with the job (report_covers), so a rebuild covers the same tenants.
 * Only a principal that may see every covered tenant sees the report at
 * all (rstore_visible); the others get 404 like for a missing report.  Its
 * versions follow the set: another set starts its own version 1.
 *
 * Functions run on the caller's thread with the caller's connection.
 */
#ifndef SLT_REPORT_STORE_H
#define SLT_REPORT_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "auth.h"
#include "buf.h"
#include "db.h"
#include "tenant.h"

#define RSTORE_MAX_ATTEMPTS 3   /* after this many claims a job fails */
#define RSTORE_CLOCK_SKEW_S 300 /* how far a requested generated_at may run ahead of now */

/* A claimed job: what the builder needs. */
typedef struct rstore_job {
    uint64_t tenant_id, id;
    char period[8]; /* YYYY-MM */
    char template_name[65];
    char audience[16]; /* client, internal, portfolio */
    int version;
    uint64_t supersedes;  /* the report this version supersedes, or 0 */
    int64_t generated_at; /* epoch seconds */
    char worker[128];     /* a claimed job: who claimed it (rstore_claim's who) */
    int attempt;          /* a claimed job: which attempt this claim is (1, 2, ...) */
} rstore_job_t;

/* The audience of a known template name, or NULL for an unknown one. */
const char *rstore_template_audience(const char *template_name);
/* Every template's name, NULL-ended (static strings), for messages that list them. */
#define RSTORE_TEMPLATES 3
void rstore_template_names(const char *out[RSTORE_TEMPLATES + 1]);

/*
 * Queues a report (period YYYY-MM, a known template, generated_at epoch
 * seconds) with its version and supersedes link; appends an audit entry
 * (period, template, version, generated_at).  generated_at must lie between
 * the end of the period (local midnight after the month, in the tenant's
 * zone and, for a portfolio, in every covered tenant's) and now plus
 * RSTORE_CLOCK_SKEW_S, where now is the caller's clock: time(NULL), except
 * for `slattest schedule run-due --now T`, whose runs happen at T (an
 * operator's simulated clock; the server's scheduler always uses the real
 * one).  A rebuild (rstore_job) keeps the stored value.
 * For a portfolio template the covered tenants are those `scope` may see
 * (every tenant for an admin principal), recorded with the job and named
 * in the audit entry.  ST_ERR_INVALID with the reason in err.
 */
int rstore_create(db_t *db, const tenant_t *t, const char *actor, const principal_t *scope,
                  const char *period, const char *template_name, int64_t generated_at, int64_t now,
                  uint64_t *id, char *err, size_t errlen);

/*
 * The tenants a portfolio report covers, sorted by slug, into a new array
 * *out (the caller frees it) of *n; none for any other report.  Caller's
 * thread and connection.
 */
int rstore_covers(db_t *db, uint64_t tenant_id, uint64_t id, tenant_t **out, size_t *n);

/*
 * Whether principal p may see report `meta` (rstore_get/rstore_list JSON)
 * of tenant tenant_id, which p may see: a client only its client reports;
 * a portfolio only a principal that may see every covered tenant, and then
 * meta gains "tenants" (the covered slugs).  ST_OK with *visible, or a db
 * status.
 */
int rstore_visible(db_t *db, const principal_t *p, uint64_t tenant_id, json_t *meta, bool *visible);

/* Report metadata as JSON (INTERFACES.md), or ST_ERR_NOT_FOUND. */
int rstore_get(db_t *db, const tenant_t *t, uint64_t id, json_t **out);
/* The reports of a tenant; client_only keeps the client audience. */
int rstore_list(db_t *db, const tenant_t *t, bool client_only, json_t **out);
/* An artifact ("workbook" or "signature") into out; ST_ERR_NOT_FOUND when absent. */
int rstore_artifact(db_t *db, uint64_t tenant_id, uint64_t id, const char *kind, buf_t *out);

/*
 * Claims the next job (oldest queued, or a running one whose heartbeat is
 * older than stale_s seconds: its server died) for worker `who`.
 * ST_ERR_NOT_FOUND when there is none.  only_id, when non-zero, claims that
 * job only (the CLI runs its own).  The builder keeps the heartbeat fresh
 * (heartbeat.h).
 */
int rstore_claim(db_t *db, const char *who, uint64_t only_id, int stale_s, rstore_job_t *job);
/* Reads a report's job fields by id (any status), to rebuild it. */
int rstore_job(db_t *db, uint64_t id, rstore_job_t *job, char *sha256_hex);
/* Records progress (0-100) and refreshes the heartbeat, while the claim holds. */
int rstore_progress(db_t *db, const rstore_job_t *job, int progress);

/* What a finished build hands to rstore_finish(). */
typedef struct rstore_result {
    /* The workbook: a file open for reading, sent from offset 0 in pieces
     * (db_file()), so it is never whole in memory and a retried transaction
     * sends it again; its length and SHA-256 (known from signing it). */
    int workbook_fd;
    uint64_t workbook_len;
    uint8_t workbook_sha256[32];
    const void *signature;
    size_t signature_len;
    char data_digest[65];
    char signer_fingerprint[65];
    char signer[512];
    /* The values the workbook shows (the canonical text of its data digest),
     * with the batch ids of report_changes.h, for the Changes sheets of the
     * next version; values NULL for a workbook without them. */
    const void *values;
    size_t values_len;
    uint64_t seen_batch_id, listed_batch_id;
} rstore_result_t;

/* Stores the artifacts (and the values, when given) and marks the job done,
 * with an audit entry, in one transaction, if the claim that built it still
 * holds (running, same worker and attempt); ST_ERR_CONFLICT when another
 * worker took the job over meanwhile (nothing is stored then). */
int rstore_finish(db_t *db, const rstore_job_t *job, const rstore_result_t *r);
/* Marks a claimed job failed with the reason, if the claim still holds
 * (otherwise it changes nothing: the job is another worker's). */
int rstore_fail(db_t *db, const rstore_job_t *job, const char *reason);

/*
 * Finds a done report by the SHA-256 of its workbook (hex); fills the
 * metadata JSON (with "tenant") or ST_ERR_NOT_FOUND.
 */
int rstore_find_by_sha256(db_t *db, const char *sha256_hex, json_t **out);

#endif
