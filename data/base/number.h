/* number.h - the one reader of numbers written in settings, on the command line and in
 * sweep files alike, and the message for a percentage where a plain number is needed.
 * Internal. */
#ifndef RB_NUMBER_H
#define RB_NUMBER_H

#include <stddef.h>

#include "rebal.h"

/* A range whose upper end is this large or larger is written "at least LO" in messages. */
#define RB_NUMBER_UNBOUNDED 1e15

/* 1 when s[0..len) is written as a plain decimal number: [+-] digits [. digits]
 * [e [+-] digits], with at least one mantissa digit (no hex, inf or nan). */
int rb_number_syntax(const char *s, size_t len);

typedef enum rb_number_read_status {
    RB_NUMBER_BAD = 0,     /* not a number (or beyond the range of a double) */
    RB_NUMBER_OK = 1,
    RB_NUMBER_PERCENT = 2  /* a percentage where only a plain number is accepted */
} rb_number_read_status;

/* The one reader of numbers in settings, on the command line and in sweep files alike:
 * s[0..len), blanks around it allowed, is a plain decimal (rb_number_syntax) whose double
 * is finite and does not underflow. With percent (the setting is a fraction), a '%' right
 * after the number makes it a percentage, read as the decimal it names: "25%" is 0.25 and
 * "1.1%" exactly the double of 0.011 (the exponent is lowered by 2; nothing is divided). */
rb_number_read_status rb_number_read(const char *s, size_t len, int percent, double *out);

/* "--KEY: 'TEXT' is a percentage, but --KEY takes ARG (...)" (ARG NULL: "is not a
 * fraction"): the one message for a percentage given to a setting that is not a fraction.
 * Returns RB_ERR_USAGE. */
rb_status rb_percent_refused_as(const char *key, const char *arg, const char *text, rb_error *err);

/* RB_OK when lo <= v <= hi, else "--KEY: TEXT is out of range (LO to HI)" ("at least LO"
 * when hi >= RB_NUMBER_UNBOUNDED) and RB_ERR_USAGE. */
rb_status rb_number_in_range(const char *key, double lo, double hi, double v, const char *text, rb_error *err);

#endif /* RB_NUMBER_H */
