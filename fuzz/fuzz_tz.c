/*
 * libFuzzer target for lib/tz.c: any bytes given to tz_parse() must give an
 * error or a zone on which every conversion stays in range and keeps its
 * invariants (checked here; a violation aborts so the fuzzer reports it).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts unless cond holds: libFuzzer records the input as a crash. */
static void check(int cond)
{
    if (!cond)
        abort();
}

/* Runs every conversion at one instant and checks what must hold. */
static void probe(const tz_t *tz, int64_t t)
{
    int32_t off = tz_offset_at(tz, t);
    check(off > -90000 && off < 90000);

    tz_civil_t c;
    tz_to_local(tz, t, &c);
    check(c.month >= 1 && c.month <= 12 && c.day >= 1 && c.day <= 31 && c.hour >= 0 &&
          c.hour <= 23 && c.min >= 0 && c.min <= 59 && c.sec >= 0 && c.sec <= 59 && c.wday >= 0 &&
          c.wday <= 6);

    tz_interval_t iv;
    check(tz_interval_of(tz, t, 1800, &iv) == ST_OK);
    check(iv.index >= 0 && iv.start_utc < iv.end_utc && iv.end_utc - iv.start_utc <= 1800 &&
          strlen(iv.label) == 5);
    if (tz_date_valid(iv.year, iv.month, iv.day))
        check(tz_day_intervals(tz, iv.year, iv.month, iv.day, 1800) > iv.index);

    if (t < TZ_UTC_MIN || t > TZ_UTC_MAX)
        return; /* clamped: the exact identities below need t itself */
    /* The first instant showing t's wall clock is t or earlier. */
    check(tz_local_to_utc(tz, c.year, c.month, c.day, c.hour, c.min, c.sec) <= t);
    check(iv.start_utc <= t && t < iv.end_utc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int64_t instants[] = {
        INT64_MIN,
        TZ_UTC_MIN,
        -2208988800 /* 1900 */,
        0,
        1772953200 /* 2026-03-08 */,
        1793512800 /* 2026-11-01 */,
        4108690800 /* 2100 */,
        TZ_UTC_MAX,
        INT64_MAX,
    };
    tz_t *tz = NULL;
    char err[128];
    if (tz_parse(data, size, &tz, err, sizeof err) != ST_OK)
        return 0;
    for (size_t i = 0; i < sizeof instants / sizeof instants[0]; i++)
        probe(tz, instants[i]);
    /* One more instant taken from the input's last bytes. */
    if (size >= 8) {
        uint64_t u;
        memcpy(&u, data + size - 8, 8);
        probe(tz, (int64_t)(u % (uint64_t)(TZ_UTC_MAX - TZ_UTC_MIN)) + TZ_UTC_MIN);
    }
    /* Local times beyond any sane range must not overflow. */
    (void)tz_local_to_utc(tz, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX);
    (void)tz_local_to_utc(tz, INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN);
    tz_free(tz);
    return 0;
}
