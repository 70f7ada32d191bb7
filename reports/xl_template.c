/* xl_template.c - workbook template parsing and validation (see xl_template.h). */
#include "xl_template.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "utf8.h"
#include "xmem.h"

#define PATH_LEN   160
#define MAX_CONDS  8
#define MAX_CHARTS 8
#define MAX_SERIES 8
#define MAX_FREEZE 10
#define MAX_BLOCKS 4
#define TEXT_MAX   1024 /* bytes of a label or title */

struct xl_tpl {
    char *name;
    xl_tpl_text_t title;
    xl_tpl_sheet_t *sheets;
    size_t n_sheets;
};

static const char *const lang_names[XL_LANG_COUNT] = {"en", "zh"};

/* Formats "path: message" into err and returns ST_ERR_INVALID. */
__attribute__((format(printf, 4, 5))) static int fail_at(char *err, size_t errlen, const char *path,
                                                         const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    st_errf(err, errlen, "%s: %s", path[0] ? path : "(root)", msg);
    return ST_ERR_INVALID;
}

/* "path.key" (or "key" at the root), so messages read like JSON paths. */
static void path_key(char *dst, size_t n, const char *path, const char *key)
{
    if (path[0])
        snprintf(dst, n, "%s.%s", path, key);
    else
        snprintf(dst, n, "%s", key);
}

/* "path[i]". */
static void path_index(char *dst, size_t n, const char *path, size_t i)
{
    snprintf(dst, n, "%s[%zu]", path, i);
}

/* Index of s in a NULL-terminated list, or -1. */
static int name_index(const char *const *names, const char *s)
{
    for (int i = 0; names[i]; i++) {
        if (strcmp(names[i], s) == 0)
            return i;
    }
    return -1;
}

/* Refuses a key of obj that is not in `allowed`, naming it (shortened). */
static int keys_check(const json_t *obj, const char *path, const char *const *allowed, char *err,
                      size_t errlen)
{
    const char *key;
    json_t *val;
    /* json_object_foreach wants a non-const object; iterating does not modify it. */
    json_t *o = (json_t *)(uintptr_t)obj;
    json_object_foreach(o, key, val)
    {
        (void)val;
        if (name_index(allowed, key) < 0) {
            char p[PATH_LEN];
            path_key(p, sizeof p, path, key);
            return fail_at(err, errlen, p, "unknown key");
        }
    }
    return ST_OK;
}

/* An id, key or table name: 1..XL_TPL_KEY_MAX of [a-z0-9_], not starting with a digit. */
static bool key_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > XL_TPL_KEY_MAX || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

/* Reads string member `key` into *s (borrowed); NULL when absent and optional. */
static int get_string(const json_t *obj, const char *path, const char *key, bool required,
                      const char **s, char *err, size_t errlen)
{
    char p[PATH_LEN];
    const json_t *v = json_object_get(obj, key);
    *s = NULL;
    path_key(p, sizeof p, path, key);
    if (!v)
        return required ? fail_at(err, errlen, p, "required") : ST_OK;
    if (!json_is_string(v))
        return fail_at(err, errlen, p, "must be a string");
    *s = json_string_value(v);
    if (strlen(*s) != json_string_length(v))
        return fail_at(err, errlen, p, "contains a NUL byte");
    return ST_OK;
}

/* Reads a key-like string member (see key_valid). */
static int get_key(const json_t *obj, const char *path, const char *key, bool required,
                   const char **s, char *err, size_t errlen)
{
    int rc = get_string(obj, path, key, required, s, err, errlen);
    if (rc != ST_OK || !*s)
        return rc;
    if (!key_valid(*s)) {
        char p[PATH_LEN];
        path_key(p, sizeof p, path, key);
        return fail_at(err, errlen, p, "must be 1..%d of a-z, 0-9, _ (not starting with a digit)",
                       XL_TPL_KEY_MAX);
    }
    return ST_OK;
}

/* Reads an optional boolean member (def when absent). */
static int get_bool(const json_t *obj, const char *path, const char *key, bool def, bool *out,
                    char *err, size_t errlen)
{
    const json_t *v = json_object_get(obj, key);
    *out = def;
    if (!v)
        return ST_OK;
    if (!json_is_boolean(v)) {
        char p[PATH_LEN];
        path_key(p, sizeof p, path, key);
        return fail_at(err, errlen, p, "must be true or false");
    }
    *out = json_is_true(v);
    return ST_OK;
}

/* Reads an optional number member in [lo, hi] (def when absent). */
static int get_number(const json_t *obj, const char *path, const char *key, double lo, double hi,
                      double def, double *out, char *err, size_t errlen)
{
    char p[PATH_LEN];
    const json_t *v = json_object_get(obj, key);
    *out = def;
    if (!v)
        return ST_OK;
    path_key(p, sizeof p, path, key);
    if (!json_is_number(v))
        return fail_at(err, errlen, p, "must be a number");
    double d = json_number_value(v);
    if (!isfinite(d) || d < lo || d > hi)
        return fail_at(err, errlen, p, "must be in %g..%g", lo, hi);
    *out = d;
    return ST_OK;
}

/* Index of a string member among `names`; required or def when absent. */
static int get_choice(const json_t *obj, const char *path, const char *key,
                      const char *const *names, int def, int *out, char *err, size_t errlen)
{
    const char *s;
    int rc = get_string(obj, path, key, def < 0, &s, err, errlen);
    if (rc != ST_OK)
        return rc;
    *out = def;
    if (!s)
        return ST_OK;
    int i = name_index(names, s);
    if (i < 0) {
        char p[PATH_LEN];
        path_key(p, sizeof p, path, key);
        char list[160] = "";
        size_t o = 0;
        for (int k = 0; names[k] && o < sizeof list; k++)
            o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", k ? ", " : "", names[k]);
        return fail_at(err, errlen, p, "unknown value (one of: %s)", list);
    }
    *out = i;
    return ST_OK;
}

