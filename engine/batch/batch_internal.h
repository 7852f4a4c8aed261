/* batch_internal.h - what the files of the batch simulator share (engine/batch.h is the
 * interface): a run (job), a block of configurations in structure-of-arrays form, one
 * configuration's own state, and the steps each file provides.
 *   driver.c   rb_batch_run: blocks over threads, failures, results handed to the caller
 *   inputs.c   the run-wide cache of shared inputs (rolling windows, flat gas)
 *   block.c    a block's memory
 *   setup.c    one configuration set up (its spec, resolved settings, portfolio, trigger)
 *   state.c    the exact state of one configuration: columns <-> portfolio, value, drift
 *   kernel.c   the bar loop of a block: the vectorized passes over configurations
 *   actions.c  the configurations' own steps inside the bar loop: scheduled work, decisions
 *   trades.c   the kernel-decided rebalances of a bar, traded together in lanes
 *   share.c    configurations of one state (a band sweep's) run as one until they part
 *   finish.c   the metrics of a configuration once the bars are done
 * Per block of configurations, per bar:
 *   1. configurations with scheduled work (pending order, tax year end, contribution) take
 *      the reference steps (rb_sim_events);
 *   2. every configuration is valued, and its distance from its targets measured, in loops
 *      over the configuration axis (units[asset][config]) that the compiler vectorizes;
 *   3. the strategy's trigger (trigger.h: its own description of when it can act, as
 *      plain data) picks the configurations whose strategy must decide; those call
 *      rb_sim_decide, the reference decision and trade, on weights computed exactly as the
 *      reference computes them (or, for a rule whose every rebalance is full, the kernel
 *      decides itself on the vectorized distances, away from the margin);
 *   4. the metric statistics of every configuration are updated, again vectorized (in a
 *      sweep of bands, mostly inside the next bar's loop of step 2: kernel.c,
 *      statistics_may_wait).
 * The approximate weights of step 2 only choose who decides; a margin far above their
 * rounding error keeps every decision identical to the reference's. Internal. */
#ifndef RB_BATCH_INTERNAL_H
#define RB_BATCH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "batch.h"
#include "metric_acc.h"
#include "metrics.h"
#include "portfolio.h"
#include "rebalance_lanes.h"
#include "resolve.h"
#include "simulate.h"
#include "trigger.h"

/* The margin of the kernel's band tests: far above the ~1e-16 error of the approximate
 * weights. */
#define MARGIN 1e-9

/* Who decides for a configuration: the kernel itself, when its trigger is full (every
 * rebalance a full one: see trigger.h) and its accounting is the simple one
 * (rb_rebalance_proportional: closing prices, proportional costs, no lots, static targets);
 * its rule code is then its trigger's kind, and the kernel takes decide()'s decisions on
 * the vectorized distances whenever they are farther than MARGIN from a band, leaving them
 * to decide() on exact weights otherwise. Any other configuration: ASK_DECIDE, decide() on
 * the bars its trigger admits. */
#define ASK_DECIDE (-1)
/* Whether a configuration of this rule code trades in the lanes (batch_lanes_start,
 * batch_lane_starts): the kernel decides for it, and it trades at all. */
static inline int batch_trades_in_lanes(int64_t rule) { return rule != ASK_DECIDE && rule != RB_TRIGGER_NEVER; }

/* The rows of N values in a configuration's scratch (config.scratch). */
#define SCRATCH_ROWS (6 + RB_COST_RATES)
#define SCRATCH_RATE 5 /* the cost rate (rb_cost_rate) */
#define SCRATCH_BPS 6  /* the first of the cost model's rates */

/* What a configuration does at a bar (block.act), step 3's action code. */
enum {
    ACT_NONE = 0,
    ACT_FULL = 1,      /* a full rebalance to the targets (traded in lanes) */
    ACT_BAND = 2,      /* a rebalance to band_to (traded in lanes) */
    ACT_DECIDE = 3,    /* decide() on exact weights: near a band */
    ACT_TRIGGER = 4,   /* ASK_DECIDE: the trigger says whether decide() is asked */
    ACT_EVERY_BARS = 5 /* every N bars: its dates are not flags, the rare path checks them */
};

