/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The configuration file reader (src/core/config.c: config_load_file and the key
 * table behind it), then config_finish and config_role on what it loaded; and the
 * input as one --set assignment (config_set).
 *
 * config_load_file takes a path, so the input goes into a memfd created once per
 * process and is read back through /proc/self/fd/N: no disk I/O per run. Where
 * memfd_create is missing it falls back to one file under $TMPDIR (or /tmp) per
 * process, removed at exit.
 *
 * Properties: err is a NUL-terminated line when a call fails; every string field
 * stays NUL-terminated inside its buffer; the roles stay within CONFIG_MAX_ROLES.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/config.h"
#include "fuzz.h"

static int fd = -1;
static char path[256];

static void remove_tmp(void)
{
    unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fd = memfd_create("tessera-fuzz-config", 0);
    if (fd >= 0) {
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        if (access(path, R_OK) == 0)
            return 0;
        close(fd);
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/tessera-fuzz-config.%ld.ini",
             tmp && *tmp ? tmp : "/tmp", (long)getpid());
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    FUZZ_CHECK(fd >= 0);
    atexit(remove_tmp);
    return 0;
}

#define TERMINATED(field) FUZZ_CHECK(memchr((field), '\0', sizeof(field)) != NULL)

static void check_config(const struct config *c)
{
    TERMINATED(c->listen);
    TERMINATED(c->issuer);
    TERMINATED(c->audience);
    TERMINATED(c->database_url);
    TERMINATED(c->algorithm);
    TERMINATED(c->registration_default_roles);
    FUZZ_CHECK(c->nroles >= 0 && c->nroles <= CONFIG_MAX_ROLES);
    for (int i = 0; i < c->nroles; i++) {
        TERMINATED(c->roles[i].name);
        TERMINATED(c->roles[i].scopes);
        TERMINATED(c->roles[i].default_scopes);
        FUZZ_CHECK(config_role(c, c->roles[i].name) != NULL);
    }
}

static void check_err(int rc, const char *err, size_t errlen)
{
    FUZZ_CHECK(rc == 0 || rc == -1);
    FUZZ_CHECK(memchr(err, '\0', errlen) != NULL);
    if (rc)
        FUZZ_CHECK(err[0] != '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config c;
    char err[512];
    int rc;

    /* The whole input as the file. */
    FUZZ_CHECK(ftruncate(fd, 0) == 0);
    FUZZ_CHECK(pwrite(fd, data, size, 0) == (ssize_t)size);
    config_defaults(&c);
    memset(err, 0, sizeof err);
    rc = config_load_file(&c, path, err, sizeof err);
    check_err(rc, err, sizeof err);
    check_config(&c);
    if (rc == 0) {
        memset(err, 0, sizeof err);
        rc = config_finish(&c, err, sizeof err);
        check_err(rc, err, sizeof err);
        check_config(&c);
        (void)config_role(&c, "admin");
        (void)config_role(&c, "");
    }

    /* The input, up to its first NUL, as one --set section.key=value. */
    char *s = malloc(size + 1);
    FUZZ_CHECK(s);
    memcpy(s, data, size);
    s[size] = '\0';
    config_defaults(&c);
    memset(err, 0, sizeof err);
    rc = config_set(&c, s, err, sizeof err);
    check_err(rc, err, sizeof err);
    check_config(&c);
    free(s);
    return 0;
}