/* Checks a label or title text: valid UTF-8, no control characters. */
static int text_check(const char *s, const char *path, char *err, size_t errlen)
{
    size_t n = strlen(s);
    if (n == 0 || n > TEXT_MAX)
        return fail_at(err, errlen, path, "must be 1..%d bytes", TEXT_MAX);
    if (!utf8_valid(s, n))
        return fail_at(err, errlen, path, "not valid UTF-8");
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20)
            return fail_at(err, errlen, path, "contains a control character");
    }
    return ST_OK;
}

/*
 * Reads a text member: an object {"en": ..., "zh": ...}, or (when
 * allow_plain) one string used for both languages.  Optional texts stay
 * NULL when absent.
 */
static int get_text(const json_t *obj, const char *path, const char *key, bool required,
                    bool allow_plain, xl_tpl_text_t *out, char *err, size_t errlen)
{
    static const char *const langs[] = {"en", "zh", NULL};
    char p[PATH_LEN], pl[PATH_LEN];
    const json_t *v = json_object_get(obj, key);
    int rc;
    path_key(p, sizeof p, path, key);
    if (!v)
        return required ? fail_at(err, errlen, p, "required") : ST_OK;
    if (allow_plain && json_is_string(v)) {
        const char *s;
        if ((rc = get_string(obj, path, key, true, &s, err, errlen)) != ST_OK)
            return rc;
        if ((rc = text_check(s, p, err, errlen)) != ST_OK)
            return rc;
        for (int l = 0; l < XL_LANG_COUNT; l++)
            out->s[l] = xstrdup(s);
        return ST_OK;
    }
    if (!json_is_object(v))
        return fail_at(err, errlen, p,
                       allow_plain ? "must be a string or {\"en\", \"zh\"}"
                                   : "must be an object {\"en\", \"zh\"}");
    if ((rc = keys_check(v, p, langs, err, errlen)) != ST_OK)
        return rc;
    for (int l = 0; l < XL_LANG_COUNT; l++) {
        const char *s;
        if ((rc = get_string(v, p, lang_names[l], true, &s, err, errlen)) != ST_OK)
            return rc;
        path_key(pl, sizeof pl, p, lang_names[l]);
        if ((rc = text_check(s, pl, err, errlen)) != ST_OK)
            return rc;
        out->s[l] = xstrdup(s);
    }
    return ST_OK;
}

/*
 * An Excel number format that Excel and LibreOffice will open: 1..255
 * bytes of UTF-8 without control characters, closed quotes and brackets,
 * at most 4 sections, and not the text format "@".
 */
static int format_check(const char *s, const char *path, char *err, size_t errlen)
{
    size_t n = strlen(s);
    bool quoted = false, bracket = false;
    int sections = 1;
    if (n == 0 || n > XL_TPL_FORMAT_MAX)
        return fail_at(err, errlen, path, "must be 1..%d bytes", XL_TPL_FORMAT_MAX);
    if (!utf8_valid(s, n))
        return fail_at(err, errlen, path, "not valid UTF-8");
    if (strcmp(s, "@") == 0)
        return fail_at(err, errlen, path, "\"@\" would store numbers as text");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            return fail_at(err, errlen, path, "contains a control character");
        if (quoted) {
            if (c == '"')
                quoted = false;
        } else if (bracket) {
            if (c == ']')
                bracket = false;
            else if (c == '[')
                return fail_at(err, errlen, path, "nested '['");
        } else if (c == '\\') {
            if (++i >= n)
                return fail_at(err, errlen, path, "ends with '\\'");
        } else if (c == '"') {
            quoted = true;
        } else if (c == '[') {
            bracket = true;
        } else if (c == ']') {
            return fail_at(err, errlen, path, "']' without '['");
        } else if (c == ';') {
            if (++sections > 4)
                return fail_at(err, errlen, path, "more than 4 sections");
        }
    }
    if (quoted)
        return fail_at(err, errlen, path, "unclosed '\"'");
    if (bracket)
        return fail_at(err, errlen, path, "unclosed '['");
    return ST_OK;
}

/* Number of UTF-8 characters of s. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* A sheet tab name Excel accepts: 1..31 characters, none of []:*?/\, no
 * apostrophe at either end. */
static int sheet_name_check(const char *s, const char *path, char *err, size_t errlen)
{
    size_t n = strlen(s), chars = utf8_chars(s);
    if (chars == 0 || chars > XL_TPL_SHEET_MAX)
        return fail_at(err, errlen, path, "a sheet name has 1..%d characters", XL_TPL_SHEET_MAX);
    if (strpbrk(s, "[]:*?/\\"))
        return fail_at(err, errlen, path, "a sheet name cannot contain any of []:*?/\\");
    if (s[0] == '\'' || s[n - 1] == '\'')
        return fail_at(err, errlen, path, "a sheet name cannot start or end with '");
    return ST_OK;
}

/* Case-insensitive (ASCII) equality, as Excel compares sheet names. */
static bool name_equal_ci(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return *a == *b;
}

/* Resolves a column key member of obj to a column index of sheet (numbers only when
 * want_number); -1 when absent and optional. */
static int get_column_ref(const json_t *obj, const char *path, const char *key, bool required,
                          const xl_tpl_sheet_t *sh, bool want_number, int *out, char *err,
                          size_t errlen)
{
    const char *s;
    char p[PATH_LEN];
    int rc = get_key(obj, path, key, required, &s, err, errlen);
    *out = -1;
    if (rc != ST_OK || !s)
        return rc;
    path_key(p, sizeof p, path, key);
    int i = xl_tpl_column_find(sh, s);
    if (i < 0)
        return fail_at(err, errlen, p, "no column '%s' in this sheet", s);
    if (want_number && sh->columns[i].type != XL_TPL_NUMBER)
        return fail_at(err, errlen, p, "column '%s' is not a number column", s);
    *out = i;
    return ST_OK;
}

