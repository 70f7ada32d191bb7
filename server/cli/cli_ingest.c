/*
 * cli_ingest.c - `slattest ingest SLUG FILE [--kind K]` (the same pipelines
 * as the HTTP endpoints: contacts by default, or QA evaluations,
 * calibrations or appeals; straight into the database, with a progress bar
 * on a terminal) and `slattest check rollups SLUG`.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "httpd.h"
#include "ingest.h"
#include "jsonutil.h"
#include "qa_ingest.h"
#include "rollup.h"
#include "spool.h"
#include "rollup_batch.h"
#include "status.h"
#include "tenant.h"

#define READ_CHUNK (1u << 20)

/* Guesses the format from the file name when --format is not given. */
static ingest_format guess_format(const char *path)
{
    const char *dot = strrchr(path, '.');
    ingest_format f = INGEST_CSV;
    if (dot && strcmp(dot, ".ndjson") == 0)
        f = INGEST_NDJSON;
    else if (dot && strcmp(dot, ".json") == 0)
        f = INGEST_JSON;
    else if (strstr(path, "queue_log") || (dot && strcmp(dot, ".log") == 0))
        f = INGEST_QLOG;
    return f;
}

/* A contact batch or a QA batch: the CLI drives either the same way. */
typedef struct loader {
    ingest_t *cdrs;
    qa_ingest_t *qa;
} loader_t;

/* Feeds body bytes to whichever batch is open. */
static int ld_feed(loader_t *l, const char *data, size_t n)
{
    return l->qa ? qa_ingest_feed(l->qa, data, n) : ingest_feed(l->cdrs, data, n);
}

/* Ends the body and reaches the verdict. */
static int ld_finish(loader_t *l)
{
    return l->qa ? qa_ingest_finish(l->qa) : ingest_finish(l->cdrs);
}

/* Records and bytes so far. */
static uint64_t ld_rows(const loader_t *l)
{
    return l->qa ? qa_ingest_rows(l->qa) : ingest_rows(l->cdrs);
}

static uint64_t ld_bytes(const loader_t *l)
{
    return l->qa ? qa_ingest_bytes(l->qa) : ingest_bytes(l->cdrs);
}

/* One line of progress: rows, rows/s, percent of bytes. */
static void progress(const loader_t *g, uint64_t total, double t0, bool final)
{
    double dt = httpd_now() - t0;
    uint64_t rows = ld_rows(g);
    double pct = total ? 100.0 * (double)ld_bytes(g) / (double)total : 100.0;
    fprintf(stderr, "\r%12" PRIu64 " rows  %10.0f rows/s  %5.1f%%%s", rows,
            dt > 0 ? (double)rows / dt : 0.0, pct, final ? "\n" : "");
    fflush(stderr);
}

/* One run of `slattest ingest` over its file, for db_retry(). */
typedef struct load {
    FILE *f;
    char *chunk;
    uint64_t total;
    const tenant_t *tenant;
    bool is_qa;
    qa_kind kind;
    ingest_format fmt;
    batch_mode_t mode;
    bool tty;
    loader_t *ld;
    spool_t *spool; /* a copy of a file that cannot seek (a pipe), for replays */
    bool replay;
    char *err;
    size_t errlen;
} load_t;

/* The next piece of the file: from the file itself (keeping a copy when it
 * cannot be read again), or on a replay from that copy.  0 at the end. */
static long load_next(load_t *r, const char **data)
{
    if (r->replay && r->spool)
        return spool_read(r->spool, data);
    size_t n = fread(r->chunk, 1, READ_CHUNK, r->f);
    if (n == 0 && ferror(r->f))
        return -1;
    if (n > 0 && r->spool && spool_write(r->spool, r->chunk, n) != ST_OK)
        return -1;
    *data = r->chunk;
    return (long)n;
}

/*
 * One attempt: a new batch over the whole file from its first byte, to its
 * verdict.  A batch that loses a conflict (ST_ERR_RETRY: a deadlock, a
 * Galera certification failure) is freed, which rolls it back, and
 * db_retry() runs the next attempt.
 */