/* The action code of a band rule the kernel decides (RB_TRIGGER_BANDS), from ex (the
 * largest excess of |w - t| over its band), dsum (sum |w - t|) and tband (the threshold of
 * dsum): a rebalance when past a band by more than MARGIN, decide() on exact weights when
 * near one (within MARGIN: band_near), else nothing. */
static inline int64_t band_near(double ex, double dsum, double tband)
{
    return (ex > -MARGIN) | (dsum > tband - MARGIN);
}

static inline int64_t band_action(double ex, double dsum, double tband, int64_t near)
{
    int64_t sure = (ex > MARGIN) | (dsum > tband + MARGIN);
    return sure ? ACT_BAND : near ? ACT_DECIDE : ACT_NONE;
}

/* The same for a configuration without a portfolio threshold (tband +INFINITY, so that no
 * dsum is past it or near it: dsum > INFINITY -+ MARGIN is false, a NaN's too). The code in
 * arithmetic, not selections (a sure one is near: ex > MARGIN implies ex > -MARGIN), which
 * GCC vectorizes where the selections of the same values it did not (kernel.c, distance_pass). */
static inline int64_t band_near_alone(double ex) { return ex > -MARGIN; }

static inline int64_t band_action_alone(double ex)
{
    _Static_assert(ACT_NONE == 0 && ACT_DECIDE - ACT_BAND == 1, "near and not sure: DECIDE; sure: BAND");
    return ACT_DECIDE * band_near_alone(ex) - (ex > MARGIN);
}

/* The action code of a configuration of rule code `rule` (a trigger kind the kernel
 * decides, or ASK_DECIDE) on a bar that is one of its dates or not, with `band` its band
 * action (band_action). Selections, not branches: it runs in a vectorized loop. */
static inline int64_t rule_action(int64_t rule, int64_t date, int64_t band)
{
    int64_t a = rule == RB_TRIGGER_DATES ? date : ACT_NONE;
    a = rule == RB_TRIGGER_BANDS ? band : a;
    a = rule == RB_TRIGGER_DATES_AND_BANDS ? (date ? band : ACT_NONE) : a;
    a = rule == RB_TRIGGER_DATES_OR_BANDS ? (date ? ACT_FULL : band) : a;
    return rule == ASK_DECIDE ? ACT_TRIGGER : a; /* the trigger decides (actions.c) */
}

typedef struct config {
    uint64_t index;
    rb_run_spec spec; /* borrowed from the caller (rb_batch_spec_fn): never released here */
    rb_resolved res;
    rb_sim_config c;
    /* The slot's own memory, kept from one configuration to the next (batch_config_release
     * keeps it, batch_block_free releases it): its targets, costs and strategy state, and
     * its portfolio (rb_portfolio_reset). */
    rb_resolve_room room;
    rb_portfolio port;
    rb_sim_state st;
    double *scratch; /* SCRATCH_ROWS x N, its part of the block's: current, to, next, w, band_to, rate,
                        then the rates of its cost model (rb_cost_rates), one row per rate */
    rb_trigger trig; /* when its strategy can act (EVERY_BAR under dynamic targets) */
    int rule;        /* who decides for it (batch_kernel_rule) */
    double *band_to; /* N: the weights a band-triggered rebalance trades to */
    size_t end_T;    /* a depleted run: its bars (up to the depletion), else 0 */
    rb_metric_sums ended; /* and its metric sums, taken on that bar */
} config;

/* 1 when configurations a and b (of N assets) have the same costs: their cost rates and
 * the rates of their cost models, as setup.c writes them into their scratch. */
static inline int same_costs(const config *a, const config *b, size_t N)
{
    return !memcmp(a->scratch + SCRATCH_RATE * N, b->scratch + SCRATCH_RATE * N,
                   (SCRATCH_ROWS - SCRATCH_RATE) * N * sizeof(double));
}

