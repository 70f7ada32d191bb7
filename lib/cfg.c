/* cfg.c - table-driven INI + environment configuration (see cfg.h). */
#include "cfg.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "status.h"
#include "xmem.h"

extern char **environ;

#define ENV_PREFIX "SLATTEST_"

/* Finds the option for section/key (case-insensitive, like INI files). */
static const cfg_option_t *cfg_find(const cfg_option_t *opts, size_t n, const char *section,
                                    const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(opts[i].section, section) == 0 && strcasecmp(opts[i].key, key) == 0)
            return &opts[i];
    return NULL;
}

/* Parses a boolean word; returns 0/1, or -1 when it is not one. */
static int cfg_parse_bool(const char *v)
{
    static const char *yes[] = {"1", "true", "yes", "on"};
    static const char *no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0)
            return 1;
        if (strcasecmp(v, no[i]) == 0)
            return 0;
    }
    return -1;
}

int cfg_set(const cfg_option_t *opts, size_t n, void *target, const char *section, const char *key,
            const char *value, const char *origin, char *err, size_t errlen)
{
    const cfg_option_t *o = cfg_find(opts, n, section, key);
    if (!o) {
        snprintf(err, errlen, "%s: unknown key [%s] %s", origin, section, key);
        return ST_ERR_CONFIG;
    }
    char *field = (char *)target + o->offset;
    switch (o->type) {
    case CFG_STRING: {
        char **s = (char **)(void *)field;
        free(*s);
        *s = xstrdup(value);
        return ST_OK;
    }
    case CFG_INT: {
        char *end = NULL;
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (errno || end == value || *end != '\0' || isspace((unsigned char)*value)) {
            snprintf(err, errlen, "%s: [%s] %s: '%s' is not an integer", origin, o->section, o->key,
                     value);
            return ST_ERR_CONFIG;
        }
        if (v < o->min || v > o->max) {
            snprintf(err, errlen, "%s: [%s] %s: %lld is outside %lld..%lld", origin, o->section,
                     o->key, v, o->min, o->max);
            return ST_ERR_CONFIG;
        }
        *(long long *)(void *)field = v;
        return ST_OK;
    }
    case CFG_BOOL: {
        int b = cfg_parse_bool(value);
        if (b < 0) {
            snprintf(err, errlen, "%s: [%s] %s: '%s' is not a boolean (true/false)", origin,
                     o->section, o->key, value);
            return ST_ERR_CONFIG;
        }
        *(bool *)(void *)field = b;
        return ST_OK;
    }
    }
    return ST_ERR_INTERNAL;
}

/* State shared with the inih callback. */
struct ini_ctx {
    const cfg_option_t *opts;
    size_t n;
    void *target;
    const char *path;
    char *err;
    size_t errlen;
    int failed;
};

/* inih handler: applies one key; remembers the first error. */
static int cfg_ini_handler(void *user, const char *section, const char *name, const char *value)
{
    struct ini_ctx *c = user;
    if (c->failed)
        return 0;
    if (cfg_set(c->opts, c->n, c->target, section, name, value, c->path, c->err, c->errlen) !=
        ST_OK) {
        c->failed = 1;
        return 0;
    }
    return 1;
}

/* Builds the environment variable name for an option: SLATTEST_SECTION_KEY. */
static void cfg_env_name(const cfg_option_t *o, char *out, size_t len)
{
    snprintf(out, len, ENV_PREFIX "%s_%s", o->section, o->key);
    for (char *p = out; *p; p++)
        *p = (char)toupper((unsigned char)*p);
}

/* True when the SLATTEST_ variable `name` (up to '=') uses a known section prefix. */
static bool cfg_env_in_known_section(const cfg_option_t *opts, size_t n, const char *name,
                                     size_t len)
{
    for (size_t i = 0; i < n; i++) {
        size_t sl = strlen(opts[i].section);
        const char *rest = name + strlen(ENV_PREFIX);
        size_t restlen = len - strlen(ENV_PREFIX);
        if (restlen > sl && strncasecmp(rest, opts[i].section, sl) == 0 && rest[sl] == '_')
            return true;
    }
    return false;
}

/* Applies SLATTEST_* environment overrides; a typo in a known section is an error. */
static int cfg_apply_env(const cfg_option_t *opts, size_t n, void *target, char *err, size_t errlen)
{
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, ENV_PREFIX, strlen(ENV_PREFIX)) != 0)
            continue;
        const char *eq = strchr(*e, '=');
        if (!eq)
            continue;
        size_t len = (size_t)(eq - *e);
        bool matched = false;
        for (size_t i = 0; i < n; i++) {
            char name[128];
            cfg_env_name(&opts[i], name, sizeof name);
            if (strlen(name) == len && strncmp(name, *e, len) == 0) {
                char origin[160];
                snprintf(origin, sizeof origin, "environment %s", name);
                int rc = cfg_set(opts, n, target, opts[i].section, opts[i].key, eq + 1, origin, err,
                                 errlen);
                if (rc != ST_OK)
                    return rc;
                matched = true;
                break;
            }
        }
        if (!matched && cfg_env_in_known_section(opts, n, *e, len)) {
            snprintf(err, errlen, "environment: unknown configuration variable %.*s", (int)len, *e);
            return ST_ERR_CONFIG;
        }
    }
    return ST_OK;
}

int cfg_load(const cfg_option_t *opts, size_t n, void *target, const char *path, bool required,
             char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        int rc = cfg_set(opts, n, target, opts[i].section, opts[i].key,
                         opts[i].def ? opts[i].def : "", "default", err, errlen);
        if (rc != ST_OK)
            return rc;
    }
    if (path && (required || access(path, F_OK) == 0)) {
        struct ini_ctx c = {opts, n, target, path, err, errlen, 0};
        int line = ini_parse(path, cfg_ini_handler, &c);
        if (line < 0) {
            snprintf(err, errlen, "%s: cannot read configuration file", path);
            return ST_ERR_CONFIG;
        }
        if (c.failed)
            return ST_ERR_CONFIG;
        if (line > 0) {
            snprintf(err, errlen, "%s:%d: syntax error", path, line);
            return ST_ERR_CONFIG;
        }
    }
    return cfg_apply_env(opts, n, target, err, errlen);
}

void cfg_dump(const cfg_option_t *opts, size_t n, const void *target, FILE *out)
{
    const char *section = NULL;
    for (size_t i = 0; i < n; i++) {
        const cfg_option_t *o = &opts[i];
        if (!section || strcmp(section, o->section) != 0) {
            fprintf(out, "%s[%s]\n", section ? "\n" : "", o->section);
            section = o->section;
        }
        if (o->help)
            fprintf(out, "; %s\n", o->help);
        const char *field = (const char *)target + o->offset;
        switch (o->type) {
        case CFG_STRING: {
            const char *v = *(char *const *)(const void *)field;
            fprintf(out, "%s = %s\n", o->key, o->secret && v && *v ? "********" : (v ? v : ""));
            break;
        }
        case CFG_INT:
            fprintf(out, "%s = %lld\n", o->key, *(const long long *)(const void *)field);
            break;
        case CFG_BOOL:
            fprintf(out, "%s = %s\n", o->key,
                    *(const bool *)(const void *)field ? "true" : "false");
            break;
        }
    }
}

void cfg_free(const cfg_option_t *opts, size_t n, void *target)
{
    for (size_t i = 0; i < n; i++) {
        if (opts[i].type != CFG_STRING)
            continue;
        char **s = (char **)(void *)((char *)target + opts[i].offset);
        free(*s);
        *s = NULL;
    }
}
