/* rule_samples.h - random settings for any registered rule, drawn from its parameter rows,
 * so that the tests that walk the registry (the batch-against-reference differential, the
 * closed forms) cover every rule without naming one. */
#ifndef RB_TEST_RULE_SAMPLES_H
#define RB_TEST_RULE_SAMPLES_H

#include <stddef.h>

#include "rebal.h"

/* Adds a rule's settings to a spec being built, one key and value at a time. */
typedef void (*rbt_put_fn)(void *ctx, const char *key, const char *value);

/* The settings for rule `rule`: "strategy" and, for each of its parameters with
 * probability 1/2, a random value in the parameter's usual range; each band parameter
 * (band, band-rel, band-total) with probability 2/3; the schedule's --when always (a file of
 * random days of 2019-11-01 .. 2021-06-30, written into a directory of the process's own,
 * removed at exit: the suites that walk the registry have a bar on every day of it). With full_only, only values under
 * which every rebalance is a full one (trigger.h: --to target, no --only-breached,
 * --cooldown 0 or 1). uniform draws from [0, 1). A parameter whose values the tests do not
 * know fails the test, naming it and its rule. The caller redraws a combination the rule
 * refuses (e.g. no band, or --on last with every N bars). */
void rbt_rule_sample(const rb_strategy_info *rule, double (*uniform)(void), int full_only, rbt_put_fn put,
                     void *ctx);

#endif /* RB_TEST_RULE_SAMPLES_H */
