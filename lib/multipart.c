/* multipart.c - multipart/form-data splitting (see multipart.h). */
#include "multipart.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "status.h"

/* Finds needle (n bytes) in hay (h bytes), or NULL. */
static const char *find_bytes(const char *hay, size_t h, const char *needle, size_t n)
{
    if (n == 0 || h < n)
        return NULL;
    for (const char *p = hay; p + n <= hay + h; p++) {
        p = memchr(p, needle[0], (size_t)(hay + h - p));
        if (!p || p + n > hay + h)
            return NULL;
        if (memcmp(p, needle, n) == 0)
            return p;
    }
    return NULL;
}

/* Copies the value of a parameter (name="value" or name=value) out of a header line. */
static void header_param(const char *line, size_t len, const char *param, char *out, size_t outlen)
{
    out[0] = '\0';
    size_t pl = strlen(param);
    for (size_t i = 0; i + pl + 1 < len; i++) {
        if ((i > 0 && line[i - 1] != ' ' && line[i - 1] != ';') ||
            strncasecmp(line + i, param, pl) != 0 || line[i + pl] != '=')
            continue;
        const char *v = line + i + pl + 1, *end = line + len;
        bool quoted = v < end && *v == '"';
        if (quoted)
            v++;
        size_t k = 0;
        while (v < end && (quoted ? *v != '"' : (*v != ';' && *v != ' ')) && k + 1 < outlen)
            out[k++] = *v++;
        out[k] = '\0';
        return;
    }
}

/* Parses one part: headers, a blank line, then the content. */
static int parse_part(const char *p, size_t len, multipart_part_t *part, char *err, size_t errlen)
{
    memset(part, 0, sizeof *part);
    const char *end = p + len;
    while (p < end) {
        const char *eol = find_bytes(p, (size_t)(end - p), "\r\n", 2);
        if (!eol) {
            snprintf(err, errlen, "a part's headers do not end");
            return ST_ERR_INVALID;
        }
        if (eol == p) { /* blank line: the content follows */
            part->data = eol + 2;
            part->len = (size_t)(end - part->data);
            break;
        }
        if ((size_t)(eol - p) > 20 && strncasecmp(p, "Content-Disposition:", 20) == 0) {
            header_param(p, (size_t)(eol - p), "name", part->name, sizeof part->name);
            header_param(p, (size_t)(eol - p), "filename", part->filename, sizeof part->filename);
        }
        p = eol + 2;
    }
    if (!part->data || !part->name[0]) {
        snprintf(err, errlen, "a part has no Content-Disposition name");
        return ST_ERR_INVALID;
    }
    return ST_OK;
}

int multipart_parse(const char *content_type, const char *body, size_t len, multipart_part_t *parts,
                    size_t *nparts, char *err, size_t errlen)
{
    char boundary[80];
    *nparts = 0;
    if (!content_type || strncasecmp(content_type, "multipart/form-data", 19) != 0) {
        snprintf(err, errlen, "send multipart/form-data");
        return ST_ERR_INVALID;
    }
    header_param(content_type, strlen(content_type), "boundary", boundary, sizeof boundary);
    if (!boundary[0]) {
        snprintf(err, errlen, "the multipart Content-Type has no boundary");
        return ST_ERR_INVALID;
    }
    char delim[96];
    int dl = snprintf(delim, sizeof delim, "--%s", boundary);
    const char *p = find_bytes(body, len, delim, (size_t)dl);
    const char *end = body + len;
    while (p) {
        p += dl;
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            return ST_OK; /* the closing delimiter */
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
            break;
        p += 2;
        char next_delim[100];
        int nl = snprintf(next_delim, sizeof next_delim, "\r\n%s", delim);
        const char *next = find_bytes(p, (size_t)(end - p), next_delim, (size_t)nl);
        if (!next)
            break;
        if (*nparts == MULTIPART_MAX_PARTS) {
            snprintf(err, errlen, "more than %d parts", MULTIPART_MAX_PARTS);
            return ST_ERR_INVALID;
        }
        int rc = parse_part(p, (size_t)(next - p), &parts[*nparts], err, errlen);
        if (rc != ST_OK)
            return rc;
        (*nparts)++;
        p = next + 2;
    }
    snprintf(err, errlen, "the multipart body is cut off (no closing boundary)");
    return ST_ERR_INVALID;
}

const multipart_part_t *multipart_find(const multipart_part_t *parts, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(parts[i].name, name) == 0)
            return &parts[i];
    return NULL;
}
