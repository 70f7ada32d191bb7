/* sched_run.c - starting runs, moving them on, delivering (see sched_run.h). */
#include "sched_run.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "deliver.h"
#include "log.h"
#include "mail_msg.h"
#include "report_stale.h"
#include "report_store.h"
#include "scheduler.h"
#include "srvkey.h"
#include "sched_store.h"
#include "jsonutil.h"
#include "status.h"
#include "tenant.h"
#include "unsub_token.h"
#include "xmem.h"

#define MAX_CATCH_UP 24  /* periods looked at behind the latest due one */
#define LEASE_S      300 /* a claimed attempt not recorded by then is tried again */
#define BATCH        100 /* deliveries per look */

static int insert_notices(db_t *db, uint64_t tenant_id, const char *kind, uint64_t ref,
                          const char *schedule, uint64_t report_id, int64_t now);

/* The audit actor of a look. */
static void look_actor(const sched_look_t *look, char *out, size_t n)
{
    snprintf(out, n, "scheduler:%s", look->runner);
}

/* Hands an event to the look's callback and frees it. */
static void emit(sched_look_t *look, json_t *event)
{
    if (look->on_event)
        look->on_event(look->arg, event);
    json_decref(event);
}

/* Appends an event to the audit log (inside the caller's transaction). */
static int audit_event(db_t *db, const sched_look_t *look, uint64_t tenant_id, const char *action,
                       const char *object, const json_t *event)
{
    char actor[160];
    look_actor(look, actor, sizeof actor);
    char *detail = jsonutil_dumps(event, JSON_COMPACT | JSON_PRESERVE_ORDER);
    int rc = audit_append(db, actor, tenant_id, action, object, detail ? detail : "{}");
    free(detail);
    return rc;
}

/* A run that starts later than this after it could have is late. */
static int64_t tolerance(const config_t *cfg)
{
    int64_t t = 2 * (int64_t)cfg->sched_interval_s;
    return t > 120 ? t : 120;
}

/* The last instant a scheduler looked by the clock, or 0. */
static int64_t last_look(db_t *db)
{
    db_res_t *res = NULL;
    int64_t t = 0;
    if (db_exec(db, "SELECT last_tick FROM sched_ticks WHERE id = 1", NULL, 0, &res) == ST_OK &&
        db_res_next(res))
        t = db_res_i64(res, 0);
    db_res_free(res);
    return t;
}

int sched_record_look(db_t *db, const sched_look_t *look)
{
    if (!look->clock)
        return ST_OK;
    db_val_t p[] = {db_i64(look->now)};
    return db_exec(db, "UPDATE sched_ticks SET last_tick = GREATEST(last_tick, ?) WHERE id = 1", p,
                   1, NULL);
}

/* Why a run starting now is late: who was not looking. */
static void late_reason(const sstore_sched_t *s, int64_t due, int64_t ready, int64_t looked,
                        const sched_look_t *look, char *out, size_t n)
{
    char a[33], b[33], c[33];
    sstore_time(ready, a);
    sstore_time(look->now, b);
    sstore_time(looked, c);
    if (s->created_at > due) {
        sstore_time(s->created_at, c);
        snprintf(out, n, "the schedule was made at %s, after this period fell due (first_period)",
                 c);
    } else if (looked < ready) {
        snprintf(out, n,
                 "no scheduler looked between %s and %s: every instance was down (last look "
                 "before: %s)",
                 a, b, looked ? c : "never");
    } else {
        snprintf(out, n, "a scheduler looked at %s but did not start it (see the server log)", c);
    }
}

/* Creates the report jobs of run id, one per template of the list (the
 * schedule's, or those of a stale period made again).  How the period
 * closed is recorded with the run; the Cover reads it from there. */
static int create_reports(db_t *db, const sstore_sched_t *s, const json_t *templates,
                          uint64_t run_id, const char *period, const sched_look_t *look)
{
    tenant_t t;
    int rc = tenant_by_id(db, s->tenant_id, &t);
    if (rc != ST_OK)
        return rc;
    char actor[160], err[512];
    look_actor(look, actor, sizeof actor);
    principal_t operator_view = {.role = ROLE_ADMIN};
    size_t i;
    json_t *tpl;
    json_array_foreach(templates, i, tpl)
    {
        uint64_t rid = 0;
        const char *name = json_string_value(tpl);
        rc = rstore_create(db, &t, actor, &operator_view, period, name, look->now, look->now, &rid,
                           err, sizeof err);
        if (rc != ST_OK) {
            log_warn("scheduled report not queued", "schedule", s->name, "error", err, NULL);
            return rc;
        }
        db_val_t p[] = {db_u64(s->tenant_id), db_u64(run_id), db_str(name), db_u64(rid)};
        rc = db_exec(db,
                     "INSERT INTO schedule_run_reports (tenant_id, run_id, template, report_id) "
                     "VALUES (?,?,?,?)",
                     p, 4, NULL);
        if (rc != ST_OK)
            return rc;
    }
    return ST_OK;
}

/* The rest of starting run run_id once its INSERT went through (rc its
 * status): the audit entry and commit (a lost claim ends quietly), then its
 * report jobs for `templates`, and the event (taken over) for the look. */
