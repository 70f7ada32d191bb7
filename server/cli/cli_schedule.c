/*
 * cli_schedule.c - `slattest schedule list [SLUG]` and `slattest schedule
 * run-due [--now INSTANT] [--tenant SLUG]`: the operator's view of report
 * schedules, and one look of a scheduler in this process, with its own
 * configuration: start what is due at that instant (by the clock when no
 * --now), build the reports here, sign and store them, deliver, print each
 * run and delivery as a JSON line, and return.  Two of these at once (or
 * with servers) still make one run and one delivery (sched_run.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "deliver.h"
#include "jobs.h"
#include "rfc3339.h"
#include "sched_run.h"
#include "sched_store.h"
#include "scheduler.h"
#include "signing.h"
#include "jsonutil.h"
#include "status.h"
#include "tenant.h"

/* Prints one event of the look as a JSON line. */
static void print_event(void *arg, const json_t *event)
{
    (void)arg;
    char *text = jsonutil_dumps(event, JSON_COMPACT | JSON_PRESERVE_ORDER);
    printf("%s\n", text ? text : "{}");
    fflush(stdout);
    free(text);
}

/* `schedule list [SLUG]`: every schedule with its next run. */
static int list(config_t *cfg, const char *slug)
{
    db_t *db = cli_open_db(cfg);
    if (!db)
        return 1;
    tenant_t *tenants = NULL;
    size_t n = 0;
    principal_t all = {.role = ROLE_ADMIN};
    int code = 1;
    if (tenant_list(db, &all, &tenants, &n) != ST_OK) {
        fprintf(stderr, "slattest: %s\n", db_error(db));
        goto done;
    }
    bool found = !slug;
    for (size_t i = 0; i < n; i++) {
        if (slug && strcmp(slug, tenants[i].slug) != 0)
            continue;
        found = true;
        json_t *scheds = NULL;
        if (sstore_list(db, &tenants[i], (int64_t)time(NULL), &scheds) != ST_OK) {
            fprintf(stderr, "slattest: %s\n", db_error(db));
            goto done;
        }
        size_t k;
        json_t *s;
        json_array_foreach(scheds, k, s)
        {
            json_t *next = json_object_get(s, "next_run");
            const char *paused = json_string_value(json_object_get(s, "paused_reason"));
            printf("%s/%s  %s  day %" JSON_INTEGER_FORMAT "%s %s %s  next: %s due %s%s%s\n",
                   tenants[i].slug, json_string_value(json_object_get(s, "name")),
                   json_is_true(json_object_get(s, "enabled")) ? "enabled" : "paused",
                   json_integer_value(json_object_get(s, "day")),
                   json_is_true(json_object_get(s, "business_days")) ? " (business)" : "",
                   json_string_value(json_object_get(s, "time")), tenants[i].timezone,
                   json_string_value(json_object_get(next, "period")),
                   json_string_value(json_object_get(next, "due_at")), paused ? "  paused: " : "",
                   paused ? paused : "");
        }
        json_decref(scheds);
    }
    if (!found)
        fprintf(stderr, "slattest: no tenant '%s'\n", slug);
    code = found ? 0 : 1;
done:
    free(tenants);
    db_close(db);
    return code;
}

/* `schedule run-due [--now INSTANT] [--tenant SLUG]`. */
static int run_due(config_t *cfg, const char *now_text, const char *slug)
{
    int64_t now = (int64_t)time(NULL);
    if (now_text) {
        int64_t us = 0;
        char err[120];
        if (rfc3339_parse(now_text, strlen(now_text), &us, err, sizeof err) != ST_OK) {
            fprintf(stderr, "slattest: --now: an RFC 3339 instant with an offset (%s)\n", err);
            return 2;
        }
        now = us / 1000000;
    }
    char err[512] = "", who[64], ca_fp[65];
    signing_t *signing = NULL;
    if (signing_load(cfg, &signing, err, sizeof err) != ST_OK) {
        fprintf(stderr, "slattest: report signing: %s\n", err);
        return 1;
    }
    int code = 1;
    uint64_t *ids = NULL;
    size_t n = 0;
    db_t *db = cli_open_db(cfg);
    dlv_init();
    snprintf(who, sizeof who, "cli:%d", (int)getpid());
    sched_ca_fingerprint(signing, ca_fp);
    sched_look_t look = {.cfg = cfg,
                         .ca_fingerprint = ca_fp,
                         .runner = who,
                         .now = now,
                         .clock = now_text == NULL,
                         .on_event = print_event};
    if (!db)
        goto done;
    if (slug) {
        tenant_t t;
        if (tenant_by_slug(db, slug, &t) != ST_OK) {
            fprintf(stderr, "slattest: no tenant '%s'\n", slug);
            goto done;
        }
        look.tenant_id = t.id;
    }
    int rc = sched_start_due(db, &look);
    if (rc == ST_OK)
        rc = sched_queued_reports(db, &look, &ids, &n);
    for (size_t i = 0; rc == ST_OK && i < n; i++) {
        int b = jobs_run_one(db, cfg, signing, who, ids[i]);
        printf("{\"event\":\"report\",\"report_id\":%" PRIu64 ",\"status\":\"%s\"}\n", ids[i],
               b == ST_OK              ? "done"
               : b == ST_ERR_NOT_FOUND ? "taken by another worker"
                                       : "failed");
        if (db_broken(db))
            rc = ST_ERR_UNAVAILABLE;
    }
    if (rc == ST_OK)
        rc = sched_finish_look(db, &look);
    if (rc != ST_OK) {
        fprintf(stderr, "slattest: schedule run-due: %s\n", db_error(db));
        goto done;
    }
    char at[33];
    sstore_time(now, at);
    printf("{\"event\":\"look\",\"at\":\"%s\",\"runs_started\":%d,\"attempts\":%d,"
           "\"overdue\":%d}\n",
           at, look.runs_started, look.attempts, look.overdue);
    code = 0;
done:
    free(ids);
    db_close(db);
    signing_free(signing);
    dlv_end();
    return code;
}

int cli_schedule(config_t *cfg, int argc, char **argv)
{
    const char *now = NULL, *slug = NULL;
    if (argc >= 2 && strcmp(argv[1], "list") == 0 && argc <= 3 && !cli_wants_help(argc, argv))
        return list(cfg, argc == 3 ? argv[2] : NULL);
    bool ok = argc >= 2 && strcmp(argv[1], "run-due") == 0 && !cli_wants_help(argc, argv);
    for (int i = 2; ok && i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--now") == 0)
            now = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--tenant") == 0)
            slug = argv[++i];
        else
            ok = false;
    }
    if (!ok) {
        puts("usage: slattest schedule list [SLUG]\n"
             "       slattest schedule run-due [--now INSTANT] [--tenant SLUG]\n"
             "list shows every report schedule and its next run.  run-due starts, in this\n"
             "process, the scheduled runs due at INSTANT (RFC 3339; default: now), builds,\n"
             "signs and stores their reports, makes the delivery attempts due, prints each\n"
             "run and delivery as a JSON line, and returns.  See docs/schedules.md.");
        return cli_wants_help(argc, argv) ? 0 : 2;
    }
    return run_due(cfg, now, slug);
}
