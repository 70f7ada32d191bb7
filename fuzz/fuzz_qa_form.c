/*
 * libFuzzer target: the scorecard validator (reports/qa_form.c) on
 * arbitrary text.  A refusal must say where; an accepted form must be
 * consistent: its sections cover its items in order, every item is found
 * by its id, ids are valid, limits hold.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qa_form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    qa_form_t *f = NULL;
    char err[512] = "";
    if (qa_form_parse((const char *)data, size, &f, err, sizeof err) != 0) {
        if (f || !err[0])
            abort();
        return 0;
    }
    if (!qa_form_id_valid(qa_form_id(f)) || qa_form_version(f) < 1)
        abort();
    double pm = qa_form_pass_mark(f);
    if (!(pm >= 0 && pm <= 100))
        abort();
    size_t ns = qa_form_section_count(f), ni = qa_form_item_count(f), next = 0;
    if (ns < 1 || ns > QA_FORM_MAX_SECTIONS || ni < ns || ni > QA_FORM_MAX_ITEMS)
        abort();
    for (size_t s = 0; s < ns; s++) {
        const qa_section_t *sec = qa_form_section(f, s);
        if (!sec || sec->first_item != next || sec->item_count < 1 || !(sec->weight > 0))
            abort();
        next += sec->item_count;
        if (!qa_form_id_valid(sec->id) || !sec->name || !sec->name[0])
            abort();
    }
    if (next != ni)
        abort();
    for (size_t i = 0; i < ni; i++) {
        const qa_item_t *it = qa_form_item(f, i);
        if (!it || it->index != i || it->max < 1 || it->max > QA_FORM_MAX_POINTS ||
            it->section >= ns || qa_form_item_find(f, it->id) != it)
            abort();
    }
    if (qa_form_section(f, ns) || qa_form_item(f, ni))
        abort(); /* past the end: NULL */
    qa_form_free(f);
    return 0;
}
