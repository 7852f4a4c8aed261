/* kernel.c - the bar loop of a block (batch_internal.h has the steps in order): the passes
 * over the configuration axis that the compiler vectorizes (value, distance, action codes,
 * metric statistics), around the steps configurations take one by one (actions.c,
 * trades.c). batch_run_block is compiled once per vector width (kernel_clones.h); every
 * step with a vectorized loop is inlined into it (BAR_STEP), so each clone runs that loop
 * at its own width. The loops keep every per-configuration sum in the same order at every
 * width: results do not depend on the machine. */
#include <math.h>
#include <string.h>

#include "batch_internal.h"
#include "kernel_clones.h"
#include "trade.h"

/* A step of the bar loop, inlined into each of batch_run_block's clones. */
#define BAR_STEP static inline __attribute__((always_inline))

/* The constant mix's return of every bar, for a block whose configurations share their
 * policy targets (static for a run): computed once for a thread's blocks with the same
 * targets, where each block computed it on each bar (a chain of N additions). */
static void mix_series(const rb_matrix *m, block *b)
{
    const size_t N = b->N;
    const double *target = batch_cfg(b, 0)->res.target;
    double *known = b->mix_bars + m->T; /* the targets the series is for */
    if (b->mix_known && memcmp(known, target, N * sizeof *known) == 0) return;
    for (size_t t = 1; t < m->T; t++) b->mix_bars[t] = rb_metric_mix_return(target, m->growth + t * N, N);
    memcpy(known, target, N * sizeof *known);
    b->mix_known = 1;
}

/* Bar 0: the first allocation of every configuration (together in the lanes where they
 * trade, else by the reference step), and the columns and statistics it starts from. */
static rb_status start_block(const rb_matrix *m, block *b, size_t *bad, rb_error *err)
{
    const size_t N = b->N, n = b->n;
    b->one_band = 1, b->any_tband = 0; /* until a threshold says otherwise (batch_band_thresholds) */
    size_t nq = 0; /* first allocations queued for the lanes */
    for (size_t j = 0; j < n; j++) {
        config *c = batch_cfg(b, j);
        b->rule[j] = c->rule;
        b->cmask[j] = c->trig.date_flags;
        b->cbars[j] = c->trig.every_bars;
        ((int64_t *)BLOCK_COL(b->cols, COL_CASH_COL))[j] = c->c.cash_col;
        if (batch_trades_in_lanes(c->rule)) {
            rb_sim_start_state(m, &c->c, &c->st);
            b->queued[nq] = j;
            b->queued_full[nq++] = 1;
        } else {
            rb_status rc = rb_sim_start(m, &c->c, &c->st, err);
            if (rc != RB_OK) {
                *bad = j;
                return rc;
            }
        }
        batch_scatter(b, j);
    }
    /* Costs the same for the whole block (a sweep that does not vary them): the lanes read
     * one set of rates, copied here once (trades.c copies them per lane otherwise). */
    b->lanes.same_rates = 1;
    for (size_t j = 1; j < n; j++)
        if (!same_costs(batch_cfg(b, j), batch_cfg(b, 0), N)) b->lanes.same_rates = 0;
    for (size_t i = 0; b->lanes.same_rates && i < N; i++) {
        const double *row = batch_cfg(b, 0)->scratch;
        b->lanes.rate[i] = row[SCRATCH_RATE * N + i];
        for (size_t r = 0; r < RB_COST_RATES; r++) b->lanes.bps[r][i] = row[(SCRATCH_BPS + r) * N + i];
    }
    b->same_targets = 1;
    b->any_flows = 0;
    b->any_bench = 0;
    b->any_lots = 0;
    b->all_bands = 1;
    for (size_t j = 0; j < n; j++) {
        if (b->rule[j] != RB_TRIGGER_BANDS || b->cbars[j] != 0) b->all_bands = 0;
        if (memcmp(batch_cfg(b, j)->res.target, batch_cfg(b, 0)->res.target, N * sizeof(double)) != 0) b->same_targets = 0;
        if (batch_cfg(b, j)->c.contribution != 0) b->any_flows = 1;
        if (batch_cfg(b, j)->c.bench) b->any_bench = 1;
        if (batch_cfg(b, j)->port.lots) b->any_lots = 1;
    }
    if (b->same_targets) mix_series(m, b);
    batch_lanes_start(b);
    rb_status rc = batch_lane_starts(b, nq, m, bad, err);
    if (rc != RB_OK) return rc;
    for (size_t j = 0; j < n; j++) {
        batch_band_thresholds(b, j, batch_cfg(b, j));
        batch_exact_state(b, j, m->close);
        b->flow[j] = 0;
        b->maxd[j] = 0; /* a state column (share.c compares them), set by every bar's pass */
        rb_metric_acc_start(BATCH_ACC(b->cols) + j, b->cap, BATCH_PEAK_TIME(b->cols) + j, b->total[j], b->inv[j],
                            b->dsum[j], b->cash[j], m->time[0]);
        batch_dd_put(b->cols, j, &(rb_metric_dd){0, m->time[0], m->time[0], (double)m->time[0], 0});
    }
    return RB_OK;
}

/* Column c of a block (batch_internal.h): from the one base, at a constant offset. */
#define COL(b, c) BLOCK_COL((b)->cols, c)
#define ICOL(b, c) ((int64_t *)COL(b, c))

/* A pass over the block's nrun configurations, called with n = b->nrun rounded up to a
 * whole number of vectors of 8 doubles, so that no pass finishes lane by lane (at
 * AVX-512's width, up to a half vector and 3 scalar iterations of every pass on every
 * bar). The positions from nrun to n are followers (share.c: their state columns are
 * overwritten by their leader's before they are read again) or hold no configuration:
 * what a pass writes there is not read, and pad_count takes them out of its count. */