/* Inputs shared by every configuration of a run and computed once per dataset: the rolling
 * stdev and volume of each window some configuration asks for (impact, inverse-vol
 * targets, strategies' RB_NEEDS_VOL), the EWMA volatility of each --vol-model ewma:LAMBDA,
 * the expanding volatility (RB_NEEDS_VOL_TO_DATE) and
 * the gas per bar of each constant --gas and of each --gas-series (read from the store
 * once, not per configuration). Entries are added under a lock
 * and never change afterwards, so simulation threads read them freely. */
enum {
    CACHED_ROLLING = 0,    /* the rolling stdev and volume of `window` (a and b) */
    CACHED_GAS_FLAT = 1,   /* T copies of the constant gas `value` (a) */
    CACHED_VOL_TO_DATE = 2, /* rb_vol_to_date (a) */
    CACHED_GAS_SERIES = 3,  /* the gas series `name`, forward-filled (a) */
    CACHED_EWMA = 4,        /* rb_vol_ewma with lambda `value` (a) */
    CACHED_SERIES = 5,      /* the series `name` forward-filled, NaN before it starts (a):
                               --amm-depth-series */
    CACHED_BENCH = 6        /* the returns of --benchmark `name` (a): rb_benchmark_returns */
};

typedef struct cached {
    int kind;     /* CACHED_* */
    int window;
    double value;
    char *name;    /* CACHED_GAS_SERIES, CACHED_SERIES: the series (a copy) */
    double *a, *b; /* sigma and adv, or the gas array */
    struct cached *next;
} cached;

/* The block's columns: every per-configuration array of 8-byte values lives in one
 * allocation, column c at cols + c * RB_BATCH_STRIDE, then the per-asset ones (u, tg, e:
 * [asset * RB_BATCH_STRIDE + j]). The stride is a constant so that the kernel's loops
 * address all their columns from one base register plus a constant (kernel.c: COL); with
 * a pointer per column they ran out of registers. The named pointers below point into it,
 * for the files that visit one configuration at a time. */
/* The stride of the columns: room for RB_BATCH_CAP configurations and one vector more, so
 * that a column is an odd number of 64-byte lines (49) and the block's columns start on
 * every set of the L1 cache alike. At 384 (48 lines, 3 KiB) they started on a quarter of
 * the sets, 12 lines apart by 4 KiB, and the 1,000-band command (10 assets) ran 10 %
 * slower than with the columns of 96 (12 lines) it had before. */
#define RB_BATCH_STRIDE (RB_BATCH_CAP + 8)

/* The rebalances of a bar go through the lanes a group of at most BATCH_LANE_GROUP at a time
 * (trades.c), and the lanes' asset x lane arrays have rows of that many lanes: a group's
 * arrays are one contiguous region of some 29 KB (10 assets), where rows of the block's 384
 * lanes put the same columns of 150 rows 3 KiB apart. The lanes take a group in chunks of
 * 24, 16 and 8 and single lanes (rebalance_lanes.c) as they took the whole bar's: the same
 * chunks, the same work. (Rows of 384 lanes, 48 lines, fell on 4 of L1's 64 sets: a warm
 * loop of 8 lanes took 54.5 ns a lane, of 24 lanes 36.3; in rows of 392 lanes 34.4 and 29.6,
 * in rows of 24 lanes 32.0 and 27.4.) */
#define BATCH_LANE_GROUP 24

