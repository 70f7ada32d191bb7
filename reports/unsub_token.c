/* unsub_token.c - signed opt-out tokens (see unsub_token.h). */
#include "unsub_token.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "status.h"

#define PREFIX      "u1."
#define PAYLOAD_MAX (20 + 1 + UNSUB_SCHEDULE_MAX + 1 + UNSUB_EMAIL_MAX)

int unsub_token_make(const void *key, size_t klen, const unsub_who_t *who,
                     char out[UNSUB_TOKEN_MAX])
{
    out[0] = '\0';
    if (strlen(who->schedule) > UNSUB_SCHEDULE_MAX || strlen(who->email) > UNSUB_EMAIL_MAX ||
        strchr(who->schedule, '\n') || strchr(who->email, '\n'))
        return ST_ERR_INVALID;
    char payload[PAYLOAD_MAX + 1];
    int n = snprintf(payload, sizeof payload, "%" PRIu64 "\n%s\n%s", who->tenant_id, who->schedule,
                     who->email);
    if (n < 0 || (size_t)n >= sizeof payload)
        return ST_ERR_INVALID;
    uint8_t mac[HASH_SHA256_LEN];
    hash_hmac_sha256(key, klen, payload, (size_t)n, mac);
    size_t o = strlen(PREFIX);
    memcpy(out, PREFIX, o);
    hash_hex((const uint8_t *)payload, (size_t)n, out + o);
    o += 2 * (size_t)n;
    out[o++] = '.';
    hash_hex(mac, sizeof mac, out + o);
    return ST_OK;
}

int unsub_token_read(const void *key, size_t klen, const char *token, unsub_who_t *who)
{
    memset(who, 0, sizeof *who);
    size_t pl = strlen(PREFIX);
    if (!token || strncmp(token, PREFIX, pl) != 0)
        return ST_ERR_INVALID;
    const char *hex = token + pl, *dot = strchr(hex, '.');
    if (!dot || (dot - hex) % 2 != 0 || (size_t)(dot - hex) / 2 > PAYLOAD_MAX ||
        strlen(dot + 1) != 2 * HASH_SHA256_LEN)
        return ST_ERR_INVALID;
    size_t n = (size_t)(dot - hex) / 2;
    char payload[PAYLOAD_MAX + 1];
    uint8_t mac[HASH_SHA256_LEN], want[HASH_SHA256_LEN];
    if (hash_unhex(hex, (uint8_t *)payload, n) != ST_OK ||
        hash_unhex(dot + 1, mac, sizeof mac) != ST_OK)
        return ST_ERR_INVALID;
    payload[n] = '\0';
    hash_hmac_sha256(key, klen, payload, n, want);
    if (!hash_equal(mac, want, sizeof mac))
        return ST_ERR_AUTH;
    /* Signed by us: the three lines are as unsub_token_make() wrote them. */
    char *nl1 = memchr(payload, '\n', n), *nl2 = nl1 ? strchr(nl1 + 1, '\n') : NULL;
    if (!nl1 || !nl2 || strlen(nl2 + 1) > UNSUB_EMAIL_MAX ||
        (size_t)(nl2 - nl1 - 1) > UNSUB_SCHEDULE_MAX)
        return ST_ERR_INVALID;
    *nl1 = *nl2 = '\0';
    char *end = NULL;
    unsigned long long id = strtoull(payload, &end, 10);
    if (!payload[0] || *end)
        return ST_ERR_INVALID;
    who->tenant_id = (uint64_t)id;
    memcpy(who->schedule, nl1 + 1, strlen(nl1 + 1) + 1);
    memcpy(who->email, nl2 + 1, strlen(nl2 + 1) + 1);
    return ST_OK;
}