#define FOR_BLOCK(b, call) (call(b, batch_padded((b)->nrun)))

/* A pass's count over the n positions it ran, less what the positions from nrun to n (fewer
 * than 8: n is padded) added to it: their codes that are not 0 (codes 0), or the codes. As an
 * `omp simd reduction`, which GCC sums through a stack array read back in halves, this made
 * the 1,000-band batch 0.15-0.40 ms slower (bench/README.md, thirty-fourth session). */
static inline int64_t pad_count(const block *b, size_t n, int64_t count, const int64_t *code, int codes)
{
    for (size_t k = b->nrun; k < n; k++) count -= codes ? code[k] : code[k] != 0;
    return count;
}

/* Configuration k's metric statistics of bar number `bar` at time now (metric_acc.h: the
 * accumulator the reference runs for its one configuration, the deepest drawdown recorded
 * in its columns), mix its constant-mix return: the body of stats_step, and of
 * value_distance when it takes the bar before's (statistics_may_wait). flows (a constant
 * where it is inlined): the flow is read from its column; without, it is 0, as that column
 * always is where value_distance takes the statistics (statistics_may_wait, run_bar), and
 * the return's (v - f) is v: a load and a subtraction fewer (bench/README.md, twenty-sixth
 * session). Returns rb_metric_acc_step's rare work, also marked in b->fall for rare_falls. */
BAR_STEP int64_t stats_of(block *b, size_t k, double mix, double bar, rb_time now, int flows)
{
    double *acc = BATCH_ACC(b->cols);
    rb_time *peak_time = BATCH_PEAK_TIME(b->cols);
    const double *total = COL(b, COL_TOTAL), *dsum = COL(b, COL_DSUM), *cash = COL(b, COL_CASH), *inv = COL(b, COL_INV);
    const double *flow = COL(b, COL_FLOW);
    double *maxdd = COL(b, COL_MAXDD), *trough_at = COL(b, COL_DD_TROUGH_AT), *trough_bar = COL(b, COL_DD_TROUGH_BAR);
    rb_time *dd_peak = (rb_time *)COL(b, COL_DD_PEAK), *trough = (rb_time *)COL(b, COL_DD_TROUGH);
    rb_metric_dd_at dd = {maxdd + k, dd_peak + k, trough + k, trough_at + k, trough_bar + k};
    int64_t f = rb_metric_acc_step(acc + k, RB_BATCH_STRIDE, peak_time + k, total[k], flows ? flow[k] : 0.0, inv[k],
                                   dsum[k], cash[k], mix, dd, bar, now);
    ICOL(b, COL_FALL)[k] = f;
    return f;
}

/* The assets one loop over the configurations takes in steps 2a and 2b: the more, the
 * fewer loads and stores of the running sums (and loops) per bar. Their sums keep the
 * asset order, so how many a loop takes changes no bit. (Steps 2 to 4 in a standalone
 * copy, a block of 96 configurations with 10 assets: two a loop 2.36 ns per
 * configuration-bar, five 2.05, all ten in one value loop no better.) */
#define PASS_ASSETS 5

/* 2a. Configurations [0, n), assets [i, i + count) (count <= PASS_ASSETS; first: from
 * the cash, else from the running total): value = cash + sum units * close, in asset
 * order (as rb_portfolio_value). */
BAR_STEP void value_assets(block *b, size_t n, const double *close, size_t i, size_t count, int first)
{
    const size_t cap = RB_BATCH_STRIDE;
    double *total = COL(b, COL_TOTAL);
    const double *cash = COL(b, COL_CASH), *u = b->u + i * cap, *p = close + i;
    /* the assets one after the other, written out: a loop over them inside the loop over
     * the configurations would keep it from being vectorized */
#pragma omp simd
    for (size_t k = 0; k < n; k++) {
        double v = rb_value_add(first ? cash[k] : total[k], u[k], p[0]);
        if (count > 1) v = rb_value_add(v, u[cap + k], p[1]);
        if (count > 2) v = rb_value_add(v, u[2 * cap + k], p[2]);
        if (count > 3) v = rb_value_add(v, u[3 * cap + k], p[3]);
        if (count > 4) v = rb_value_add(v, u[4 * cap + k], p[4]);
        total[k] = v;
    }
}

/* One loop of the value pass from asset i (first: from the cash): PASS_ASSETS assets, or
 * what is left (each count a constant in its loop, so that each is vectorized whole).
 * Returns the next asset. */
BAR_STEP size_t value_loop(block *b, size_t n, const double *close, size_t i, int first)
{
    const size_t left = b->N - i, count = left < PASS_ASSETS ? left : PASS_ASSETS;
    _Static_assert(PASS_ASSETS == 5, "one case per count below");
    switch (count) {
    case 5: value_assets(b, n, close, i, 5, first); break;
    case 4: value_assets(b, n, close, i, 4, first); break;
    case 3: value_assets(b, n, close, i, 3, first); break;
    case 2: value_assets(b, n, close, i, 2, first); break;
    default: value_assets(b, n, close, i, 1, first); break; /* 1 (or an asset 0 of none) */
    }
    return i + (count ? count : 1);
}

BAR_STEP void value_pass(block *b, size_t n, const double *close)
{
    size_t i = value_loop(b, n, close, 0, 1);
    while (i < b->N) i = value_loop(b, n, close, i, 0);
}

/* The arrays distance_assets reads, at asset 0 (each asset's a column stride apart). */
typedef struct drift_cols {
    const double *u, *tg, *e, *common_tg;
} drift_cols;

/* Asset a's term |w - t| for configuration k, from its holding's value x (units * close)
 * and the value's reciprocal inv (one_tg: the common targets). */
