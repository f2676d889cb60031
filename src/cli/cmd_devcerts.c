/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tessera dev-certs: a development CA, a server certificate and client certificates
 * (CA-signed and self-signed) for trying TLS and mTLS on one machine. Every key is
 * EC P-256, every signature ECDSA with SHA-256. Everything is built in memory first,
 * so a failure there, or a file that exists already, writes nothing; then each file is
 * written to a temporary file and renamed into place.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cli/cli.h"
#include "tessera.h"

#define DEV_MAX_NAMES 32           /* of --host, and of --client */
#define DEV_MAX_DAYS  3650
#define DEV_ORG       "tessera development"
#define DEV_CA_NAME   "tessera development CA"
#define DEV_CN_MAX    64           /* ub-common-name (RFC 5280) */

static const char about[] =
    "Creates a development CA, a server certificate and client certificates for\n"
    "trying TLS and mTLS (EC P-256 keys; not for production):\n"
    "  ca.pem, ca-key.pem                  the CA (CN \"" DEV_CA_NAME "\")\n"
    "  server.pem, server-key.pem          signed by the CA, for the --host names\n"
    "  client-NAME.pem, client-NAME-key.pem\n"
    "                                      signed by the CA, subject\n"
    "                                      \"CN=NAME,O=" DEV_ORG "\"\n"
    "  selfsigned-NAME.pem, selfsigned-NAME-key.pem\n"
    "                                      self-signed, same subject\n"
    "and prints each client certificate's subject and x5t#S256 thumbprint.\n";

struct opts {
    const char *dir;
    const char *hosts[DEV_MAX_NAMES];
    int nhosts;
    const char *clients[DEV_MAX_NAMES];
    int nclients;
    const char *ca_name;
    long days;
    int expired, force;
};

/* What a kind of certificate carries besides its key, subject and validity. */
struct profile {
    const char *bc, *ku, *eku;     /* extension values; eku NULL for none */
    int org;                       /* subject O=DEV_ORG before the CN */
};

static const struct profile PROFILE_CA = {
    "critical,CA:TRUE", "critical,keyCertSign,cRLSign", NULL, 0
};
static const struct profile PROFILE_SERVER = {
    "critical,CA:FALSE", "critical,digitalSignature", "serverAuth", 1
};
static const struct profile PROFILE_CLIENT = {
    "critical,CA:FALSE", "critical,digitalSignature", "clientAuth", 1
};

struct cert_req {
    const struct profile *p;
    EVP_PKEY *key;
    const char *cn;
    time_t from, to;
    X509 *issuer;                  /* NULL: self-signed with key */
    EVP_PKEY *issuer_key;
    const char *const *hosts;      /* subjectAltName entries */
    int nhosts;
};

/* One output file, built before anything is written. */
struct out_file {
    char name[96];
    BIO *pem;                      /* a secmem BIO for keys: cleared when freed */
    int secret;
};

struct job {
    struct out_file files[4 + 4 * DEV_MAX_NAMES];
    int nfiles;
    BIO *report;                   /* the lines for stdout */
};

/* The reason of OpenSSL's last error, for a one-line message. */
static const char *ossl_reason(void)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    return r ? r : e ? "OpenSSL error" : "out of memory";
}

static int is_ip(const char *s)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* Letters, digits, '-' and '.' in labels of 1 to 63 characters; "*." may lead. */
static int valid_dns(const char *s)
{
    size_t len = strlen(s), label = 0;
    if (len == 0 || len > 253)
        return 0;
    if (!strncmp(s, "*.", 2))
        s += 2;
    for (; *s; s++) {
        if (*s == '.') {
            if (label == 0)
                return 0;
            label = 0;
        } else if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                   (*s >= '0' && *s <= '9') || *s == '-') {
            if (++label > 63)
                return 0;
        } else {
            return 0;
        }
    }
    return label > 0;
}

/* A client name is part of file names: [A-Za-z0-9._-], not starting with '.' or '-'. */
static int valid_client(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > DEV_CN_MAX || s[0] == '.' || s[0] == '-')
        return 0;
    return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789._-") == len;
}

static int valid_ca_name(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > DEV_CN_MAX)
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

/* --host NAME: a DNS name or an IP address, appended to o->hosts. */
static int opt_host(const struct option *opt, const char *v)
{
    struct opts *o = opt->value;
    if (o->nhosts == DEV_MAX_NAMES)
        return cli_fail("dev-certs: too many --host options (at most %d)",
                        DEV_MAX_NAMES), -1;
    if (!is_ip(v) && !valid_dns(v))
        return cli_fail("dev-certs: --host '%s' is neither a DNS name nor an IP "
                        "address", v), -1;
    o->hosts[o->nhosts++] = v;
    return 0;
}