static int run_inserted(db_t *db, const sstore_sched_t *s, const json_t *templates, uint64_t run_id,
                        const char *period, bool late, const char *object, json_t *event,
                        sched_look_t *look, int rc)
{
    if (rc == ST_OK)
        rc = audit_event(db, look, s->tenant_id, "schedule.run", object, event);
    if (rc == ST_OK)
        rc = db_commit(db);
    if (rc != ST_OK) {
        /* On Galera the loser of the key learns it at commit: a certification
         * conflict (1213) instead of a duplicate key.  Either way it lost. */
        bool lost = db_errno(db) == 1213;
        db_rollback(db);
        json_decref(event);
        return lost ? ST_OK : rc;
    }
    /* The run is ours: queue its reports. */
    sched_count(SCHED_RUN_STARTED);
    if (late)
        sched_count(SCHED_RUN_LATE);
    look->runs_started++;
    rc = create_reports(db, s, templates, run_id, period, look);
    if (rc != ST_OK) {
        db_val_t f[] = {db_str("its report jobs could not be queued"), db_i64(look->now),
                        db_u64(s->tenant_id), db_u64(run_id)};
        db_exec(db,
                "UPDATE schedule_runs SET status = 'failed', error = ?, finished_at = ? "
                "WHERE tenant_id = ? AND id = ?",
                f, 4, NULL);
        sched_count(SCHED_RUN_FAILED);
    }
    json_object_set_new(event, "status", json_string(rc == ST_OK ? "building" : "failed"));
    emit(look, event);
    return rc;
}

/* Tries to start the run of period p: the INSERT on its key is the claim. */
static int try_start(db_t *db, const sstore_sched_t *s, const tz_t *tz, sched_period_t p,
                     int64_t looked, sched_look_t *look)
{
    int64_t due = sched_due_at(tz, &s->when, p);
    sstore_close_t close;
    int rc =
        sstore_period_close(db, s->tenant_id, s->timezone, tz, p, look->cfg->sched_grace_h, &close);
    if (rc != ST_OK)
        return rc;
    int64_t ready = close.closed_at > due ? close.closed_at : due;
    if (close.closed_at > look->now) {
        if (look->now - due > tolerance(look->cfg))
            look->overdue++; /* due, waiting for its data */
        return ST_OK;
    }
    bool late = look->now - ready > tolerance(look->cfg);
    char reason[512] = "", period[8];
    sched_period_format(p, period);
    if (late)
        late_reason(s, due, ready, looked, look, reason, sizeof reason);
    if ((rc = db_begin(db)) != ST_OK)
        return rc;
    db_val_t v[] = {db_u64(s->tenant_id),
                    db_str(s->name),
                    db_str(period),
                    db_i64(due),
                    db_i64(close.closed_at),
                    db_str(close.explicit_close ? "explicit" : "grace"),
                    db_str(close.note),
                    db_i64(look->now),
                    db_i64(late),
                    late ? db_str(reason) : db_null(),
                    db_str(look->runner)};
    rc = db_exec(db,
                 "INSERT INTO schedule_runs (tenant_id, schedule, period, status, due_at, "
                 "closed_at, close_kind, close_note, started_at, late, late_reason, runner) "
                 "VALUES (?,?,?,'building',?,?,?,?,?,?,?,?)",
                 v, 11, NULL);
    if (rc == ST_ERR_CONFLICT) { /* another scheduler started it */
        db_rollback(db);
        return ST_OK;
    }
    uint64_t run_id = db_insert_id(db);
    char due_s[33], object[128];
    sstore_time(due, due_s);
    json_t *event = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:b, s:s, s:s}", "event", "run",
                              "run_id", (json_int_t)run_id, "tenant", s->tenant_slug, "schedule",
                              s->name, "period", period, "due_at", due_s, "late", late,
                              "late_reason", reason, "close", close.note);
    snprintf(object, sizeof object, "schedule:%s/%s", s->name, period);
    return run_inserted(db, s, json_object_get(s->spec, "templates"), run_id, period, late, object,
                        event, look, rc);
}

/* Starts the due runs of one schedule, oldest period first. */
static int start_schedule(db_t *db, const sstore_sched_t *s, int64_t looked, sched_look_t *look)
{
    tz_t *tz = NULL;
    char err[200];
    if (tz_load(s->timezone, &tz, err, sizeof err) != ST_OK) {
        log_warn("schedule skipped", "schedule", s->name, "error", err, NULL);
        return ST_OK;
    }
    sched_period_t latest = sched_due_latest(tz, &s->when, look->now), p = s->first;
    if (sched_period_cmp(p, sched_period_add(latest, -MAX_CATCH_UP)) < 0)
        p = sched_period_add(latest, -MAX_CATCH_UP);
    int rc = ST_OK;
    db_res_t *res = NULL;
    char first[8];
    sched_period_format(p, first);
    db_val_t k[] = {db_u64(s->tenant_id), db_str(s->name), db_str(first)};
    if (sched_period_cmp(p, latest) <= 0)
        rc = db_exec(db,
                     "SELECT period FROM schedule_runs WHERE tenant_id = ? AND schedule = ? "
                     "AND period >= ? AND reissue_of = 0",
                     k, 3, &res);
    /* The periods that ran already, as month numbers. */
    size_t nran = 0;
    int ran[MAX_CATCH_UP + 2];
    while (rc == ST_OK && res && db_res_next(res) && nran < MAX_CATCH_UP + 2) {
        sched_period_t q;
        if (sched_period_parse(db_res_str(res, 0, NULL), &q) == ST_OK)
            ran[nran++] = q.y * 12 + q.m;
    }
    for (; rc == ST_OK && sched_period_cmp(p, latest) <= 0; p = sched_period_add(p, 1)) {
        bool done = false;
        for (size_t i = 0; i < nran; i++)
            done = done || ran[i] == p.y * 12 + p.m;
        if (!done)
            rc = try_start(db, s, tz, p, looked, look);
    }
    db_res_free(res);
    tz_free(tz);
    return rc;
}

/* Tells the managers of every stale report (the current version of a
 * period whose data a later batch changed), once per highest such batch. */
