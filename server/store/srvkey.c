/* srvkey.c - shared server keys in the database (see srvkey.h). */
#include "srvkey.h"

#include <string.h>

#include "hash.h"
#include "status.h"

/* Reads key `name`: ST_OK, ST_ERR_NOT_FOUND, or a db status. */
static int read_key(db_t *db, const char *name, uint8_t out[SRVKEY_LEN])
{
    db_res_t *res = NULL;
    db_val_t p[] = {db_str(name)};
    int rc = db_exec(db, "SELECT secret FROM server_keys WHERE name = ?", p, 1, &res);
    size_t n = 0;
    const char *s = rc == ST_OK && db_res_next(res) ? db_res_str(res, 0, &n) : NULL;
    if (rc == ST_OK)
        rc = s && n == SRVKEY_LEN ? ST_OK : ST_ERR_NOT_FOUND;
    if (rc == ST_OK)
        memcpy(out, s, SRVKEY_LEN);
    db_res_free(res);
    return rc;
}

int srvkey_get(db_t *db, const char *name, int64_t now, uint8_t out[SRVKEY_LEN])
{
    int rc = read_key(db, name, out);
    if (rc != ST_ERR_NOT_FOUND)
        return rc;
    uint8_t fresh[SRVKEY_LEN];
    if (hash_random(fresh, sizeof fresh) != ST_OK)
        return ST_ERR_CRYPTO;
    db_val_t p[] = {db_str(name), db_blob(fresh, sizeof fresh), db_i64(now)};
    rc = db_exec(db, "INSERT INTO server_keys (name, secret, created_at) VALUES (?,?,?)", p, 3,
                 NULL);
    if (rc != ST_OK && rc != ST_ERR_CONFLICT)
        return rc;
    /* Ours, or another instance's that won the row: the stored one holds. */
    return read_key(db, name, out);
}
