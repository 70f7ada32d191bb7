/* signing.c - the signing key, certificates and trust store (see signing.h). */
#include "signing.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "pki.h"
#include "rfc3339.h"
#include "status.h"
#include "xmem.h"

struct signing {
    cms_signer *signer;
    cms_trust *trust;
    json_t *certificates;
    json_t *ca; /* the CA certificate as published (cert_json) */
    char *ca_pem;
};

/* One certificate as published by GET /v1/certificates. */
static json_t *cert_json(const X509 *cert, const char *status)
{
    char fp[PKI_FINGERPRINT_SIZE] = "", subject[512] = "", nb[64] = "", na[64] = "";
    char *pem = NULL;
    size_t pem_len = 0;
    int64_t not_before = 0, not_after = 0;
    pki_cert_fingerprint(cert, fp);
    pki_cert_subject(cert, subject, sizeof subject);
    if (pki_cert_validity(cert, &not_before, &not_after) == ST_OK) {
        rfc3339_format_utc(not_before * 1000000, nb, sizeof nb);
        rfc3339_format_utc(not_after * 1000000, na, sizeof na);
    }
    pki_cert_pem(cert, &pem, &pem_len);
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s#}", "status", status, "fingerprint", fp,
                          "subject", subject, "not_before", nb, "not_after", na, "pem",
                          pem ? pem : "", pem ? (int)pem_len : 0);
    free(pem);
    return j;
}

/* Adds every retired certificate (*.pem in dir, by name) to the list. */
static int load_retired(const char *dir, json_t *list, char *err, size_t errlen)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0)
        return ST_OK; /* no retired certificates yet */
    int rc = ST_OK;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(names[i]->d_name);
        if (rc == ST_OK && len > 4 && strcmp(names[i]->d_name + len - 4, ".pem") == 0) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
            STACK_OF(X509) *certs = NULL;
            rc = pki_certs_load(path, &certs, err, errlen);
            if (rc == ST_OK)
                json_array_append_new(list, cert_json(sk_X509_value(certs, 0), "retired"));
            pki_certs_free(certs);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int signing_trust_load(const char *ca_file, cms_trust **out, char *err, size_t errlen)
{
    STACK_OF(X509) *cas = NULL;
    int rc = pki_certs_load(ca_file, &cas, err, errlen);
    if (rc == ST_OK)
        rc = cms_trust_new(cas, out, err, errlen);
    pki_certs_free(cas);
    return rc;
}

int signing_load(const config_t *cfg, signing_t **out, char *err, size_t errlen)
{
    signing_t *s = xcalloc(1, sizeof *s);
    EVP_PKEY *key = NULL;
    STACK_OF(X509) *chain = NULL;
    int rc;
    if ((rc = pki_key_load(cfg->signing_key, &key, err, errlen)) != ST_OK ||
        (rc = pki_certs_load(cfg->signing_cert, &chain, err, errlen)) != ST_OK ||
        (rc = cms_signer_new(key, chain, &s->signer, err, errlen)) != ST_OK ||
        (rc = signing_trust_load(cfg->signing_ca, &s->trust, err, errlen)) != ST_OK)
        goto fail;
    buf_t ca;
    buf_init(&ca, PKI_FILE_MAX);
    FILE *f = fopen(cfg->signing_ca, "rb");
    char chunk[4096];
    size_t n;
    while (f && (n = fread(chunk, 1, sizeof chunk, f)) > 0 && buf_append(&ca, chunk, n) == ST_OK)
        ;
    if (f)
        fclose(f);
    s->ca_pem = buf_detach(&ca, NULL);
    STACK_OF(X509) *cas = NULL;
    if ((rc = pki_certs_load(cfg->signing_ca, &cas, err, errlen)) != ST_OK)
        goto fail;
    s->ca = cert_json(sk_X509_value(cas, 0), "ca");
    pki_certs_free(cas);
    s->certificates = json_array();
    json_array_append_new(s->certificates, cert_json(cms_signer_cert(s->signer), "current"));
    if ((rc = load_retired(cfg->signing_retired, s->certificates, err, errlen)) != ST_OK)
        goto fail;
    *out = s;
    s = NULL;
fail:
    EVP_PKEY_free(key);
    pki_certs_free(chain);
    signing_free(s);
    return rc;
}

void signing_free(signing_t *s)
{
    if (!s)
        return;
    cms_signer_free(s->signer);
    cms_trust_free(s->trust);
    json_decref(s->certificates);
    json_decref(s->ca);
    free(s->ca_pem);
    free(s);
}

const char *signing_ca_pem(const signing_t *s)
{
    return s->ca_pem;
}

const json_t *signing_ca(const signing_t *s)
{
    return s->ca;
}

const char *signing_ca_fingerprint(const signing_t *s)
{
    return json_string_value(json_object_get(s->ca, "fingerprint"));
}

const char *signing_cert_pem(const signing_t *s, const char *fingerprint)
{
    size_t i;
    json_t *c;
    json_array_foreach(s->certificates, i, c)
    {
        if (fingerprint &&
            strcmp(json_string_value(json_object_get(c, "fingerprint")), fingerprint) == 0)
            return json_string_value(json_object_get(c, "pem"));
    }
    return NULL;
}

const cms_signer *signing_signer(const signing_t *s)
{
    return s->signer;
}

const cms_trust *signing_trust(const signing_t *s)
{
    return s->trust;
}

const json_t *signing_certificates(const signing_t *s)
{
    return s->certificates;
}
