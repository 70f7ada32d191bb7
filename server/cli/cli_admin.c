/*
 * cli_admin.c - the administrative subcommands: db, migrate, tenant, token,
 * audit.  They talk to the database directly (no server needed).
 */
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "auth.h"
#include "cli.h"
#include "dbsrv.h"
#include "idnum.h"
#include "migrate.h"
#include "rollup_batch.h"
#include "status.h"
#include "tenant.h"

int cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

const char *cli_actor(void)
{
    static char actor[96];
    struct passwd pw, *res = NULL;
    char buf[1024];
    const char *name = "unknown";
    if (getpwuid_r(geteuid(), &pw, buf, sizeof buf, &res) == 0 && res)
        name = res->pw_name;
    snprintf(actor, sizeof actor, "cli:%s", name);
    return actor;
}

db_t *cli_open_db(const config_t *cfg)
{
    char err[1024] = "";
    if (cfg->db_embedded && dbsrv_start(cfg, err, sizeof err) != ST_OK) {
        fprintf(stderr, "slattest: embedded database: %s\n", err);
        return NULL;
    }
    db_t *db = NULL;
    if (db_connect(cfg, true, &db, err, sizeof err) != ST_OK) {
        fprintf(stderr, "slattest: %s\n", err);
        return NULL;
    }
    return db;
}

int cli_db(config_t *cfg, int argc, char **argv)
{
    const char *usage =
        "usage: slattest db start|stop|status\n"
        "The embedded MariaDB server, data under <var>/mariadb, Unix socket only.\n";
    if (argc != 2 || cli_wants_help(argc, argv)) {
        fputs(usage, argc != 2 ? stderr : stdout);
        return argc != 2 ? 2 : 0;
    }
    char err[1024] = "";
    if (!cfg->db_embedded) {
        fprintf(stderr, "slattest: a database host or socket is configured: "
                        "'db' manages only the embedded server\n");
        return 2;
    }
    if (strcmp(argv[1], "start") == 0) {
        if (dbsrv_start(cfg, err, sizeof err) != ST_OK) {
            fprintf(stderr, "slattest: %s\n", err);
            return 1;
        }
        long pid = 0;
        dbsrv_running(cfg, &pid);
        printf("db: running (pid %ld)\n", pid);
        return 0;
    }
    if (strcmp(argv[1], "stop") == 0) {
        if (dbsrv_stop(cfg, err, sizeof err) != ST_OK) {
            fprintf(stderr, "slattest: %s\n", err);
            return 1;
        }
        printf("db: stopped\n");
        return 0;
    }
    if (strcmp(argv[1], "status") == 0) {
        long pid = 0;
        char sock[1024];
        dbsrv_socket_path(cfg, sock, sizeof sock);
        if (dbsrv_running(cfg, &pid)) {
            printf("db: running (pid %ld) on %s\n", pid, sock);
            return 0;
        }
        printf("db: stopped\n");
        return 3;
    }
    fputs(usage, stderr);
    return 2;
}

int cli_migrate(config_t *cfg, int argc, char **argv)
{
    if (cli_wants_help(argc, argv) || argc > 2 || (argc == 2 && strcmp(argv[1], "--status"))) {
        puts("usage: slattest migrate [--status]\n"
             "Applies pending migrations/NNNN_name.sql in order, each once; --status lists them.");
        return cli_wants_help(argc, argv) ? 0 : 2;
    }
    db_t *db = cli_open_db(cfg);
    if (!db)
        return 1;
    char err[1024] = "";
    int rc = argc == 2 ? migrate_status(db, cfg->migrations, stdout, err, sizeof err)
                       : migrate_apply(db, cfg->migrations, stdout, err, sizeof err);
    /* Rollups a migration queued for a rebuild (0013: their detail). */
    size_t rebuilt = 0;
    if (rc == ST_OK && argc == 1 &&
        (rc = rollup_rebuild_pending(db, &rebuilt, err, sizeof err)) != ST_OK && !err[0])
        snprintf(err, sizeof err, "rebuilding rollups: %s", db_error(db));
    if (rc == ST_OK && rebuilt)
        printf("migrate: rollups rebuilt for %zu tenant(s)\n", rebuilt);
    if (rc != ST_OK)
        fprintf(stderr, "slattest: %s\n", err);
    db_close(db);
    return rc == ST_OK ? 0 : 1;
}

