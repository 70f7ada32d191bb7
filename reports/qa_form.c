/* qa_form.c - QA scorecard parsing and validation (see qa_form.h). */
#include "qa_form.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"
#include "jsonutil.h"
#include "status.h"
#include "xmem.h"

#define QA_WEIGHT_MAX 1e6
#define PATH_MAX_LEN  160

struct qa_form {
    char *form_id;
    int version;
    double pass_mark;
    bool critical_zeroes;
    bool weights_given;
    size_t n_sections;
    qa_section_t *sections;
    size_t n_items;
    qa_item_t *items;
    const qa_item_t **by_id; /* items sorted by id, for bsearch */
    size_t n_owned;          /* every string the form allocated, to free them */
    char **owned;
};

static const char *const form_keys[] = {"form_id",         "version",  "pass_mark",
                                        "critical_zeroes", "sections", NULL};
static const char *const section_keys[] = {"id", "name", "weight", "dimension", "items", NULL};
static const char *const item_keys[] = {"id", "name", "max", "critical", "dimension", NULL};

/* vsnprintf into dst; cutting a long path or message short is acceptable. */
static void text_vset(char *dst, size_t n, const char *fmt, va_list ap)
{
    if (dst && n > 0)
        vsnprintf(dst, n, fmt, ap);
}

/* Builds a JSON path such as "sections[1].items[0]" into dst. */
__attribute__((format(printf, 3, 4))) static void path_set(char *dst, size_t n, const char *fmt,
                                                           ...)
{
    va_list ap;
    va_start(ap, fmt);
    text_vset(dst, n, fmt, ap);
    va_end(ap);
}

/* "path.key", or just "key" at the root, so messages read like JSON paths. */
static void path_key(char *dst, size_t n, const char *path, const char *key)
{
    if (path[0])
        path_set(dst, n, "%s.%s", path, key);
    else
        path_set(dst, n, "%s", key);
}

bool qa_form_id_valid(const char *s)
{
    if (!s)
        return false;
    size_t n = 0;
    for (; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        if (n >= QA_ID_MAX || c < 0x21 || c > 0x7e)
            return false;
    }
    return n > 0;
}

void qa_form_quote(char *dst, size_t dstlen, const char *s)
{
    if (!dst || dstlen == 0)
        return;
    size_t o = 0;
    size_t i = 0;
    if (!s)
        s = "";
    for (; s[i] && i < QA_ID_MAX && o + 1 < dstlen; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[o++] = (c >= 0x20 && c <= 0x7e) ? (char)c : '?';
    }
    if (s[i]) {
        for (int k = 0; k < 3 && o + 1 < dstlen; k++)
            dst[o++] = '.';
    }
    dst[o] = '\0';
}

/* Keeps a copy of s in the form so qa_form_free() can release it. */
static char *form_strdup(qa_form_t *f, const char *s)
{
    char *c = xstrdup(s);
    f->owned = xrealloc(f->owned, (f->n_owned + 1) * sizeof *f->owned);
    f->owned[f->n_owned++] = c;
    return c;
}

/* Records every key of obj not in `allowed`, naming the valid ones. */
static int keys_check(const json_t *obj, const char *path, const char *const *allowed, faults_t *fl)
{
    const char *key;
    json_t *val;
    int rc = ST_OK;
    /* json_object_foreach wants a non-const object; iteration does not modify it. */
    json_t *o = (json_t *)(uintptr_t)obj;
    json_object_foreach(o, key, val)
    {
        (void)val;
        bool known = false;
        for (size_t i = 0; allowed[i]; i++) {
            if (strcmp(key, allowed[i]) == 0) {
                known = true;
                break;
            }
        }
        if (!known) {
            char q[QA_ID_MAX + 4];
            char p[PATH_MAX_LEN];
            qa_form_quote(q, sizeof q, key);
            path_key(p, sizeof p, path, q);
            rc = faults_add_valid(fl, p, allowed, "unknown key");
        }
    }
    return rc;
}

/* Finds the required string `key` of obj; p gets its JSON path for messages. */
static int field_string(const json_t *obj, const char *path, const char *key, char *p,
                        const json_t **v, faults_t *fl)
{
    path_key(p, PATH_MAX_LEN, path, key);
    *v = json_object_get(obj, key);
    if (!*v)
        return faults_add(fl, p, "required");
    if (!json_is_string(*v))
        return faults_add(fl, p, "must be a string");
    return ST_OK;
}

