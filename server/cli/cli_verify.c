/*
 * cli_verify.c - `slattest verify FILE.xlsx [FILE.p7s] [--ca CA.pem]`:
 * checks a workbook against its detached CMS signature offline, with the
 * same verifier the server uses.  Exit 0 only when valid, 1 when invalid,
 * 2 when the files cannot be read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "cms_verify.h"
#include "db.h"
#include "report_store.h"
#include "rfc3339.h"
#include "signing.h"
#include "status.h"

#define VERIFY_MAX_BYTES ((size_t)1 << 30)

/* Reads a whole file (capped) into a buffer the caller frees. */
static int slurp(const char *path, buf_t *out)
{
    buf_init(out, VERIFY_MAX_BYTES);
    return buf_read_file(out, path);
}

/* FILE.xlsx -> FILE.p7s (or FILE.xlsx.p7s when it has no .xlsx ending). */
static void default_signature_path(const char *workbook, char *out, size_t len)
{
    size_t n = strlen(workbook);
    if (n > 5 && strcmp(workbook + n - 5, ".xlsx") == 0)
        snprintf(out, len, "%.*s.p7s", (int)(n - 5), workbook);
    else
        snprintf(out, len, "%s.p7s", workbook);
}

/*
 * Names the stored report with this workbook digest when the database can
 * be reached (it is not started for this: verification works offline).
 */
static void print_stored_report(const config_t *cfg, const char *sha256)
{
    db_t *db = NULL;
    char err[256];
    json_t *meta = NULL;
    if (db_connect(cfg, true, &db, err, sizeof err) != ST_OK) {
        printf("report: not looked up (database not reachable)\n");
        return;
    }
    if (rstore_find_by_sha256(db, sha256, &meta) == ST_OK) {
        printf("report: %" JSON_INTEGER_FORMAT
               " (tenant %s, period %s, template %s, version %" JSON_INTEGER_FORMAT
               ", generated at %s)\n",
               json_integer_value(json_object_get(meta, "id")),
               json_string_value(json_object_get(meta, "tenant")),
               json_string_value(json_object_get(meta, "period")),
               json_string_value(json_object_get(meta, "template")),
               json_integer_value(json_object_get(meta, "version")),
               json_string_value(json_object_get(meta, "generated_at")));
    } else {
        printf("report: no stored report has this workbook digest\n");
    }
    json_decref(meta);
    db_close(db);
}

int cli_verify(config_t *cfg, int argc, char **argv)
{
    const char *workbook = NULL, *sigpath = NULL, *ca = cfg->signing_ca;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--ca") == 0 && i + 1 < argc)
            ca = argv[++i];
        else if (!workbook && argv[i][0] != '-')
            workbook = argv[i];
        else if (!sigpath && argv[i][0] != '-')
            sigpath = argv[i];
        else
            workbook = NULL, i = argc;
    }
    if (!workbook || cli_wants_help(argc, argv)) {
        puts("usage: slattest verify FILE.xlsx [FILE.p7s] [--ca CA.pem]\n"
             "Checks the workbook against its detached CMS signature; exit 0 only when valid.");
        return cli_wants_help(argc, argv) ? 0 : 2;
    }
    char sigbuf[4096];
    if (!sigpath) {
        default_signature_path(workbook, sigbuf, sizeof sigbuf);
        sigpath = sigbuf;
    }
    buf_t content, sig;
    buf_init(&content, 0);
    buf_init(&sig, 0);
    cms_trust *trust = NULL;
    char err[512] = "";
    int code = 2;
    if (slurp(workbook, &content) != ST_OK) {
        fprintf(stderr, "slattest: cannot read %s\n", workbook);
        goto done;
    }
    if (slurp(sigpath, &sig) != ST_OK) {
        fprintf(stderr, "slattest: cannot read %s\n", sigpath);
        goto done;
    }
    if (signing_trust_load(ca, &trust, err, sizeof err) != ST_OK) {
        fprintf(stderr, "slattest: CA %s: %s\n", ca, err);
        goto done;
    }
    cms_verify_result r;
    cms_verify(trust, content.data, content.len, sig.data, sig.len, &r);
    printf("%s: %s\n", workbook, r.valid ? "VALID" : "INVALID");
    if (!r.valid)
        printf("reason: %s (%s)\n", r.reason, cms_verdict_name(r.verdict));
    printf("signature: %s (%s)\n", sigpath, cms_sig_format_name(r.format));
    if (r.signer[0])
        printf("signer: %s\nsigner sha256: %s\n", r.signer, r.signer_fingerprint);
    if (r.signed_at >= 0) {
        char at[64];
        rfc3339_format_utc(r.signed_at * 1000000, at, sizeof at);
        printf("signed at: %s\n", at);
    }
    printf("workbook sha256: %s\n", r.content_sha256);
    if (r.valid)
        print_stored_report(cfg, r.content_sha256);
    code = r.valid ? 0 : 1;
done:
    cms_trust_free(trust);
    buf_free(&content);
    buf_free(&sig);
    return code;
}