BAR_STEP double drift_term_of(drift_cols c, size_t a, size_t k, double x, double inv, int one_tg)
{
    const size_t cap = RB_BATCH_STRIDE;
    return fabs(x * inv - (one_tg ? c.common_tg[a] : c.tg[a * cap + k]));
}

/* The same at price p, the holding's value taken here. */
BAR_STEP double drift_term(drift_cols c, size_t a, size_t k, double p, double inv, int one_tg)
{
    return drift_term_of(c, a, k, c.u[a * RB_BATCH_STRIDE + k] * p, inv, one_tg);
}

/* Its excess over asset a's band (one_band: the term itself; distance_pass subtracts the
 * one threshold at the end). */
BAR_STEP double band_excess(drift_cols c, size_t a, size_t k, double d, int one_band)
{
    return one_band ? d : d - c.e[a * RB_BATCH_STRIDE + k];
}

/* The running sums of distance_assets: dsum, and the largest excess so far. */
typedef struct drift_sums {
    double dsum, ex;
} drift_sums;

/* Assets a and a + 1 of configuration k, holdings worth xa and xb, added to its sums: their
 * terms to dsum in asset order, the larger of their excesses, then the running one (as the
 * pass always took them, so that a NaN is passed over alike). */
BAR_STEP drift_sums drift_pair_of(drift_cols c, size_t a, size_t k, double xa, double xb, double inv, drift_sums t,
                                  int one_band, int one_tg)
{
    double d = drift_term_of(c, a, k, xa, inv, one_tg), d2 = drift_term_of(c, a + 1, k, xb, inv, one_tg);
    double x = band_excess(c, a, k, d, one_band), x2 = band_excess(c, a + 1, k, d2, one_band), larger = x > x2 ? x : x2;
    return (drift_sums){(t.dsum + d) + d2, larger > t.ex ? larger : t.ex};
}

BAR_STEP drift_sums drift_pair(drift_cols c, size_t a, size_t k, const double *close, double inv, drift_sums t,
                               int one_band, int one_tg)
{
    const size_t cap = RB_BATCH_STRIDE;
    return drift_pair_of(c, a, k, c.u[a * cap + k] * close[a], c.u[(a + 1) * cap + k] * close[a + 1], inv, t, one_band,
                         one_tg);
}

/* Asset a alone (the last one, after the pairs). */
BAR_STEP drift_sums drift_single_of(drift_cols c, size_t a, size_t k, double xa, double inv, drift_sums t,
                                    int one_band, int one_tg)
{
    double d = drift_term_of(c, a, k, xa, inv, one_tg), x = band_excess(c, a, k, d, one_band);
    return (drift_sums){t.dsum + d, x > t.ex ? x : t.ex};
}

BAR_STEP drift_sums drift_single(drift_cols c, size_t a, size_t k, const double *close, double inv, drift_sums t,
                                 int one_band, int one_tg)
{
    return drift_single_of(c, a, k, c.u[a * RB_BATCH_STRIDE + k] * close[a], inv, t, one_band, one_tg);
}

/* Configurations [0, n), a loop over assets: first (asset 0, where the value's reciprocal
 * is taken and the sums start), then `pairs` (0 to 2) pairs of assets from asset i, then
 * (single) the asset after them, every one a constant where it is inlined. The assets go
 * in pairs from asset 1, whichever loop takes them: the same additions and selections in
 * the same order as one loop per pair. */
BAR_STEP void distance_assets(block *b, size_t n, const double *close, size_t i, int first, size_t pairs, int single,
                              int one_band, int one_tg)
{
    const drift_cols c = {b->u, b->tg, b->e, b->common_tg};
    const double *total = COL(b, COL_TOTAL);
    double *inv = COL(b, COL_INV), *dsum = COL(b, COL_DSUM), *ex = COL(b, COL_EX);
#pragma omp simd
    for (size_t k = 0; k < n; k++) {
        double r;
        drift_sums t;
        if (first) {
            r = 1 / total[k];
            inv[k] = r;
            t.dsum = drift_term(c, 0, k, close[0], r, one_tg);
            t.ex = band_excess(c, 0, k, t.dsum, one_band);
        } else {
            r = inv[k];
            t = (drift_sums){dsum[k], ex[k]};
        }
        if (pairs > 0) t = drift_pair(c, i, k, close, r, t, one_band, one_tg);
        if (pairs > 1) t = drift_pair(c, i + 2, k, close, r, t, one_band, one_tg);
        if (single) t = drift_single(c, i + 2 * pairs, k, close, r, t, one_band, one_tg);
        dsum[k] = t.dsum;
        ex[k] = t.ex;
    }
}

/* One loop of the distance pass from asset i (odd: the pairs start at asset 1; first: asset
 * 0 before them, i = 1): up to two pairs, and the last asset with them when it would be left
 * alone after them (PASS_ASSETS, and asset 0 in the first loop). Returns the next asset. */
BAR_STEP size_t distance_loop(block *b, size_t n, const double *close, size_t i, int first, int one_band,
                              int one_tg)
{
    const size_t left = b->N > i ? b->N - i : 0, pairs = left >= 4 ? 2 : left / 2;
    const int single = left - 2 * pairs == 1;
    _Static_assert(PASS_ASSETS == 5, "two pairs and one asset a loop");
    switch (2 * pairs + (size_t)single) {
    case 0: distance_assets(b, n, close, i, first, 0, 0, one_band, one_tg); break;
    case 1: distance_assets(b, n, close, i, first, 0, 1, one_band, one_tg); break;
    case 2: distance_assets(b, n, close, i, first, 1, 0, one_band, one_tg); break;
    case 3: distance_assets(b, n, close, i, first, 1, 1, one_band, one_tg); break;
    case 4: distance_assets(b, n, close, i, first, 2, 0, one_band, one_tg); break;
    default: distance_assets(b, n, close, i, first, 2, 1, one_band, one_tg); break;
    }
    return i + 2 * pairs + (size_t)single;
}

