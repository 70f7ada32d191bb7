/* migrate.c - ordered, checksummed schema migrations (see migrate.h). */
#include "migrate.h"

#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hash.h"
#include "status.h"
#include "xmem.h"

#define MIGRATION_MAX_BYTES (4u << 20)

typedef struct migration {
    int version;
    char *name; /* file name, e.g. 0001_core.sql */
    char *sql;
    char sha[HASH_SHA256_HEX_LEN + 1];
} migration_t;

typedef struct migration_list {
    migration_t *items;
    size_t n;
} migration_list_t;

/* True for NNNN_name.sql with a lowercase name; sets *version. */
static bool migration_name_ok(const char *name, int *version)
{
    size_t n = strlen(name);
    if (n < 10 || strcmp(name + n - 4, ".sql") != 0 || name[4] != '_')
        return false;
    for (int i = 0; i < 4; i++)
        if (!isdigit((unsigned char)name[i]))
            return false;
    for (size_t i = 5; i < n - 4; i++)
        if (!(islower((unsigned char)name[i]) || isdigit((unsigned char)name[i]) || name[i] == '_'))
            return false;
    *version =
        (name[0] - '0') * 1000 + (name[1] - '0') * 100 + (name[2] - '0') * 10 + (name[3] - '0');
    return *version > 0;
}

/* Reads a whole file into a NUL-terminated buffer (capped). */
static int read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ST_ERR_IO;
    buf_t b;
    buf_init(&b, MIGRATION_MAX_BYTES);
    char chunk[8192];
    size_t got;
    int rc = ST_OK;
    while (rc == ST_OK && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = buf_append(&b, chunk, got);
    if (ferror(f))
        rc = ST_ERR_IO;
    fclose(f);
    if (rc != ST_OK) {
        buf_free(&b);
        return rc;
    }
    *out = buf_detach(&b, len);
    return ST_OK;
}

static int migration_cmp(const void *a, const void *b)
{
    return ((const migration_t *)a)->version - ((const migration_t *)b)->version;
}

static void migration_list_free(migration_list_t *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].name);
        free(l->items[i].sql);
    }
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