/* Reads the required id `key` of obj; *val is borrowed from the JSON (NULL when wrong). */
static int field_id(const json_t *obj, const char *path, const char *key, const char **val,
                    faults_t *fl)
{
    char p[PATH_MAX_LEN];
    const json_t *v;
    *val = NULL;
    if (field_string(obj, path, key, p, &v, fl) != ST_OK)
        return ST_ERR_INVALID;
    const char *s = json_string_value(v);
    if (json_string_length(v) > QA_ID_MAX)
        return faults_add(fl, p, "longer than %d bytes", QA_ID_MAX);
    if (strlen(s) != json_string_length(v) || !qa_form_id_valid(s))
        return faults_add(fl, p, "must be 1-%d visible ASCII characters (no spaces)", QA_ID_MAX);
    *val = s;
    return ST_OK;
}

/* Reads the required display name `key` of obj; *val is borrowed (NULL when wrong). */
static int field_name(const json_t *obj, const char *path, const char *key, const char **val,
                      faults_t *fl)
{
    char p[PATH_MAX_LEN];
    const json_t *v;
    *val = NULL;
    if (field_string(obj, path, key, p, &v, fl) != ST_OK)
        return ST_ERR_INVALID;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0)
        return faults_add(fl, p, "must not be empty");
    if (n > QA_NAME_MAX)
        return faults_add(fl, p, "longer than %d bytes", QA_NAME_MAX);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            return faults_add(fl, p, "contains a control character");
    }
    *val = s;
    return ST_OK;
}

/* Reads the optional boolean `key` of obj, leaving *val alone when absent or wrong. */
static int field_bool(const json_t *obj, const char *path, const char *key, bool *val, faults_t *fl)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return ST_OK;
    if (!json_is_boolean(v)) {
        char p[PATH_MAX_LEN];
        path_key(p, sizeof p, path, key);
        return faults_add(fl, p, "must be true or false");
    }
    *val = json_is_true(v);
    return ST_OK;
}

bool qa_form_dimension_valid(const char *s)
{
    if (!s)
        return false;
    size_t n = 0;
    for (; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
        if (n >= QA_DIMENSION_MAX || !ok)
            return false;
    }
    return n > 0;
}

/* Reads the optional `dimension` of obj; *val is borrowed (left alone when absent or wrong). */
static int field_dimension(const json_t *obj, const char *path, const char **val, faults_t *fl)
{
    const json_t *v = json_object_get(obj, "dimension");
    if (!v)
        return ST_OK;
    char p[PATH_MAX_LEN];
    path_key(p, sizeof p, path, "dimension");
    if (!json_is_string(v))
        return faults_add(fl, p, "must be a string");
    const char *s = json_string_value(v);
    if (strlen(s) != json_string_length(v) || !qa_form_dimension_valid(s))
        return faults_add(fl, p,
                          "must be 1-%d letters, digits, '_' or '-' (empathy, accuracy, "
                          "responsiveness, reliability or a name of yours)",
                          QA_DIMENSION_MAX);
    *val = s;
    return ST_OK;
}

/* Reads the required integer `key` of obj within lo..hi (*val left alone when wrong). */
static int field_int(const json_t *obj, const char *path, const char *key, json_int_t lo,
                     json_int_t hi, json_int_t *val, faults_t *fl)
{
    char p[PATH_MAX_LEN];
    path_key(p, sizeof p, path, key);
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return faults_add(fl, p, "required");
    if (!json_is_integer(v))
        return faults_add(fl, p, "must be an integer");
    json_int_t x = json_integer_value(v);
    if (x < lo)
        return faults_add(fl, p, "must be >= %lld", (long long)lo);
    if (x > hi)
        return faults_add(fl, p, "must be <= %lld", (long long)hi);
    *val = x;
    return ST_OK;
}

/* Keeps a copy of s (NULL stays NULL: a field that had a fault). */
static const char *form_strdup_opt(qa_form_t *f, const char *s)
{
    return s ? form_strdup(f, s) : NULL;
}

