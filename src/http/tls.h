/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TLS for the listener (GnuTLS through libmicrohttpd) and the client certificate of a
 * request (RFC 8705): from the TLS connection, or from a trusted proxy's header
 * (nginx `$ssl_client_escaped_cert`). The certificate is read when a handler asks
 * (client authentication, certificate-bound tokens), not on every request.
 */
#ifndef HTTP_TLS_H
#define HTTP_TLS_H

#include <stddef.h>

#include "core/config.h"

struct tls_ctx;

/* Loads tls.cert_file, key_file and client_ca_file. *out is NULL (and 0 returned) when
 * none is configured; -1 with err set on a bad file. With a CA but no certificate the
 * listener is plain and the CA checks certificates from server.client_cert_header. */
int tls_open(const struct config *c, struct tls_ctx **out, char *err, size_t errlen);
void tls_close(struct tls_ctx *t);                 /* NULL is fine */

/* PEM texts for MHD_OPTION_HTTPS_MEM_CERT / _KEY / _TRUST (NULL when not configured). */
const char *tls_cert_pem(const struct tls_ctx *t);
const char *tls_key_pem(const struct tls_ctx *t);
const char *tls_trust_pem(const struct tls_ctx *t);
int tls_client_cert_required(const struct tls_ctx *t);

#endif
