/* SPDX-License-Identifier: Apache-2.0 */
/* Tables behind ts_err: status, code and description of each error. */
#include <stddef.h>

#include "base/err.h"

struct err_row {
    int status;
    const char *code;
    const char *desc;
    const char *name;
};

static const struct err_row rows[TS_ERR_COUNT] = {
#define TS_ERR_ROW(name, status, code, desc) { status, code, desc, #name },
    TS_ERRORS(TS_ERR_ROW)
#undef TS_ERR_ROW
};

static const struct err_row *row(ts_err e)
{
    if ((unsigned)e >= TS_ERR_COUNT)
        e = TS_EINTERNAL;
    return &rows[e];
}

int ts_err_status(ts_err e) { return row(e)->status; }
const char *ts_err_code(ts_err e) { return row(e)->code; }
const char *ts_err_description(ts_err e) { return row(e)->desc; }
const char *ts_err_name(ts_err e) { return row(e)->name; }
