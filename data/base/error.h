/* error.h - internal helpers that fill an rb_error; every module reports failures this way.
 * Internal: not installed, not part of the public API. */
#ifndef RB_ERROR_H
#define RB_ERROR_H

#include <stdio.h>

#include "rebal.h"

/* Sets err (when not NULL) to code and a printf-formatted one-line message; returns code. */
rb_status rb_fail(rb_error *err, rb_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "prefix: " to an error message already in err (e.g. a file name); returns err->code. */
rb_status rb_error_prefix(rb_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* 0 when every write to out succeeded (flushing what is buffered), else the errno of the
 * failure: fflush reports the errno of a failing write; an error flag left by an earlier one
 * has no errno to tell any more, and reads as EIO. */
int rb_stream_errno(FILE *out);

/* Closes f (when not NULL) and returns the errno of the first failure of its writes or of
 * the close, 0 when all succeeded. */
int rb_stream_close(FILE *f);

/* Clears err to RB_OK with an empty message. */
void rb_error_clear(rb_error *err);

#endif /* RB_ERROR_H */