static int load_attempt(db_t *db, void *arg)
{
    load_t *r = arg;
    loader_t *g = r->ld;
    ingest_free(g->cdrs);
    qa_ingest_free(g->qa);
    g->cdrs = NULL;
    g->qa = NULL;
    r->err[0] = '\0';
    if (r->replay && (r->spool ? spool_rewind(r->spool) : fseek(r->f, 0, SEEK_SET)) != 0)
        return ST_ERR_IO;
    int rc = r->is_qa ? qa_ingest_begin(db, r->tenant, cli_actor(), r->kind, r->fmt, r->mode,
                                        &g->qa, r->err, r->errlen)
                      : ingest_begin(db, r->tenant, cli_actor(), r->fmt, r->mode, &g->cdrs, r->err,
                                     r->errlen);
    if (rc != ST_OK)
        return rc;
    double t0 = httpd_now(), last = t0;
    const char *data;
    long n = 0;
    while (rc == ST_OK && (n = load_next(r, &data)) > 0) {
        rc = ld_feed(g, data, (size_t)n);
        if (r->tty && httpd_now() - last > 0.2) {
            progress(g, r->total, t0, false);
            last = httpd_now();
        }
    }
    r->replay = true;
    if (rc == ST_OK && n < 0)
        rc = ST_ERR_IO;
    if (rc == ST_OK)
        rc = ld_finish(g);
    if (r->tty)
        progress(g, r->total, t0, true);
    return rc;
}

int cli_ingest(config_t *cfg, int argc, char **argv)
{
    const char *slug = NULL, *path = NULL, *fmt_name = NULL, *mode = "strict";
    const char *kind_name = "contacts";
    bool dry_run = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
            fmt_name = argv[++i];
        else if (strcmp(argv[i], "--kind") == 0 && i + 1 < argc)
            kind_name = argv[++i];
        else if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc)
            mode = argv[++i];
        else if (strcmp(argv[i], "--dry-run") == 0)
            dry_run = true;
        else if (!slug && argv[i][0] != '-')
            slug = argv[i];
        else if (!path && argv[i][0] != '-')
            path = argv[i];
        else
            slug = path = NULL, i = argc;
    }
    ingest_format fmt = path ? guess_format(path) : INGEST_CSV;
    qa_kind kind = 0;
    bool is_qa = strcmp(kind_name, "contacts") != 0;
    bool bad = !slug || !path || (fmt_name && ingest_format_parse(fmt_name, &fmt) != ST_OK) ||
               (strcmp(mode, "strict") && strcmp(mode, "lenient")) ||
               (is_qa && (qa_kind_parse(kind_name, &kind) != ST_OK || fmt == INGEST_QLOG));
    if (bad || cli_wants_help(argc, argv)) {
        puts("usage: slattest ingest SLUG FILE [--kind contacts|evaluations|calibrations|appeals]\n"
             "       [--format csv|json|ndjson|queue_log] [--mode strict|lenient]\n"
             "Loads contacts (default) or QA data into a tenant; prints the receipt (JSON).\n"
             "Exit 0 when committed, 1 when the batch was rejected (strict mode: nothing is\n"
             "kept).  QA data is csv, json or ndjson.\n"
             "Formats, every column and an example file of each: docs/formats/ in the\n"
             "repository (contacts.md, queue_log.md, evaluations.md, calibrations.md,\n"
             "appeals.md); the examples are in docs/examples/.");
        puts("       --dry-run: validate and count completely, keep nothing (the receipt says\n"
             "       \"dry_run\": true and \"would_commit\"; the exit code is the verdict)");
        return cli_wants_help(argc, argv) ? 0 : 2;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "slattest: cannot open %s\n", path);
        return 1;
    }
    struct stat st;
    uint64_t total = fstat(fileno(f), &st) == 0 ? (uint64_t)st.st_size : 0;
    int code = 1;
    char *chunk = malloc(READ_CHUNK);
    loader_t ld = {NULL, NULL}, *g = &ld;
    db_t *db = cli_open_db(cfg);
    tenant_t t;
    char err[512] = "";
    if (!db || !chunk)
        goto done;
    if (tenant_by_slug(db, slug, &t) != ST_OK) {
        fprintf(stderr, "slattest: no tenant '%s'\n", slug);
        goto done;
    }
    load_t run = {.f = f,
                  .chunk = chunk,
                  .total = total,
                  .tenant = &t,
                  .is_qa = is_qa,
                  .kind = kind,
                  .fmt = fmt,
                  .mode = {.lenient = strcmp(mode, "lenient") == 0, .dry_run = dry_run},
                  .tty = isatty(2),
                  .ld = g,
                  .err = err,
                  .errlen = sizeof err};
    /* A pipe cannot be read twice: keep a copy for a replay. */
    char spool_dir[PATH_MAX];
    snprintf(spool_dir, sizeof spool_dir, "%s/tmp", cfg->var);
    if (fseek(f, 0, SEEK_SET) != 0 && spool_new(spool_dir, &run.spool) != ST_OK) {
        fprintf(stderr, "slattest: cannot keep a copy of %s in %s\n", path, spool_dir);
        goto done;
    }
    int rc = db_retry(db, load_attempt, &run);
    spool_free(run.spool);
    if (rc == ST_ERR_IO) {
        fprintf(stderr, "slattest: error reading %s\n", path);
        goto done;
    }
    if (rc != ST_OK) {
        fprintf(stderr, "slattest: %s\n",
                err[0]    ? err
                : ld.qa   ? qa_ingest_db_error(ld.qa)
                : ld.cdrs ? ingest_db_error(ld.cdrs)
                          : db_error(db));
        goto done;
    }
    json_t *receipt = ld.qa ? qa_ingest_receipt(ld.qa) : ingest_receipt(ld.cdrs);
    char *text = jsonutil_dumps(receipt, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    printf("%s\n", text ? text : "{}");
    free(text);
    json_decref(receipt);
    code = (ld.qa ? qa_ingest_committed(ld.qa) : ingest_committed(ld.cdrs)) ? 0 : 1;
done:
    ingest_free(ld.cdrs);
    qa_ingest_free(ld.qa);
    db_close(db);
    free(chunk);
    fclose(f);
    return code;
}

