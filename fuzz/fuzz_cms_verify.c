/*
 * fuzz_cms_verify.c - libFuzzer target for cms_verify(): the input is the
 * signature (DER, PEM or garbage); the content and the trust store are fixed.
 *
 * The CA is a fixed certificate rather than one generated at start-up, so
 * that the seeds in fuzz/seeds/fuzz_cms_verify/ - real signatures over
 * FUZZ_CONTENT by signers under this CA, made with `openssl cms -sign` -
 * verify completely and mutations of them reach every check: content
 * digest, signature, chain at signing time, purpose.  The CA's key is not
 * kept anywhere; only its public certificate is needed.
 *
 * Besides "no crash, no leak, no undefined behaviour", each run checks the
 * result's invariants: valid only with ST_OK and CMS_VALID, a reason
 * whenever invalid, NUL-terminated strings.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cms_verify.h"
#include "pki.h"
#include "status.h"

/* O=slattest fuzz, CN=fuzz CA; P-256; valid 2026-11-22 to 2059-09-30. */
static const char FUZZ_CA_PEM[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBmzCCAUCgAwIBAgIUM9K4halQYe+ZBdo8LC66TnfyWyEwCgYIKoZIzj0EAwIw\n"
    "KjEWMBQGA1UECgwNc2xhdHRlc3QgZnV6ejEQMA4GA1UEAwwHZnV6eiBDQTAgFw0y\n"
    "NjExMjIwNjM3MzlaGA8yMDU5MDkzMDA2MzczOVowKjEWMBQGA1UECgwNc2xhdHRl\n"
    "c3QgZnV6ejEQMA4GA1UEAwwHZnV6eiBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEH\n"
    "A0IABBNTvIqfwAHn0tatniMmnNu9qmR84FJsovjt3hSG5zjn8nUGvH5/oufHi0Ce\n"
    "OxryBi3O7wpp05ScbySQCk0zzbejQjBAMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0P\n"
    "AQH/BAQDAgEGMB0GA1UdDgQWBBQvNdUSwIJjDb2IN5TNivP/gWbAKTAKBggqhkjO\n"
    "PQQDAgNJADBGAiEAmOFCWsoy07Ortm84KiRmHzDjawh934NsIOXd6acvOiECIQCW\n"
    "uWANE4rk5tbnaLaK0EpwbyyYHM7srEe8/EckhoFgmw==\n"
    "-----END CERTIFICATE-----\n";

/* The bytes every seed signature covers. */
static const char FUZZ_CONTENT[] = "slattest fuzz content\n";

/* Built once in LLVMFuzzerInitialize, read-only afterwards. */
static cms_trust *fuzz_trust;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    STACK_OF(X509) *cas = NULL;
    char err[256] = "";
    if (pki_certs_parse(FUZZ_CA_PEM, sizeof(FUZZ_CA_PEM) - 1, &cas, err, sizeof(err)) != ST_OK ||
        cms_trust_new(cas, &fuzz_trust, err, sizeof(err)) != ST_OK) {
        fprintf(stderr, "fuzz_cms_verify: %s\n", err);
        abort();
    }
    pki_certs_free(cas);
    return 0;
}

/* Aborts (a finding) when a result breaks the documented contract. */
static void fuzz_check(int rc, const cms_verify_result *r)
{
    if (memchr(r->reason, '\0', sizeof(r->reason)) == NULL ||
        memchr(r->signer, '\0', sizeof(r->signer)) == NULL ||
        memchr(r->signer_fingerprint, '\0', sizeof(r->signer_fingerprint)) == NULL ||
        strlen(r->content_sha256) != 64)
        abort();
    if (r->valid) {
        if (rc != ST_OK || r->verdict != CMS_VALID || r->reason[0] != '\0' ||
            strlen(r->signer_fingerprint) != 64 || r->signed_at < 0 || r->format == CMS_SIG_UNKNOWN)
            abort();
    } else {
        if (r->verdict == CMS_VALID || r->reason[0] == '\0')
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cms_verify_result r;
    int rc = cms_verify(fuzz_trust, FUZZ_CONTENT, sizeof(FUZZ_CONTENT) - 1, data, size, &r);
    fuzz_check(rc, &r);
    return 0;
}
