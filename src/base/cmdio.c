/* SPDX-License-Identifier: Apache-2.0 */
/* A command's failure line, password input and output check (cmdio.h). */
#include "base/cmdio.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"

int cli_fail(const char *fmt, ...)
{
    va_list ap;
    fputs("tessera: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    const char *why = log_take_error();
    if (*why)
        fprintf(stderr, " (%s)", why);
    fputc('\n', stderr);
    return 1;
}

int cli_read_password(char *buf, size_t len)
{
    if (!fgets(buf, (int)len, stdin))
        return -1;
    size_t n = strlen(buf);
    if (n == len - 1 && buf[n - 1] != '\n')
        return -1;        /* longer than the buffer */
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    return 0;
}

int cli_finish(int status)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_fail("cannot write to standard output: %s", strerror(errno));
        return 1;
    }
    return status;
}
