/* tenant.c - tenants and the tenancy gate (see tenant.h). */
#include "tenant.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "jsonutil.h"
#include "status.h"
#include "tz.h"
#include "xmem.h"

#define TENANT_COLS                                                                                \
    "id, slug, name, timezone, DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ'), clients_see_live"

bool tenant_slug_valid(const char *slug)
{
    size_t n = strlen(slug);
    if (n == 0 || n > 64 || slug[0] == '-')
        return false;
    for (const char *p = slug; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return false;
    return true;
}

bool tenant_timezone_valid(const char *zone)
{
    tz_t *tz = NULL;
    char err[256];
    if (!tz_name_valid(zone) || tz_load(zone, &tz, err, sizeof err) != ST_OK)
        return false;
    tz_free(tz);
    return true;
}

/* Copies the current result row into a tenant_t. */
static void tenant_from_row(const db_res_t *res, tenant_t *t)
{
    memset(t, 0, sizeof *t);
    t->id = (uint64_t)db_res_i64(res, 0);
    snprintf(t->slug, sizeof t->slug, "%s", db_res_str(res, 1, NULL));
    snprintf(t->name, sizeof t->name, "%s", db_res_str(res, 2, NULL));
    snprintf(t->timezone, sizeof t->timezone, "%s", db_res_str(res, 3, NULL));
    snprintf(t->created_at, sizeof t->created_at, "%s", db_res_str(res, 4, NULL));
    t->clients_see_live = db_res_i64(res, 5) != 0;
}

/* Runs a one-row tenant query with one parameter; ST_ERR_NOT_FOUND when it finds none. */
static int tenant_find(db_t *db, const char *sql, db_val_t key, tenant_t *out)
{
    db_res_t *res = NULL;
    int rc = db_exec(db, sql, &key, 1, &res);
    if (rc == ST_OK) {
        if (db_res_next(res))
            tenant_from_row(res, out);
        else
            rc = ST_ERR_NOT_FOUND;
    }
    db_res_free(res);
    return rc;
}

int tenant_by_slug(db_t *db, const char *slug, tenant_t *out)
{
    if (!tenant_slug_valid(slug))
        return ST_ERR_NOT_FOUND;
    return tenant_find(db, "SELECT " TENANT_COLS " FROM tenants WHERE slug = ?", db_str(slug), out);
}

int tenant_by_id(db_t *db, uint64_t id, tenant_t *out)
{
    return tenant_find(db, "SELECT " TENANT_COLS " FROM tenants WHERE id = ?", db_u64(id), out);
}

int tenant_resolve(db_t *db, const principal_t *p, const char *slug, tenant_t *out)
{
    int rc = tenant_by_slug(db, slug, out);
    if (rc == ST_OK && !auth_may_see(p, out->id))
        rc = ST_ERR_NOT_FOUND;
    return rc;
}

int tenant_create(db_t *db, const char *actor, const char *slug, const char *name,
                  const char *timezone, tenant_t *out, char *err, size_t errlen)
{
    if (!tenant_slug_valid(slug)) {
        snprintf(err, errlen, "slug: 1-64 characters of a-z, 0-9 and '-', not starting with '-'");
        return ST_ERR_INVALID;
    }
    if (name[0] == '\0' || strlen(name) > 255) {
        snprintf(err, errlen, "name: 1-255 bytes");
        return ST_ERR_INVALID;
    }
    if (!tenant_timezone_valid(timezone)) {
        snprintf(err, errlen, "timezone: '%s' is not an IANA time zone (e.g. Asia/Shanghai)",
                 timezone);
        return ST_ERR_INVALID;
    }
    int rc = db_begin(db);
    if (rc != ST_OK)
        goto fail;
    db_val_t v[] = {db_str(slug), db_str(name), db_str(timezone)};
    rc = db_exec(db, "INSERT INTO tenants (slug, name, timezone) VALUES (?, ?, ?)", v, 3, NULL);
    if (rc == ST_ERR_CONFLICT) {
        snprintf(err, errlen, "tenant '%s' exists already", slug);
        goto fail;
    }
    if (rc != ST_OK)
        goto fail;
    uint64_t id = db_insert_id(db);
    json_t *d = json_pack("{s:s, s:s, s:s}", "slug", slug, "name", name, "timezone", timezone);
    char *dtext = d ? jsonutil_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(d);
    char object[80];
    snprintf(object, sizeof object, "tenant:%s", slug);
    rc = audit_append(db, actor, id, "tenant.create", object, dtext ? dtext : "{}");
    free(dtext);
    if (rc != ST_OK)
        goto fail;
    if ((rc = tenant_by_slug(db, slug, out)) != ST_OK)
        goto fail;
    rc = db_commit(db);
fail:
    if (rc != ST_OK) {
        db_rollback(db);
        if (rc != ST_ERR_CONFLICT)
            snprintf(err, errlen, "%s", db_error(db));
    }
    return rc;
}

int tenant_set_clients_see_live(db_t *db, const char *actor, tenant_t *t, bool on)
{
    int rc = db_begin(db);
    db_val_t v[] = {db_i64(on ? 1 : 0), db_u64(t->id)};
    if (rc == ST_OK)
        rc = db_exec(db, "UPDATE tenants SET clients_see_live = ? WHERE id = ?", v, 2, NULL);
    if (rc == ST_OK) {
        json_t *d = json_pack("{s:{s:b}, s:{s:b}}", "before", "clients_see_live",
                              t->clients_see_live, "after", "clients_see_live", on);
        char *dtext = jsonutil_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(d);
        char object[80];
        snprintf(object, sizeof object, "tenant:%s", t->slug);
        rc = audit_append(db, actor, t->id, "tenant.settings", object, dtext ? dtext : "{}");
        free(dtext);
    }
    if (rc == ST_OK)
        rc = db_commit(db);
    if (rc != ST_OK) {
        db_rollback(db);
        return rc;
    }
    t->clients_see_live = on;
    return ST_OK;
}

int tenant_list(db_t *db, const principal_t *p, tenant_t **out, size_t *n)
{
    db_res_t *res = NULL;
    int rc = db_exec(db, "SELECT " TENANT_COLS " FROM tenants ORDER BY slug", NULL, 0, &res);
    *out = NULL;
    *n = 0;
    if (rc != ST_OK)
        return rc;
    tenant_t *list = xcalloc(db_res_count(res) + 1, sizeof *list);
    size_t k = 0;
    while (db_res_next(res)) {
        tenant_from_row(res, &list[k]);
        if (auth_may_see(p, list[k].id))
            k++;
    }
    db_res_free(res);
    *out = list;
    *n = k;
    return ST_OK;
}
