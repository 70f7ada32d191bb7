/* qa_form.c - QA scorecard parsing and validation (see qa_form.h). */
#include "qa_form.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
static const char *const section_keys[] = {"id", "name", "weight", "items", NULL};
static const char *const item_keys[] = {"id", "name", "max", "critical", NULL};

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

/* Refuses any key of obj not in `allowed`, naming the first one found. */
static int keys_check(const json_t *obj, const char *path, const char *const *allowed, char *err,
                      size_t errlen)
{
    const char *key;
    json_t *val;
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
            st_errf(err, errlen, "%s: unknown key", p);
            return ST_ERR_INVALID;
        }
    }
    return ST_OK;
}

/* Finds the required string `key` of obj; p gets its JSON path for messages. */
static int field_string(const json_t *obj, const char *path, const char *key, char *p,
                        const json_t **v, char *err, size_t errlen)
{
    path_key(p, PATH_MAX_LEN, path, key);
    *v = json_object_get(obj, key);
    if (!*v) {
        st_errf(err, errlen, "%s: required", p);
        return ST_ERR_INVALID;
    }
    if (!json_is_string(*v)) {
        st_errf(err, errlen, "%s: must be a string", p);
        return ST_ERR_INVALID;
    }
    return ST_OK;
}

/* Reads the required id `key` of obj; *val is borrowed from the JSON. */
static int field_id(const json_t *obj, const char *path, const char *key, const char **val,
                    char *err, size_t errlen)
{
    char p[PATH_MAX_LEN];
    const json_t *v;
    if (field_string(obj, path, key, p, &v, err, errlen) != ST_OK)
        return ST_ERR_INVALID;
    const char *s = json_string_value(v);
    if (json_string_length(v) > QA_ID_MAX) {
        st_errf(err, errlen, "%s: longer than %d bytes", p, QA_ID_MAX);
        return ST_ERR_INVALID;
    }
    if (strlen(s) != json_string_length(v) || !qa_form_id_valid(s)) {
        st_errf(err, errlen, "%s: must be 1-%d visible ASCII characters (no spaces)", p, QA_ID_MAX);
        return ST_ERR_INVALID;
    }
    *val = s;
    return ST_OK;
}

/* Reads the required display name `key` of obj; *val is borrowed. */
static int field_name(const json_t *obj, const char *path, const char *key, const char **val,
                      char *err, size_t errlen)
{
    char p[PATH_MAX_LEN];
    const json_t *v;
    if (field_string(obj, path, key, p, &v, err, errlen) != ST_OK)
        return ST_ERR_INVALID;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0) {
        st_errf(err, errlen, "%s: must not be empty", p);
        return ST_ERR_INVALID;
    }
    if (n > QA_NAME_MAX) {
        st_errf(err, errlen, "%s: longer than %d bytes", p, QA_NAME_MAX);
        return ST_ERR_INVALID;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) {
            st_errf(err, errlen, "%s: contains a control character", p);
            return ST_ERR_INVALID;
        }
    }
    *val = s;
    return ST_OK;
}

/* Reads the optional boolean `key` of obj, leaving *val alone when absent. */
static int field_bool(const json_t *obj, const char *path, const char *key, bool *val, char *err,
                      size_t errlen)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return ST_OK;
    if (!json_is_boolean(v)) {
        char p[PATH_MAX_LEN];
        path_key(p, sizeof p, path, key);
        st_errf(err, errlen, "%s: must be true or false", p);
        return ST_ERR_INVALID;
    }
    *val = json_is_true(v);
    return ST_OK;
}

/* Reads the required integer `key` of obj within lo..hi. */
static int field_int(const json_t *obj, const char *path, const char *key, json_int_t lo,
                     json_int_t hi, json_int_t *val, char *err, size_t errlen)
{
    char p[PATH_MAX_LEN];
    path_key(p, sizeof p, path, key);
    const json_t *v = json_object_get(obj, key);
    if (!v) {
        st_errf(err, errlen, "%s: required", p);
        return ST_ERR_INVALID;
    }
    if (!json_is_integer(v)) {
        st_errf(err, errlen, "%s: must be an integer", p);
        return ST_ERR_INVALID;
    }
    json_int_t x = json_integer_value(v);
    if (x < lo) {
        st_errf(err, errlen, "%s: must be >= %lld", p, (long long)lo);
        return ST_ERR_INVALID;
    }
    if (x > hi) {
        st_errf(err, errlen, "%s: must be <= %lld", p, (long long)hi);
        return ST_ERR_INVALID;
    }
    *val = x;
    return ST_OK;
}