/* The most assets value_distance takes (one copy of its loop per count, 1 to this). */
#define FUSED_ASSETS 16

/* Asset i's holding (units * close) into x[i], added to the value v: rb_value_add's
 * arithmetic, the product kept for the drift. */
#define FUSED_HOLDING(i)                        \
    if (N > (i)) {                              \
        x[i] = c.u[(i) * cap + k] * close[i];   \
        v = v + x[i];                           \
    }

/* Assets a and a + 1 to the drift's sums, or asset a alone when it is the last. */
#define FUSED_PAIR(a)                                                \
    if (N > (a) + 1) {                                               \
        t = drift_pair_of(c, a, k, x[a], x[(a) + 1], r, t, 1, 1);    \
    } else if (N == (a) + 1) {                                       \
        t = drift_single_of(c, a, k, x[a], r, t, 1, 1);              \
    }

/* 2a and 2b in one loop, for a block with one threshold per configuration and the common
 * targets (one_band, one_tg: the sweep of bands) of N (a constant where it is inlined, at
 * most FUSED_ASSETS) assets: the value, its reciprocal, and the drift's dsum and largest
 * |w - t|, from the N holdings each taken once and kept (the two passes took each twice: a
 * load and a multiplication more per asset). The same operations in the same order as
 * value_pass and distance_pass's loops: the same bits. stats (a constant where it is
 * inlined): also each configuration's statistics of the bar before (number `bar`, at time
 * now, the constant mix's return mix), from its columns as that bar left them, which this
 * bar's value then replaces (at the loop's end): their loads and stores beside the value's
 * and the drift's arithmetic. They come between the value's reciprocal and the drift, which
 * waits on it: their work, which waits on nothing of this bar, is what the processor has to
 * do while the division runs (GCC keeps the order of the source here; the loop's time
 * depends on that order: bench/README.md, twenty-fifth and twenty-seventh sessions).
 * Returns the statistics' rare work (stats_of), 0 without them. */
BAR_STEP int64_t value_distance(block *b, size_t n, const double *close, const size_t N, int stats, double mix,
                                double bar, rb_time now)
{
    const size_t cap = RB_BATCH_STRIDE;
    const drift_cols c = {b->u, b->tg, b->e, b->common_tg};
    const double *cash = COL(b, COL_CASH);
    double *total = COL(b, COL_TOTAL), *inv = COL(b, COL_INV), *dsum = COL(b, COL_DSUM), *ex = COL(b, COL_EX);
    int64_t rare = 0;
#pragma omp simd reduction(+ : rare)
    for (size_t k = 0; k < n; k++) {
        double x[FUSED_ASSETS], v = cash[k];
        FUSED_HOLDING(0) FUSED_HOLDING(1) FUSED_HOLDING(2) FUSED_HOLDING(3)
        FUSED_HOLDING(4) FUSED_HOLDING(5) FUSED_HOLDING(6) FUSED_HOLDING(7)
        FUSED_HOLDING(8) FUSED_HOLDING(9) FUSED_HOLDING(10) FUSED_HOLDING(11)
        FUSED_HOLDING(12) FUSED_HOLDING(13) FUSED_HOLDING(14) FUSED_HOLDING(15)
        _Static_assert(FUSED_ASSETS == 16, "one holding above and one pair below per asset");
        const double r = 1 / v;
        if (stats) rare += stats_of(b, k, mix, bar, now, 0); /* while the division runs (above) */
        const double d = drift_term_of(c, 0, k, x[0], r, 1);
        drift_sums t = {d, band_excess(c, 0, k, d, 1)};
        FUSED_PAIR(1) FUSED_PAIR(3) FUSED_PAIR(5) FUSED_PAIR(7)
        FUSED_PAIR(9) FUSED_PAIR(11) FUSED_PAIR(13) FUSED_PAIR(15)
        total[k] = v;
        inv[k] = r;
        dsum[k] = t.dsum;
        ex[k] = t.ex;
    }
    return rare;
}

#undef FUSED_HOLDING
#undef FUSED_PAIR

/* value_distance at the block's number of assets (1 to FUSED_ASSETS), a constant in each
 * copy of the loop, with or without the statistics of the bar before (see there). */
BAR_STEP int64_t value_distance_pass(block *b, size_t n, const double *close, int stats, double mix, double bar,
                                     rb_time now)
{
#define FUSED_CASE(N)                                                                         \
    case N:                                                                                   \
        return stats ? value_distance(b, n, close, N, 1, mix, bar, now)                       \
                     : value_distance(b, n, close, N, 0, 0, 0, 0);
    switch (b->N) {
        FUSED_CASE(1) FUSED_CASE(2) FUSED_CASE(3) FUSED_CASE(4) FUSED_CASE(5) FUSED_CASE(6) FUSED_CASE(7) FUSED_CASE(8)
        FUSED_CASE(9) FUSED_CASE(10) FUSED_CASE(11) FUSED_CASE(12) FUSED_CASE(13) FUSED_CASE(14) FUSED_CASE(15)
        FUSED_CASE(16)
    default: return 0; /* not called: value_and_actions takes the two passes */
    }
#undef FUSED_CASE
}

/* Whether value_and_actions takes the block's value and drift in one loop (value_distance). */
BAR_STEP int takes_value_distance(const block *b) { return b->one_band && b->one_tg && b->N <= FUSED_ASSETS; }