/* Parses one item of a section into f->items[f->n_items] (kept even with faults). */
static int item_parse(qa_form_t *f, const json_t *ij, const char *ipath, size_t si, faults_t *fl)
{
    qa_item_t *it = &f->items[f->n_items];
    it->index = f->n_items;
    it->section = si;
    it->max = 1;
    f->n_items++;
    if (!json_is_object(ij))
        return faults_add(fl, ipath, "must be an object");
    const char *id, *name;
    json_int_t max = 1;
    bool critical = false;
    const char *dim = NULL;
    int rc = keys_check(ij, ipath, item_keys, fl);
    if (field_id(ij, ipath, "id", &id, fl) != ST_OK)
        rc = ST_ERR_INVALID;
    if (field_name(ij, ipath, "name", &name, fl) != ST_OK)
        rc = ST_ERR_INVALID;
    if (field_int(ij, ipath, "max", 1, QA_FORM_MAX_POINTS, &max, fl) != ST_OK)
        rc = ST_ERR_INVALID;
    if (field_bool(ij, ipath, "critical", &critical, fl) != ST_OK)
        rc = ST_ERR_INVALID;
    if (field_dimension(ij, ipath, &dim, fl) != ST_OK)
        rc = ST_ERR_INVALID;
    it->id = form_strdup_opt(f, id);
    /* An item's own dimension wins over its section's. */
    it->dimension = dim ? form_strdup(f, dim) : f->sections[si].dimension;
    it->name = form_strdup_opt(f, name);
    it->max = (int)max;
    it->critical = critical;
    return rc;
}

/* Parses sections[si]: its fields, then its items appended to f->items. */
static int section_parse(qa_form_t *f, const json_t *sj, size_t si, bool *has_weight, faults_t *fl)
{
    char path[PATH_MAX_LEN];
    char ipath[PATH_MAX_LEN];
    const char *id;
    const char *name;

    qa_section_t *s = &f->sections[si];
    s->weight = 1.0;
    s->first_item = f->n_items;
    *has_weight = false;
    path_set(path, sizeof path, "sections[%zu]", si);
    if (!json_is_object(sj))
        return faults_add(fl, path, "must be an object");
    int rc = keys_check(sj, path, section_keys, fl);
    if (field_id(sj, path, "id", &id, fl) != ST_OK)
        rc = ST_ERR_INVALID;
    if (field_name(sj, path, "name", &name, fl) != ST_OK)
        rc = ST_ERR_INVALID;
    s->id = form_strdup_opt(f, id);
    s->name = form_strdup_opt(f, name);
    const char *dim = NULL;
    if (field_dimension(sj, path, &dim, fl) != ST_OK)
        rc = ST_ERR_INVALID;
    s->dimension = form_strdup_opt(f, dim);
    const json_t *w = json_object_get(sj, "weight");
    if (w) {
        double x = json_is_number(w) ? json_number_value(w) : 0;
        char wpath[PATH_MAX_LEN];
        path_set(wpath, sizeof wpath, "%s.weight", path);
        *has_weight = true;
        if (!json_is_number(w))
            rc = faults_add(fl, wpath, "must be a number");
        else if (!(x > 0))
            rc = faults_add(fl, wpath, "must be > 0");
        else if (x > QA_WEIGHT_MAX)
            rc = faults_add(fl, wpath, "must be <= %.0f", QA_WEIGHT_MAX);
        else
            s->weight = x;
    }

    const json_t *items = json_object_get(sj, "items");
    path_set(ipath, sizeof ipath, "%s.items", path);
    if (!items)
        return faults_add(fl, ipath, "required");
    if (!json_is_array(items))
        return faults_add(fl, ipath, "must be an array");
    size_t n = json_array_size(items);
    if (n == 0)
        return faults_add(fl, ipath, "a section needs at least one item");
    if (n > QA_FORM_MAX_ITEMS - f->n_items) {
        faults_add(fl, ipath, "more than %d items in the form", QA_FORM_MAX_ITEMS);
        return ST_ERR_TOO_LARGE;
    }
    for (size_t k = 0; k < n; k++) {
        path_set(ipath, sizeof ipath, "%s.items[%zu]", path, k);
        if (item_parse(f, json_array_get(items, k), ipath, si, fl) != ST_OK)
            rc = ST_ERR_INVALID;
    }
    s->item_count = n;
    return rc;
}

/* qsort order for by_id: by id, then document order so duplicates sort stably. */
static int item_cmp(const void *a, const void *b)
{
    const qa_item_t *x = *(const qa_item_t *const *)a;
    const qa_item_t *y = *(const qa_item_t *const *)b;
    int c = strcmp(x->id, y->id);
    if (c)
        return c;
    return (x->index > y->index) - (x->index < y->index);
}