enum block_column {
    /* a configuration's state, carried from bar to bar (with the per-asset u) */
    COL_CASH, COL_TOTAL, COL_INV, COL_DSUM, COL_MAXD, COL_FLOW,
    /* its portfolio's accounts and the bar of its last rebalance (an integer): here, not in
     * the portfolio, between reference steps (batch_gather, batch_scatter), so that a
     * rebalance in lanes reads and writes them side by side (trades.c) */
    COL_FEES, COL_SLIPPAGE, COL_GAS, COL_TRADED, COL_REBALANCES, COL_LAST_REBALANCE,
    /* its metric statistics: the fields of rb_metric_acc (enum rb_metric_acc_field) in their
     * order, then its peak time and rb_metric_dd (batch_acc_at, batch_dd_at) */
    COL_ACC, COL_ACC_END = COL_ACC + RB_ACC_FIELDS,
    COL_PEAK_TIME = COL_ACC_END, COL_MAXDD, COL_DD_PEAK, COL_DD_TROUGH, /* rb_time but COL_MAXDD */
    COL_DD_TROUGH_AT, COL_DD_TROUGH_BAR, /* doubles: the rest of rb_metric_dd */
    STATE_COLUMNS,
    /* its own settings (with the per-asset tg and e) */
    COL_TBAND = STATE_COLUMNS, COL_CMASK, COL_CBARS, COL_RULE, /* 64-bit integers but the first */
    COL_CASH_COL, /* its CASH column, or -1 (an integer) */
    COL_LEADER, /* share.c: the position whose state it shares (its own when it has its own) */
    /* share.c: a leader's group (batch_group_put): how many follow it (0 at every other
     * position), and their least and greatest thresholds e and tband */
    COL_G_FOLLOWERS, COL_G_E_MIN, COL_G_E_MAX, COL_G_TBAND_MIN, COL_G_TBAND_MAX, /* an integer, then doubles */
    /* the bar's, recomputed on every bar */
    COL_EX, COL_MIX, COL_CAND, COL_ACT, COL_FALL, /* 64-bit integers but the first two */
    COL_ATTN, /* 1: a leader whose followers may not all do what it does (kernel.c, share.c) */
    COL_BENCH, /* the benchmark's return of the bar (a double; blocks with a benchmark) */
    BLOCK_COLUMNS
};