/* 2b. The distance from the targets: dsum = sum |w - t|, and ex = the largest excess of
 * |w - t| over its band (the approximate weights w = units * close / value). one_band (a
 * constant where it is inlined): each configuration has one threshold e for all its
 * assets, and ex is taken as max |w - t| - e, one subtraction instead of one per asset: the
 * same number, since rounding x - e is monotonic in x, and NaNs are passed over alike. For
 * e = INFINITY (no band) both are -INFINITY, or NaN when every |w - t| is: no |w - t| is
 * ever +INFINITY, since every holding's value is at most the portfolio's (no negative
 * cash or units), so units * close / value is at most about 1, or 0 / 0 for an empty
 * portfolio. one_tg (a constant too): every configuration's targets are the block's
 * common ones all along (block.one_tg), read once per asset rather than per
 * configuration. all_bands (with one_band): step 3a is taken here too, on the numbers
 * just computed (band_action, as action_pass takes it); returns how many act, else 0; ex, the
 * candidacy and (unless shared) maxd, which nothing reads then, are not stored (a 2 % faster batch).
 * shared (with all_bands): every leader's group is checked too (batch_group_follows, which
 * share.c would check one by one, reading maxd), into COL_ATTN and b->share_attn. The
 * assets go five a loop (PASS_ASSETS, distance_loop). fused (a constant, with one_band and
 * one_tg): value_distance has taken dsum and the largest |w - t|; only what follows them is
 * left. tbands (a constant): a portfolio threshold in the block, else none compared. */
BAR_STEP int64_t distance_pass(block *b, size_t n, const double *close, int one_band, int one_tg, int all_bands,
                               int shared, int fused, int tbands)
{
    const size_t N = b->N;
    const double *e0 = b->e;
    double *dsum = COL(b, COL_DSUM), *ex = COL(b, COL_EX);
    size_t i = fused ? N : distance_loop(b, n, close, 1, 1, one_band, one_tg);
    while (i < N) i = distance_loop(b, n, close, i, 0, one_band, one_tg);
    int64_t acting = 0;
    if (one_band) {
        double *maxd = COL(b, COL_MAXD);
        const double *tband = COL(b, COL_TBAND);
        const double *g_e_min = COL(b, COL_G_E_MIN), *g_e_max = COL(b, COL_G_E_MAX),
                     *g_tband_min = COL(b, COL_G_TBAND_MIN), *g_tband_max = COL(b, COL_G_TBAND_MAX);
        const int64_t *g_followers = ICOL(b, COL_G_FOLLOWERS);
        int64_t *act = ICOL(b, COL_ACT), *attention = ICOL(b, COL_ATTN);
#pragma omp simd reduction(+ : acting)
        for (size_t k = 0; k < n; k++) {
            double m = ex[k], x = m - e0[k];
            if (shared || !all_bands) maxd[k] = m;
            if (!all_bands) ex[k] = x;
            if (all_bands) {
                int64_t near = tbands ? band_near(x, dsum[k], tband[k]) : band_near_alone(x),
                        a = tbands ? band_action(x, dsum[k], tband[k], near) : band_action_alone(x);
                act[k] = a;
                int64_t at = 0;
                if (shared) {
                    int64_t follows = tbands ? batch_group_follows(a, m, dsum[k], g_e_min[k], g_tband_min[k],
                                                                   g_e_max[k], g_tband_max[k])
                                             : batch_group_follows_alone(a, m, g_e_min[k], g_e_max[k]);
                    at = (g_followers[k] != 0) & !follows;
                    attention[k] = at;
                }
                acting += (a != 0) | (at << 32); /* how many act, how many groups may part: one sum */
            }
        }
        if (shared) b->share_attn = pad_count(b, n, acting >> 32, attention, 1);
        if (all_bands) return pad_count(b, n, acting & 0xffffffff, act, 0);
    }
    return acting;
}

/* 3a. Who acts: an action code per configuration (ACT_*), from the bar's calendar flags and
 * the distances. Returns how many act: on most bars of most blocks none, and the rare path
 * is skipped. all_bands (a constant where it is inlined): every rule code is
 * RB_TRIGGER_BANDS, and the selection among the others is left out. */
BAR_STEP int64_t action_pass(block *b, size_t n, uint64_t flags, int all_bands)
{
    int64_t acting = 0;
    const double *ex = COL(b, COL_EX), *dsum = COL(b, COL_DSUM), *tband = COL(b, COL_TBAND);
    const uint64_t *cmask = (const uint64_t *)COL(b, COL_CMASK);
    const int64_t *rules = ICOL(b, COL_RULE), *cbars = ICOL(b, COL_CBARS);
    int64_t *act = ICOL(b, COL_ACT), *cand = ICOL(b, COL_CAND);
#pragma omp simd reduction(+ : acting)
    for (size_t k = 0; k < n; k++) {
        int64_t near = band_near(ex[k], dsum[k], tband[k]), band = band_action(ex[k], dsum[k], tband[k], near);
        /* every N bars: the rare path checks the date */
        int64_t a = all_bands ? band : cbars[k] != 0 ? ACT_EVERY_BARS : rule_action(rules[k], (flags & cmask[k]) != 0, band);
        act[k] = a;
        cand[k] = near;
        acting += a != 0;
    }
    return pad_count(b, n, acting, act, 0);
}

#if RB_KERNEL_INTRINSICS
#include <immintrin.h>

/* The action codes of positions j to j + 7 (*code) and which of them act, those past nrun
 * (followers of shared states, or no configuration: padding) left out. */
RB_KERNEL_AVX512 static inline __mmask8 acting_at(const int64_t *act, size_t j, size_t nrun, __m512i *code)
{
    *code = _mm512_loadu_si512(act + j);
    __mmask8 acts = _mm512_test_epi64_mask(*code, *code);
    return nrun - j < 8 ? acts & (__mmask8)((1u << (nrun - j)) - 1) : acts;
}