int cli_check(config_t *cfg, int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "rollups") != 0) {
        puts("usage: slattest check rollups SLUG\n"
             "Recomputes the tenant's rollups from its contacts (counts by SQL; counts,\n"
             "wait histograms, surveys, FCR, agent and reason rows by the rollup code, a\n"
             "month at a time); exit 0 when every row agrees.");
        return cli_wants_help(argc, argv) ? 0 : 2;
    }
    db_t *db = cli_open_db(cfg);
    if (!db)
        return 1;
    tenant_t t;
    uint64_t diffs = 0, keys = 0, d[ROLLUP_KINDS] = {0}, k[ROLLUP_KINDS] = {0};
    char err[256] = "";
    int code = 1;
    if (tenant_by_slug(db, argv[2], &t) != ST_OK) {
        fprintf(stderr, "slattest: no tenant '%s'\n", argv[2]);
        goto done;
    }
    uint64_t bd = 0, bk = 0;
    if (rollup_check(db, t.id, &diffs, &keys) != ST_OK ||
        rollup_batch_slots_check(db, t.id, &bd, &bk) != ST_OK ||
        rollup_detail_check(db, &t, d, k, err, sizeof err) != ST_OK) {
        fprintf(stderr, "slattest: %s\n", err[0] ? err : db_error(db));
        goto done;
    }
    bool pending = false;
    if (rollup_pending(db, t.id, &pending) != ST_OK)
        goto done;
    if (diffs)
        fprintf(stderr, "rollups: %" PRIu64 " of %" PRIu64 " keys differ from the contacts\n",
                diffs, keys);
    else
        printf("rollups: %" PRIu64 " keys agree with the contacts\n", keys);
    const char *what[ROLLUP_KINDS] = {"rollup rows with detail", "agent rollups", "reason rollups"};
    for (int i = 0; i < ROLLUP_KINDS; i++) {
        if (pending)
            fprintf(stderr, "%s: awaiting a rebuild (run slattest migrate)\n", what[i]);
        else if (d[i])
            fprintf(stderr, "%s: %" PRIu64 " of %" PRIu64 " rows differ from the contacts\n",
                    what[i], d[i], k[i]);
        else
            printf("%s: %" PRIu64 " rows agree with the contacts\n", what[i], k[i]);
    }
    if (!pending && bd)
        fprintf(stderr, "batch slots: %" PRIu64 " of %" PRIu64 " rows differ from the contacts\n",
                bd, bk);
    else if (!pending)
        printf("batch slots: %" PRIu64 " rows agree with the contacts\n", bk);
    code = diffs || d[0] || d[1] || d[2] || bd || pending ? 1 : 0;
done:
    db_close(db);
    return code;
}
