/* batch_configs.h - the batch suites' random data and configurations (test_batch.c,
 * test_lanes.c): one xorshift stream, a random three-asset store, and configurations as
 * key = value text drawn over every setting and rule. */
#ifndef RB_TEST_BATCH_CONFIGS_H
#define RB_TEST_BATCH_CONFIGS_H

#include <stdint.h>

#include "rebal.h"
#include "rule_samples.h"

/* A uniform number in [0, 1), and an integer in [0, n). */
double rbt_uniform(void);
int rbt_pick(int n);

/* Three assets X, Y, Z with volume over ~420 daily bars from 2019-12-01, crossing two year
 * ends, a weekly GAS asset and two weekly pool depth series (DX, DY), in a new store in dir;
 * with opens, or close-only (where next-open orders fill at the next close). */
rb_store *rbt_random_store_of(const char *dir, int close_only);

/* A configuration as the text of its settings. */
#define RBT_MAXKV 48
typedef struct rbt_cfgtext {
    char key[RBT_MAXKV][24];
    char value[RBT_MAXKV][128];
    int n;
    rb_run_spec *spec; /* read from the text by spec_of, for the batch to borrow; NULL until then */
} rbt_cfgtext;

#define RBT_RISKY "X=0.4,Y=0.35,Z=0.25"
#define RBT_WITH_CASH "X=0.5,Y=0.3,CASH=0.2"

/* Appends key = value (printf-formatted) to c. */
void rbt_put(rbt_cfgtext *c, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* rbt_put of a rule sample's setting (an rbt_put_fn over an rbt_cfgtext). */
void rbt_put_setting(void *ctx, const char *key, const char *value);

/* A random configuration of `rule` over RBT_RISKY or RBT_WITH_CASH, touching every feature
 * now and then. */
void rbt_random_config(rbt_cfgtext *c, int with_cash, const rb_strategy_info *rule);

#endif /* RB_TEST_BATCH_CONFIGS_H */
