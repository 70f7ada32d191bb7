/*
 * libFuzzer target: the contract validator (reports/contract.c) on
 * arbitrary text.  A refusal must say where ("path: reason" or "contract:
 * ..."); an accepted contract must survive its own canonical form: to JSON,
 * to text, parsed again, to JSON again gives the same document
 * (contract.h: "contract_from_json() of it gives an equal contract").
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    contract_t *c = NULL, *again = NULL;
    char err[512] = "";
    if (contract_parse((const char *)data, size, &c, err, sizeof err) != 0) {
        if (c || !err[0] || !strchr(err, ':'))
            abort(); /* a refusal leaves nothing and says where */
        return 0;
    }
    json_t *doc = contract_to_json(c);
    char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    if (!doc || !text)
        abort();
    if (contract_parse(text, strlen(text), &again, err, sizeof err) != 0)
        abort(); /* the canonical form of an accepted contract is refused */
    json_t *doc2 = contract_to_json(again);
    if (!json_equal(doc, doc2))
        abort();
    if (contract_monthly_fee_cents(c) != contract_monthly_fee_cents(again) ||
        contract_item_count(c) != contract_item_count(again))
        abort();
    json_decref(doc2);
    json_decref(doc);
    free(text);
    contract_free(again);
    contract_free(c);
    return 0;
}
