/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A line from the controlling terminal, for the username and (with echo off) the
 * password of `tessera login`. The terminal is /dev/tty, not stdin or stderr, so the
 * prompt works when they are redirected and is never captured by a pipe.
 *
 * While echo is off, a signal that ends or stops the process must not leave the
 * terminal without echo: the handlers put the saved settings back (tcsetattr is
 * async-signal-safe), then let the signal do what it would have done.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "client/enduser.h"
#include "base/secret.h"

static const int fatal_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP };
#define NSIGNALS (sizeof fatal_signals / sizeof fatal_signals[0])

/* The state the handlers need: written before they are installed. */
static volatile sig_atomic_t hidden_fd = -1;
static struct termios saved_mode, hidden_mode;
static const char *hidden_prompt;
static struct sigaction previous[NSIGNALS];

static void on_signal(int sig)
{
    int saved_errno = errno;
    int fd = hidden_fd;
    struct sigaction dfl, mine;
    sigset_t set;

    if (fd >= 0) {
        tcsetattr(fd, TCSANOW, &saved_mode);
        (void)!write(fd, "\n", 1);
    }
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, &mine);
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    /* Only a stop (SIGTSTP) comes back here, after SIGCONT: hide the input again. */
    sigaction(sig, &mine, NULL);
    if (fd >= 0) {
        tcsetattr(fd, TCSAFLUSH, &hidden_mode);
        (void)!write(fd, hidden_prompt, strlen(hidden_prompt));
    }
    errno = saved_errno;
}

static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NSIGNALS; i++)
        sigaddset(&sa.sa_mask, fatal_signals[i]);
    sa.sa_flags = SA_RESTART;
    for (size_t i = 0; i < NSIGNALS; i++) {
        sigaction(fatal_signals[i], NULL, &previous[i]);
        /* an ignored signal stays ignored (nohup, a shell's background job) */
        if (previous[i].sa_handler != SIG_IGN)
            sigaction(fatal_signals[i], &sa, NULL);
    }
}

static void release_signals(void)
{
    for (size_t i = 0; i < NSIGNALS; i++)
        if (previous[i].sa_handler != SIG_IGN)
            sigaction(fatal_signals[i], &previous[i], NULL);
}

static int write_str(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads up to a newline; 0, 1 when the line was too long (consumed anyway), -1 at
 * end of input or on an error. */
static int read_line(int fd, char *buf, size_t len)
{
    size_t n = 0;
    int too_long = 0;
    for (;;) {
        char ch;
        ssize_t r = read(fd, &ch, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            buf[n] = '\0';
            return -1;
        }
        if (ch == '\n' || ch == '\r')
            break;
        if (n + 1 < len)
            buf[n++] = ch;
        else
            too_long = 1;
        ch = 0;
    }
    buf[n] = '\0';
    return too_long;
}

int enduser_tty_read(const char *prompt, int echo, char *buf, size_t len, char *err,
                     size_t errlen)
{
    int fd, r, rc = -1;

    buf[0] = '\0';
    fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "no terminal (/dev/tty: %s)", strerror(errno));
        return -1;
    }
    if (!echo) {
        if (tcgetattr(fd, &saved_mode) != 0) {
            snprintf(err, errlen, "cannot read the terminal's settings (%s)",
                     strerror(errno));
            close(fd);
            return -1;
        }
        hidden_mode = saved_mode;
        hidden_mode.c_lflag &= (tcflag_t)~(ECHO | ECHOE | ECHOK | ECHONL);
        hidden_prompt = prompt;
        hidden_fd = fd;
        catch_signals();
        /* TCSAFLUSH drops what was typed before the prompt, as getpass() does */
        if (tcsetattr(fd, TCSAFLUSH, &hidden_mode) != 0) {
            snprintf(err, errlen, "cannot turn the terminal's echo off (%s)",
                     strerror(errno));
            goto restore;
        }
    }
    if (write_str(fd, prompt)) {
        snprintf(err, errlen, "cannot write to the terminal (%s)", strerror(errno));
        goto restore;
    }
    r = read_line(fd, buf, len);
    if (r < 0)
        snprintf(err, errlen, "no answer on the terminal");
    else if (r > 0)
        snprintf(err, errlen, "the answer is longer than %zu characters", len - 1);
    else
        rc = 0;
restore:
    if (!echo) {
        tcsetattr(fd, TCSANOW, &saved_mode);
        hidden_fd = -1;
        release_signals();
        (void)!write(fd, "\n", 1);     /* the newline the user typed was not shown */
    }
    if (rc)
        secret_wipe(buf, len);
    close(fd);
    return rc;
}
