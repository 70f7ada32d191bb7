/* libFuzzer target: multipart_parse on arbitrary bodies (the first line is the Content-Type). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nl = memchr(data, '\n', size);
    size_t ctlen = nl ? (size_t)(nl - (const char *)data) : size;
    char *ct = malloc(ctlen + 1);
    memcpy(ct, data, ctlen);
    ct[ctlen] = '\0';
    const char *body = nl ? nl + 1 : (const char *)data + size;
    size_t blen = size - (size_t)(body - (const char *)data);
    multipart_part_t parts[MULTIPART_MAX_PARTS];
    size_t n = 0;
    char err[128];
    if (multipart_parse(ct, body, blen, parts, &n, err, sizeof err) == 0) {
        for (size_t i = 0; i < n; i++) /* every part lies inside the body */
            if (parts[i].data < body || parts[i].data + parts[i].len > body + blen)
                abort();
    }
    free(ct);
    return 0;
}
