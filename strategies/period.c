/* period.c - calendar periods shared by every rule that acts on a schedule: parsing
 * "--every month" and testing whether a bar opens (or closes) a period. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "strategy.h"

static const struct {
    const char *name;
    rb_period period;
    unsigned first_flag, last_flag;
} periods[] = {
    {"day", RB_PERIOD_DAY, 0, 0},
    {"week", RB_PERIOD_WEEK, RB_NEW_WEEK, RB_LAST_WEEK},
    {"month", RB_PERIOD_MONTH, RB_NEW_MONTH, RB_LAST_MONTH},
    {"quarter", RB_PERIOD_QUARTER, RB_NEW_QUARTER, RB_LAST_QUARTER},
    {"half", RB_PERIOD_HALF, RB_NEW_HALF, RB_LAST_HALF},
    {"year", RB_PERIOD_YEAR, RB_NEW_YEAR, RB_LAST_YEAR},
};

rb_status rb_parse_period(const char *option, const char *text, rb_period *period, long *bars, rb_error *err)
{
    for (size_t i = 0; i < sizeof periods / sizeof periods[0]; i++)
        if (strcmp(text, periods[i].name) == 0) {
            *period = periods[i].period;
            *bars = 0;
            return RB_OK;
        }
    char *end;
    errno = 0;
    long n = strtol(text, &end, 10);
    if (end != text && *end == '\0' && errno == 0 && n >= 1 && n <= 1000000) {
        *period = RB_PERIOD_BARS;
        *bars = n;
        return RB_OK;
    }
    return rb_fail(err, RB_ERR_USAGE,
                   "--%s: '%s' is not a period (day, week, month, quarter, half, year, or a number of bars >= 1)",
                   option, text);
}

int rb_period_hit(const rb_matrix *m, size_t t, rb_period period, long bars, int on_last)
{
    if (period == RB_PERIOD_NONE) return 0;
    if (period == RB_PERIOD_DAY) return 1;
    if (period == RB_PERIOD_BARS) return bars > 0 && t % (size_t)bars == 0;
    for (size_t i = 0; i < sizeof periods / sizeof periods[0]; i++)
        if (periods[i].period == period) return (m->flags[t] & (on_last ? periods[i].last_flag : periods[i].first_flag)) != 0;
    return 0;
}

void rb_period_dates(rb_period period, long bars, int on_last, uint64_t *date_flags, long *every_bars)
{
    *date_flags = 0;
    *every_bars = period == RB_PERIOD_DAY ? 1 : period == RB_PERIOD_BARS ? bars : 0;
    for (size_t i = 0; i < sizeof periods / sizeof periods[0]; i++)
        if (periods[i].period == period) *date_flags = on_last ? periods[i].last_flag : periods[i].first_flag;
}

const char *const rb_on_words[] = {"first", "last", NULL};
const char *const rb_mode_words[] = {"gated", "either", NULL};

rb_status rb_read_every(const char *key, const char *text, void *field, rb_error *err)
{
    rb_every *every = field;
    return rb_parse_period(key, text, &every->period, &every->bars, err);
}

rb_status rb_period_check(const rb_strategy_params *p, rb_error *err)
{
    if (p->on_last && p->every.period == RB_PERIOD_BARS)
        return rb_fail(err, RB_ERR_USAGE, "--on last applies to calendar periods, not to every %ld bars",
                       p->every.bars);
    return RB_OK;
}
