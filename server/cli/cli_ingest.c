/*
 * cli_ingest.c - `slattest ingest SLUG FILE [--kind K]` (the same pipelines
 * as the HTTP endpoints: contacts by default, or QA evaluations,
 * calibrations or appeals; straight into the database, with a progress bar
 * on a terminal) and `slattest check rollups SLUG`.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "httpd.h"
#include "ingest.h"
#include "qa_ingest.h"
#include "rollup.h"
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

int cli_ingest(config_t *cfg, int argc, char **argv)
{
    const char *slug = NULL, *path = NULL, *fmt_name = NULL, *mode = "strict";
    const char *kind_name = "contacts";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
            fmt_name = argv[++i];
        else if (strcmp(argv[i], "--kind") == 0 && i + 1 < argc)
            kind_name = argv[++i];
        else if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc)
            mode = argv[++i];
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
             "kept).  QA data is csv, json or ndjson.");
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
    bool lenient = strcmp(mode, "lenient") == 0;
    if ((is_qa ? qa_ingest_begin(db, &t, cli_actor(), kind, fmt, lenient, &ld.qa, err, sizeof err)
               : ingest_begin(db, &t, cli_actor(), fmt, lenient, &ld.cdrs, err, sizeof err)) !=
        ST_OK) {
        fprintf(stderr, "slattest: %s\n", err);
        goto done;
    }
    bool tty = isatty(2);
    double t0 = httpd_now(), last = t0;
    size_t n;
    int rc = ST_OK;
    while (rc == ST_OK && (n = fread(chunk, 1, READ_CHUNK, f)) > 0) {
        rc = ld_feed(g, chunk, n);
        if (tty && httpd_now() - last > 0.2) {
            progress(g, total, t0, false);
            last = httpd_now();
        }
    }
    if (rc == ST_OK && ferror(f)) {
        fprintf(stderr, "slattest: error reading %s\n", path);
        goto done;
    }
    if (rc == ST_OK)
        rc = ld_finish(g);
    if (tty)
        progress(g, total, t0, true);
    if (rc != ST_OK) {
        fprintf(stderr, "slattest: database: %s\n",
                ld.qa ? qa_ingest_db_error(ld.qa) : ingest_db_error(ld.cdrs));
        goto done;
    }
    json_t *receipt = ld.qa ? qa_ingest_receipt(ld.qa) : ingest_receipt(ld.cdrs);
    char *text = json_dumps(receipt, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
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
             "wait histograms, surveys, FCR and agent rows by the rollup code, a month at a\n"
             "time); exit 0 when every row agrees.");
        return cli_wants_help(argc, argv) ? 0 : 2;
    }
    db_t *db = cli_open_db(cfg);
    if (!db)
        return 1;
    tenant_t t;
    uint64_t diffs = 0, keys = 0, d[2] = {0, 0}, k[2] = {0, 0};
    char err[256] = "";
    int code = 1;
    if (tenant_by_slug(db, argv[2], &t) != ST_OK) {
        fprintf(stderr, "slattest: no tenant '%s'\n", argv[2]);
        goto done;
    }
    uint64_t bd = 0, bk = 0;
    if (rollup_check(db, t.id, &diffs, &keys) != ST_OK ||
        rollup_batch_slots_check(db, t.id, &bd, &bk) != ST_OK ||
        rollup_detail_check(db, &t, ROLLUP_SLOTS, &d[0], &k[0], err, sizeof err) != ST_OK ||
        rollup_detail_check(db, &t, ROLLUP_AGENTS, &d[1], &k[1], err, sizeof err) != ST_OK) {
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
    const char *what[2] = {"rollup rows with detail", "agent rollups"};
    for (int i = 0; i < 2; i++) {
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
    code = diffs || d[0] || d[1] || bd || pending ? 1 : 0;
done:
    db_close(db);
    return code;
}
