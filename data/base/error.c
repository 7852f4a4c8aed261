/* error.c - status texts and the rb_error filling helpers shared by every module. */
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const status_text[] = {
    [RB_OK] = "success",
    [RB_ERR_NOMEM] = "out of memory",
    [RB_ERR_IO] = "input/output error",
    [RB_ERR_USAGE] = "invalid usage",
    [RB_ERR_DATA] = "invalid data",
    [RB_ERR_DB] = "database error",
    [RB_ERR_SCHEMA] = "unusable database",
    [RB_ERR_CONFLICT] = "conflict with stored data",
    [RB_ERR_NOT_FOUND] = "not found",
};
_Static_assert(sizeof status_text / sizeof status_text[0] == RB_STATUS_COUNT,
               "one text per rb_status");

const char *rb_strerror(rb_status code)
{
    if ((unsigned)code >= RB_STATUS_COUNT) return "unknown error";
    return status_text[code];
}

rb_status rb_fail(rb_error *err, rb_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

rb_status rb_error_prefix(rb_error *err, const char *fmt, ...)
{
    if (!err) return RB_OK;
    char prefix[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* Shift the old message right to make room; truncate it if the two do not fit. */
    size_t cap = sizeof err->msg, plen = strlen(prefix), olen = strlen(err->msg);
    if (plen + 2 + olen > cap - 1) olen = cap - 1 - plen - 2;
    memmove(err->msg + plen + 2, err->msg, olen);
    err->msg[plen + 2 + olen] = '\0';
    memcpy(err->msg, prefix, plen);
    err->msg[plen] = ':';
    err->msg[plen + 1] = ' ';
    return err->code;
}

void rb_error_clear(rb_error *err)
{
    if (!err) return;
    err->code = RB_OK;
    err->msg[0] = '\0';
}

int rb_stream_errno(FILE *out)
{
    if (fflush(out) != 0) return errno ? errno : EIO;
    return ferror(out) ? EIO : 0;
}

int rb_stream_close(FILE *f)
{
    if (!f) return 0;
    int werr = rb_stream_errno(f);
    if (fclose(f) != 0 && !werr) werr = errno ? errno : EIO;
    return werr;
}