/* Parses one conditional format of column ci (the sheet's columns are all read). */
static int cond_parse(const json_t *v, const char *path, const xl_tpl_sheet_t *sh, int ci,
                      xl_tpl_cond_t *c, char *err, size_t errlen)
{
    static const char *const kinds[] = {"rule", "heat", NULL};
    static const char *const rule_keys[] = {"type", "op", "value", "column", "of", "style", NULL};
    static const char *const heat_keys[] = {"type", "reverse", NULL};
    static const char *const ops[] = {">=", "<=", ">", "<", "=", "<>", NULL};
    static const char *const styles[] = {"good", "bad", "warn", NULL};
    int kind, rc, x;
    if (!json_is_object(v))
        return fail_at(err, errlen, path, "must be an object");
    if ((rc = get_choice(v, path, "type", kinds, -1, &kind, err, errlen)) != ST_OK)
        return rc;
    c->kind = (xl_tpl_cond_kind_t)kind;
    c->column = c->of = -1;
    if (c->kind == XL_COND_HEAT) {
        if ((rc = keys_check(v, path, heat_keys, err, errlen)) != ST_OK)
            return rc;
        return get_bool(v, path, "reverse", false, &c->reverse, err, errlen);
    }
    if ((rc = keys_check(v, path, rule_keys, err, errlen)) != ST_OK)
        return rc;
    if ((rc = get_choice(v, path, "op", ops, -1, &x, err, errlen)) != ST_OK)
        return rc;
    c->op = (xl_tpl_op_t)x;
    if ((rc = get_choice(v, path, "style", styles, -1, &x, err, errlen)) != ST_OK)
        return rc;
    c->style = (xl_tpl_style_t)x;
    if ((rc = get_column_ref(v, path, "of", false, sh, true, &c->of, err, errlen)) != ST_OK)
        return rc;
    if ((rc = get_column_ref(v, path, "column", false, sh, true, &c->column, err, errlen)) != ST_OK)
        return rc;
    const json_t *val = json_object_get(v, "value");
    if ((val != NULL) == (c->column >= 0))
        return fail_at(err, errlen, path, "give exactly one of \"value\" and \"column\"");
    if (val) {
        if ((rc = get_number(v, path, "value", -1e15, 1e15, 0, &c->value, err, errlen)) != ST_OK)
            return rc;
    }
    if (c->of < 0 && sh->columns[ci].type != XL_TPL_NUMBER)
        return fail_at(err, errlen, path, "a rule on a text column needs \"of\"");
    return ST_OK;
}

/* Parses a column's total (after every column of the sheet is read). */
static int total_parse(const json_t *v, const char *path, const xl_tpl_sheet_t *sh,
                       xl_tpl_total_t *t, char *err, size_t errlen)
{
    static const char *const fns[] = {"none",     "sum",   "average", "min", "max",
                                      "weighted", "ratio", "given",   NULL};
    static const char *const keys[] = {"fn", "weight", "num", "den", NULL};
    int fn, rc;
    char p[PATH_LEN];
    if (!json_is_object(v))
        return fail_at(err, errlen, path, "must be an object");
    if ((rc = keys_check(v, path, keys, err, errlen)) != ST_OK)
        return rc;
    if ((rc = get_choice(v, path, "fn", fns, -1, &fn, err, errlen)) != ST_OK)
        return rc;
    t->fn = (xl_tpl_total_fn_t)fn;
    bool w = t->fn == XL_TOTAL_WEIGHTED, r = t->fn == XL_TOTAL_RATIO;
    if ((rc = get_column_ref(v, path, "weight", w, sh, true, &t->weight, err, errlen)) != ST_OK)
        return rc;
    if ((rc = get_column_ref(v, path, "num", r, sh, true, &t->num, err, errlen)) != ST_OK)
        return rc;
    if ((rc = get_column_ref(v, path, "den", r, sh, true, &t->den, err, errlen)) != ST_OK)
        return rc;
    if (!w && t->weight >= 0) {
        path_key(p, sizeof p, path, "weight");
        return fail_at(err, errlen, p, "only for fn \"weighted\"");
    }
    if (!r && (t->num >= 0 || t->den >= 0)) {
        path_key(p, sizeof p, path, t->num >= 0 ? "num" : "den");
        return fail_at(err, errlen, p, "only for fn \"ratio\"");
    }
    return ST_OK;
}

/* Parses the first pass of a column: everything that does not refer to another column. */
static int column_parse(const json_t *v, const char *path, xl_tpl_kind_t kind, xl_tpl_column_t *c,
                        char *err, size_t errlen)
{
    static const char *const table_keys[] = {"key",     "label",  "type",        "format",
                                             "width",   "wrap",   "total",       "hidden",
                                             "formats", "labels", "conditional", NULL};
    static const char *const facts_keys[] = {"key",  "label",  "type", "format",
                                             "note", "strong", NULL};
    static const char *const types[] = {"number", "text", "heading", NULL};
    const char *key;
    char p[PATH_LEN];
    int rc, type;
    if (!json_is_object(v))
        return fail_at(err, errlen, path, "must be an object");
    if ((rc = keys_check(v, path, kind == XL_TPL_TABLE ? table_keys : facts_keys, err, errlen)) !=
        ST_OK)
        return rc;
    if ((rc = get_key(v, path, "key", true, &key, err, errlen)) != ST_OK)
        return rc;
    c->key = xstrdup(key);
    c->total.weight = c->total.num = c->total.den = -1;
    c->formats_by = -1;
    if ((rc = get_text(v, path, "label", true, false, &c->label, err, errlen)) != ST_OK)
        return rc;
    if ((rc = get_choice(v, path, "type", types, XL_TPL_NUMBER, &type, err, errlen)) != ST_OK)
        return rc;
    c->type = (xl_tpl_type_t)type;
    if (c->type == XL_TPL_HEADING && kind != XL_TPL_FACTS) {
        path_key(p, sizeof p, path, "type");
        return fail_at(err, errlen, p, "a heading is an item of a facts sheet");
    }
    if ((rc = get_text(v, path, "note", false, false, &c->note, err, errlen)) != ST_OK)
        return rc;
    path_key(p, sizeof p, path, "format");
    const json_t *fmt = json_object_get(v, "format");
    if (c->type != XL_TPL_NUMBER && fmt)
        return fail_at(err, errlen, p, "only a number has a number format");
    if (c->type == XL_TPL_NUMBER) {
        if ((rc = get_text(v, path, "format", true, true, &c->format, err, errlen)) != ST_OK)
            return rc;
        for (int l = 0; l < XL_LANG_COUNT; l++) {
            char pl[PATH_LEN];
            if (json_is_object(fmt))
                path_key(pl, sizeof pl, p, lang_names[l]);
            else
                snprintf(pl, sizeof pl, "%s", p);
            if ((rc = format_check(c->format.s[l], pl, err, errlen)) != ST_OK)
                return rc;
        }
    }
    if ((rc = get_number(v, path, "width", 1, XL_TPL_WIDTH_MAX, 0, &c->width, err, errlen)) !=
        ST_OK)
        return rc;
    if ((rc = get_bool(v, path, "wrap", false, &c->wrap, err, errlen)) != ST_OK ||
        (rc = get_bool(v, path, "strong", false, &c->strong, err, errlen)) != ST_OK)
        return rc;
    return get_bool(v, path, "hidden", false, &c->hidden, err, errlen);
}