static int notice_stale(db_t *db, sched_look_t *look)
{
    db_res_t *res = NULL;
    db_val_t p[] = {db_u64(look->tenant_id), db_u64(look->tenant_id)};
    int rc = db_exec(
        db,
        "SELECT r.tenant_id, r.id FROM reports r JOIN report_values v ON v.tenant_id = "
        "r.tenant_id AND v.report_id = r.id WHERE r.status = 'done' AND r.audience <> "
        "'portfolio' AND (? = 0 OR r.tenant_id = ?) AND v.seen_batch_id < (SELECT "
        "COALESCE(MAX(b.id), 0) FROM ingest_batches b WHERE b.tenant_id = r.tenant_id AND "
        "b.status = 'committed') AND NOT EXISTS (SELECT 1 FROM reports r2 WHERE r2.tenant_id = "
        "r.tenant_id AND r2.period = r.period AND r2.template = r.template AND r2.scope = "
        "r.scope AND r2.status = 'done' AND r2.version > r.version) ORDER BY r.tenant_id, r.id",
        p, 2, &res);
    while (rc == ST_OK && db_res_next(res)) {
        tenant_t t;
        rstale_batch_t *b = NULL;
        size_t n = 0;
        uint64_t report_id = (uint64_t)db_res_i64(res, 1);
        rc = tenant_by_id(db, (uint64_t)db_res_i64(res, 0), &t);
        if (rc == ST_OK)
            rc = rstale_report(db, &t, report_id, &b, &n);
        if (rc == ST_ERR_INVALID)
            rc = ST_OK; /* the tenant's zone cannot be read: nothing to say */
        if (rc == ST_OK && n > 0) {
            /* The schedule that made it, when one did: the notice lists under it. */
            db_res_t *sr = NULL;
            db_val_t q[] = {db_u64(t.id), db_u64(report_id)};
            char schedule[65] = "";
            if (db_exec(db,
                        "SELECT s.schedule FROM schedule_run_reports x JOIN schedule_runs s ON "
                        "s.tenant_id = x.tenant_id AND s.id = x.run_id WHERE x.tenant_id = ? AND "
                        "x.report_id = ?",
                        q, 2, &sr) == ST_OK &&
                db_res_next(sr))
                snprintf(schedule, sizeof schedule, "%s", db_res_str(sr, 0, NULL));
            db_res_free(sr);
            rc = insert_notices(db, t.id, "stale", b[n - 1].id, schedule, report_id, look->now);
        }
        free(b);
    }
    db_res_free(res);
    return rc;
}

/* Starts the run that makes period's stale reports of schedule s again
 * (those of `templates`), once per highest stale batch `max_batch`. */
static int try_reissue(db_t *db, const sstore_sched_t *s, const char *period, json_t *templates,
                       uint64_t max_batch, int64_t ready, const char *note, sched_look_t *look)
{
    int rc = db_begin(db);
    if (rc != ST_OK)
        return rc;
    db_val_t v[] = {db_u64(s->tenant_id), db_str(s->name),   db_str(period),
                    db_u64(max_batch),    db_i64(ready),     db_i64(ready),
                    db_str(note),         db_i64(look->now), db_str(look->runner)};
    rc = db_exec(db,
                 "INSERT INTO schedule_runs (tenant_id, schedule, period, reissue_of, status, "
                 "due_at, closed_at, close_kind, close_note, started_at, late, runner) "
                 "VALUES (?,?,?,?,'building',?,?,'grace',?,?,0,?)",
                 v, 9, NULL);
    if (rc == ST_ERR_CONFLICT) { /* another scheduler started it */
        db_rollback(db);
        return ST_OK;
    }
    uint64_t run_id = db_insert_id(db);
    char object[128];
    snprintf(object, sizeof object, "schedule:%s/%s", s->name, period);
    json_t *event = json_pack("{s:s, s:I, s:s, s:s, s:s, s:I, s:O, s:s}", "event", "run", "run_id",
                              (json_int_t)run_id, "tenant", s->tenant_slug, "schedule", s->name,
                              "period", period, "reissue_of", (json_int_t)max_batch, "templates",
                              templates, "close", note);
    return run_inserted(db, s, templates, run_id, period, false, object, event, look, rc);
}

/* For a schedule with "reissue_stale": every period it delivered whose
 * report is stale, once the grace after the last batch touching the
 * period has passed, gets a run that makes the stale reports again. */
static int reissue_schedule(db_t *db, const sstore_sched_t *s, sched_look_t *look)
{
    if (!json_is_true(json_object_get(s->spec, "reissue_stale")))
        return ST_OK;
    tenant_t t;
    int rc = tenant_by_id(db, s->tenant_id, &t);
    db_res_t *res = NULL;
    db_val_t k[] = {db_u64(s->tenant_id), db_str(s->name)};
    if (rc == ST_OK)
        rc = db_exec(db,
                     "SELECT DISTINCT period FROM schedule_runs WHERE tenant_id = ? AND "
                     "schedule = ? AND status = 'done' ORDER BY period",
                     k, 2, &res);
    while (rc == ST_OK && db_res_next(res)) {
        char period[8];
        snprintf(period, sizeof period, "%s", db_res_str(res, 0, NULL));
        json_t *stale = json_array();
        uint64_t max_batch = 0, last_batch = 0;
        int64_t last = 0;
        size_t i;
        json_t *tpl;
        json_array_foreach(json_object_get(s->spec, "templates"), i, tpl)
        {
            /* The template's current version, unless a newer one is on its way. */
            db_res_t *cur = NULL;
            db_val_t q[] = {db_u64(s->tenant_id), db_str(period), db_str(json_string_value(tpl))};
            rc = db_exec(db,
                         "SELECT MAX(IF(status = 'done', id, NULL)), "
                         "MAX(status IN ('queued','running') AND version > (SELECT COALESCE("
                         "MAX(version), 0) FROM reports d WHERE d.tenant_id = r.tenant_id AND "
                         "d.period = r.period AND d.template = r.template AND d.status = 'done')) "
                         "FROM reports r WHERE tenant_id = ? AND period = ? AND template = ?",
                         q, 3, &cur);
            uint64_t id = 0;
            if (rc == ST_OK && db_res_next(cur) && !db_res_is_null(cur, 0) && !db_res_i64(cur, 1))
                id = (uint64_t)db_res_i64(cur, 0);
            db_res_free(cur);
            rstale_batch_t *b = NULL;
            size_t n = 0;
            if (rc == ST_OK && id)
                rc = rstale_report(db, &t, id, &b, &n);
            if (rc == ST_ERR_INVALID)
                rc = ST_OK;
            for (size_t j = 0; j < n; j++) {
                max_batch = b[j].id > max_batch ? b[j].id : max_batch;
                if (b[j].received_at >= last)
                    last = b[j].received_at, last_batch = b[j].id;
            }
            if (n > 0)
                json_array_append(stale, tpl);
            free(b);
        }
        /* The grace counts from the last batch touching the period (any kind). */
        rstale_batch_t *all = NULL;
        size_t nall = 0;
        if (rc == ST_OK && json_array_size(stale) > 0)
            rc = rstale_batches(db, t.id, t.timezone, period, 0, 0, &all, &nall);
        for (size_t j = 0; rc == ST_OK && j < nall; j++)
            if (all[j].received_at >= last)
                last = all[j].received_at, last_batch = all[j].id;
        free(all);
        int64_t ready = last + look->cfg->sched_grace_h * 3600;
        if (rc == ST_OK && json_array_size(stale) > 0 && ready <= look->now) {
            char note[255], at[33];
            sstore_time(last, at);
            snprintf(note, sizeof note,
                     "stale: made again after the grace of %lld h after batch %" PRIu64
                     " (received %s), the last touching it",
                     look->cfg->sched_grace_h, last_batch, at);
            rc = try_reissue(db, s, period, stale, max_batch, ready, note, look);
        }
        json_decref(stale);
    }
    db_res_free(res);
    return rc;
}