/* --client NAME: a client certificate's name, appended to o->clients. */
static int opt_client(const struct option *opt, const char *v)
{
    struct opts *o = opt->value;
    if (o->nclients == DEV_MAX_NAMES)
        return cli_fail("dev-certs: too many --client options (at most %d)",
                        DEV_MAX_NAMES), -1;
    if (!valid_client(v))
        return cli_fail("dev-certs: --client '%s': use 1 to %d of A-Z a-z 0-9 . _ -"
                        ", not starting with . or -", v, DEV_CN_MAX), -1;
    for (int k = 0; k < o->nclients; k++)
        if (!strcmp(o->clients[k], v))
            return cli_fail("dev-certs: --client '%s' given twice", v), -1;
    o->clients[o->nclients++] = v;
    return 0;
}

/* 0; OPTIONS_HELP or OPTIONS_ERROR (printed) when the command stops here. */
static int parse(int argc, char **argv, struct opts *o)
{
    int r;
    struct option opts[] = {
        OPT_STRING(0, "dir", &o->dir, "DIR",
                   "where to write them (default ./tessera-certs; created 0700)"),
        OPT_CALLBACK(0, "host", o, "NAME",
                     "a DNS name or IP address for the server certificate;\n"
                     "repeatable (default localhost, 127.0.0.1 and ::1)", opt_host),
        OPT_CALLBACK(0, "client", o, "NAME",
                     "a client certificate for NAME ([A-Za-z0-9._-]); repeatable\n"
                     "(default client1)", opt_client),
        OPT_NUMBER(0, "days", &o->days, "N", 1, DEV_MAX_DAYS,
                   "validity in days, from 5 minutes ago (default 30)"),
        OPT_FLAG(0, "expired", &o->expired,
                 "make the client certificates already expired (for tests)"),
        OPT_STRING(0, "ca-name", &o->ca_name, "NAME",
                   "the CA's common name, to make a second, different CA"),
        OPT_FLAG(0, "force", &o->force, "replace existing files"),
        OPT_END(),
    };
    const struct opt_command oc = { "dev-certs", "tessera dev-certs [options]", about,
                                    NULL, opts, 0, 0 };

    if ((r = options_parse(&oc, NULL, argc - 1, argv + 1, NULL)) < 0)
        return r;
    if (o->ca_name && !valid_ca_name(o->ca_name))
        return cli_fail("dev-certs: --ca-name must be 1 to %d bytes, no control "
                        "characters", DEV_CN_MAX), OPTIONS_ERROR;
    if (!*o->dir)
        return cli_fail("dev-certs: --dir must not be empty"), OPTIONS_ERROR;
    return 0;
}

static int set_serial(X509 *x)
{
    unsigned char b[16];
    BIGNUM *bn;
    int ok;
    if (RAND_bytes(b, sizeof b) != 1 || !(bn = BN_bin2bn(b, sizeof b, NULL)))
        return -1;
    ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok ? 0 : -1;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *e;
    int ok;
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    ok = e && X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    return ok ? 0 : -1;
}

/* subjectAltName: iPAddress for an IP literal, dNSName otherwise. */
static int add_san(X509 *x, const char *const *hosts, int n)
{
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    int ok = gens != NULL;
    for (int i = 0; ok && i < n; i++) {
        GENERAL_NAME *g = a2i_GENERAL_NAME(NULL, NULL, NULL,
                                           is_ip(hosts[i]) ? GEN_IPADD : GEN_DNS,
                                           hosts[i], 0);
        if (!g || !sk_GENERAL_NAME_push(gens, g)) {
            GENERAL_NAME_free(g);
            ok = 0;
        }
    }
    ok = ok && X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) == 1;
    sk_GENERAL_NAME_pop_free(gens, GENERAL_NAME_free);
    return ok ? 0 : -1;
}