/*
 * "formats": {"by": <a text column>, "map": {"<text>": <number format>, ...}}:
 * a number format per row, by the text of another column of the row.
 */
static int formats_parse(const json_t *v, const char *path, xl_tpl_sheet_t *sh, int ci, char *err,
                         size_t errlen)
{
    static const char *const keys[] = {"by", "map", NULL};
    xl_tpl_column_t *c = &sh->columns[ci];
    char p[PATH_LEN], pm[PATH_LEN], pe[PATH_LEN];
    const char *by;
    int rc;
    if (!json_is_object(v))
        return fail_at(err, errlen, path, "must be an object {\"by\", \"map\"}");
    if ((rc = keys_check(v, path, keys, err, errlen)) != ST_OK)
        return rc;
    if (c->type != XL_TPL_NUMBER)
        return fail_at(err, errlen, path, "only number columns have formats");
    if ((rc = get_key(v, path, "by", true, &by, err, errlen)) != ST_OK)
        return rc;
    path_key(p, sizeof p, path, "by");
    c->formats_by = xl_tpl_column_find(sh, by);
    if (c->formats_by < 0)
        return fail_at(err, errlen, p, "no column '%s' in this sheet", by);
    if (sh->columns[c->formats_by].type != XL_TPL_TEXT)
        return fail_at(err, errlen, p, "must name a text column");
    const json_t *map = json_object_get(v, "map");
    path_key(pm, sizeof pm, path, "map");
    if (!json_is_object(map) || json_object_size(map) == 0 || json_object_size(map) > MAX_CONDS)
        return fail_at(err, errlen, pm, "must be an object of 1 to %d formats", MAX_CONDS);
    c->format_keys = xcalloc(json_object_size(map), sizeof *c->format_keys);
    c->format_values = xcalloc(json_object_size(map), sizeof *c->format_values);
    const char *k;
    const json_t *unused;
    json_object_foreach((json_t *)(uintptr_t)map, k, unused)
    {
        (void)unused;
        size_t i = c->n_formats++;
        c->format_keys[i] = xstrdup(k);
        if ((rc = get_text(map, pm, k, true, true, &c->format_values[i], err, errlen)) != ST_OK)
            return rc;
        for (int l = 0; l < XL_LANG_COUNT; l++) {
            path_key(pe, sizeof pe, pm, k);
            if ((rc = format_check(c->format_values[i].s[l], pe, err, errlen)) != ST_OK)
                return rc;
        }
    }
    return ST_OK;
}

#define MAX_LABELS 64 /* entries of a column's "labels" */

/* "labels": {"<model text>": "<shown>" or {"en", "zh"}, ...} of a text column. */
static int labels_parse(const json_t *v, const char *path, xl_tpl_column_t *c, char *err,
                        size_t errlen)
{
    if (c->type != XL_TPL_TEXT)
        return fail_at(err, errlen, path, "only text columns have labels");
    if (!json_is_object(v) || json_object_size(v) == 0 || json_object_size(v) > MAX_LABELS)
        return fail_at(err, errlen, path, "must be an object of 1 to %d labels", MAX_LABELS);
    c->label_keys = xcalloc(json_object_size(v), sizeof *c->label_keys);
    c->label_values = xcalloc(json_object_size(v), sizeof *c->label_values);
    const char *k;
    const json_t *unused;
    json_object_foreach((json_t *)(uintptr_t)v, k, unused)
    {
        (void)unused;
        size_t i = c->n_labels++;
        c->label_keys[i] = xstrdup(k);
        int rc = get_text(v, path, k, true, true, &c->label_values[i], err, errlen);
        if (rc != ST_OK)
            return rc;
    }
    return ST_OK;
}

const char *xl_tpl_column_label(const xl_tpl_column_t *c, int lang, const char *s)
{
    for (size_t i = 0; s && i < c->n_labels; i++)
        if (strcmp(c->label_keys[i], s) == 0)
            return c->label_values[i].s[lang];
    return s;
}

