/*
 * cli_report.c - `slattest report SLUG --period YYYY-MM --template NAME
 * [-o FILE] [--generated-at INSTANT]`: queues the report like the API does,
 * builds it in this process (the same builder and signer as the server's
 * job runner), stores it, and writes FILE and FILE's .p7s next to it.  A
 * portfolio made here covers every tenant (the operator's view).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "heartbeat.h"
#include "contract_store.h"
#include "hash.h"
#include "idnum.h"
#include "report_build.h"
#include "report_store.h"
#include "rfc3339.h"
#include "signing.h"
#include "status.h"
#include "tenant.h"

/* Writes n bytes to path; false on failure. */
static bool write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(data, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

/* Progress bar on a terminal. */
static void show_progress(void *arg, int pct)
{
    if (*(bool *)arg) {
        fprintf(stderr, "\rbuilding report: %3d%%", pct);
        fflush(stderr);
    }
}

/*
 * `report --rebuild ID FILE`: builds a stored report again from the data, as
 * an auditor would, writes it, and compares it with the stored workbook.
 * Exit 0 when byte-identical, 1 when not.
 */
static int rebuild(config_t *cfg, const char *id_text, const char *path)
{
    uint64_t id = 0;
    if (!idnum_parse(id_text, &id) || id == 0) {
        fprintf(stderr, "slattest: report id must be a positive number\n");
        return 2;
    }
    char err[512] = "", stored[65] = "", sha[65];
    signing_t *signing = NULL;
    if (signing_load(cfg, &signing, err, sizeof err) != ST_OK) {
        fprintf(stderr, "slattest: report signing: %s\n", err);
        return 2;
    }
    int code = 2;
    report_out_t out = {.fd = -1};
    rstore_job_t job;
    rstore_result_t r;
    db_t *db = cli_open_db(cfg);
    if (!db)
        goto done;
    if (rstore_job(db, id, &job, stored) != ST_OK) {
        fprintf(stderr, "slattest: no report %" PRIu64 "\n", id);
        goto done;
    }
    if (report_build(db, cfg, signing, &job, NULL, NULL, &out, &r, err, sizeof err) != ST_OK ||
        report_out_keep(&out, path, err, sizeof err) != ST_OK) {
        fprintf(stderr, "slattest: rebuilding report %" PRIu64 ": %s\n", id, err[0] ? err : path);
        goto done;
    }
    hash_hex_of(r.workbook_sha256, sha);
    bool same = strcmp(sha, stored) == 0;
    printf("report %" PRIu64 " rebuilt into %s\nsha256 %s\n%s\n", id, path, sha,
           same ? "byte-identical to the stored workbook"
                : "DIFFERENT from the stored workbook (the data changed since, or it is not done)");
    code = same ? 0 : 1;
done:
    report_out_free(&out);
    db_close(db);
    signing_free(signing);
    return code;
}

/* The paths of a report's files: FILE.xlsx (out, or a name from the report) and FILE.p7s. */
static void report_paths(const char *out, const char *slug, const char *period, const char *tpl,
                         int version, char *path, size_t pathlen, char *sigpath, size_t siglen)
{
    if (out)
        snprintf(path, pathlen, "%s", out);
    else
        snprintf(path, pathlen, "%s-%s-%s-v%d.xlsx", slug, period, tpl, version);
    size_t n = strlen(path);
    snprintf(sigpath, siglen, "%.*s.p7s",
             (int)(n > 5 && strcmp(path + n - 5, ".xlsx") == 0 ? n - 5 : n), path);
}

/*
 * Report id was claimed by a server's job runner before this command could:
 * waits until that build ends, then writes the stored workbook and its
 * signature as if it had been built here.  The exit code of the command.
 */
static int write_when_built(db_t *db, const tenant_t *t, uint64_t id, const char *out, bool tty)
{
    fprintf(stderr, "slattest: report %" PRIu64 " is being built by a server; waiting for it\n",
            id);
    json_t *meta = NULL;
    buf_t wb, sig;
    buf_init(&wb, 0);
    buf_init(&sig, 0);
    int code = 1;
    for (;;) {
        json_decref(meta);
        meta = NULL;
        if (rstore_get(db, t, id, &meta) != ST_OK) {
            fprintf(stderr, "slattest: report %" PRIu64 ": %s\n", id, db_error(db));
            goto done;
        }
        const char *status = json_string_value(json_object_get(meta, "status"));
        if (status && strcmp(status, "failed") == 0) {
            fprintf(stderr, "slattest: report %" PRIu64 " failed: %s\n", id,
                    json_string_value(json_object_get(meta, "error")));
            goto done;
        }
        if (status && strcmp(status, "done") == 0)
            break;
        struct timespec pause = {0, 200 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    char path[1024], sigpath[1100];
    report_paths(out, t->slug, json_string_value(json_object_get(meta, "period")),
                 json_string_value(json_object_get(meta, "template")),
                 (int)json_integer_value(json_object_get(meta, "version")), path, sizeof path,
                 sigpath, sizeof sigpath);
    if (rstore_artifact(db, t->id, id, "workbook", &wb) != ST_OK ||
        rstore_artifact(db, t->id, id, "signature", &sig) != ST_OK) {
        fprintf(stderr, "slattest: report %" PRIu64 ": reading it back: %s\n", id, db_error(db));
        goto done;
    }
    if (!write_file(path, wb.data, wb.len) || !write_file(sigpath, sig.data, sig.len)) {
        fprintf(stderr, "slattest: cannot write %s\n", path);
        goto done;
    }
    printf("%sreport %" PRIu64 " (version %d): %s and %s\ndata digest: %s\nsigned by: %s\n",
           tty ? "\n" : "", id, (int)json_integer_value(json_object_get(meta, "version")), path,
           sigpath, json_string_value(json_object_get(meta, "data_digest")),
           json_string_value(json_object_get(meta, "signer")));
    code = 0;
done:
    json_decref(meta);
    buf_free(&wb);
    buf_free(&sig);
    return code;
}

int cli_report(config_t *cfg, int argc, char **argv)
{
    const char *slug = NULL, *period = NULL, *tpl = NULL, *out = NULL, *gen = NULL;
    if (argc == 4 && strcmp(argv[1], "--rebuild") == 0)
        return rebuild(cfg, argv[2], argv[3]);
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--period") == 0)
            period = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--template") == 0)
            tpl = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "-o") == 0)
            out = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--generated-at") == 0)
            gen = argv[++i];
        else if (!slug && argv[i][0] != '-')
            slug = argv[i];
        else
            slug = NULL, i = argc;
    }
    if (!slug || !period || !tpl || cli_wants_help(argc, argv)) {
        puts("usage: slattest report SLUG --period YYYY-MM --template client-monthly "
             "[-o FILE.xlsx] [--generated-at INSTANT]\n"
             "       slattest report --rebuild ID FILE.xlsx\n"
             "Generates, signs and stores a report; writes the workbook and its .p7s.\n"
             "--rebuild writes stored report ID again from the data (nothing is stored) and\n"
             "says whether it is byte-identical to the stored workbook.");
        return cli_wants_help(argc, argv) ? 0 : 2;
    }
    int64_t generated_at = (int64_t)time(NULL);
    if (gen) {
        int64_t us = 0;
        if (rfc3339_parse(gen, strlen(gen), &us, NULL, 0) != ST_OK) {
            fprintf(stderr, "slattest: --generated-at: an RFC 3339 instant with an offset\n");
            return 2;
        }
        generated_at = us / 1000000;
    }
    char err[512] = "", path[1024], sigpath[1100], who[64];
    signing_t *signing = NULL;
    if (signing_load(cfg, &signing, err, sizeof err) != ST_OK) {
        fprintf(stderr, "slattest: report signing: %s\n", err);
        return 1;
    }
    int code = 1;
    report_out_t built_out = {.fd = -1};
    db_t *db = cli_open_db(cfg);
    tenant_t t;
    uint64_t id = 0;
    rstore_job_t job;
    rstore_result_t r;
    bool tty = isatty(2);
    heartbeat_t *hb = NULL;
    if (!db)
        goto done;
    if (tenant_by_slug(db, slug, &t) != ST_OK) {
        fprintf(stderr, "slattest: no tenant '%s'\n", slug);
        goto done;
    }
    /* The command line holds the database: a portfolio covers every tenant. */
    principal_t operator_view = {.role = ROLE_ADMIN};
    if (rstore_create(db, &t, cli_actor(), &operator_view, period, tpl, generated_at,
                      (int64_t)time(NULL), &id, err, sizeof err) != ST_OK) {
        fprintf(stderr, "slattest: %s\n", err);
        goto done;
    }
    snprintf(who, sizeof who, "cli:%d", (int)getpid());
    if (rstore_claim(db, who, id, (int)cfg->reports_stale_s, &job) != ST_OK) {
        /* A server's job runner claimed it first: its result is the same report. */
        code = write_when_built(db, &t, id, out, tty);
        goto done;
    }
    hb = heartbeat_start(cfg, job.tenant_id, job.id, who, (int)(cfg->reports_stale_s * 1000 / 6));
    int built =
        report_build(db, cfg, signing, &job, show_progress, &tty, &built_out, &r, err, sizeof err);
    if (built == ST_OK && (built = rstore_finish(db, &job, &r)) == ST_ERR_CONFLICT)
        snprintf(err, sizeof err,
                 "another worker took the job over (its heartbeat was late); see GET "
                 "/v1/tenants/%s/reports/%" PRIu64,
                 slug, id);
    if (built != ST_OK) {
        if (!err[0])
            snprintf(err, sizeof err, "%s", db_error(db));
        rstore_fail(db, &job, err);
        fprintf(stderr, "%sslattest: report %" PRIu64 " failed: %s\n", tty ? "\n" : "", id, err);
        goto done;
    }
    report_paths(out, slug, period, tpl, job.version, path, sizeof path, sigpath, sizeof sigpath);
    /* The built file itself goes to FILE (renamed, or copied across file systems). */
    if (report_out_keep(&built_out, path, err, sizeof err) != ST_OK) {
        fprintf(stderr, "slattest: cannot write %s: %s\n", path, err);
        goto done;
    }
    if (!write_file(sigpath, built_out.signature.data, built_out.signature.len)) {
        fprintf(stderr, "slattest: cannot write %s\n", sigpath);
        goto done;
    }
    printf("%sreport %" PRIu64 " (version %d): %s and %s\ndata digest: %s\nsigned by: %s\n",
           tty ? "\n" : "", id, job.version, path, sigpath, r.data_digest, r.signer);
    code = 0;
done:
    heartbeat_stop(hb);
    report_out_free(&built_out);
    db_close(db);
    signing_free(signing);
    return code;
}