/* The positions of one group of 8 (at) selected by m, compressed to the front of a vector
 * (vpcompressq) and stored whole at out[*count]; *count grows by as many. The whole vector
 * fits: the lists have room for a block's configurations padded to whole vectors
 * (block.c), and a group of 8 from j stores from its count so far, at most j. */
RB_KERNEL_AVX512 static inline void put_positions(size_t *out, size_t *count, __mmask8 m, __m512i at)
{
    _Static_assert(sizeof(size_t) == sizeof(int64_t), "positions compressed as 64-bit lanes");
    _mm512_storeu_si512(out + *count, _mm512_maskz_compress_epi64(m, at));
    *count += (size_t)__builtin_popcount(m);
}

/* list_actors's AVX-512 form: the positions of 8 codes at a time, those not 0 stored at
 * once (put_positions), where the loop below stored each position and counted it one by
 * one (some 2.5 % of the 1,000-band sweep's simulation). */
RB_KERNEL_AVX512 static size_t list_actors_avx512(size_t *list, const int64_t *act, size_t nrun)
{
    size_t nact = 0;
    __m512i at = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0), code;
    const __m512i eight = _mm512_set1_epi64(8);
    for (size_t j = 0; j < nrun; j += 8, at = _mm512_add_epi64(at, eight))
        put_positions(list, &nact, acting_at(act, j, nrun, &code), at);
    return nact;
}

/* A block whose every rule is a band (all_bands: codes ACT_NONE, ACT_BAND and ACT_DECIDE
 * only): its band rebalances queued for the lanes here, as batch_act would queue them, in
 * the order of their positions, and the others that act (decisions on exact weights) into
 * b->list, 8 positions at a time as list_actors_avx512 lists them. batch_act, given that
 * list, then takes only the decisions: most bars of a sweep of narrow bands have many
 * rebalances and no decision. *nq: how many are queued; returns how many are listed. */
RB_KERNEL_AVX512 static size_t queue_bands_avx512(block *b, size_t *nq)
{
    const size_t nrun = b->nrun;
    size_t nact = 0, queued = 0;
    __m512i at = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0), code;
    const __m512i eight = _mm512_set1_epi64(8), band = _mm512_set1_epi64(ACT_BAND);
    for (size_t j = 0; j < nrun; j += 8, at = _mm512_add_epi64(at, eight)) {
        __mmask8 acts = acting_at(b->act, j, nrun, &code), bands = _mm512_mask_cmpeq_epi64_mask(acts, code, band);
        put_positions(b->queued, &queued, bands, at);
        put_positions(b->list, &nact, acts & (__mmask8)~bands, at);
    }
    memset(b->queued_full, 0, queued); /* band rebalances, none full */
    *nq = queued;
    return nact;
}
#endif

/* The configurations whose action code is not 0, into b->list; returns how many. */
BAR_STEP size_t list_actors(block *b, int64_t acting)
{
#if RB_KERNEL_INTRINSICS
    if (acting && rb_kernel_avx512()) return list_actors_avx512(b->list, b->act, b->nrun);
#endif
    size_t nact = 0;
    for (size_t j = 0; acting && j < b->nrun; j++) {
        b->list[nact] = j;
        nact += b->act[j] != 0;
    }
    return nact;
}

/* Value and drift taken afresh, exactly, for every configuration a step touched (those
 * listed, and the nq queued apart from the list: queue_bands_avx512); an emptied portfolio
 * has no weights: its last bar adds no drift (nor 0 / 0). */
static void refresh_touched(block *b, const double *close, size_t nact, size_t nq, int events, size_t depleted)
{
    const size_t n = b->n;
    if (b->touched_any) { /* most bars touch none */
        for (size_t k = 0; k < nact; k++)
            if (b->touched[b->list[k]]) batch_exact_state(b, b->list[k], close);
        for (size_t q = 0; q < nq; q++)
            if (b->touched[b->queued[q]]) batch_exact_state(b, b->queued[q], close);
        for (size_t j = 0; events && j < n; j++)
            if (b->touched[j]) batch_exact_state(b, j, close);
    }
    for (size_t j = 0; depleted && j < n; j++)
        if (batch_cfg(b, j)->st.depleted && !batch_cfg(b, j)->end_T) b->dsum[j] = b->inv[j] = 0;
}

/* 4a. The constant mix's return, which depends on the policy targets: for a block that
 * shares them, bar t's of the series mix_series made (returned); else per configuration
 * (into b->mix). */
BAR_STEP double mix_return(block *b, size_t t, const double *growth)
{
    const size_t N = b->N, n = b->nrun;
    if (b->same_targets) return b->mix_bars[t];
    for (size_t j = 0; j < n; j++) b->mix[j] = rb_metric_mix_return(batch_cfg(b, j)->res.target, growth, N);
    return 0;
}

/* 4b. Configurations [0, n): the benchmark's part of the bar's statistics (blocks with a
 * benchmark: metric_acc.h, rb_metric_acc_bench), before stats_step moves the value on. */
BAR_STEP void bench_step(block *b, size_t n)
{
    double *acc = BATCH_ACC(b->cols);
    const double *total = COL(b, COL_TOTAL), *flow = COL(b, COL_FLOW), *bench = COL(b, COL_BENCH);
#pragma omp simd
    for (size_t k = 0; k < n; k++) rb_metric_acc_bench(acc + k, RB_BATCH_STRIDE, total[k], flow[k], bench[k]);
}

/* 4c. Configurations [0, n): the metric statistics of bar number `bar` (stats_of), the rare
 * work they ask for (RB_ACC_BACK) marked in b->fall for rare_falls. same (a constant where
 * it is inlined): the block shares its policy targets, and mix_all is every
 * configuration's constant-mix return (else each one's is in COL_MIX). Returns a sum above
 * 0 when some have rare work. */