/* Parses the parts of column ci that refer to other columns: total, conditional, formats. */
static int column_links_parse(const json_t *v, const char *path, xl_tpl_sheet_t *sh, int ci,
                              char *err, size_t errlen)
{
    xl_tpl_column_t *c = &sh->columns[ci];
    char p[PATH_LEN], pi[PATH_LEN];
    int rc;
    const json_t *tot = json_object_get(v, "total");
    if (tot) {
        path_key(p, sizeof p, path, "total");
        if (c->type != XL_TPL_NUMBER)
            return fail_at(err, errlen, p, "only number columns have a total");
        if ((rc = total_parse(tot, p, sh, &c->total, err, errlen)) != ST_OK)
            return rc;
        if (c->total.fn != XL_TOTAL_NONE && ci == 0)
            return fail_at(err, errlen, p, "column 0 holds the totals label");
        sh->has_totals |= c->total.fn != XL_TOTAL_NONE;
    }
    const json_t *labels = json_object_get(v, "labels");
    if (labels) {
        path_key(p, sizeof p, path, "labels");
        if ((rc = labels_parse(labels, p, c, err, errlen)) != ST_OK)
            return rc;
    }
    const json_t *fmts = json_object_get(v, "formats");
    if (fmts) {
        path_key(p, sizeof p, path, "formats");
        if ((rc = formats_parse(fmts, p, sh, ci, err, errlen)) != ST_OK)
            return rc;
    }
    const json_t *conds = json_object_get(v, "conditional");
    if (!conds)
        return ST_OK;
    path_key(p, sizeof p, path, "conditional");
    if (!json_is_array(conds) || json_array_size(conds) > MAX_CONDS)
        return fail_at(err, errlen, p, "must be an array of at most %d", MAX_CONDS);
    c->n_conds = json_array_size(conds);
    c->conds = xcalloc(c->n_conds ? c->n_conds : 1, sizeof *c->conds);
    for (size_t i = 0; i < c->n_conds; i++) {
        path_index(pi, sizeof pi, p, i);
        if ((rc = cond_parse(json_array_get(conds, i), pi, sh, ci, &c->conds[i], err, errlen)) !=
            ST_OK)
            return rc;
        if (c->conds[i].kind == XL_COND_HEAT && (c->type != XL_TPL_NUMBER || c->n_conds != 1))
            return fail_at(err, errlen, pi, "a heat map is the only format of a number column");
    }
    return ST_OK;
}

/* Parses a chart of a table sheet. */
static int chart_parse(const json_t *v, const char *path, const xl_tpl_sheet_t *sh,
                       xl_tpl_chart_t *ch, char *err, size_t errlen)
{
    static const char *const keys[] = {"type",    "title",   "categories", "series",
                                       "x_title", "y_title", NULL};
    static const char *const skeys[] = {"column", "dash", "marker", NULL};
    static const char *const types[] = {"line", "column", NULL};
    char p[PATH_LEN], pi[PATH_LEN];
    int rc, type;
    if (!json_is_object(v))
        return fail_at(err, errlen, path, "must be an object");
    if ((rc = keys_check(v, path, keys, err, errlen)) != ST_OK)
        return rc;
    if ((rc = get_choice(v, path, "type", types, -1, &type, err, errlen)) != ST_OK)
        return rc;
    ch->type = (xl_tpl_chart_type_t)type;
    if ((rc = get_text(v, path, "title", true, false, &ch->title, err, errlen)) != ST_OK)
        return rc;
    if ((rc = get_column_ref(v, path, "categories", true, sh, false, &ch->categories, err,
                             errlen)) != ST_OK)
        return rc;
    if ((rc = get_text(v, path, "x_title", false, false, &ch->x_title, err, errlen)) != ST_OK ||
        (rc = get_text(v, path, "y_title", false, false, &ch->y_title, err, errlen)) != ST_OK)
        return rc;
    const json_t *ser = json_object_get(v, "series");
    path_key(p, sizeof p, path, "series");
    if (!json_is_array(ser) || json_array_size(ser) == 0 || json_array_size(ser) > MAX_SERIES)
        return fail_at(err, errlen, p, "must be an array of 1..%d series", MAX_SERIES);
    ch->n_series = json_array_size(ser);
    ch->series = xcalloc(ch->n_series, sizeof *ch->series);
    for (size_t i = 0; i < ch->n_series; i++) {
        const json_t *s = json_array_get(ser, i);
        path_index(pi, sizeof pi, p, i);
        if (!json_is_object(s))
            return fail_at(err, errlen, pi, "must be an object");
        if ((rc = keys_check(s, pi, skeys, err, errlen)) != ST_OK)
            return rc;
        if ((rc = get_column_ref(s, pi, "column", true, sh, true, &ch->series[i].column, err,
                                 errlen)) != ST_OK)
            return rc;
        if ((rc = get_bool(s, pi, "dash", false, &ch->series[i].dash, err, errlen)) != ST_OK)
            return rc;
        if ((rc = get_bool(s, pi, "marker", false, &ch->series[i].marker, err, errlen)) != ST_OK)
            return rc;
    }
    return ST_OK;
}

/* Parses the "freeze" member: {"rows": 0..10, "cols": 0..10}. */
static int freeze_parse(const json_t *obj, const char *path, xl_tpl_sheet_t *sh, char *err,
                        size_t errlen)
{
    static const char *const keys[] = {"rows", "cols", NULL};
    const json_t *v = json_object_get(obj, "freeze");
    char p[PATH_LEN];
    double r, c;
    int rc;
    if (!v)
        return ST_OK;
    path_key(p, sizeof p, path, "freeze");
    if (!json_is_object(v))
        return fail_at(err, errlen, p, "must be an object");
    if ((rc = keys_check(v, p, keys, err, errlen)) != ST_OK)
        return rc;
    if ((rc = get_number(v, p, "rows", 0, MAX_FREEZE, sh->freeze_rows, &r, err, errlen)) != ST_OK)
        return rc;
    if ((rc = get_number(v, p, "cols", 0, MAX_FREEZE, sh->freeze_cols, &c, err, errlen)) != ST_OK)
        return rc;
    if (r != floor(r) || c != floor(c))
        return fail_at(err, errlen, p, "rows and cols are whole numbers");
    sh->freeze_rows = (int)r;
    sh->freeze_cols = (int)c;
    return ST_OK;
}

/* Parses the columns (a facts sheet's items) of sheet sh from object v,
 * each column's references to others once all are read. */