/* Loads and checks every migration file of dir, sorted by number. */
static int migration_list_load(const char *dir, migration_list_t *l, char *err, size_t errlen)
{
    int rc = ST_OK;
    DIR *d = opendir(dir);
    memset(l, 0, sizeof *l);
    if (!d) {
        snprintf(err, errlen, "cannot open migrations directory %s", dir);
        return ST_ERR_IO;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int version;
        if (e->d_name[0] == '.')
            continue;
        if (!migration_name_ok(e->d_name, &version)) {
            snprintf(err, errlen, "%s/%s: migration files are named NNNN_lowercase_name.sql", dir,
                     e->d_name);
            rc = ST_ERR_CONFIG;
            goto fail;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        migration_t m = {.version = version, .name = xstrdup(e->d_name)};
        size_t len = 0;
        if (read_file(path, &m.sql, &len) != ST_OK) {
            free(m.name);
            snprintf(err, errlen, "cannot read %s", path);
            rc = ST_ERR_IO;
            goto fail;
        }
        hash_sha256_hex(m.sql, len, m.sha);
        l->items = xrealloc(l->items, (l->n + 1) * sizeof *l->items);
        l->items[l->n++] = m;
    }
    qsort(l->items, l->n, sizeof *l->items, migration_cmp);
    /* Numbers are unique; a gap is allowed (parallel branches take numbers
     * ahead), but a pending file below an applied one is refused when applying. */
    for (size_t i = 0; i < l->n; i++) {
        if (l->items[i].version < 1 || (i > 0 && l->items[i].version == l->items[i - 1].version)) {
            snprintf(err, errlen, "%s/%s: migration number %04d is used twice or is 0", dir,
                     l->items[i].name, l->items[i].version);
            rc = ST_ERR_CONFIG;
            goto fail;
        }
    }
fail:
    closedir(d);
    if (rc != ST_OK)
        migration_list_free(l);
    return rc;
}

/* Creates the bookkeeping table when missing. */
static int migrate_prepare(db_t *db, char *err, size_t errlen)
{
    int rc = db_run_static(db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                               " version INT NOT NULL PRIMARY KEY,"
                               " name VARCHAR(255) NOT NULL,"
                               " sha256 CHAR(64) NOT NULL,"
                               " applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
                               ") ENGINE=InnoDB");
    if (rc != ST_OK)
        snprintf(err, errlen, "creating schema_migrations: %s", db_error(db));
    return rc;
}

/* Looks up the recorded checksum of a version; "" when not applied. */
static int migrate_recorded(db_t *db, int version, char sha[HASH_SHA256_HEX_LEN + 1])
{
    db_res_t *res = NULL;
    db_val_t p[] = {db_i64(version)};
    int rc = db_exec(db, "SELECT sha256 FROM schema_migrations WHERE version = ?", p, 1, &res);
    sha[0] = '\0';
    if (rc == ST_OK && db_res_next(res)) {
        const char *s = db_res_str(res, 0, NULL);
        snprintf(sha, HASH_SHA256_HEX_LEN + 1, "%s", s ? s : "");
    }
    db_res_free(res);
    return rc;
}

/* Takes (or releases) the named lock that serialises migrations. */
static int migrate_lock(db_t *db, bool take)
{
    db_res_t *res = NULL;
    int rc = db_exec(db,
                     take ? "SELECT GET_LOCK('slattest.migrate', 120)"
                          : "SELECT RELEASE_LOCK('slattest.migrate')",
                     NULL, 0, &res);
    if (rc == ST_OK && take && (!db_res_next(res) || db_res_i64(res, 0) != 1))
        rc = ST_ERR_TIMEOUT;
    db_res_free(res);
    return rc;
}

int migrate_apply(db_t *db, const char *dir, FILE *out, char *err, size_t errlen)
{
    migration_list_t l;
    int rc = migration_list_load(dir, &l, err, errlen);
    if (rc != ST_OK)
        return rc;
    bool locked = false;
    if ((rc = migrate_prepare(db, err, errlen)) != ST_OK)
        goto fail;
    if ((rc = migrate_lock(db, true)) != ST_OK) {
        snprintf(err, errlen, "another migration is running (lock not granted)");
        goto fail;
    }
    locked = true;
    size_t applied = 0;
    for (size_t i = 0; i < l.n; i++) {
        migration_t *m = &l.items[i];
        char sha[HASH_SHA256_HEX_LEN + 1];
        if ((rc = migrate_recorded(db, m->version, sha)) != ST_OK) {
            snprintf(err, errlen, "reading schema_migrations: %s", db_error(db));
            goto fail;
        }
        if (sha[0]) {
            if (strcmp(sha, m->sha) != 0) {
                snprintf(
                    err, errlen,
                    "%s/%s was changed after it was applied (recorded sha256 %s, file now %s): "
                    "restore it and put the change in a new migration",
                    dir, m->name, sha, m->sha);
                rc = ST_ERR_CONFLICT;
                goto fail;
            }
            continue;
        }
        if (i + 1 < l.n && (rc = migrate_recorded(db, l.items[l.n - 1].version, sha)) == ST_OK &&
            sha[0]) {
            snprintf(err, errlen,
                     "%s/%s is older than the applied %s: migrations apply in number order only",
                     dir, m->name, l.items[l.n - 1].name);
            rc = ST_ERR_CONFLICT;
            goto fail;
        }
        fprintf(out, "migrate: applying %s\n", m->name);
        if ((rc = db_allow_multi(db, true)) != ST_OK || (rc = db_run_static(db, m->sql)) != ST_OK ||
            (rc = db_allow_multi(db, false)) != ST_OK) {
            snprintf(err, errlen, "%s/%s failed: %s", dir, m->name, db_error(db));
            goto fail;
        }
        db_val_t p[] = {db_i64(m->version), db_str(m->name), db_str(m->sha)};
        rc = db_exec(db, "INSERT INTO schema_migrations (version, name, sha256) VALUES (?, ?, ?)",
                     p, 3, NULL);
        if (rc != ST_OK) {
            snprintf(err, errlen, "recording %s: %s", m->name, db_error(db));
            goto fail;
        }
        applied++;
    }
    fprintf(out, "migrate: %zu applied, %zu up to date\n", applied, l.n - applied);
    rc = ST_OK;
fail:
    if (locked)
        migrate_lock(db, false);
    migration_list_free(&l);
    return rc;
}

int migrate_status(db_t *db, const char *dir, FILE *out, char *err, size_t errlen)
{
    migration_list_t l;
    int rc = migration_list_load(dir, &l, err, errlen);
    if (rc != ST_OK)
        return rc;
    if ((rc = migrate_prepare(db, err, errlen)) != ST_OK)
        goto fail;
    int changed = 0;
    for (size_t i = 0; i < l.n; i++) {
        char sha[HASH_SHA256_HEX_LEN + 1];
        if ((rc = migrate_recorded(db, l.items[i].version, sha)) != ST_OK) {
            snprintf(err, errlen, "reading schema_migrations: %s", db_error(db));
            goto fail;
        }
        const char *state = !sha[0]                       ? "pending"
                            : strcmp(sha, l.items[i].sha) ? "CHANGED"
                                                          : "applied";
        changed += state[0] == 'C';
        fprintf(out, "%-8s %s %s\n", state, l.items[i].sha, l.items[i].name);
    }
    if (changed) {
        snprintf(err, errlen, "%d applied migration file(s) changed", changed);
        rc = ST_ERR_CONFLICT;
    }
fail:
    migration_list_free(&l);
    return rc;
}