/* A new signed certificate, or NULL (OpenSSL's error queue says why). */
static X509 *make_cert(const struct cert_req *r)
{
    X509 *x = X509_new();
    if (!x)
        return NULL;
    X509 *issuer = r->issuer ? r->issuer : x;
    EVP_PKEY *signer = r->issuer ? r->issuer_key : r->key;
    X509_NAME *subject = X509_get_subject_name(x);
    if (!X509_set_version(x, X509_VERSION_3) || set_serial(x) ||
        !ASN1_TIME_set(X509_getm_notBefore(x), r->from) ||
        !ASN1_TIME_set(X509_getm_notAfter(x), r->to) ||
        (r->p->org && !X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8,
                                                  (const unsigned char *)DEV_ORG,
                                                  -1, -1, 0)) ||
        !X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                    (const unsigned char *)r->cn, -1, -1, 0) ||
        !X509_set_issuer_name(x, X509_get_subject_name(issuer)) ||
        !X509_set_pubkey(x, r->key) ||
        add_ext(x, issuer, NID_basic_constraints, r->p->bc) ||
        add_ext(x, issuer, NID_key_usage, r->p->ku) ||
        (r->p->eku && add_ext(x, issuer, NID_ext_key_usage, r->p->eku)) ||
        add_ext(x, issuer, NID_subject_key_identifier, "hash") ||
        (r->issuer && add_ext(x, issuer, NID_authority_key_identifier, "keyid:always")) ||
        (r->nhosts && add_san(x, r->hosts, r->nhosts)) ||
        !X509_sign(x, signer, EVP_sha256())) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static BIO *pem_cert(X509 *x)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (b && !PEM_write_bio_X509(b, x)) {
        BIO_free(b);
        b = NULL;
    }
    return b;
}

static BIO *pem_key(EVP_PKEY *k)
{
    BIO *b = BIO_new(BIO_s_secmem());
    if (b && !PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL)) {
        BIO_free(b);
        b = NULL;
    }
    return b;
}

/* Adds a file to the job; takes pem (NULL: the PEM encoding failed). 0 or -1. */
static int add_file(struct job *j, BIO *pem, int secret, const char *fmt, const char *arg)
{
    struct out_file *f = &j->files[j->nfiles];
    if (!pem)
        return -1;
    f->pem = pem;
    f->secret = secret;
    j->nfiles++;
    /* client names are at most DEV_CN_MAX characters: every name fits */
    return snprintf(f->name, sizeof f->name, fmt, arg) < (int)sizeof f->name ? 0 : -1;
}

/* "NAME.pem subject="DN" x5t#S256=T": the DN in RFC 4514 form, T the RFC 8705
 * thumbprint (base64url of the SHA-256 of the certificate's DER). */
static int report(BIO *out, const char *name, X509 *x)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen;
    char t[64];
    if (!X509_digest(x, EVP_sha256(), md, &mdlen) || mdlen != 32)
        return -1;
    tessera_b64url_encode(md, mdlen, t);
    return BIO_printf(out, "%s.pem subject=\"", name) > 0 &&
           X509_NAME_print_ex(out, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) > 0 &&
           BIO_printf(out, "\" x5t#S256=%s\n", t) > 0 ? 0 : -1;
}

/* Builds every certificate and key in memory. 0, or -1 with OpenSSL's error queue
 * saying why. */
