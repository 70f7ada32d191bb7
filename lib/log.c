/* log.c - JSON line logging (see log.h). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "jsonutil.h"

/* Formats the current UTC time with milliseconds. */
static void log_now(char *out, size_t len)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(ts.tv_nsec / 1000000) % 1000);
}

void log_json(const char *level, const char *msg, json_t *fields)
{
    char ts[80];
    log_now(ts, sizeof ts);
    json_t *o = json_object();
    json_object_set_new(o, "ts", json_string(ts));
    json_object_set_new(o, "level", json_string(level));
    json_object_set_new(o, "msg", json_string(msg ? msg : ""));
    if (fields)
        json_object_update_missing(o, fields);
    char *line = jsonutil_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!line)
        return;
    flockfile(stderr);
    fputs(line, stderr);
    fputc('\n', stderr);
    fflush(stderr);
    funlockfile(stderr);
    free(line);
}

/* Builds the field object from key/value string pairs and logs it. */
static void log_pairs(const char *level, const char *msg, va_list ap)
{
    json_t *f = json_object();
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k)
            break;
        const char *v = va_arg(ap, const char *);
        json_object_set_new(f, k, v ? json_string(v) : json_null());
    }
    log_json(level, msg, f);
    json_decref(f);
}

void log_info(const char *msg, ...)
{
    va_list ap;
    va_start(ap, msg);
    log_pairs("info", msg, ap);
    va_end(ap);
}

void log_warn(const char *msg, ...)
{
    va_list ap;
    va_start(ap, msg);
    log_pairs("warn", msg, ap);
    va_end(ap);
}

void log_error(const char *msg, ...)
{
    va_list ap;
    va_start(ap, msg);
    log_pairs("error", msg, ap);
    va_end(ap);
}