static int columns_parse(const json_t *v, const char *path, xl_tpl_sheet_t *sh, char *err,
                         size_t errlen)
{
    const char *ckey = sh->kind == XL_TPL_TABLE ? "columns" : "items";
    const json_t *cols = json_object_get(v, ckey);
    char p[PATH_LEN], pi[PATH_LEN];
    int rc;
    path_key(p, sizeof p, path, ckey);
    if (!json_is_array(cols) || json_array_size(cols) == 0 ||
        json_array_size(cols) > XL_TPL_MAX_COLUMNS)
        return fail_at(err, errlen, p, "must be an array of 1..%d", XL_TPL_MAX_COLUMNS);
    sh->n_columns = json_array_size(cols);
    sh->columns = xcalloc(sh->n_columns, sizeof *sh->columns);
    for (size_t i = 0; i < sh->n_columns; i++) {
        path_index(pi, sizeof pi, p, i);
        if ((rc = column_parse(json_array_get(cols, i), pi, sh->kind, &sh->columns[i], err,
                               errlen)) != ST_OK)
            return rc;
        for (size_t k = 0; k < i; k++) {
            if (strcmp(sh->columns[k].key, sh->columns[i].key) == 0) {
                char pk[PATH_LEN];
                path_key(pk, sizeof pk, pi, "key");
                return fail_at(err, errlen, pk, "'%s' appears twice in this sheet",
                               sh->columns[i].key);
            }
        }
    }
    for (size_t i = 0; sh->kind == XL_TPL_TABLE && i < sh->n_columns; i++) {
        path_index(pi, sizeof pi, p, i);
        if ((rc = column_links_parse(json_array_get(cols, i), pi, sh, (int)i, err, errlen)) !=
            ST_OK)
            return rc;
    }
    return ST_OK;
}

/* Copies a text (both languages; NULLs stay NULL). */
static void text_copy(xl_tpl_text_t *dst, const xl_tpl_text_t *src)
{
    for (int l = 0; l < XL_LANG_COUNT; l++)
        dst->s[l] = src->s[l] ? xstrdup(src->s[l]) : NULL;
}

/* Parses one block of facts sheet fs: a small table among its items. */
static int block_parse(const json_t *v, const char *path, const xl_tpl_sheet_t *fs,
                       xl_tpl_sheet_t *b, char *err, size_t errlen)
{
    static const char *const keys[] = {"table", "title", "after", "columns", "comment", NULL};
    const char *s;
    char p[PATH_LEN];
    int rc;
    if (!json_is_object(v))
        return fail_at(err, errlen, path, "must be an object");
    if ((rc = keys_check(v, path, keys, err, errlen)) != ST_OK)
        return rc;
    b->kind = XL_TPL_TABLE;
    b->pages_wide = 1;
    b->after = -1;
    text_copy(&b->name, &fs->name);
    if ((rc = get_key(v, path, "table", true, &s, err, errlen)) != ST_OK)
        return rc;
    b->table = xstrdup(s);
    b->id = xstrdup(s);
    if ((rc = get_text(v, path, "title", false, false, &b->title, err, errlen)) != ST_OK ||
        (rc = get_key(v, path, "after", false, &s, err, errlen)) != ST_OK)
        return rc;
    if (s && (b->after = xl_tpl_column_find(fs, s)) < 0) {
        path_key(p, sizeof p, path, "after");
        return fail_at(err, errlen, p, "no item '%s' in this sheet", s);
    }
    if ((rc = columns_parse(v, path, b, err, errlen)) != ST_OK)
        return rc;
    if (b->has_totals)
        return fail_at(err, errlen, path, "a block has no totals");
    return ST_OK;
}

/* Parses the "blocks" of a facts sheet (none when absent). */
static int blocks_parse(const json_t *v, const char *path, xl_tpl_sheet_t *sh, char *err,
                        size_t errlen)
{
    const json_t *blocks = json_object_get(v, "blocks");
    char p[PATH_LEN], pi[PATH_LEN];
    int rc;
    if (!blocks)
        return ST_OK;
    path_key(p, sizeof p, path, "blocks");
    if (!json_is_array(blocks) || json_array_size(blocks) == 0 ||
        json_array_size(blocks) > MAX_BLOCKS)
        return fail_at(err, errlen, p, "must be an array of 1..%d", MAX_BLOCKS);
    if (sh->digest)
        return fail_at(err, errlen, p, "only in a sheet with \"digest\": false");
    sh->n_blocks = json_array_size(blocks);
    sh->blocks = xcalloc(sh->n_blocks, sizeof *sh->blocks);
    for (size_t i = 0; i < sh->n_blocks; i++) {
        path_index(pi, sizeof pi, p, i);
        if ((rc = block_parse(json_array_get(blocks, i), pi, sh, &sh->blocks[i], err, errlen)) !=
            ST_OK)
            return rc;
    }
    return ST_OK;
}

