/* faults.c - every fault of a document with its JSON path (see faults.h). */
#include "faults.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "status.h"

#define FAULT_TEXT_MAX 640 /* bytes of one fault's message */

void faults_init(faults_t *f, char *err, size_t errlen, json_t *list)
{
    f->err = err;
    f->errlen = errlen;
    f->list = list;
    f->count = 0;
    if (err && errlen)
        err[0] = '\0';
}

char *faults_join(const char *const *names, char *out, size_t outlen)
{
    size_t used = 0;
    if (outlen)
        out[0] = '\0';
    for (size_t i = 0; names && names[i] && used + 1 < outlen; i++) {
        int n = snprintf(out + used, outlen - used, "%s%s", i ? ", " : "", names[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    return out;
}

json_t *faults_names_json(const char *const *names)
{
    json_t *a = json_array();
    for (size_t i = 0; names && names[i]; i++)
        json_array_append_new(a, json_string(names[i]));
    return a;
}

/* Records one fault whose message is already formatted. */
static int faults_record(faults_t *f, const char *path, const char *msg, const char *const *valid)
{
    if (f->count == 0 && f->err) {
        if (path[0])
            st_errf(f->err, f->errlen, "%s: %s", path, msg);
        else
            st_errf(f->err, f->errlen, "%s", msg);
    }
    f->count++;
    if (f->list && json_array_size(f->list) < FAULTS_CAP) {
        json_t *e = json_pack("{s:s, s:s}", "path", path, "message", msg);
        if (e && valid)
            json_object_set_new(e, "valid", faults_names_json(valid));
        if (e)
            json_array_append_new(f->list, e);
    }
    return ST_ERR_INVALID;
}

int faults_add(faults_t *f, const char *path, const char *fmt, ...)
{
    char msg[FAULT_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return faults_record(f, path, msg, NULL);
}

int faults_add_valid(faults_t *f, const char *path, const char *const *valid, const char *fmt, ...)
{
    char msg[FAULT_TEXT_MAX], list[FAULT_TEXT_MAX / 2];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof msg)
        snprintf(msg + n, sizeof msg - (size_t)n, " (one of: %s)",
                 faults_join(valid, list, sizeof list));
    return faults_record(f, path, msg, valid);
}

json_t *faults_details(const faults_t *f)
{
    if (!f->list)
        return NULL;
    json_t *d = json_pack("{s:O, s:I}", "errors", f->list, "count", (json_int_t)f->count);
    if (f->count > json_array_size(f->list))
        json_object_set_new(d, "truncated", json_true());
    return d;
}
