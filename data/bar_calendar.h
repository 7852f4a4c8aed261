/* bar_calendar.h - internal: the per-bar calendar flags (enum rb_bar_flag) the price matrix
 * carries for calendar rebalancing rules. rb_infer_periods_per_year is public (rebal.h). */
#ifndef RB_BAR_CALENDAR_H
#define RB_BAR_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#include "rebal.h"

/* Fills flags[0..n) for bars at the given times (increasing), judged on each bar's UTC
 * calendar date. RB_NEW_x at bar t > 0 when its ISO week (Monday-based), month, quarter,
 * half-year or year differs from bar t-1's; bar 0 has every RB_NEW_x. RB_LAST_x at bar t when
 * bar t+1 exists and has RB_NEW_x; the final bar has no RB_LAST_x. Never fails. */
void rb_calendar_flags(const rb_time *time, size_t n, uint16_t *flags);

/* rb_infer_periods_per_year into *periods, telling out of memory (RB_ERR_NOMEM, err filled)
 * apart from bars that allow no inference (*periods = 0, the reason in why). */
rb_status rb_infer_periods(const rb_time *time, size_t n, double *periods, char *why, size_t whylen, rb_error *err);

#endif /* RB_BAR_CALENDAR_H */
