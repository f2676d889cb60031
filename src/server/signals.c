/* SPDX-License-Identifier: Apache-2.0 */
/* The server's signals, taken by sigwait() in the main thread (signals.h). */
#include "server/signals.h"

#include <pthread.h>
#include <signal.h>

#include "base/log.h"
#include "core/app.h"
#include "core/keyring.h"

static void server_set(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
}

void signals_block(void)
{
    sigset_t set;
    server_set(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int signals_wait(struct app *a)
{
    sigset_t set;
    int sig = 0;
    server_set(&set);
    for (;;) {
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig != SIGHUP)
            return sig;
        ts_err e = keyring_reload(a->keys);
        log_msg(e ? "error" : "info", "SIGHUP: signing keys %s",
                e ? "could not be reloaded" : "reloaded");
    }
}