/* Parses one sheet. */
static int sheet_parse(const json_t *v, const char *path, xl_tpl_sheet_t *sh, char *err,
                       size_t errlen)
{
    static const char *const kinds[] = {"table", "facts", NULL};
    static const char *const table_keys[] = {"id",     "kind",       "name",    "table",
                                             "digest", "freeze",     "columns", "total_label",
                                             "charts", "pages_wide", "comment", NULL};
    static const char *const facts_keys[] = {"id",     "kind",    "name",   "title",
                                             "table",  "digest",  "freeze", "items",
                                             "blocks", "comment", NULL};
    const char *s;
    char p[PATH_LEN], pi[PATH_LEN];
    int rc, kind;
    if (!json_is_object(v))
        return fail_at(err, errlen, path, "must be an object");
    if ((rc = get_choice(v, path, "kind", kinds, -1, &kind, err, errlen)) != ST_OK)
        return rc;
    sh->kind = (xl_tpl_kind_t)kind;
    if ((rc = keys_check(v, path, sh->kind == XL_TPL_TABLE ? table_keys : facts_keys, err,
                         errlen)) != ST_OK)
        return rc;
    if ((rc = get_key(v, path, "id", true, &s, err, errlen)) != ST_OK)
        return rc;
    sh->id = xstrdup(s);
    if ((rc = get_text(v, path, "name", true, false, &sh->name, err, errlen)) != ST_OK)
        return rc;
    path_key(p, sizeof p, path, "name");
    for (int l = 0; l < XL_LANG_COUNT; l++) {
        path_key(pi, sizeof pi, p, lang_names[l]);
        if ((rc = sheet_name_check(sh->name.s[l], pi, err, errlen)) != ST_OK)
            return rc;
    }
    if ((rc = get_text(v, path, "title", false, false, &sh->title, err, errlen)) != ST_OK)
        return rc;
    if ((rc = get_key(v, path, "table", true, &s, err, errlen)) != ST_OK)
        return rc;
    sh->table = xstrdup(s);
    if ((rc = get_bool(v, path, "digest", true, &sh->digest, err, errlen)) != ST_OK)
        return rc;
    sh->freeze_rows = sh->kind == XL_TPL_TABLE ? 1 : 0;
    if ((rc = freeze_parse(v, path, sh, err, errlen)) != ST_OK)
        return rc;
    double wide = 1;
    if ((rc = get_number(v, path, "pages_wide", 1, 4, 1, &wide, err, errlen)) != ST_OK)
        return rc;
    if (wide != (int)wide) {
        path_key(p, sizeof p, path, "pages_wide");
        return fail_at(err, errlen, p, "must be a whole number of pages");
    }
    sh->pages_wide = (int)wide;
    if (json_object_get(v, "comment") && !json_is_string(json_object_get(v, "comment"))) {
        path_key(p, sizeof p, path, "comment");
        return fail_at(err, errlen, p, "must be a string");
    }

    if ((rc = columns_parse(v, path, sh, err, errlen)) != ST_OK)
        return rc;
    if (sh->kind == XL_TPL_FACTS)
        return blocks_parse(v, path, sh, err, errlen);
    if (sh->has_totals) {
        if ((rc = get_text(v, path, "total_label", true, false, &sh->total_label, err, errlen)) !=
            ST_OK)
            return rc;
    } else if (json_object_get(v, "total_label")) {
        path_key(p, sizeof p, path, "total_label");
        return fail_at(err, errlen, p, "no column has a total");
    }
    if ((size_t)sh->freeze_cols > sh->n_columns) {
        path_key(p, sizeof p, path, "freeze");
        return fail_at(err, errlen, p, "freezes more columns than the sheet has");
    }
    const json_t *charts = json_object_get(v, "charts");
    if (charts) {
        path_key(p, sizeof p, path, "charts");
        if (!json_is_array(charts) || json_array_size(charts) > MAX_CHARTS)
            return fail_at(err, errlen, p, "must be an array of at most %d", MAX_CHARTS);
        sh->n_charts = json_array_size(charts);
        sh->charts = xcalloc(sh->n_charts ? sh->n_charts : 1, sizeof *sh->charts);
        for (size_t i = 0; i < sh->n_charts; i++) {
            path_index(pi, sizeof pi, p, i);
            if ((rc = chart_parse(json_array_get(charts, i), pi, sh, &sh->charts[i], err,
                                  errlen)) != ST_OK)
                return rc;
        }
    }
    return ST_OK;
}

/* Checks what only the whole list of sheets shows: unique ids and names. */
static int sheets_unique(const xl_tpl_t *t, char *err, size_t errlen)
{
    char p[PATH_LEN];
    for (size_t i = 0; i < t->n_sheets; i++) {
        for (size_t k = 0; k < i; k++) {
            if (strcmp(t->sheets[i].id, t->sheets[k].id) == 0) {
                snprintf(p, sizeof p, "sheets[%zu].id", i);
                return fail_at(err, errlen, p, "'%s' appears twice", t->sheets[i].id);
            }
            for (int l = 0; l < XL_LANG_COUNT; l++) {
                if (name_equal_ci(t->sheets[i].name.s[l], t->sheets[k].name.s[l])) {
                    snprintf(p, sizeof p, "sheets[%zu].name.%s", i, lang_names[l]);
                    return fail_at(err, errlen, p, "same name as sheets[%zu]", k);
                }
            }
        }
    }
    return ST_OK;
}

/* Builds a template from parsed JSON (root only read). */
static int tpl_from_json(const json_t *root, xl_tpl_t *t, char *err, size_t errlen)
{
    static const char *const keys[] = {"template", "version", "title", "sheets", "comment", NULL};
    const char *name;
    char p[PATH_LEN];
    double version;
    int rc;
    if (!json_is_object(root))
        return fail_at(err, errlen, "", "a template is a JSON object");
    if ((rc = keys_check(root, "", keys, err, errlen)) != ST_OK)
        return rc;
    if ((rc = get_string(root, "", "template", true, &name, err, errlen)) != ST_OK)
        return rc;
    if (strlen(name) == 0 || strlen(name) > XL_TPL_KEY_MAX ||
        strspn(name, "abcdefghijklmnopqrstuvwxyz"
                     "0123456789-_") != strlen(name))
        return fail_at(err, errlen, "template", "must be 1..%d of a-z, 0-9, -, _", XL_TPL_KEY_MAX);
    t->name = xstrdup(name);
    if (!json_is_integer(json_object_get(root, "version")))
        return fail_at(err, errlen, "version", "required, must be 1");
    if ((rc = get_number(root, "", "version", 1, 1, 1, &version, err, errlen)) != ST_OK)
        return rc;
    if ((rc = get_text(root, "", "title", true, false, &t->title, err, errlen)) != ST_OK)
        return rc;
    const json_t *sheets = json_object_get(root, "sheets");
    if (!json_is_array(sheets) || json_array_size(sheets) == 0 ||
        json_array_size(sheets) > XL_TPL_MAX_SHEETS)
        return fail_at(err, errlen, "sheets", "must be an array of 1..%d sheets",
                       XL_TPL_MAX_SHEETS);
    t->n_sheets = json_array_size(sheets);
    t->sheets = xcalloc(t->n_sheets, sizeof *t->sheets);
    for (size_t i = 0; i < t->n_sheets; i++) {
        path_index(p, sizeof p, "sheets", i);
        if ((rc = sheet_parse(json_array_get(sheets, i), p, &t->sheets[i], err, errlen)) != ST_OK)
            return rc;
    }
    return sheets_unique(t, err, errlen);
}

int xl_tpl_parse(const char *text, size_t len, xl_tpl_t **out, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = NULL;
    xl_tpl_t *t = NULL;
    int rc;
    *out = NULL;
    if (len > XL_TPL_MAX_BYTES) {
        st_errf(err, errlen, "template larger than %d bytes", XL_TPL_MAX_BYTES);
        return ST_ERR_TOO_LARGE;
    }
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        st_errf(err, errlen, "line %d column %d: %s", je.line, je.column, je.text);
        rc = ST_ERR_INVALID;
        goto fail;
    }
    t = xcalloc(1, sizeof *t);
    if ((rc = tpl_from_json(root, t, err, errlen)) != ST_OK)
        goto fail;
    json_decref(root);
    *out = t;
    return ST_OK;