/* bsearch key comparison: a bare id against an item pointer. */
static int item_key_cmp(const void *key, const void *elem)
{
    const qa_item_t *y = *(const qa_item_t *const *)elem;
    return strcmp((const char *)key, y->id);
}

/* Records duplicate section ids, then duplicate item ids (each repeat), in document order. */
static int ids_check_unique(qa_form_t *f, faults_t *fl)
{
    char q[QA_ID_MAX + 4];
    int rc = ST_OK;
    for (size_t j = 1; j < f->n_sections; j++) {
        for (size_t i = 0; f->sections[j].id && i < j; i++) {
            if (f->sections[i].id && strcmp(f->sections[i].id, f->sections[j].id) == 0) {
                char p[PATH_MAX_LEN];
                qa_form_quote(q, sizeof q, f->sections[j].id);
                path_set(p, sizeof p, "sections[%zu].id", j);
                rc =
                    faults_add(fl, p, "duplicate section id \"%s\" (first at sections[%zu])", q, i);
                break;
            }
        }
    }

    /* Items with a valid id, sorted by id then document order: a run of equal ids is
     * a first use followed by its repeats. */
    size_t m = 0;
    f->by_id = xmalloc((f->n_items ? f->n_items : 1) * sizeof *f->by_id);
    for (size_t i = 0; i < f->n_items; i++)
        if (f->items[i].id)
            f->by_id[m++] = &f->items[i];
    qsort(f->by_id, m, sizeof *f->by_id, item_cmp);
    const qa_item_t **dups = xcalloc(m + 1, sizeof *dups);
    const qa_item_t **firsts = xcalloc(m + 1, sizeof *firsts);
    const qa_item_t *run = NULL; /* the first use of the id of the current run */
    size_t nd = 0;
    for (size_t k = 0; k < m; k++) {
        if (run && strcmp(run->id, f->by_id[k]->id) == 0) {
            dups[nd] = f->by_id[k];
            firsts[nd++] = run;
        } else {
            run = f->by_id[k];
        }
    }
    /* Report in document order. */
    for (size_t i = 0; i < f->n_items; i++) {
        for (size_t d = 0; d < nd; d++) {
            if (dups[d] != &f->items[i])
                continue;
            const qa_item_t *dup = dups[d], *first = firsts[d];
            const qa_section_t *ds = &f->sections[dup->section];
            const qa_section_t *fs = &f->sections[first->section];
            char p[PATH_MAX_LEN];
            qa_form_quote(q, sizeof q, dup->id);
            path_set(p, sizeof p, "sections[%zu].items[%zu].id", dup->section,
                     dup->index - ds->first_item);
            rc = faults_add(fl, p, "duplicate item id \"%s\" (first at sections[%zu].items[%zu])",
                            q, first->section, first->index - fs->first_item);
        }
    }
    free(dups);
    free(firsts);
    return rc;
}