int cli_tenant(config_t *cfg, int argc, char **argv)
{
    const char *slug = NULL, *name = NULL, *tz = NULL;
    if (argc >= 3 && strcmp(argv[1], "add") == 0 && argv[2][0] != '-') {
        slug = argv[2];
        for (int i = 3; i + 1 < argc; i += 2) {
            if (strcmp(argv[i], "--name") == 0)
                name = argv[i + 1];
            else if (strcmp(argv[i], "--tz") == 0)
                tz = argv[i + 1];
            else
                slug = NULL;
        }
        if ((argc - 3) % 2)
            slug = NULL;
    }
    if (!slug || !name || !tz || cli_wants_help(argc, argv)) {
        puts("usage: slattest tenant add SLUG --name NAME --tz ZONE\n"
             "Creates a tenant; ZONE is an IANA time zone such as Asia/Shanghai.");
        return cli_wants_help(argc, argv) ? 0 : 2;
    }
    db_t *db = cli_open_db(cfg);
    if (!db)
        return 1;
    char err[1024] = "";
    tenant_t t;
    int rc = tenant_create(db, cli_actor(), slug, name, tz, &t, err, sizeof err);
    if (rc == ST_OK)
        printf("tenant %s created (id %" PRIu64 ", %s)\n", t.slug, t.id, t.timezone);
    else
        fprintf(stderr, "slattest: %s\n", err);
    db_close(db);
    return rc == ST_OK ? 0 : 1;
}

/* token issue --role R [--tenant SLUG]... [--label L] */
static int cli_token_issue(const config_t *cfg, int argc, char **argv)
{
    const char *role_name = NULL, *label = "";
    const char **slugs = calloc((size_t)argc, sizeof *slugs);
    size_t n = 0;
    int rc = 2;
    for (int i = 2; i < argc; i++) {
        if (i + 1 >= argc)
            goto usage;
        if (strcmp(argv[i], "--role") == 0)
            role_name = argv[++i];
        else if (strcmp(argv[i], "--tenant") == 0)
            slugs[n++] = argv[++i];
        else if (strcmp(argv[i], "--label") == 0)
            label = argv[++i];
        else
            goto usage;
    }
    role_t role;
    if (!role_name || auth_role_parse(role_name, &role) != ST_OK)
        goto usage;
    db_t *db = cli_open_db(cfg);
    if (!db) {
        rc = 1;
        goto done;
    }
    char token[AUTH_TOKEN_LEN + 1], err[1024] = "";
    uint64_t id = 0;
    if (auth_token_issue(db, cli_actor(), role, slugs, n, label, token, &id, err, sizeof err) ==
        ST_OK) {
        printf("%s\n", token);
        fprintf(stderr, "token %" PRIu64 " (%s) issued: it is shown only this once\n", id,
                role_name);
        rc = 0;
    } else {
        fprintf(stderr, "slattest: %s\n", err);
        rc = 1;
    }
    db_close(db);
    goto done;
usage:
    fputs("usage: slattest token issue --role admin|manager|ingest|client|auditor "
          "[--tenant SLUG]... [--label TEXT]\n       slattest token revoke ID\n",
          stderr);
done:
    free(slugs);
    return rc;
}

int cli_token(config_t *cfg, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "issue") == 0 && !cli_wants_help(argc, argv))
        return cli_token_issue(cfg, argc, argv);
    if (argc == 3 && strcmp(argv[1], "revoke") == 0) {
        uint64_t id = 0;
        if (!idnum_parse(argv[2], &id) || id == 0) {
            fprintf(stderr, "slattest: token id must be a positive number\n");
            return 2;
        }
        db_t *db = cli_open_db(cfg);
        if (!db)
            return 1;
        int rc = auth_token_revoke(db, cli_actor(), id);
        if (rc == ST_OK)
            printf("token %" PRIu64 " revoked\n", id);
        else
            fprintf(stderr, "slattest: token %" PRIu64 ": %s\n", id,
                    rc == ST_ERR_NOT_FOUND ? "no such active token" : db_error(db));
        db_close(db);
        return rc == ST_OK ? 0 : 1;
    }
    fputs("usage: slattest token issue --role admin|manager|ingest|client|auditor "
          "[--tenant SLUG]... [--label TEXT]\n       slattest token revoke ID\n",
          cli_wants_help(argc, argv) ? stdout : stderr);
    return cli_wants_help(argc, argv) ? 0 : 2;
}

int cli_audit(config_t *cfg, int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[1], "verify") != 0) {
        puts("usage: slattest audit verify\nWalks the audit log's hash chain and names the first "
             "broken entry.");
        return cli_wants_help(argc, argv) ? 0 : 2;
    }
    db_t *db = cli_open_db(cfg);
    if (!db)
        return 1;
    uint64_t checked = 0, bad = 0;
    char err[1024] = "";
    int rc = audit_verify(db, &checked, &bad, err, sizeof err);
    if (rc == ST_OK)
        printf("audit: chain intact, %" PRIu64 " entries\n", checked);
    else
        fprintf(stderr, "audit: %s (%" PRIu64 " entries checked before it)\n", err, checked);
    db_close(db);
    return rc == ST_OK ? 0 : 1;
}