typedef struct block {
    size_t cap, n, N, T; /* cap: RB_BATCH_STRIDE, the stride of every column */
    /* the most configurations a block of this run takes, rounded up to a whole vector: the
     * room of the per-configuration arrays outside the columns (the lanes' arrays are
     * [asset * BATCH_LANE_GROUP + lane]) */
    size_t lcap;
    /* The configurations the bar loop runs (positions 0..nrun): n, or fewer while some
     * share the state of another (share.c). */
    size_t nrun;
    int sharing;      /* share.c: some positions past nrun follow a position before it */
    size_t *origin;   /* share.c: the position each configuration had when the block started, its slot */
    size_t *groups;            /* share.c: the positions of the leaders that have followers */
    size_t ngroups;
    /* this bar: the kernel checked every leader's group (kernel.c, distance_pass), and
     * share_attn of them may part (COL_ATTN); when it checked and none may, share.c has
     * nothing to do */
    int share_checked;
    int64_t share_attn;
    /* the statistics of the bar before are this bar's to take, in its value_distance pass
     * (kernel.c, statistics_may_wait) */
    int stats_due;
    config *cfg;
    double *scratch; /* lcap * SCRATCH_ROWS * N: each configuration's scratch (config.scratch) */
    void *slots;     /* the region cfg, scratch and the lanes are in (block.c) */
    size_t slots_bytes;
    size_t slots_lcap; /* the configurations the slots have room for (batch_block_room) */
    double *cols;    /* the columns (enum block_column), 64-byte aligned */
    void *cols_raw;  /* the allocation they are in */
    /* structure of arrays: [asset * cap + j] or [j] */
    double *u, *tg, *e;
    double *cash, *total, *inv, *dsum, *ex, *tband, *flow, *mix;
    unsigned char *touched;
    int touched_any; /* some touched[j] is 1 (batch_touch); cleared with them at a bar's start */
    /* 64-bit like the doubles beside them, so the loops over configurations vectorize */
    int64_t *cand;     /* 1: near or past a band */
    int64_t *act;      /* action code of this bar (ACT_*) */
    int64_t *fall;     /* the rare work of the bar's statistics (RB_ACC_BACK: kernel.c, rare_falls) */
    uint64_t *cmask;   /* calendar flags (enum rb_bar_flag) that are this rule's dates */
    int64_t *cbars;    /* or: every cbars bars */
    int64_t *rule;     /* a trigger kind the kernel decides, or ASK_DECIDE, per configuration */
    int64_t *leader;   /* share.c */
    double *maxd;      /* max |w - t| over the assets (one_band blocks) */
    size_t *list;      /* indices of the configurations that act this bar */
    /* this bar's kernel-decided rebalances, traded together in lanes */
    rb_lanes lanes;
    size_t *queued;        /* their configurations */
    unsigned char *queued_full; /* and whether each is a full rebalance (batch_queued_to) */
    size_t *lane_src;      /* per lane: the configuration it trades (trades.c, load_lanes) */
    /* lane x asset: the targets in force of each lane's configuration; per lane: its value,
     * drift and the value's reciprocal after the trade (batch_lane_exact_states) */
    double *lane_tg, *lane_value, *lane_drift, *lane_inv;
    /* The weights every configuration the kernel decides for trades to, when they are the
     * same for all (trades.c: then the lanes' grids are filled once, not per rebalance):
     * common_tg, their targets (in force all along: static targets), common_band_to, what a
     * band rebalance trades to (band_to). lanes_same_tg: lane_tg holds common_tg in every
     * lane; lanes_same_to: the configurations' band_to are common_band_to too; to_grid:
     * what the lanes' `to` holds in every lane now (ACT_FULL: common_tg, ACT_BAND:
     * common_band_to, 0: each lane its own, copied per rebalance). */
    double *common_tg, *common_band_to;
    int lanes_same_tg, lanes_same_to, to_grid;
    int lanes_no_cash; /* no configuration has a CASH column: the lanes' cash_col is -1 in every lane */
    /* every configuration's targets in force are common_tg, all along: each one's are
     * static (none is one the kernel asks decide() for on its trigger, ASK_DECIDE), and
     * equal (kernel.c: distance_pass reads them once per asset) */
    int one_tg;
    int same_targets;  /* every configuration has the same policy targets */
    /* T + N: the constant mix's return of each bar for the policy targets that follow them
     * (a same_targets block's, kernel.c: mix_series), kept from block to block of a thread
     * while the targets stay the same; mix_known once it holds any */
    double *mix_bars;
    int mix_known;
    int any_flows;     /* some configuration has contributions */
    int all_bands;     /* every configuration's rule code is RB_TRIGGER_BANDS, no cbars */
    int one_band;      /* each configuration's band thresholds (e) are one finite number for all its assets */
    int any_tband;     /* some configuration's portfolio threshold (tband) is not +INFINITY */
    int any_bench;     /* some configuration has a benchmark (--benchmark) */
    int any_lots;      /* some configuration keeps tax lots */
    rb_lot_pool *lot_pool; /* the memory of its ledgers' books, made with the first (setup.c) */
    size_t ran;        /* configuration-bars the bar loop ran (positions 0..nrun on each bar) */
    size_t ran_of;     /* of the block's configuration-bars (kept after the block is released) */
    /* the metric statistics: columns COL_ACC to COL_DD_TROUGH_BAR (batch_acc_at, batch_dd_at) */
} block;

/* The configuration at position j: in slot origin[j] (share.c moves positions, not the
 * structs; origin is j itself outside the bar loop and in a block that shares nothing). */
static inline config *batch_cfg(const block *b, size_t j) { return &b->cfg[b->origin[j]]; }

/* Column c of a block whose columns start at cols (b->cols): from the one base, at a
 * constant offset. */
#define BLOCK_COL(cols, c) ((cols) + (size_t)(c) * RB_BATCH_STRIDE)

/* n positions rounded up to a whole number of vectors of 8 doubles (the widest the kernel's
 * clones run): at most RB_BATCH_CAP, a multiple of 8, as RB_BATCH_BLOCK is. */
_Static_assert(RB_BATCH_BLOCK % 8 == 0 && RB_BATCH_CAP % 8 == 0, "a block is a whole number of vectors of 8 doubles");
static inline size_t batch_padded(size_t n) { return (n + 7) & ~(size_t)7; }