/* `slattest contract SLUG FILE [--dry-run]`: stores a contract version from a JSON file. */
int cli_contract(config_t *cfg, int argc, char **argv)
{
    const char *args[2] = {NULL, NULL};
    bool dry_run = false, bad = false;
    size_t nargs = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dry-run") == 0)
            dry_run = true;
        else if (argv[i][0] != '-' && nargs < 2)
            args[nargs++] = argv[i];
        else
            bad = true;
    }
    if (bad || nargs != 2 || cli_wants_help(argc, argv)) {
        puts("usage: slattest contract SLUG FILE.json\n"
             "Stores a new contract version (the JSON of PUT /v1/tenants/{t}/contract).\n"
             "Every key, its range and default: docs/contract.md in the repository; an\n"
             "example with every key: docs/examples/contract.json.");
        puts("       --dry-run: validate completely and say what would be stored; store nothing");
        return cli_wants_help(argc, argv) ? 0 : 2;
    }
    FILE *f = fopen(args[1], "rb");
    if (!f) {
        fprintf(stderr, "slattest: cannot open %s\n", args[1]);
        return 1;
    }
    char text[CONTRACT_MAX_BYTES + 1];
    size_t n = fread(text, 1, sizeof text, f);
    fclose(f);
    db_t *db = cli_open_db(cfg);
    if (!db)
        return 1;
    tenant_t t;
    char err[640] = "";
    int code = 1;
    json_t *details = NULL;
    cstore_put_result_t res = {0};
    if (tenant_by_slug(db, args[0], &t) != ST_OK) {
        fprintf(stderr, "slattest: no tenant '%s'\n", args[0]);
    } else if (cstore_put(db, &t, cli_actor(), text, n, dry_run, &res, err, sizeof err, &details) !=
               ST_OK) {
        json_t *list = json_object_get(details, "errors");
        if (json_array_size(list) <= 1)
            fprintf(stderr, "slattest: %s: %s\n", args[1], err);
        for (size_t i = 0; json_array_size(list) > 1 && i < json_array_size(list); i++) {
            json_t *e = json_array_get(list, i);
            const char *path = json_string_value(json_object_get(e, "path"));
            fprintf(stderr, "slattest: %s: %s%s%s\n", args[1], path, path[0] ? ": " : "",
                    json_string_value(json_object_get(e, "message")));
        }
    } else if (dry_run) {
        printf("dry run: contract version %d would be stored for %s%s; nothing was stored\n",
               res.version, t.slug,
               res.rollups_rebuilt ? " (its thresholds rebuild the rollups)" : "");
        code = 0;
    } else {
        printf("contract version %d stored for %s\n", res.version, t.slug);
        code = 0;
    }
    json_decref(details);
    json_decref(res.normalised);
    db_close(db);
    return code;
}