BAR_STEP int64_t stats_step(block *b, size_t n, double mix_all, double bar, rb_time now, int same)
{
    int64_t rare = 0;
    const double *mixr = COL(b, COL_MIX);
#pragma omp simd reduction(+ : rare)
    for (size_t k = 0; k < n; k++) /* 0 or more: a sum above 0 when some configuration has rare work */
        rare += stats_of(b, k, same ? mix_all : mixr[k], bar, now, 1);
    return pad_count(b, n, rare, ICOL(b, COL_FALL), 1);
}

/* 4d. The rare work stats_step marked on bar t: a drawdown ended. */
static void rare_falls(block *b, size_t t, const rb_time *time)
{
    for (size_t j = 0; j < b->nrun; j++)
        if (b->fall[j] & RB_ACC_BACK)
            rb_metric_acc_back(BATCH_ACC(b->cols) + j, b->cap, t, time, BLOCK_COL(b->cols, COL_DD_TROUGH_AT)[j],
                               BLOCK_COL(b->cols, COL_DD_TROUGH_BAR)[j]);
}

/* The benchmark's return of bar t for every configuration that runs (0 for those without
 * one: their benchmark sums are not read). */
static void bench_returns(block *b, size_t t)
{
    double *bench = BLOCK_COL(b->cols, COL_BENCH);
    for (size_t j = 0; j < b->nrun; j++) bench[j] = batch_cfg(b, j)->c.bench ? batch_cfg(b, j)->c.bench[t] : 0.0;
}

/* Step 4 of bar t, over every configuration of the block. */
BAR_STEP void statistics(const rb_matrix *m, block *b, size_t t)
{
    const rb_time now = m->time[t];
    const double bar = (double)t;
    double mix_all = mix_return(b, t, m->growth + t * b->N);
    if (b->any_bench) {
        bench_returns(b, t);
        FOR_BLOCK(b, bench_step);
    }
#define STATS(b, n) stats_step(b, n, mix_all, bar, now, 0)
#define STATS_SAME(b, n) stats_step(b, n, mix_all, bar, now, 1)
    if (b->same_targets ? FOR_BLOCK(b, STATS_SAME) : FOR_BLOCK(b, STATS)) rare_falls(b, t, m->time);
#undef STATS
#undef STATS_SAME
}

/* Steps 2 and 3a of bar t over every configuration of the block. Returns how many act. */
BAR_STEP int64_t value_and_actions(const rb_matrix *m, block *b, size_t t)
{
    const double *close = m->close + t * b->N;
    const uint64_t flags = m->flags[t];
#define VALUE(b, n) value_pass(b, n, close)
#define VALUE_DISTANCE(b, n) value_distance_pass(b, n, close, 0, 0, 0, 0)
#define VALUE_DISTANCE_STATS(b, n) pad_count(b, n, value_distance_pass(b, n, close, 1, mix, bar, now), b->fall, 1)
#define DISTANCE(b, n) distance_pass(b, n, close, 0, 0, 0, 0, 0, 1)
#define ONE_BAND(b, n) distance_pass(b, n, close, 1, 0, 0, 0, 0, 1)
#define ONE_TG(b, n) distance_pass(b, n, close, 1, 1, 0, 0, 0, 1)
#define BAND_SWEEP(b, n) distance_pass(b, n, close, 1, 1, 1, 0, 0, 1) /* a sweep of bands: the common case */
#define BAND_SWEEP_SHARED(b, n) distance_pass(b, n, close, 1, 1, 1, 1, 0, 1) /* and its states shared */
/* the same after value_distance */
#define FUSED_ONE_TG(b, n) distance_pass(b, n, close, 1, 1, 0, 0, 1, 1)
#define FUSED_BAND_SWEEP(b, n) distance_pass(b, n, close, 1, 1, 1, 0, 1, 1)
#define FUSED_BAND_SWEEP_SHARED(b, n) distance_pass(b, n, close, 1, 1, 1, 1, 1, 1)
#define FUSED_BANDS_ALONE(b, n) distance_pass(b, n, close, 1, 1, 1, 0, 1, 0) /* no portfolio thresholds */
#define FUSED_BANDS_ALONE_SHARED(b, n) distance_pass(b, n, close, 1, 1, 1, 1, 1, 0)
#define BANDS(b, n) action_pass(b, n, flags, 1)
#define ANY(b, n) action_pass(b, n, flags, 0)
    b->share_checked = b->sharing && b->one_band && b->one_tg && b->all_bands;
    if (takes_value_distance(b)) {
        if (b->stats_due) { /* the bar before's statistics first (statistics_may_wait) */
            const double mix = b->mix_bars[t - 1], bar = (double)(t - 1);
            const rb_time now = m->time[t - 1];
            if (FOR_BLOCK(b, VALUE_DISTANCE_STATS)) rare_falls(b, t - 1, m->time);
            b->stats_due = 0;
        } else {
            FOR_BLOCK(b, VALUE_DISTANCE);
        }
        if (b->share_checked)
            return b->any_tband ? FOR_BLOCK(b, FUSED_BAND_SWEEP_SHARED) : FOR_BLOCK(b, FUSED_BANDS_ALONE_SHARED);
        if (b->all_bands) return b->any_tband ? FOR_BLOCK(b, FUSED_BAND_SWEEP) : FOR_BLOCK(b, FUSED_BANDS_ALONE);
        FOR_BLOCK(b, FUSED_ONE_TG);
        return FOR_BLOCK(b, ANY);
    }
    FOR_BLOCK(b, VALUE);
    if (b->share_checked) return FOR_BLOCK(b, BAND_SWEEP_SHARED);
    if (b->one_band && b->one_tg && b->all_bands) return FOR_BLOCK(b, BAND_SWEEP);
    if (b->one_band && b->one_tg) FOR_BLOCK(b, ONE_TG);
    else if (b->one_band) FOR_BLOCK(b, ONE_BAND);
    else FOR_BLOCK(b, DISTANCE);
    return b->all_bands ? FOR_BLOCK(b, BANDS) : FOR_BLOCK(b, ANY);
#undef VALUE
#undef VALUE_DISTANCE
#undef VALUE_DISTANCE_STATS
#undef FUSED_ONE_TG
#undef FUSED_BAND_SWEEP
#undef FUSED_BAND_SWEEP_SHARED
#undef FUSED_BANDS_ALONE
#undef FUSED_BANDS_ALONE_SHARED
#undef DISTANCE
#undef ONE_BAND
#undef ONE_TG
#undef BAND_SWEEP
#undef BAND_SWEEP_SHARED
#undef BANDS
#undef ANY
}