/* Parses sections[si]: its fields, then its items appended to f->items. */
static int section_parse(qa_form_t *f, const json_t *sj, size_t si, bool *has_weight, char *err,
                         size_t errlen)
{
    char path[PATH_MAX_LEN];
    char ipath[PATH_MAX_LEN];
    const char *id;
    const char *name;
    int rc;

    path_set(path, sizeof path, "sections[%zu]", si);
    if (!json_is_object(sj)) {
        st_errf(err, errlen, "%s: must be an object", path);
        return ST_ERR_INVALID;
    }
    if ((rc = keys_check(sj, path, section_keys, err, errlen)) != ST_OK)
        return rc;
    if ((rc = field_id(sj, path, "id", &id, err, errlen)) != ST_OK)
        return rc;
    if ((rc = field_name(sj, path, "name", &name, err, errlen)) != ST_OK)
        return rc;

    qa_section_t *s = &f->sections[si];
    s->id = form_strdup(f, id);
    s->name = form_strdup(f, name);
    s->weight = 1.0;
    *has_weight = false;
    const json_t *w = json_object_get(sj, "weight");
    if (w) {
        if (!json_is_number(w)) {
            st_errf(err, errlen, "%s.weight: must be a number", path);
            return ST_ERR_INVALID;
        }
        double x = json_number_value(w);
        if (!(x > 0)) {
            st_errf(err, errlen, "%s.weight: must be > 0", path);
            return ST_ERR_INVALID;
        }
        if (x > QA_WEIGHT_MAX) {
            st_errf(err, errlen, "%s.weight: must be <= %.0f", path, QA_WEIGHT_MAX);
            return ST_ERR_INVALID;
        }
        s->weight = x;
        *has_weight = true;
    }

    const json_t *items = json_object_get(sj, "items");
    if (!items) {
        st_errf(err, errlen, "%s.items: required", path);
        return ST_ERR_INVALID;
    }
    if (!json_is_array(items)) {
        st_errf(err, errlen, "%s.items: must be an array", path);
        return ST_ERR_INVALID;
    }
    size_t n = json_array_size(items);
    if (n == 0) {
        st_errf(err, errlen, "%s.items: a section needs at least one item", path);
        return ST_ERR_INVALID;
    }
    if (n > QA_FORM_MAX_ITEMS - f->n_items) {
        st_errf(err, errlen, "%s.items: more than %d items in the form", path, QA_FORM_MAX_ITEMS);
        return ST_ERR_TOO_LARGE;
    }
    s->first_item = f->n_items;
    s->item_count = n;
    for (size_t k = 0; k < n; k++) {
        const json_t *ij = json_array_get(items, k);
        path_set(ipath, sizeof ipath, "%s.items[%zu]", path, k);
        if (!json_is_object(ij)) {
            st_errf(err, errlen, "%s: must be an object", ipath);
            return ST_ERR_INVALID;
        }
        if ((rc = keys_check(ij, ipath, item_keys, err, errlen)) != ST_OK)
            return rc;
        if ((rc = field_id(ij, ipath, "id", &id, err, errlen)) != ST_OK)
            return rc;
        if ((rc = field_name(ij, ipath, "name", &name, err, errlen)) != ST_OK)
            return rc;
        json_int_t max;
        if ((rc = field_int(ij, ipath, "max", 1, QA_FORM_MAX_POINTS, &max, err, errlen)) != ST_OK)
            return rc;
        bool critical = false;
        if ((rc = field_bool(ij, ipath, "critical", &critical, err, errlen)) != ST_OK)
            return rc;
        qa_item_t *it = &f->items[f->n_items];
        it->id = form_strdup(f, id);
        it->name = form_strdup(f, name);
        it->max = (int)max;
        it->critical = critical;
        it->index = f->n_items;
        it->section = si;
        f->n_items++;
    }
    return ST_OK;
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

/* Refuses duplicate section ids, then duplicate item ids, in document order. */
static int ids_check_unique(qa_form_t *f, char *err, size_t errlen)
{
    char q[QA_ID_MAX + 4];
    for (size_t j = 1; j < f->n_sections; j++) {
        for (size_t i = 0; i < j; i++) {
            if (strcmp(f->sections[i].id, f->sections[j].id) == 0) {
                qa_form_quote(q, sizeof q, f->sections[j].id);
                st_errf(err, errlen,
                        "sections[%zu].id: duplicate section id \"%s\" (first at "
                        "sections[%zu])",
                        j, q, i);
                return ST_ERR_INVALID;
            }
        }
    }

    f->by_id = xmalloc(f->n_items * sizeof *f->by_id);
    for (size_t i = 0; i < f->n_items; i++)
        f->by_id[i] = &f->items[i];
    qsort(f->by_id, f->n_items, sizeof *f->by_id, item_cmp);
    /* In a run of equal ids the second entry is the first repeat; report
     * the repeat that comes earliest in the document. */
    const qa_item_t *dup = NULL;
    const qa_item_t *first = NULL;
    for (size_t k = 0; k + 1 < f->n_items; k++) {
        if (strcmp(f->by_id[k]->id, f->by_id[k + 1]->id) == 0 &&
            (!dup || f->by_id[k + 1]->index < dup->index)) {
            dup = f->by_id[k + 1];
            first = f->by_id[k];
        }
    }
    if (dup) {
        const qa_section_t *ds = &f->sections[dup->section];
        const qa_section_t *fs = &f->sections[first->section];
        qa_form_quote(q, sizeof q, dup->id);
        st_errf(err, errlen,
                "sections[%zu].items[%zu].id: duplicate item id \"%s\" (first at "
                "sections[%zu].items[%zu])",
                dup->section, dup->index - ds->first_item, q, first->section,
                first->index - fs->first_item);
        return ST_ERR_INVALID;
    }
    return ST_OK;
}

int qa_form_from_json(const json_t *root, qa_form_t **out, char *err, size_t errlen)
{
    qa_form_t *f = NULL;
    const char *id;
    json_int_t version;
    int rc;

    *out = NULL;
    if (!json_is_object(root)) {
        st_errf(err, errlen, "form: must be a JSON object");
        rc = ST_ERR_INVALID;
        goto fail;
    }
    if ((rc = keys_check(root, "", form_keys, err, errlen)) != ST_OK)
        goto fail;
    f = xcalloc(1, sizeof *f);
    if ((rc = field_id(root, "", "form_id", &id, err, errlen)) != ST_OK)
        goto fail;
    f->form_id = form_strdup(f, id);
    if ((rc = field_int(root, "", "version", 1, INT32_MAX, &version, err, errlen)) != ST_OK)
        goto fail;
    f->version = (int)version;

    const json_t *pm = json_object_get(root, "pass_mark");
    if (!pm) {
        st_errf(err, errlen, "pass_mark: required");
        rc = ST_ERR_INVALID;
        goto fail;
    }
    if (!json_is_number(pm) || json_number_value(pm) < 0 || json_number_value(pm) > 100) {
        st_errf(err, errlen, "pass_mark: must be a number 0..100");
        rc = ST_ERR_INVALID;
        goto fail;
    }
    f->pass_mark = json_number_value(pm);
    f->critical_zeroes = true;
    if ((rc = field_bool(root, "", "critical_zeroes", &f->critical_zeroes, err, errlen)) != ST_OK)
        goto fail;

    const json_t *secs = json_object_get(root, "sections");
    if (!secs) {
        st_errf(err, errlen, "sections: required");
        rc = ST_ERR_INVALID;
        goto fail;
    }
    if (!json_is_array(secs)) {
        st_errf(err, errlen, "sections: must be an array");
        rc = ST_ERR_INVALID;
        goto fail;
    }
    size_t ns = json_array_size(secs);
    if (ns == 0) {
        st_errf(err, errlen, "sections: a form needs at least one section");
        rc = ST_ERR_INVALID;
        goto fail;
    }
    if (ns > QA_FORM_MAX_SECTIONS) {
        st_errf(err, errlen, "sections: more than %d sections", QA_FORM_MAX_SECTIONS);
        rc = ST_ERR_TOO_LARGE;
        goto fail;
    }
    f->sections = xcalloc(ns, sizeof *f->sections);
    f->items = xcalloc(QA_FORM_MAX_ITEMS, sizeof *f->items);
    size_t n_weighted = 0;
    size_t n_unweighted = 0;
    size_t first_weighted = 0;
    size_t first_unweighted = 0;
    for (size_t si = 0; si < ns; si++) {
        bool has_weight;
        rc = section_parse(f, json_array_get(secs, si), si, &has_weight, err, errlen);
        if (rc != ST_OK)
            goto fail;
        f->n_sections++;
        if (has_weight && n_weighted++ == 0)
            first_weighted = si;
        if (!has_weight && n_unweighted++ == 0)
            first_unweighted = si;
    }
    if (n_weighted != 0 && n_weighted != ns) {
        st_errf(err, errlen,
                "sections[%zu].weight: missing, but sections[%zu] gives one (give every "
                "section a weight or none)",
                first_unweighted, first_weighted);
        rc = ST_ERR_INVALID;
        goto fail;
    }
    f->weights_given = n_weighted == ns;
    f->items = xrealloc(f->items, f->n_items * sizeof *f->items);
    if ((rc = ids_check_unique(f, err, errlen)) != ST_OK)
        goto fail;
    *out = f;
    return ST_OK;

fail:
    qa_form_free(f);
    return rc;
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
