/* SPDX-License-Identifier: Apache-2.0 */
/* TLS files and client certificates (GnuTLS). */
#include "http/tls.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/app.h"
#include "http/http.h"
#include "tessera.h"

struct tls_ctx {
    char *cert, *key, *ca;                 /* PEM texts */
    gnutls_x509_trust_list_t trust;        /* the client CA, for our own checks */
    int required;
};

static char *slurp(const char *path, const char *what, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > (1L << 20) ||
        fseek(f, 0, SEEK_SET) != 0 || !(buf = malloc((size_t)n + 1)) ||
        fread(buf, 1, (size_t)n, f) != (size_t)n) {
        snprintf(err, errlen, "cannot read %s %s", what, path);
        free(buf);
        buf = NULL;
    } else {
        buf[n] = '\0';
    }
    if (f)
        fclose(f);
    return buf;
}

int tls_open(const struct config *c, struct tls_ctx **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!c->tls_cert_file[0] && !c->tls_client_ca_file[0])
        return 0;
    struct tls_ctx *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    t->required = strcmp(c->tls_client_certs, "required") == 0;
    if (c->tls_cert_file[0] &&
        (!(t->cert = slurp(c->tls_cert_file, "tls.cert_file", err, errlen)) ||
         !(t->key = slurp(c->tls_key_file, "tls.key_file", err, errlen))))
        goto fail;
    if (c->tls_client_ca_file[0]) {
        if (!(t->ca = slurp(c->tls_client_ca_file, "tls.client_ca_file", err, errlen)))
            goto fail;
        gnutls_datum_t d = { (unsigned char *)t->ca, (unsigned)strlen(t->ca) };
        if (gnutls_x509_trust_list_init(&t->trust, 0) < 0 ||
            gnutls_x509_trust_list_add_trust_mem(t->trust, &d, NULL, GNUTLS_X509_FMT_PEM,
                                                 0, 0) <= 0) {
            snprintf(err, errlen, "tls.client_ca_file %s holds no CA certificate",
                     c->tls_client_ca_file);
            goto fail;
        }
    }
    *out = t;
    return 0;
fail:
    tls_close(t);
    return -1;
}

void tls_close(struct tls_ctx *t)
{
    if (!t)
        return;
    if (t->trust)
        gnutls_x509_trust_list_deinit(t->trust, 1);
    free(t->cert);
    if (t->key) {
        memset(t->key, 0, strlen(t->key));
        free(t->key);
    }
    free(t->ca);
    free(t);
}

const char *tls_cert_pem(const struct tls_ctx *t) { return t->cert; }
const char *tls_key_pem(const struct tls_ctx *t) { return t->key; }
const char *tls_trust_pem(const struct tls_ctx *t) { return t->ca; }
int tls_client_cert_required(const struct tls_ctx *t) { return t && t->required; }

/* Fills cc from a chain, leaf first. */
static void describe(const struct tls_ctx *t, gnutls_x509_crt_t *chain, unsigned n,
                     const gnutls_datum_t *leaf_der, struct client_cert *cc)
{
    unsigned char md[32];
    gnutls_datum_t dn = { NULL, 0 };

    SHA256(leaf_der->data, leaf_der->size, md);
    tessera_b64url_encode(md, sizeof md, cc->x5t);
    if (gnutls_x509_crt_get_dn3(chain[0], &dn, 0) == 0) {
        snprintf(cc->dn, sizeof cc->dn, "%.*s", (int)dn.size, (const char *)dn.data);
        gnutls_free(dn.data);
    }
    cc->present = 1;
    /* Trusted: chains to a client CA, is valid now, and may authenticate a TLS client
     * (an extended key usage that leaves out clientAuth refuses it; none allows all,
     * RFC 5280 4.2.1.12). */
    gnutls_typed_vdata_st purpose = {
        .type = GNUTLS_DT_KEY_PURPOSE_OID,
        .data = (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT,
    };
    unsigned status = 1;
    if (t && t->trust &&
        gnutls_x509_trust_list_verify_crt2(t->trust, chain, n, &purpose, 1, 0, &status,
                                           NULL) == 0 &&
        status == 0)
        cc->trusted = 1;
}

static void from_connection(struct request *req, struct client_cert *cc)
{
    void *session = req->io && req->io->tls_session
                        ? req->io->tls_session(req->io_src) : NULL;
    if (!session)
        return;
    gnutls_session_t s = (gnutls_session_t)session;
    unsigned n = 0;
    const gnutls_datum_t *raw = gnutls_certificate_get_peers(s, &n);
    if (!raw || !n)
        return;
    if (n > 8)
        n = 8;
    gnutls_x509_crt_t chain[8];
    unsigned got = 0;
    for (; got < n; got++) {
        if (gnutls_x509_crt_init(&chain[got]) < 0)
            break;
        if (gnutls_x509_crt_import(chain[got], &raw[got], GNUTLS_X509_FMT_DER) < 0) {
            gnutls_x509_crt_deinit(chain[got]);
            break;
        }
    }
    if (got == n)
        describe(req->tls, chain, n, &raw[0], cc);
    for (unsigned i = 0; i < got; i++)
        gnutls_x509_crt_deinit(chain[i]);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decoding only ('+' stays '+': it is a base64 character of the PEM). */
static int unescape(const char *in, size_t n, char *out, size_t *len)
{
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i] == '%') {
            int h, l;
            if (i + 2 >= n || (h = hexval(in[i + 1])) < 0 || (l = hexval(in[i + 2])) < 0)
                return -1;
            out[j++] = (char)(h << 4 | l);
            i += 2;
        } else {
            out[j++] = in[i];
        }
    }
    out[j] = '\0';
    *len = j;
    return 0;
}

/* nginx $ssl_client_escaped_cert: the PEM, URL-escaped. */
static void from_header(struct request *req, const char *value, struct client_cert *cc)
{
    size_t n = strlen(value), len;
    char *pem = n < 16384 ? malloc(n + 1) : NULL;
    if (!pem)
        return;
    if (unescape(value, n, pem, &len) == 0) {
        gnutls_x509_crt_t crt;
        gnutls_datum_t in = { (unsigned char *)pem, (unsigned)len }, der = { NULL, 0 };
        if (gnutls_x509_crt_init(&crt) == 0) {
            if (gnutls_x509_crt_import(crt, &in, GNUTLS_X509_FMT_PEM) == 0 &&
                gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) == 0) {
                describe(req->tls, &crt, 1, &der, cc);
                gnutls_free(der.data);
            }
            gnutls_x509_crt_deinit(crt);
        }
    }
    free(pem);
}

const struct client_cert *http_client_cert(struct request *req)
{
    if (req->cert_read)
        return &req->cert;
    req->cert_read = 1;
    memset(&req->cert, 0, sizeof req->cert);
    if (req->is_tls) {
        from_connection(req, &req->cert);
    } else if (req->peer_trusted && req->app->cfg.client_cert_header[0]) {
        const char *h = http_header(req, req->app->cfg.client_cert_header);
        if (h && *h)
            from_header(req, h, &req->cert);
    }
    return &req->cert;
}