/* Configuration j's value and drift are to be taken afresh at the bar's end
 * (refresh_touched): marked, and the block told that some are. */
static inline void batch_touch(block *b, size_t j)
{
    b->touched[j] = 1;
    b->touched_any = 1;
}

/* Configuration k's metric statistics (metric_acc.h), at cols + k: their fields are the
 * columns COL_ACC + field, RB_BATCH_STRIDE apart, and COL_PEAK_TIME; and gathered into one
 * run's rb_metric_acc. */
#define BATCH_ACC(cols) BLOCK_COL(cols, COL_ACC)
#define BATCH_PEAK_TIME(cols) ((rb_time *)BLOCK_COL(cols, COL_PEAK_TIME))

static inline rb_metric_acc batch_acc_at(const double *cols, size_t k)
{
    rb_metric_acc a;
    for (size_t i = 0; i < RB_ACC_FIELDS; i++) a.f[i] = BLOCK_COL(cols, COL_ACC + i)[k];
    a.peak_time = ((const rb_time *)BLOCK_COL(cols, COL_PEAK_TIME))[k];
    return a;
}

static inline rb_metric_dd batch_dd_at(const double *cols, size_t k)
{
    return (rb_metric_dd){.max_dd = BLOCK_COL(cols, COL_MAXDD)[k],
                          .peak = ((const rb_time *)BLOCK_COL(cols, COL_DD_PEAK))[k],
                          .trough = ((const rb_time *)BLOCK_COL(cols, COL_DD_TROUGH))[k],
                          .trough_at = BLOCK_COL(cols, COL_DD_TROUGH_AT)[k],
                          .trough_bar = BLOCK_COL(cols, COL_DD_TROUGH_BAR)[k]};
}

static inline void batch_dd_put(double *cols, size_t k, const rb_metric_dd *dd)
{
    BLOCK_COL(cols, COL_MAXDD)[k] = dd->max_dd;
    ((rb_time *)BLOCK_COL(cols, COL_DD_PEAK))[k] = dd->peak;
    ((rb_time *)BLOCK_COL(cols, COL_DD_TROUGH))[k] = dd->trough;
    BLOCK_COL(cols, COL_DD_TROUGH_AT)[k] = dd->trough_at;
    BLOCK_COL(cols, COL_DD_TROUGH_BAR)[k] = dd->trough_bar;
}

typedef struct job {
    rb_store *store;
    const rb_matrix *m;
    const uint64_t *indices;
    size_t n;
    rb_batch_spec_fn spec_fn;
    rb_batch_result_fn result_fn;
    void *ctx;
    const rb_batch_options *opt;
    size_t block_size; /* configurations per block; 0: RB_BATCH_BLOCK or more (next_block_size) */
    size_t next;       /* the position in indices of the next block's first configuration */
    int threads;
    /* the first error wins; the others stop at their next block */
    volatile int failed;
    rb_error err;
    uint64_t completed;
    /* the bonus depends only on the targets: computed once per distinct target vector */
    double *bonus_target;
    double bonus;
    int has_bonus;
    double (*bonus_of)(void *ctx); /* the caller's bonus, not asked yet (rb_batch_options) */
    cached *inputs; /* the run-wide input cache */
    char next_open_note[sizeof ((rb_metrics *)0)->exec_note]; /* the exec note of next-open runs */
} job;

/* inputs.c: the shared inputs configuration spec needs, from the run-wide cache (computed
 * on first use); and the cache released at the end of the run. */
rb_status batch_shared_inputs(job *jb, const rb_run_spec *spec, rb_resolve_inputs *in, rb_error *err);
void batch_inputs_free(cached *e);

/* block.c: a block of up to `most` (at most RB_BATCH_CAP) configurations of N assets over T
 * bars, its configurations' slots with room for `first` (the first block's size; 0: most)
 * or more (0: out of memory; what was allocated is released by batch_block_free, which
 * takes a zeroed block too). batch_block_room gives the slots room for a block of n
 * (at most most) between blocks, when they have less: 0 when out of memory. */