static int build(const struct opts *o, struct job *j)
{
    EVP_PKEY *ca_key = NULL, *key = NULL;
    X509 *ca = NULL, *x = NULL;
    struct cert_req req;
    int rc = -1;
    time_t now = time(NULL);
    time_t from = now - 300, to = from + (time_t)o->days * 86400;
    /* --expired: the same length of validity, ending a day ago */
    time_t cfrom = o->expired ? now - 86400 - (time_t)o->days * 86400 : from;
    time_t cto = o->expired ? now - 86400 : to;

    if (!(j->report = BIO_new(BIO_s_mem())) ||
        !(ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")))
        goto out;
    req = (struct cert_req){ &PROFILE_CA, ca_key, o->ca_name, from, to, NULL, NULL,
                             NULL, 0 };
    if (!(ca = make_cert(&req)) ||
        add_file(j, pem_cert(ca), 0, "%s", "ca.pem") ||
        add_file(j, pem_key(ca_key), 1, "%s", "ca-key.pem"))
        goto out;

    if (!(key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")))
        goto out;
    /* the first host names the server when it fits a CN; clients read the SANs */
    req = (struct cert_req){ &PROFILE_SERVER, key,
                             strlen(o->hosts[0]) <= DEV_CN_MAX ? o->hosts[0]
                                                               : "tessera development server",
                             from, to, ca, ca_key, o->hosts, o->nhosts };
    if (!(x = make_cert(&req)) ||
        add_file(j, pem_cert(x), 0, "%s", "server.pem") ||
        add_file(j, pem_key(key), 1, "%s", "server-key.pem"))
        goto out;

    for (int i = 0; i < o->nclients; i++) {
        for (int self = 0; self <= 1; self++) {
            const char *kind = self ? "selfsigned" : "client";
            char name[96];
            X509_free(x);
            EVP_PKEY_free(key);
            x = NULL;
            if (!(key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")))
                goto out;
            req = (struct cert_req){ &PROFILE_CLIENT, key, o->clients[i], cfrom, cto,
                                     self ? NULL : ca, self ? NULL : ca_key, NULL, 0 };
            if (snprintf(name, sizeof name, "%s-%s", kind, o->clients[i]) >= (int)sizeof name ||
                !(x = make_cert(&req)) ||
                add_file(j, pem_cert(x), 0, "%s.pem", name) ||
                add_file(j, pem_key(key), 1, "%s-key.pem", name) ||
                report(j->report, name, x))
                goto out;
        }
    }
    rc = 0;
out:
    X509_free(x);
    X509_free(ca);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ca_key);
    return rc;
}

static int join(char *out, size_t n, const char *dir, const char *name)
{
    int len = snprintf(out, n, "%s/%s", dir, name);
    return len < 0 || (size_t)len >= n ? -1 : 0;
}

/* Writes data to dir/name through a temporary file in dir, then rename(2): a reader
 * sees the old file or the whole new one. 0, or -1 with errno set. */
static int write_atomic(const char *dir, const char *name, const char *data, size_t len,
                        mode_t mode)
{
    char path[PATH_MAX], tmp[PATH_MAX + 16];
    int fd, saved;
    if (join(path, sizeof path, dir, name) ||
        snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, name) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if ((fd = mkstemp(tmp)) < 0)          /* mode 0600 */
        return -1;
    while (len > 0) {
        ssize_t w = write(fd, data, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            goto fail;
        data += w;
        len -= (size_t)w;
    }
    if (fchmod(fd, mode) || fsync(fd))
        goto fail;
    if (close(fd)) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path))
        goto fail;
    return 0;
fail:
    saved = errno ? errno : EIO;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    errno = saved;
    return -1;
}

/* Stops (printed) when any of the files exists, before anything is written. */
static int check_existing(const char *dir, const struct job *j)
{
    char path[PATH_MAX];
    struct stat st;
    for (int i = 0; i < j->nfiles; i++) {
        if (join(path, sizeof path, dir, j->files[i].name))
            return cli_fail("dev-certs: path too long: %s/%s", dir, j->files[i].name);
        if (lstat(path, &st) == 0)
            return cli_fail("dev-certs: %s exists (--force replaces it)", path);
        if (errno != ENOENT && errno != ENOTDIR)
            return cli_fail("dev-certs: cannot check %s: %s", path, strerror(errno));
    }
    return 0;
}

int cmd_devcerts(int argc, char **argv)
{
    static const char *const default_hosts[] = { "localhost", "127.0.0.1", "::1" };
    struct opts o = { .dir = "tessera-certs", .ca_name = DEV_CA_NAME, .days = 30 };
    struct job j = { .nfiles = 0 };
    struct stat st;
    int rc;

    if ((rc = parse(argc, argv, &o)))
        return options_exit(rc);
    if (o.nhosts == 0)
        for (o.nhosts = 0; o.nhosts < 3; o.nhosts++)
            o.hosts[o.nhosts] = default_hosts[o.nhosts];
    if (o.nclients == 0)
        o.clients[o.nclients++] = "client1";

    rc = 1;
    if (build(&o, &j)) {
        cli_fail("dev-certs: cannot create the certificates: %s", ossl_reason());
        goto out;
    }
    if (!o.force && check_existing(o.dir, &j))
        goto out;
    if (mkdir(o.dir, 0700) && errno != EEXIST) {
        cli_fail("dev-certs: cannot create %s: %s", o.dir, strerror(errno));
        goto out;
    }
    if (stat(o.dir, &st) || !S_ISDIR(st.st_mode)) {
        cli_fail("dev-certs: %s is not a directory", o.dir);
        goto out;
    }
    for (int i = 0; i < j.nfiles; i++) {
        char *data;
        long len = BIO_get_mem_data(j.files[i].pem, &data);
        if (len <= 0 || write_atomic(o.dir, j.files[i].name, data, (size_t)len,
                                     j.files[i].secret ? 0600 : 0644)) {
            cli_fail("dev-certs: cannot write %s/%s: %s", o.dir, j.files[i].name,
                     len <= 0 ? "empty PEM" : strerror(errno));
            goto out;
        }
    }
    char *text;
    long len = BIO_get_mem_data(j.report, &text);
    if (len > 0 && fwrite(text, 1, (size_t)len, stdout) != (size_t)len) {
        cli_fail("cannot write to standard output: %s", strerror(errno));
        goto out;
    }
    rc = cli_finish(0);
out:
    for (int i = 0; i < j.nfiles; i++)
        BIO_free(j.files[i].pem);
    BIO_free(j.report);
    ERR_clear_error();
    return rc;
}
