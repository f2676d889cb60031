/* SPDX-License-Identifier: Apache-2.0 */
/* Client authentication for AUTH_CLIENT routes (RFC 6749 section 2.3), called by the
 * server before the handler. */
#ifndef HTTP_CLIENT_AUTH_H
#define HTTP_CLIENT_AUTH_H

#include "http/http.h"       /* struct client_rec, through core/client.h */

/* Authenticates the request's client from `Authorization: Basic` (id and secret
 * form-encoded, then joined by ':' and base64-encoded) or the form's client_id and
 * client_secret (or client_id alone for a public client). TS_EINVAL when two methods
 * are mixed; TS_ECLIENT when authentication fails. *used_basic tells whether the
 * request used Basic, for the WWW-Authenticate challenge. */
ts_err http_client_auth(struct request *req, struct response *res, struct client_rec *out,
                        int *used_basic);

#endif
