/* test_header.c - the public header stands alone: it compiles under strict ISO C11 with
 * -Wpedantic as the only include, and its status table is complete. */
#pragma GCC diagnostic push
#pragma GCC diagnostic error "-Wpedantic"
#include "rebal.h"
#pragma GCC diagnostic pop

#include <criterion/criterion.h>
#include <string.h>

Test(header, every_status_has_its_own_text)
{
    for (int a = 0; a < RB_STATUS_COUNT; a++) {
        const char *ta = rb_strerror((rb_status)a);
        cr_assert_not_null(ta);
        cr_assert_neq(strcmp(ta, "unknown error"), 0, "status %d has no text", a);
        for (int b = 0; b < a; b++) cr_assert_str_neq(ta, rb_strerror((rb_status)b), "statuses %d and %d share a text", a, b);
    }
}

Test(header, unknown_status_is_named_unknown)
{
    cr_assert_str_eq(rb_strerror(RB_STATUS_COUNT), "unknown error");
    cr_assert_str_eq(rb_strerror((rb_status)-1), "unknown error");
}

Test(header, status_values_never_change)
{
    /* Scripts and bindings depend on these numbers. */
    cr_assert_eq(RB_OK, 0);
    cr_assert_eq(RB_ERR_NOMEM, 1);
    cr_assert_eq(RB_ERR_IO, 2);
    cr_assert_eq(RB_ERR_USAGE, 3);
    cr_assert_eq(RB_ERR_DATA, 4);
    cr_assert_eq(RB_ERR_DB, 5);
    cr_assert_eq(RB_ERR_SCHEMA, 6);
    cr_assert_eq(RB_ERR_CONFLICT, 7);
    cr_assert_eq(RB_ERR_NOT_FOUND, 8);
}