int batch_block_alloc(block *b, size_t N, size_t T, size_t most, size_t first);
int batch_block_room(block *b, size_t n);
void batch_block_free(block *b);

/* setup.c: configuration `index` set up as the block's j-th (its spec, resolved settings,
 * portfolio, trigger and rule code), allocating nothing once the slot's memory has grown
 * (shared inputs aside: the run computes each once); and released, the slot's memory kept. */
rb_status batch_setup_config(job *jb, block *b, size_t j, uint64_t index, rb_error *err);
void batch_config_release(config *c);

/* The weights the q-th queued rebalance trades to: its targets in force for a full one,
 * else its band's (read only where the lanes need them, off the common path). */
static inline const double *batch_queued_to(const block *b, size_t q)
{
    const config *c = batch_cfg(b, b->queued[q]);
    return b->queued_full[q] ? c->st.current : c->band_to;
}

/* state.c: configuration j's columns (units, cash, accounts, last rebalance) into its
 * portfolio and simulation state (gather) and back with its targets in force (scatter);
 * its band thresholds; its exact value and drift at close. */
void batch_gather(block *b, size_t j);
void batch_scatter(block *b, size_t j);
void batch_band_thresholds(block *b, size_t j, const config *c);
void batch_exact_state(block *b, size_t j, const double *close);
/* state.c: the same for lanes 0..width of the block's lanes, from the lanes' units and cash
 * and b->lane_tg, side by side, into lane_value, lane_drift and lane_inv. */
void batch_lane_exact_states(block *b, size_t width, const double *close);

/* share.c: configurations that differ only in their band thresholds have one state until
 * their decisions part: the bar loop runs one of them (the leader, at a position before
 * b->nrun) and the others (followers, after it) only compare their own bands with its
 * distances. batch_share_start groups them after the first allocation (nothing when the
 * block does not qualify); batch_share_actions, after the leaders' action codes of a bar
 * (flags: the bar's calendar flags), gives each follower its own and detaches it (its own
 * state, a copy of its leader's, at position nrun) when it would act otherwise than its
 * leader or decide on exact weights;
 * adds to *acting the detached followers that act. batch_share_end gives every follower
 * its state and puts the configurations back where they started (also after an error:
 * *bad is moved with its configuration). Both fail only when a copy of tax lots runs out
 * of memory. Results are those of configurations run one by one, to the
 * bit: a follower's every step would have been its leader's. */
/* A leader's followers: how many, and the least and greatest of their band thresholds (e)
 * and portfolio thresholds (tband), which settle most bars for all of them at once. */
/* Whether every follower of a leader that takes action code act at the distances maxd
 * (max |w - t| over its assets) and dsum surely does what it does, from the group's
 * extreme thresholds (COL_G_*): none near its band when the leader does nothing (the
 * greatest excess over a band is the one over the least band, since rounding maxd - e is
 * monotonic in e), all past their bands when it rebalances past its own. The neutral group
 * of no followers (e_min and tband_min +INFINITY, the maxima -INFINITY) follows whatever a
 * leader of finite distances does. A selection, not a branch: the kernel checks every
 * leader at once (distance_pass), share.c one. */
static inline int64_t batch_group_follows(int64_t act, double maxd, double dsum, double e_min, double tband_min,
                                          double e_max, double tband_max)
{
    int64_t none = !band_near(maxd - e_min, dsum, tband_min);
    int64_t band = band_action(maxd - e_max, dsum, tband_max, 0) == ACT_BAND;
    return ((act == ACT_NONE) & none) | ((act == ACT_BAND) & band);
}

/* batch_group_follows for a leader and followers without portfolio thresholds (tband and the
 * group's tband_min and tband_max +INFINITY, the neutral group's tband_max -INFINITY): no
 * dsum is near one or past one. For the neutral group (e_max -INFINITY) maxd - e_max is
 * +INFINITY, past its band, unless maxd is NaN, and then so is dsum (the first asset's
 * term is in both, and only a NaN first term makes maxd NaN): the comparison of dsum with
 * -INFINITY is false there too. */