/* Validates root into *out, recording every fault in fl. */
static int form_build(const json_t *root, qa_form_t **out, faults_t *fl)
{
    qa_form_t *f = NULL;
    const char *id;
    json_int_t version = 1;
    int rc = ST_OK;

    *out = NULL;
    if (!json_is_object(root))
        return faults_add(fl, "form", "must be a JSON object");
    keys_check(root, "", form_keys, fl);
    f = xcalloc(1, sizeof *f);
    field_id(root, "", "form_id", &id, fl);
    f->form_id = id ? form_strdup(f, id) : NULL;
    field_int(root, "", "version", 1, INT32_MAX, &version, fl);
    f->version = (int)version;

    const json_t *pm = json_object_get(root, "pass_mark");
    if (!pm)
        faults_add(fl, "pass_mark", "required");
    else if (!json_is_number(pm) || json_number_value(pm) < 0 || json_number_value(pm) > 100)
        faults_add(fl, "pass_mark", "must be a number 0..100");
    else
        f->pass_mark = json_number_value(pm);
    f->critical_zeroes = true;
    field_bool(root, "", "critical_zeroes", &f->critical_zeroes, fl);

    const json_t *secs = json_object_get(root, "sections");
    size_t ns = json_array_size(secs);
    if (!secs)
        faults_add(fl, "sections", "required");
    else if (!json_is_array(secs))
        faults_add(fl, "sections", "must be an array");
    else if (ns == 0)
        faults_add(fl, "sections", "a form needs at least one section");
    else if (ns > QA_FORM_MAX_SECTIONS) {
        faults_add(fl, "sections", "more than %d sections", QA_FORM_MAX_SECTIONS);
        rc = ST_ERR_TOO_LARGE;
    }
    if (rc == ST_OK && json_is_array(secs) && ns > 0) {
        f->sections = xcalloc(ns, sizeof *f->sections);
        f->items = xcalloc(QA_FORM_MAX_ITEMS, sizeof *f->items);
        size_t n_weighted = 0, n_unweighted = 0, first_weighted = 0, first_unweighted = 0;
        for (size_t si = 0; si < ns && rc == ST_OK; si++) {
            bool has_weight;
            if (section_parse(f, json_array_get(secs, si), si, &has_weight, fl) == ST_ERR_TOO_LARGE)
                rc = ST_ERR_TOO_LARGE;
            f->n_sections++;
            if (has_weight && n_weighted++ == 0)
                first_weighted = si;
            if (!has_weight && n_unweighted++ == 0)
                first_unweighted = si;
        }
        if (rc == ST_OK && n_weighted != 0 && n_weighted != ns) {
            char p[PATH_MAX_LEN];
            path_set(p, sizeof p, "sections[%zu].weight", first_unweighted);
            faults_add(fl, p,
                       "missing, but sections[%zu] gives one (give every section a weight or none)",
                       first_weighted);
        }
        f->weights_given = n_weighted == ns;
        if (rc == ST_OK)
            ids_check_unique(f, fl);
    }
    if (fl->count > 0) {
        qa_form_free(f);
        return rc != ST_OK ? rc : ST_ERR_INVALID;
    }
    f->items = xrealloc(f->items, (f->n_items ? f->n_items : 1) * sizeof *f->items);
    /* by_id points into items: the realloc moved them, so sort again. */
    for (size_t i = 0; i < f->n_items; i++)
        f->by_id[i] = &f->items[i];
    qsort(f->by_id, f->n_items, sizeof *f->by_id, item_cmp);
    *out = f;
    return ST_OK;
}

int qa_form_from_json(const json_t *root, qa_form_t **out, char *err, size_t errlen)
{
    faults_t fl;
    faults_init(&fl, err, errlen, NULL);
    return form_build(root, out, &fl);
}

int qa_form_check(const json_t *root, qa_form_t **out, faults_t *fl)
{
    return form_build(root, out, fl);
}

int qa_form_parse(const char *text, size_t len, qa_form_t **out, char *err, size_t errlen)
{
    *out = NULL;
    json_t *root = NULL;
    int rc = jsonutil_load(text, len, QA_FORM_MAX_BYTES, "form", &root, err, errlen);
    if (rc != ST_OK)
        return rc;
    rc = qa_form_from_json(root, out, err, errlen);
    json_decref(root);
    return rc;
}

void qa_form_free(qa_form_t *form)
{
    if (!form)
        return;
    for (size_t i = 0; i < form->n_owned; i++)
        free(form->owned[i]);
    free(form->owned);
    free(form->by_id);
    free(form->items);
    free(form->sections);
    free(form);
}

const char *qa_form_id(const qa_form_t *form)
{
    return form->form_id;
}

int qa_form_version(const qa_form_t *form)
{
    return form->version;
}

double qa_form_pass_mark(const qa_form_t *form)
{
    return form->pass_mark;
}

bool qa_form_critical_zeroes(const qa_form_t *form)
{
    return form->critical_zeroes;
}

bool qa_form_weights_given(const qa_form_t *form)
{
    return form->weights_given;
}

size_t qa_form_section_count(const qa_form_t *form)
{
    return form->n_sections;
}

const qa_section_t *qa_form_section(const qa_form_t *form, size_t i)
{
    return i < form->n_sections ? &form->sections[i] : NULL;
}

size_t qa_form_item_count(const qa_form_t *form)
{
    return form->n_items;
}

const qa_item_t *qa_form_item(const qa_form_t *form, size_t i)
{
    return i < form->n_items ? &form->items[i] : NULL;
}

const qa_item_t *qa_form_item_find(const qa_form_t *form, const char *id)
{
    if (!id || form->n_items == 0)
        return NULL;
    const qa_item_t *const *hit =
        bsearch(id, form->by_id, form->n_items, sizeof *form->by_id, item_key_cmp);
    return hit ? *hit : NULL;
}
