/*
 * cfg.h - table-driven configuration: INI file plus environment overrides.
 *
 * The application describes every key once in a cfg_option_t table (section,
 * key, type, default, bounds, help, and where the value lives in its config
 * struct).  cfg_load() fills the struct from the defaults, then the INI file,
 * then environment variables named SLATTEST_<SECTION>_<KEY>, validating each
 * value against the table: an unknown key, a value of the wrong type or out
 * of bounds is an error that names the key (and the file line).
 *
 * String values are heap copies owned by the config struct: release them
 * with cfg_free().  Call from one thread, before other threads start.
 */
#ifndef SLT_CFG_H
#define SLT_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum cfg_type {
    CFG_STRING, /* char * in the struct */
    CFG_INT,    /* long long in the struct, checked against min/max */
    CFG_BOOL,   /* bool in the struct: true/false/yes/no/on/off/1/0 */
} cfg_type;

typedef struct cfg_option {
    const char *section;
    const char *key;
    cfg_type type;
    const char *def; /* default as text; NULL means "" for strings */
    long long min, max;
    size_t offset; /* offsetof(struct, field) */
    const char *help;
    bool secret; /* never printed by cfg_dump */
} cfg_option_t;

/*
 * Fills `target` from the defaults, the INI file at `path` (skipped when
 * path is NULL, or when it does not exist and `required` is false), and the
 * environment.  On failure returns ST_ERR_CONFIG with a message in err.
 */
int cfg_load(const cfg_option_t *opts, size_t n, void *target, const char *path, bool required,
             char *err, size_t errlen);

/* Sets one option from text, validating it; `origin` names the source. */
int cfg_set(const cfg_option_t *opts, size_t n, void *target, const char *section, const char *key,
            const char *value, const char *origin, char *err, size_t errlen);

/* Writes the effective configuration as an INI file (secrets masked). */
void cfg_dump(const cfg_option_t *opts, size_t n, const void *target, FILE *out);

/* Frees the strings cfg_load() allocated in target. */
void cfg_free(const cfg_option_t *opts, size_t n, void *target);

#endif
