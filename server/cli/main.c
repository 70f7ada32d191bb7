/*
 * main.c - the slattest command line: global options, configuration, and
 * dispatch to a subcommand (cli_*.c).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "db.h"
#include "status.h"

typedef struct command {
    const char *name;
    int (*run)(config_t *cfg, int argc, char **argv);
    const char *usage;
} command_t;

static const command_t commands[] = {
    {"serve", cli_serve, "serve [--config FILE]            run the HTTPS server"},
    {"migrate", cli_migrate, "migrate [--status]               apply pending migrations"},
    {"db", cli_db, "db start|stop|status              the embedded MariaDB server"},
    {"tenant", cli_tenant, "tenant add SLUG --name N --tz Z  create a tenant"},
    {"token", cli_token, "token issue --role R [--tenant S]... [--label L] | revoke ID"},
    {"ingest", cli_ingest, "ingest SLUG FILE [--format F] [--mode M] load contacts from a file"},
    {"check", cli_check, "check rollups SLUG               recompute rollups and compare"},
    {"contract", cli_contract, "contract SLUG FILE.json           store a contract version"},
    {"report", cli_report, "report SLUG --period P --template T [-o F] generate, sign, store"},
    {"metrics", cli_metrics, "metrics SLUG --from D [--by B] [--repeat K] time the metrics"},
    {"schedule", cli_schedule,
     "schedule list [SLUG] | run-due [--now T] [--tenant S] scheduled reports"},
    {"verify", cli_verify, "verify FILE.xlsx [FILE.p7s] [--ca CA] check a signed workbook offline"},
    {"user", cli_user,
     "user add EMAIL --role R [--tenant S]... [--password-stdin] | disable | list"},
    {"audit", cli_audit, "audit verify                     check the audit log's hash chain"},
    {"routes", cli_routes,
     "routes [--pages]                 list the HTTP routes, or the portal's pages (JSON)"},
    {"config", NULL, "config                           print the effective configuration"},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

/* Prints the command list. */
static void usage(FILE *out)
{
    fprintf(out, "usage: slattest [--config FILE] COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  slattest %s\n", commands[i].usage);
    fprintf(out, "\nConfiguration: --config FILE, else ./slattest.ini, else "
                 "/etc/slattest/slattest.ini;\neach key can be set as SLATTEST_SECTION_KEY.\n");
}

/* Removes "--config FILE" (anywhere) from argv; returns the file or NULL. */
static const char *take_config_option(int *argc, char **argv, int *bad)
{
    const char *path = NULL;
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], "--config") != 0)
            continue;
        if (i + 1 >= *argc) {
            *bad = 1;
            return NULL;
        }
        path = argv[i + 1];
        memmove(&argv[i], &argv[i + 2], (size_t)(*argc - i - 2) * sizeof *argv);
        *argc -= 2;
        argv[*argc] = NULL;
        i--;
    }
    return path;
}

int main(int argc, char **argv)
{
    int bad = 0;
    const char *path = take_config_option(&argc, argv, &bad);
    if (bad) {
        fprintf(stderr, "slattest: --config needs a file\n");
        return 2;
    }
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const command_t *cmd = NULL;
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            cmd = &commands[i];
    if (!cmd) {
        fprintf(stderr, "slattest: unknown command '%s' (slattest --help lists them)\n", argv[1]);
        return 2;
    }
    config_t cfg;
    char err[1024] = "";
    if (config_load(path, &cfg, err, sizeof err) != ST_OK) {
        fprintf(stderr, "slattest: %s\n", err);
        config_free(&cfg);
        return 2;
    }
    int rc;
    if (!cmd->run) {
        config_dump(&cfg, stdout);
        rc = 0;
    } else {
        if (db_library_init() != ST_OK) {
            fprintf(stderr, "slattest: cannot initialise the MariaDB client library\n");
            config_free(&cfg);
            return 1;
        }
        rc = cmd->run(&cfg, argc - 1, argv + 1);
        db_library_end();
    }
    config_free(&cfg);
    return rc;
}