fail:
    xl_tpl_free(t);
    json_decref(root);
    return rc;
}

int xl_tpl_load(const char *path, xl_tpl_t **out, char *err, size_t errlen)
{
    FILE *f = NULL;
    char *text = NULL;
    size_t n = 0;
    int rc;
    *out = NULL;
    f = fopen(path, "rb");
    if (!f) {
        st_errf(err, errlen, "%s: %s", path, strerror(errno));
        rc = ST_ERR_IO;
        goto fail;
    }
    text = xmalloc(XL_TPL_MAX_BYTES + 1);
    n = fread(text, 1, XL_TPL_MAX_BYTES + 1, f);
    if (ferror(f)) {
        st_errf(err, errlen, "%s: read error", path);
        rc = ST_ERR_IO;
        goto fail;
    }
    rc = xl_tpl_parse(text, n, out, err, errlen);
fail:
    free(text);
    if (f)
        fclose(f);
    return rc;
}

/* Frees the strings of a text. */
static void text_free(xl_tpl_text_t *t)
{
    for (int l = 0; l < XL_LANG_COUNT; l++)
        free(t->s[l]);
}

/* Releases what a sheet (and its blocks) holds, not the sheet itself. */
static void sheet_free(xl_tpl_sheet_t *sh)
{
    for (size_t b = 0; b < sh->n_blocks; b++)
        sheet_free(&sh->blocks[b]);
    free(sh->blocks);
    for (size_t c = 0; c < sh->n_columns; c++) {
        xl_tpl_column_t *col = &sh->columns[c];
        free(col->key);
        text_free(&col->label);
        text_free(&col->format);
        text_free(&col->note);
        free(col->conds);
        for (size_t f = 0; f < col->n_formats; f++) {
            free(col->format_keys[f]);
            text_free(&col->format_values[f]);
        }
        free(col->format_keys);
        free(col->format_values);
        for (size_t f = 0; f < col->n_labels; f++) {
            free(col->label_keys[f]);
            text_free(&col->label_values[f]);
        }
        free(col->label_keys);
        free(col->label_values);
    }
    for (size_t c = 0; c < sh->n_charts; c++) {
        text_free(&sh->charts[c].title);
        text_free(&sh->charts[c].x_title);
        text_free(&sh->charts[c].y_title);
        free(sh->charts[c].series);
    }
    free(sh->charts);
    free(sh->columns);
    free(sh->id);
    free(sh->table);
    text_free(&sh->name);
    text_free(&sh->title);
    text_free(&sh->total_label);
}

int xl_tpl_sheet_add_column(xl_tpl_t *t, size_t sheet, const char *key, const char *label,
                            const char *format, int weight, bool hidden)
{
    if (sheet >= t->n_sheets || !key || !label || !format || strlen(key) > XL_TPL_KEY_MAX ||
        strlen(format) > XL_TPL_FORMAT_MAX)
        return ST_ERR_INVALID;
    xl_tpl_sheet_t *sh = &t->sheets[sheet];
    if (sh->kind != XL_TPL_TABLE || weight >= (int)sh->n_columns || weight < -2)
        return ST_ERR_INVALID;
    if (sh->n_columns >= XL_TPL_MAX_COLUMNS)
        return ST_ERR_TOO_LARGE;
    sh->columns = xrealloc(sh->columns, (sh->n_columns + 1) * sizeof *sh->columns);
    xl_tpl_column_t *c = &sh->columns[sh->n_columns++];
    memset(c, 0, sizeof *c);
    c->key = xstrdup(key);
    for (int l = 0; l < XL_LANG_COUNT; l++) {
        c->label.s[l] = xstrdup(label);
        c->format.s[l] = xstrdup(format);
    }
    c->type = XL_TPL_NUMBER;
    c->hidden = hidden;
    c->formats_by = -1;
    c->total.weight = c->total.num = c->total.den = -1;
    if (weight >= 0) {
        c->total.fn = XL_TOTAL_WEIGHTED;
        c->total.weight = weight;
        sh->has_totals = true;
    } else if (weight == -2) {
        c->total.fn = XL_TOTAL_SUM;
        sh->has_totals = true;
    }
    return ST_OK;
}

void xl_tpl_free(xl_tpl_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_sheets; i++)
        sheet_free(&t->sheets[i]);
    free(t->sheets);
    text_free(&t->title);
    free(t->name);
    free(t);
}

const char *xl_tpl_name(const xl_tpl_t *t)
{
    return t->name;
}

const char *xl_tpl_title(const xl_tpl_t *t, xl_lang_t lang)
{
    return t->title.s[lang];
}

size_t xl_tpl_sheet_count(const xl_tpl_t *t)
{
    return t->n_sheets;
}

const xl_tpl_sheet_t *xl_tpl_sheet(const xl_tpl_t *t, size_t i)
{
    return i < t->n_sheets ? &t->sheets[i] : NULL;
}

int xl_tpl_column_find(const xl_tpl_sheet_t *s, const char *key)
{
    for (size_t i = 0; i < s->n_columns; i++) {
        if (s->columns[i].key && strcmp(s->columns[i].key, key) == 0)
            return (int)i;
    }
    return -1;
}

int xl_tpl_sheet_named(const xl_tpl_t *t, xl_lang_t lang, const char *name)
{
    for (size_t i = 0; i < t->n_sheets; i++) {
        if (name_equal_ci(t->sheets[i].name.s[lang], name))
            return (int)i;
    }
    return -1;
}

int xl_lang_parse(const char *s, xl_lang_t *out)
{
    for (int l = 0; l < XL_LANG_COUNT; l++) {
        if (strcmp(s, lang_names[l]) == 0) {
            *out = (xl_lang_t)l;
            return ST_OK;
        }
    }
    return ST_ERR_INVALID;
}