/* A run depleted on bar t ends there: its sums are kept as they are now (the columns go on
 * with an empty portfolio, unread). */
static void end_depleted_runs(block *b, size_t t, const rb_time *time, size_t *depleted)
{
    for (size_t j = 0; *depleted && j < b->n; j++) {
        config *c = batch_cfg(b, j);
        if (!c->st.depleted || c->end_T) continue;
        c->end_T = t + 1;
        c->ended = batch_sums_of(b, j, t + 1, time, 1);
        (*depleted)--;
    }
}

/* Whether bar t's statistics (step 4) may be left to bar t + 1's value_distance pass, which
 * takes them from the columns as bar t leaves them, before it replaces them (b->stats_due).
 * Nothing may change those columns in between: no scheduled work on bar t + 1, which would
 * trade or pay first (the new year's tax, a flow, a next-open order waiting; without flows no
 * run runs out of money, and bar t's flows are 0: the reset after its statistics changes
 * nothing). And bar t is not the last, and the next pass is value_distance, for statistics
 * in the form it takes them: the common targets' constant mix, no benchmark. (A block that
 * takes value_distance has no next-open orders and shares its targets today: kernel_rule,
 * batch_lanes_start; both are asked all the same, being what the deferral rests on.) What
 * share.c does next (followers that take their leader's state) follows that pass. */
static int statistics_may_wait(const rb_matrix *m, const block *b, size_t t, size_t pending)
{
    if (t + 1 >= m->T || pending || b->any_flows || (m->flags[t + 1] & RB_NEW_YEAR)) return 0;
    return takes_value_distance(b) && b->same_targets && !b->any_bench;
}

/* Bar t, steps 1 to 4. *pending: configurations with a next-open order waiting; *depleted:
 * configurations whose run ends on this bar. */
BAR_STEP rb_status run_bar(const rb_matrix *m, block *b, size_t t, size_t *pending, size_t *depleted, size_t *bad,
                           rb_error *err)
{
    const size_t n = b->n;
    const double *close = m->close + t * b->N;

    /* 1. Scheduled work, by the reference steps (only on bars that can have any). Most bars
     * touch no configuration: nothing to clear after them. */
    if (b->touched_any) memset(b->touched, 0, n);
    b->touched_any = 0;
    int events = *pending || b->any_flows || (m->flags[t] & RB_NEW_YEAR);
    rb_status rc = events ? batch_scheduled_work(m, b, t, depleted, bad, err) : RB_OK;
    if (rc != RB_OK) return rc;
    *pending = 0;

    /* 2, 3a. Value, distance and who acts, over the configuration axis (and the followers
     * of shared states, share.c). */
    int64_t acting = value_and_actions(m, b, t);
    if (b->sharing && (rc = batch_share_actions(b, m->flags[t], &acting, err)) != RB_OK) return rc;
    size_t nact, nq = 0, apart = 0; /* apart: rebalances queued, not listed */
#if RB_KERNEL_INTRINSICS
    if (acting && b->all_bands && rb_kernel_avx512()) {
        nact = queue_bands_avx512(b, &nq);
        apart = nq;
    } else
#endif
        nact = list_actors(b, acting);

    /* 3. Only the acting configurations are visited; the kernel's own rebalances are
     * traded together. */
    if (nact) rc = batch_act(m, b, t, nact, &nq, pending, bad, err);
    if (rc == RB_OK && nq) rc = batch_lane_trades(b, nq, m, t, bad, err);
    if (rc != RB_OK) return rc;
    refresh_touched(b, close, nact, apart, events, *depleted);

    /* 4. Metric statistics, over the configuration axis, or left to the next bar's first
     * pass. The bar's contributions are counted: the next bar starts without (only
     * scheduled work sets a flow). */
    if (statistics_may_wait(m, b, t, *pending)) b->stats_due = 1;
    else statistics(m, b, t);
    b->ran += b->nrun;
    if (events) memset(b->flow, 0, n * sizeof *b->flow);
    end_depleted_runs(b, t, m->time, depleted);
    return RB_OK;
}

RB_KERNEL_CLONES
rb_status batch_run_block(const rb_matrix *m, block *b, size_t *bad, rb_error *err)
{
    b->nrun = b->n;
    b->sharing = 0;
    b->ran = 0;
    b->ran_of = b->n * (m->T - 1);
    b->touched_any = 1; /* whatever a block before left in touched: cleared on bar 1 */
    rb_status rc = start_block(m, b, bad, err);
    if (rc == RB_OK) batch_share_start(b);
    size_t pending = 0;  /* configurations with a next-open order waiting */
    size_t depleted = 0; /* configurations whose run ends on this bar */
    b->stats_due = 0;
    for (size_t t = 1; t < m->T && rc == RB_OK; t++) rc = run_bar(m, b, t, &pending, &depleted, bad, err);
    rb_error end_err;
    rb_status end = batch_share_end(b, bad, &end_err);
    if (rc == RB_OK && end != RB_OK) {
        rc = end;
        if (err) *err = end_err;
    }
    return rc;
}