static inline int64_t batch_group_follows_alone(int64_t act, double maxd, double e_min, double e_max)
{
    int64_t none = !band_near_alone(maxd - e_min);
    int64_t band = maxd - e_max > MARGIN;
    return ((act == ACT_NONE) & none) | ((act == ACT_BAND) & band);
}

void batch_share_start(block *b);
rb_status batch_share_actions(block *b, uint64_t flags, int64_t *acting, rb_error *err);
rb_status batch_share_end(block *b, size_t *bad, rb_error *err);

/* kernel.c: every bar of the block's configurations (*bad: the configuration of an error). */
rb_status batch_run_block(const rb_matrix *m, block *b, size_t *bad, rb_error *err);

/* actions.c: the steps of bar t that configurations take one by one (*bad: the
 * configuration of an error).
 * batch_scheduled_work: step 1, the scheduled work of every configuration that has some
 *   (flow and touched set; *depleted counts the runs whose money ran out).
 * batch_act: step 3 for the nact configurations of b->list (action codes set): decisions
 *   on exact weights by the reference step, and the kernel's rebalances queued (*nq) for
 *   batch_lane_trades; *pending counts the next-open orders left waiting. */
rb_status batch_scheduled_work(const rb_matrix *m, block *b, size_t t, size_t *depleted, size_t *bad,
                               rb_error *err);
rb_status batch_act(const rb_matrix *m, block *b, size_t t, size_t nact, size_t *nq, size_t *pending,
                    size_t *bad, rb_error *err);

/* trades.c: the lanes' grids set up for a block whose configurations are started
 * (batch_lanes_start); the nq rebalances queued at bar t, traded together. */
void batch_lanes_start(block *b);
rb_status batch_lane_trades(block *b, size_t nq, const rb_matrix *m, size_t t, size_t *bad, rb_error *err);
/* The first allocations of the nq configurations queued (b->queued, full: their targets in
 * force), at bar 0, together: as rb_sim_start would make each (rb_sim_start_state first), the
 * lanes being its closed form's arithmetic (rb_rebalance_proportional: one lane), and
 * rb_sim_start itself where a lane falls back. Only for configurations that trade in the
 * lanes (batch_trades_in_lanes; their closed form applies: setup.c, kernel_rule), after
 * batch_lanes_start. */
rb_status batch_lane_starts(block *b, size_t nq, const rb_matrix *m, size_t *bad, rb_error *err);

/* finish.c: configuration j's metric sums over its first T bars (at the run's bar times
 * time[0..T); the statistics as they stand after bar T - 1; a depleted run's last bar has
 * no drift); its metrics once the bars are done. */
rb_metric_sums batch_sums_of(const block *b, size_t j, size_t T, const rb_time *time, int depleted);
void batch_finish(job *jb, block *b, size_t j, rb_metrics *out);

/* finish.c: 1 when configuration j's arithmetic has overflowed: its value now, or a sum over
 * its bars so far, is not a finite number. Every bar's value goes into the sums and one that
 * is not finite leaves them so: at the end, 0 means every value of the run was finite.
 * batch_overflow_error: the failure of such a configuration, the reference simulator's
 * (which names the bar, as `rebal run` does), whatever the batch met first. */
int batch_overflowed(const block *b, size_t j);
rb_status batch_overflow_error(const rb_matrix *m, const config *c, rb_error *err);

/* overlay_path.c: the configurations of idx[0..n) with --overlay perp run one by one through
 * the reference simulator and their results (or, with opt->failed, their failures)
 * delivered (*ndone of them); when there was any, *keep gets a new array (the caller frees
 * it) of the others' indices in order, *nkeep of them (else *keep stays NULL, *nkeep = n). An
 * error not delivered is returned, *bad its configuration (UINT64_MAX: none's own). */
rb_status batch_overlay_configs(job *jb, const uint64_t *idx, size_t n, uint64_t **keep, size_t *nkeep,
                                size_t *ndone, uint64_t *bad, rb_error *err);

#endif /* RB_BATCH_INTERNAL_H */