int sched_start_due(db_t *db, sched_look_t *look)
{
    sstore_sched_t *list = NULL;
    size_t n = 0;
    int64_t looked = last_look(db);
    int rc = sstore_enabled(db, look->tenant_id, &list, &n);
    for (size_t i = 0; rc == ST_OK && i < n; i++)
        rc = start_schedule(db, &list[i], looked, look);
    for (size_t i = 0; rc == ST_OK && i < n; i++)
        rc = reissue_schedule(db, &list[i], look);
    if (rc == ST_OK)
        rc = notice_stale(db, look);
    for (size_t i = 0; i < n; i++)
        sstore_sched_clear(&list[i]);
    free(list);
    return rc;
}

int sched_queued_reports(db_t *db, const sched_look_t *look, uint64_t **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    db_res_t *res = NULL;
    db_val_t p[] = {db_u64(look->tenant_id), db_u64(look->tenant_id)};
    int rc = db_exec(db,
                     "SELECT x.report_id FROM schedule_runs s JOIN schedule_run_reports x ON "
                     "x.tenant_id = s.tenant_id AND x.run_id = s.id JOIN reports r ON "
                     "r.tenant_id = x.tenant_id AND r.id = x.report_id WHERE s.status = "
                     "'building' AND r.status = 'queued' AND (? = 0 OR s.tenant_id = ?) "
                     "ORDER BY x.report_id",
                     p, 2, &res);
    if (rc != ST_OK)
        return rc;
    *ids = xcalloc(db_res_count(res) + 1, sizeof **ids);
    while (db_res_next(res))
        (*ids)[(*n)++] = (uint64_t)db_res_i64(res, 0);
    db_res_free(res);
    return ST_OK;
}

/* Inserts the deliveries of one done report of a run. */
static int insert_deliveries(db_t *db, const sstore_sched_t *s, uint64_t run_id, uint64_t report,
                             int64_t now)
{
    int rc = ST_OK;
    size_t i;
    json_t *ch;
    json_array_foreach(json_object_get(s->spec, "channels"), i, ch)
    {
        bool email = strcmp(json_string_value(ch), "email") == 0;
        json_t *list = email ? json_object_get(s->spec, "recipients") : NULL;
        size_t n = email ? json_array_size(list) : 1;
        for (size_t k = 0; rc == ST_OK && k < n; k++) {
            json_t *r = email ? json_array_get(list, k) : NULL;
            const char *target = email ? json_string_value(json_object_get(r, "email"))
                                       : json_string_value(json_object_get(
                                             json_object_get(s->spec, "webhook"), "url"));
            const char *lang = email ? json_string_value(json_object_get(r, "lang")) : "en";
            bool opted_out = false;
            if (email && (rc = sstore_opted_out(db, s->tenant_id, s->name, target ? target : "",
                                                &opted_out)) != ST_OK)
                break;
            db_val_t v[] = {db_u64(s->tenant_id),
                            db_u64(run_id),
                            db_str(s->name),
                            db_u64(report),
                            db_str(json_string_value(ch)),
                            db_i64((int64_t)k),
                            db_str(target ? target : ""),
                            db_str(lang),
                            db_str(opted_out ? "skipped" : "pending"),
                            opted_out ? db_str("skipped: opted out") : db_null(),
                            db_i64(now),
                            db_i64(now)};
            rc = db_exec(db,
                         "INSERT INTO deliveries (tenant_id, run_id, schedule, report_id, channel, "
                         "seq, target, lang, status, last_error, next_attempt_at, created_at) "
                         "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                         v, 12, NULL);
        }
    }
    return rc;
}

/* Moves run (tenant, id) from building to delivering with its deliveries,
 * once: the conditional UPDATE decides who does it. */
static int start_delivering(db_t *db, uint64_t tenant_id, uint64_t run_id, const char *name,
                            sched_look_t *look)
{
    sstore_sched_t s = {0};
    int rc = sstore_load(db, tenant_id, name, &s);
    bool gone = rc == ST_ERR_NOT_FOUND;
    if (rc != ST_OK && !gone)
        return rc;
    db_res_t *res = NULL;
    if ((rc = db_begin(db)) != ST_OK)
        goto done;
    db_val_t p[] = {db_u64(tenant_id), db_u64(run_id)};
    rc = db_exec(db,
                 "UPDATE schedule_runs SET status = 'delivering' WHERE tenant_id = ? AND id = ? "
                 "AND status = 'building'",
                 p, 2, NULL);
    if (rc != ST_OK || db_affected(db) != 1) {
        db_rollback(db);
        goto done;
    }
    if (!gone) {
        rc = db_exec(db,
                     "SELECT report_id FROM schedule_run_reports WHERE tenant_id = ? AND "
                     "run_id = ? ORDER BY template",
                     p, 2, &res);
        while (rc == ST_OK && db_res_next(res))
            rc = insert_deliveries(db, &s, run_id, (uint64_t)db_res_i64(res, 0), look->now);
    }
    if (rc == ST_OK)
        rc = db_commit(db);
    if (rc != ST_OK)
        db_rollback(db);
done:
    db_res_free(res);
    sstore_sched_clear(&s);
    return rc == ST_ERR_CONFLICT ? ST_OK : rc;
}

/* Ends a run (done or failed) once, with its audit entry and counter. */
static int end_run(db_t *db, uint64_t tenant_id, uint64_t run_id, const char *from, const char *to,
                   const char *error, sched_look_t *look)
{
    int rc = db_begin(db);
    if (rc != ST_OK)
        return rc;
    db_val_t p[] = {db_str(to),        error ? db_str(error) : db_null(),
                    db_i64(look->now), db_u64(tenant_id),
                    db_u64(run_id),    db_str(from)};
    rc = db_exec(db,
                 "UPDATE schedule_runs SET status = ?, error = ?, finished_at = ? "
                 "WHERE tenant_id = ? AND id = ? AND status = ?",
                 p, 6, NULL);
    if (rc != ST_OK || db_affected(db) != 1) {
        db_rollback(db);
        return rc;
    }
    char object[48];
    snprintf(object, sizeof object, "schedule_run:%" PRIu64, run_id);
    json_t *event = json_pack("{s:s, s:I, s:s, s:s?}", "event", "run_end", "run_id",
                              (json_int_t)run_id, "status", to, "error", error);
    rc = audit_event(db, look, tenant_id,
                     strcmp(to, "done") == 0 ? "schedule.run.done" : "schedule.run.failed", object,
                     event);
    if (rc == ST_OK)
        rc = db_commit(db);
    if (rc != ST_OK) {
        db_rollback(db);
        json_decref(event);
        return rc;
    }
    sched_count(strcmp(to, "done") == 0 ? SCHED_RUN_DONE : SCHED_RUN_FAILED);
    emit(look, event);
    return ST_OK;
}

int sched_advance(db_t *db, sched_look_t *look)
{
    db_res_t *res = NULL;
    db_val_t p[] = {db_u64(look->tenant_id), db_u64(look->tenant_id)};
    int rc = db_exec(
        db,
        "SELECT s.tenant_id, s.id, s.schedule, s.status, "
        "SUM(r.status = 'done'), SUM(r.status = 'failed'), COUNT(r.id), "
        "(SELECT COUNT(*) FROM deliveries d WHERE d.tenant_id = s.tenant_id AND d.run_id = s.id "
        "AND d.status IN ('pending','sending')), MAX(r.error) "
        "FROM schedule_runs s LEFT JOIN schedule_run_reports x ON x.tenant_id = s.tenant_id AND "
        "x.run_id = s.id LEFT JOIN reports r ON r.tenant_id = x.tenant_id AND r.id = x.report_id "
        "WHERE s.status IN ('building','delivering') AND (? = 0 OR s.tenant_id = ?) "
        "GROUP BY s.tenant_id, s.id, s.schedule, s.status ORDER BY s.id",
        p, 2, &res);
    while (rc == ST_OK && db_res_next(res)) {
        uint64_t tid = (uint64_t)db_res_i64(res, 0), id = (uint64_t)db_res_i64(res, 1);
        const char *status = db_res_str(res, 3, NULL);
        int64_t done = db_res_i64(res, 4), failed = db_res_i64(res, 5), total = db_res_i64(res, 6);
        if (strcmp(status, "building") == 0 && failed > 0) {
            char why[600];
            snprintf(why, sizeof why, "a report failed: %s",
                     db_res_str(res, 8, NULL) ? db_res_str(res, 8, NULL) : "(no reason)");
            rc = end_run(db, tid, id, "building", "failed", why, look);
        } else if (strcmp(status, "building") == 0 && total > 0 && done == total) {
            rc = start_delivering(db, tid, id, db_res_str(res, 2, NULL), look);
        } else if (strcmp(status, "delivering") == 0 && db_res_i64(res, 7) == 0) {
            rc = end_run(db, tid, id, "delivering", "done", NULL, look);
        }
    }
    db_res_free(res);
    return rc;
}

/* A claimed delivery. */
typedef struct claim {
    uint64_t tenant_id, id, run_id, report_id, ref;
    char schedule[65], channel[8], target[2049], lang[3], kind[8];
    int attempt; /* this attempt's number, over the delivery's life */
    int round;   /* its number since the delivery was queued or retried by hand */
} claim_t;

#define LINK_MAX 1400 /* a link with an opt-out token */

/* The opt-out links of a report e-mail's recipient: the confirm page, and
 * the one-click URL of List-Unsubscribe (RFC 8058). */
static int unsub_links(db_t *db, const claim_t *c, const sched_look_t *look, char page[LINK_MAX],
                       char post[LINK_MAX])
{
    uint8_t key[SRVKEY_LEN];
    int rc = srvkey_get(db, SCHED_UNSUB_KEY, look->now, key);
    if (rc != ST_OK)
        return rc;
    unsub_who_t who = {.tenant_id = c->tenant_id};
    snprintf(who.schedule, sizeof who.schedule, "%s", c->schedule);
    snprintf(who.email, sizeof who.email, "%s", c->target);
    char tok[UNSUB_TOKEN_MAX];
    rc = unsub_token_make(key, sizeof key, &who, tok);
    if (rc == ST_OK) {
        snprintf(page, LINK_MAX, "%s/unsubscribe?token=%s", look->cfg->public_url, tok);
        snprintf(post, LINK_MAX, "%s/v1/unsubscribe?token=%s", look->cfg->public_url, tok);
    }
    return rc;
}

/* The ids of the batches that made a report stale, as "12, 13", into out
 * ("up to <ref>" when it is no longer stale: a later version replaced it). */
static void stale_text(db_t *db, const tenant_t *t, const claim_t *c, char *out, size_t n)
{
    rstale_batch_t *b = NULL;
    size_t nb = 0, o = 0;
    out[0] = '\0';
    if (rstale_report(db, t, c->report_id, &b, &nb) == ST_OK)
        for (size_t i = 0; i < nb && o + 24 < n; i++)
            o += (size_t)snprintf(out + o, n - o, "%s%" PRIu64, i ? ", " : "", b[i].id);
    if (!out[0])
        snprintf(out, n, "%" PRIu64, c->ref);
    free(b);
}

/* Sends a notice to a manager (kind stale or paused); err says why it failed. */
static int send_notice(db_t *db, const claim_t *c, const tenant_t *t, sched_look_t *look, char *err,
                       size_t errlen)
{
    json_t *meta = NULL;
    db_res_t *res = NULL;
    buf_t msg;
    buf_init(&msg, 1 << 20);
    char link[512], batches[400] = "", mid[128];
    mail_notice_t n = {.tenant_name = t->name, .link = link, .batches = batches};
    int rc = ST_OK;
    if (strcmp(c->kind, "stale") == 0) {
        n.kind = MAIL_NOTICE_STALE;
        if ((rc = rstore_get(db, t, c->report_id, &meta)) != ST_OK) {
            st_errf(err, errlen, "report %" PRIu64 " cannot be read", c->report_id);
            goto done;
        }
        n.period = json_string_value(json_object_get(meta, "period"));
        n.template_name = json_string_value(json_object_get(meta, "template"));
        n.version = (int)json_integer_value(json_object_get(meta, "version"));
        stale_text(db, t, c, batches, sizeof batches);
        snprintf(link, sizeof link, "%s/v1/tenants/%s/reports/%" PRIu64, look->cfg->public_url,
                 t->slug, c->report_id);
    } else {
        n.kind = MAIL_NOTICE_PAUSED;
        n.schedule = c->schedule;
        db_val_t k[] = {db_u64(c->tenant_id), db_str(c->schedule)};
        rc = db_exec(db, "SELECT paused_reason FROM schedules WHERE tenant_id = ? AND name = ?", k,
                     2, &res);
        const char *why = rc == ST_OK && db_res_next(res) ? db_res_str(res, 0, NULL) : NULL;
        n.reason = why ? why : "dead-lettered deliveries";
        snprintf(link, sizeof link, "%s/v1/tenants/%s/schedules/%s/deliveries",
                 look->cfg->public_url, t->slug, c->schedule);
    }
    snprintf(mid, sizeof mid, "notice-%" PRIu64 ".%" PRIu64 "@slattest", c->id, c->tenant_id);
    rc = mail_compose_notice(look->cfg->smtp_from, c->target, c->lang, look->now, mid, &n, &msg);
    if (rc != ST_OK)
        st_errf(err, errlen, "the notice cannot be written (from %s, to %s)", look->cfg->smtp_from,
                c->target);
    else
        rc = dlv_smtp_send(look->cfg, c->target, msg.data, msg.len, err, errlen);
done:
    db_res_free(res);
    json_decref(meta);
    buf_free(&msg);
    return rc;
}

/* Sends one claimed delivery; err says why it failed. */
static int send_one(db_t *db, const claim_t *c, sched_look_t *look, char *err, size_t errlen)
{
    tenant_t t;
    json_t *meta = NULL;
    sstore_sched_t s = {0};
    char *text = NULL;
    buf_t msg;
    buf_init(&msg, 1 << 20);
    int rc = tenant_by_id(db, c->tenant_id, &t);
    if (rc == ST_OK && strcmp(c->kind, "report") != 0) {
        rc = send_notice(db, c, &t, look, err, errlen);
        goto done;
    }
    if (rc == ST_OK && (rc = rstore_get(db, &t, c->report_id, &meta)) != ST_OK)
        st_errf(err, errlen, "report %" PRIu64 " cannot be read", c->report_id);
    if (rc != ST_OK)
        goto done;
    const char *sha = json_string_value(json_object_get(meta, "sha256"));
    const char *period = json_string_value(json_object_get(meta, "period"));
    const char *tpl = json_string_value(json_object_get(meta, "template"));
    int version = (int)json_integer_value(json_object_get(meta, "version"));
    char link[512];
    snprintf(link, sizeof link, "%s/v1/tenants/%s/reports/%" PRIu64, look->cfg->public_url, t.slug,
             c->report_id);
    if (strcmp(c->channel, "email") == 0) {
        char page[LINK_MAX], post[LINK_MAX];
        mail_unsub_t unsub = {page, post};
        if ((rc = unsub_links(db, c, look, page, post)) != ST_OK) {
            st_errf(err, errlen, "the opt-out link cannot be made");
            goto done;
        }
        mail_report_t r = {t.name,  period,         tpl,
                           version, sha ? sha : "", look->ca_fingerprint,
                           link,    c->schedule,    &unsub};
        char mid[128];
        snprintf(mid, sizeof mid, "delivery-%" PRIu64 ".%" PRIu64 "@slattest", c->id, c->tenant_id);
        rc = mail_compose(look->cfg->smtp_from, c->target, c->lang, look->now, mid, &r, &msg);
        if (rc != ST_OK)
            st_errf(err, errlen, "the message cannot be written (from %s, to %s)",
                    look->cfg->smtp_from, c->target);
        else
            rc = dlv_smtp_send(look->cfg, c->target, msg.data, msg.len, err, errlen);
    } else {
        rc = sstore_load(db, c->tenant_id, c->schedule, &s);
        if (rc != ST_OK || !s.secret) {
            st_errf(err, errlen, "the schedule or its webhook secret is gone");
            rc = ST_ERR_NOT_FOUND;
            goto done;
        }
        char wb[560], sig[560];
        snprintf(wb, sizeof wb, "%s/workbook", link);
        snprintf(sig, sizeof sig, "%s/signature", link);
        json_t *body = json_pack(
            "{s:s, s:I, s:s, s:s, s:s, s:s, s:I, s:i, s:s, s:s, s:{s:s, s:s, s:s}}", "event",
            "report.ready", "delivery_id", (json_int_t)c->id, "schedule", c->schedule, "tenant",
            t.slug, "period", period, "template", tpl, "report_id", (json_int_t)c->report_id,
            "version", version, "sha256", sha ? sha : "", "ca_fingerprint", look->ca_fingerprint,
            "links", "report", link, "workbook", wb, "signature", sig);
        text = jsonutil_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(body);
        long status = 0;
        /* The signature's time is the sender's clock, whatever instant the look is for. */
        rc = dlv_webhook_post(look->cfg, c->target, s.secret, (int64_t)time(NULL), text,
                              strlen(text), &status, err, errlen);
    }
done:
    buf_free(&msg);
    free(text);
    json_decref(meta);
    sstore_sched_clear(&s);
    return rc;
}

/* Queues a notice (kind "stale" or "paused") to every manager of the
 * tenant with a portal account, once: (kind, ref, report, seq) is the
 * deliveries' unique key, so a second call for the same ref adds nothing. */
static int insert_notices(db_t *db, uint64_t tenant_id, const char *kind, uint64_t ref,
                          const char *schedule, uint64_t report_id, int64_t now)
{
    db_res_t *res = NULL;
    db_val_t k[] = {db_u64(tenant_id)};
    int rc = db_exec(db,
                     "SELECT p.email FROM people p JOIN person_grants g ON g.person_id = p.id "
                     "WHERE g.tenant_id = ? AND p.role = 'manager' AND p.disabled_at IS NULL "
                     "ORDER BY p.email",
                     k, 1, &res);
    for (int64_t seq = 0; rc == ST_OK && db_res_next(res); seq++) {
        db_val_t v[] = {db_u64(tenant_id),
                        db_str(kind),
                        db_u64(ref),
                        db_str(schedule),
                        db_u64(report_id),
                        db_i64(seq),
                        db_str(db_res_str(res, 0, NULL)),
                        db_i64(now),
                        db_i64(now)};
        rc = db_exec(db,
                     "INSERT INTO deliveries (tenant_id, run_id, kind, ref, schedule, report_id, "
                     "channel, seq, target, lang, status, next_attempt_at, created_at) "
                     "VALUES (?,0,?,?,?,?,'email',?,?,'en','pending',?,?)",
                     v, 9, NULL);
        if (rc == ST_ERR_CONFLICT)
            rc = ST_OK; /* told already */
    }
    db_res_free(res);
    return rc;
}

/* Records an attempt's outcome: the attempt row, the delivery's new state,
 * the schedule's failure count (pausing it after too many), the audit entry. */
static int record(db_t *db, const claim_t *c, int outcome, const char *err, sched_look_t *look)
{
    const config_t *cfg = look->cfg;
    bool sent = outcome == ST_OK;
    bool dead = !sent && c->round >= cfg->sched_max_attempts;
    int64_t next = look->now + (cfg->sched_retry_base_s << (c->round - 1 < 20 ? c->round - 1 : 20));
    const char *status = sent ? "sent" : dead ? "dead" : "pending";
    int rc = db_begin(db);
    if (rc != ST_OK)
        return rc;
    db_val_t a[] = {db_u64(c->tenant_id),
                    db_u64(c->id),
                    db_i64(c->attempt),
                    db_i64(look->now),
                    db_str(sent ? "sent" : "failed"),
                    db_str(sent ? "accepted" : err),
                    db_str(look->runner)};
    rc = db_exec(db,
                 "INSERT INTO delivery_attempts (tenant_id, delivery_id, attempt, at, outcome, "
                 "detail, runner) VALUES (?,?,?,?,?,?,?)",
                 a, 7, NULL);
    db_val_t u[] = {db_str(status),
                    db_i64(next),
                    sent ? db_null() : db_str(err),
                    sent ? db_i64(look->now) : db_null(),
                    db_u64(c->tenant_id),
                    db_u64(c->id),
                    db_i64(c->attempt)};
    if (rc == ST_OK)
        rc = db_exec(db,
                     "UPDATE deliveries SET status = ?, next_attempt_at = ?, last_error = ?, "
                     "sent_at = ?, lease_until = NULL WHERE tenant_id = ? AND id = ? AND "
                     "status = 'sending' AND attempts = ?",
                     u, 7, NULL);
    if (rc == ST_OK && db_affected(db) != 1)
        rc = ST_ERR_CONFLICT; /* the lease ran out and someone else took it */
    bool paused = false;
    db_res_t *res = NULL;
    db_val_t k[] = {db_u64(c->tenant_id), db_str(c->schedule)};
    bool report = strcmp(c->kind, "report") == 0; /* a notice does not count for pausing */
    if (rc == ST_OK && sent && report)
        rc = db_exec(db, "UPDATE schedules SET dead_in_row = 0 WHERE tenant_id = ? AND name = ?", k,
                     2, NULL);
    if (rc == ST_OK && dead && report) {
        char reason[400];
        snprintf(reason, sizeof reason,
                 "paused after %lld dead-lettered deliveries in a row (the last: %.200s)",
                 cfg->sched_pause_after, err);
        db_val_t d[] = {db_i64(cfg->sched_pause_after), db_i64(cfg->sched_pause_after),
                        db_str(reason), k[0], k[1]};
        rc = db_exec(db,
                     "UPDATE schedules SET enabled = IF(dead_in_row + 1 >= ?, 0, enabled), "
                     "paused_reason = IF(dead_in_row + 1 >= ?, ?, paused_reason), "
                     "dead_in_row = dead_in_row + 1 WHERE tenant_id = ? AND name = ?",
                     d, 5, NULL);
        if (rc == ST_OK)
            rc = db_exec(db,
                         "SELECT enabled = 0 AND paused_reason IS NOT NULL FROM schedules "
                         "WHERE tenant_id = ? AND name = ?",
                         k, 2, &res);
        paused = rc == ST_OK && db_res_next(res) && db_res_i64(res, 0);
        db_res_free(res);
        /* The managers are told once: this dead delivery is the notices' key. */
        if (paused)
            rc = insert_notices(db, c->tenant_id, "paused", c->id, c->schedule, 0, look->now);
    }
    char object[48], next_s[33];
    snprintf(object, sizeof object, "delivery:%" PRIu64, c->id);
    sstore_time(next, next_s);
    json_t *event =
        json_pack("{s:s, s:I, s:I, s:I, s:s, s:s, s:s, s:i, s:s, s:s?, s:s?}", "event", "delivery",
                  "delivery_id", (json_int_t)c->id, "run_id", (json_int_t)c->run_id, "report_id",
                  (json_int_t)c->report_id, "channel", c->channel, "to", c->target, "schedule",
                  c->schedule, "attempt", c->attempt, "status", status, "error", sent ? NULL : err,
                  "next_attempt_at", sent || dead ? NULL : next_s);
    if (rc == ST_OK)
        rc = audit_event(db, look, c->tenant_id, "delivery.attempt", object, event);
    if (rc == ST_OK && paused) {
        char sched_object[96];
        snprintf(sched_object, sizeof sched_object, "schedule:%s", c->schedule);
        rc = audit_event(db, look, c->tenant_id, "schedule.pause", sched_object, event);
    }
    if (rc == ST_OK)
        rc = db_commit(db);
    if (rc != ST_OK) {
        db_rollback(db);
        json_decref(event);
        /* A conflict: the lease ran out mid-attempt and another look took it over. */
        log_warn("delivery attempt not recorded", "delivery", object, "error",
                 rc == ST_ERR_CONFLICT ? "taken over by another scheduler" : db_error(db), NULL);
        return rc == ST_ERR_CONFLICT ? ST_OK : rc;
    }
    bool email = strcmp(c->channel, "email") == 0;
    sched_count(sent   ? (email ? SCHED_EMAIL_SENT : SCHED_WEBHOOK_SENT)
                : dead ? (email ? SCHED_EMAIL_DEAD : SCHED_WEBHOOK_DEAD)
                       : (email ? SCHED_EMAIL_RETRY : SCHED_WEBHOOK_RETRY));
    if (paused)
        log_warn("schedule paused", "schedule", c->schedule, "error", err, NULL);
    emit(look, event);
    return ST_OK;
}

int sched_deliver_due(db_t *db, sched_look_t *look)
{
    db_res_t *res = NULL;
    db_val_t p[] = {db_i64(look->now), db_i64(look->now), db_u64(look->tenant_id),
                    db_u64(look->tenant_id), db_i64(BATCH)};
    int rc = db_exec(db,
                     "SELECT tenant_id, id, run_id, report_id, schedule, channel, target, lang, "
                     "status, attempts, attempts - retried_at_attempt, kind, ref FROM deliveries "
                     "WHERE "
                     "((status = 'pending' AND "
                     "next_attempt_at <= ?) OR (status = 'sending' AND lease_until < ?)) AND "
                     "(? = 0 OR tenant_id = ?) ORDER BY next_attempt_at, id LIMIT ?",
                     p, 5, &res);
    while (rc == ST_OK && db_res_next(res)) {
        claim_t c = {.tenant_id = (uint64_t)db_res_i64(res, 0),
                     .id = (uint64_t)db_res_i64(res, 1),
                     .run_id = (uint64_t)db_res_i64(res, 2),
                     .report_id = (uint64_t)db_res_i64(res, 3),
                     .attempt = (int)db_res_i64(res, 9) + 1,
                     .round = (int)db_res_i64(res, 10) + 1};
        snprintf(c.schedule, sizeof c.schedule, "%s", db_res_str(res, 4, NULL));
        snprintf(c.channel, sizeof c.channel, "%s", db_res_str(res, 5, NULL));
        snprintf(c.target, sizeof c.target, "%s", db_res_str(res, 6, NULL));
        snprintf(c.lang, sizeof c.lang, "%s", db_res_str(res, 7, NULL));
        snprintf(c.kind, sizeof c.kind, "%s", db_res_str(res, 11, NULL));
        c.ref = (uint64_t)db_res_i64(res, 12);
        /* The claim: only one UPDATE finds the status and count it read. */
        db_val_t u[] = {db_i64(look->now + LEASE_S), db_u64(c.tenant_id), db_u64(c.id),
                        db_str(db_res_str(res, 8, NULL)), db_i64(c.attempt - 1)};
        rc = db_exec(db,
                     "UPDATE deliveries SET status = 'sending', attempts = attempts + 1, "
                     "lease_until = ? WHERE tenant_id = ? AND id = ? AND status = ? AND "
                     "attempts = ?",
                     u, 5, NULL);
        if (rc != ST_OK || db_affected(db) != 1)
            continue;
        char err[1024] = "";
        int sent = send_one(db, &c, look, err, sizeof err);
        if (sent != ST_OK && !err[0])
            snprintf(err, sizeof err, "%s", st_strerror(sent));
        look->attempts++;
        rc = record(db, &c, sent, err, look);
    }
    db_res_free(res);
    return rc;
}

int sched_finish_look(db_t *db, sched_look_t *look)
{
    int rc = sched_advance(db, look);
    if (rc == ST_OK)
        rc = sched_deliver_due(db, look);
    if (rc == ST_OK)
        rc = sched_advance(db, look);
    if (rc == ST_OK)
        rc = sched_record_look(db, look);
    return rc;
}
