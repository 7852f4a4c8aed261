/* overlay.h - the perpetual-futures overlay (--overlay perp; docs/engine.md, "Perpetual-futures
 * overlay"): a rebalance leaves the spot holdings (and their tax lots) alone and sets one
 * linear perpetual position per asset so that spot + perp exposure is at the targets. The
 * positions are marked to market into a collateral holding, pay funding every bar, are
 * liquidated below the maintenance margin, and their gains are taxed as --perp-tax says.
 * The reference simulator (simulate.c) calls it; the batch simulator runs configurations with
 * an overlay through the reference (engine/batch/overlay_path.c). Internal. */
#ifndef RB_OVERLAY_H
#define RB_OVERLAY_H

#include <stddef.h>

#include "portfolio.h"
#include "rebal.h"

enum { RB_PERP_TAX_SHORT = 0, RB_PERP_TAX_LONG = 1, RB_PERP_TAX_6040 = 2 };

/* The overlay's settings, resolved against the run's matrix (resolve_overlay.c). */
typedef struct rb_overlay_cfg {
    int margin_col;               /* the column holding the collateral (the --margin-asset or the
                                     CASH column), or -1: the uninvested cash */
    const double *const *funding; /* N: each asset's funding rate per bar (T values), or a NULL
                                     entry; NULL: no funding */
    int per_bar;                  /* 1: the rates are per bar; 0: per 8 hours, scaled by the bar */
    double fee;                   /* --perp-fee-bps / 1e4 of traded notional */
    double maint;                 /* --maintenance-margin */
    double liq_fee;               /* --liquidation-fee-bps / 1e4 */
    int reopen;                   /* --after-liquidation reopen */
    double max;                   /* --overlay-max (0: no cap) */
    int tax;                      /* RB_PERP_TAX_* */
} rb_overlay_cfg;

/* One liquidation, as the tests and the run's records see it. */
typedef struct rb_liquidation {
    size_t bar;
    double gross;      /* notional liquidated */
    double collateral; /* the collateral that fell below the margin */
    double fee;        /* liquidation fee paid */
    double shortfall;  /* what the collateral could not pay (absorbed by the venue) */
} rb_liquidation;

typedef struct rb_overlay {
    const rb_overlay_cfg *cfg; /* its settings (rb_overlay_sim_new) */
    size_t N, T;
    double *q;      /* N perp positions in units (> 0 long) */
    double *mark;   /* N the price each was last marked at */
    double *entry;  /* N the average entry price of each open position (for taxes) */
    int spot;       /* a liquidation under --after-liquidation spot: rebalances trade spot */
    /* totals */
    double pnl;          /* marked price PnL moved into the collateral */
    double funding;      /* funding paid (< 0: received) */
    double fees;         /* perp trading fees */
    double liq_cost;     /* liquidation fees */
    double shortfall;    /* debits the collateral could not pay */
    double gains;        /* perp gains realized for tax (all classes) */
    double notional_sum, notional_peak; /* of gross notional / value over the bars recorded */
    double rebalances;   /* overlay rebalances */
    double spot_rebalances; /* rebalances that traded spot (over the cap, after a liquidation) */
    /* per bar (T), filled by rb_overlay_record */
    double *collateral, *gross, *exposure; /* exposure: T*N, (spot + perp) / value */
    unsigned char *rebalanced;             /* 1 where an overlay rebalance set the positions */
    rb_liquidation *liq;
    size_t nliq, liq_cap;
} rb_overlay;

rb_status rb_overlay_init(rb_overlay *ov, size_t N, size_t T, rb_error *err);
void rb_overlay_release(rb_overlay *ov);

/* The collateral's value at prices (>= 0). */
double rb_overlay_collateral(const rb_overlay_cfg *cfg, const rb_portfolio *p, const double *price);

/* Gross notional sum |q_i| p_i at prices. */
double rb_overlay_gross(const rb_overlay *ov, const double *price);

/* Exposure weights at prices into w (N): (u_i + q_i) p_i / v, the collateral's column (or,
 * without one, nothing) less the perps' net notional. */
void rb_overlay_weights(const rb_overlay *ov, const rb_overlay_cfg *cfg, const rb_portfolio *p, const double *price,
                        double v, double *w);

/* A rebalance to weights `to` at env's prices: with the overlay on, the positions are set so
 * that exposure is at `to` (fees solved exactly); past --overlay-max, or after a liquidation
 * under --after-liquidation spot, the perps are closed and spot trades (rb_portfolio_rebalance).
 * *traded as rb_portfolio_rebalance's. */
rb_status rb_overlay_rebalance(rb_overlay *ov, const rb_overlay_cfg *cfg, rb_portfolio *p, const rb_trade_env *env,
                               const double *to, int *traded, rb_error *err);

/* The close of bar t >= 1: the positions marked to the closes, the bar's funding paid, the
 * margin checked (a liquidation at the closes when it fails). time_prev: the previous bar's
 * time (for rates per 8 hours). */
rb_status rb_overlay_close(rb_overlay *ov, const rb_overlay_cfg *cfg, rb_portfolio *p, const rb_trade_env *env,
                           rb_time time_prev, rb_error *err);

/* A tax year's end (before rb_portfolio_close_year): with --perp-tax 60-40 every open
 * position's gain since its entry at the year's last closes (price) is realized and its
 * entry reset to them. */
void rb_overlay_year_end(rb_overlay *ov, const rb_overlay_cfg *cfg, rb_portfolio *p, const double *price);

/* Bar t's records at its closes (value v): collateral, gross notional, exposure weights. */
void rb_overlay_record(rb_overlay *ov, const rb_overlay_cfg *cfg, const rb_portfolio *p, const double *price,
                       double v, size_t t);

/* Tax still owed at the end if every position, spot and perp, were closed at prices at time
 * t without costs (rb_portfolio_pending_tax with the perps' open gains). */
double rb_overlay_pending_tax(const rb_overlay *ov, const rb_overlay_cfg *cfg, const rb_portfolio *p,
                              const double *price, rb_time t);

/* The tax a portfolio has paid or owes on what it realized by the end: taxes paid plus the
 * tax due on the current year's realized gains (after carry-forward). */
double rb_overlay_tax_by_end(const rb_portfolio *p);

/* The overlay metrics of a run of T bars into m (funding, fees, liquidations, notional);
 * tax_deferred is the caller's. */
void rb_overlay_metrics(const rb_overlay *ov, size_t T, rb_metrics *m);

/* 1 when metric `name` is one of the overlay's (0 on every run without one). */
int rb_overlay_metric(const char *name);

/* overlay_sim.c: the overlay of one reference run (simulate.c). */
struct rb_sim_config;
struct rb_sim_result;
/* A new overlay for cfg, N assets, T bars, into *out (freed by rb_overlay_sim_free). */
rb_status rb_overlay_sim_new(const rb_overlay_cfg *cfg, size_t N, size_t T, rb_overlay **out, rb_error *err);
void rb_overlay_sim_free(rb_overlay *ov);
/* Bar t's records at its closes (value v), and the bar's weights (N) and drift sum (*dsum)
 * of exposures in place of the spot holdings' (targets: the bar's targets in force). */
void rb_overlay_sim_mark(rb_overlay *ov, const rb_portfolio *p, const double *close, const double *target, double v,
                         size_t t, double *weights, double *dsum);
/* The overlay metrics of a finished run r of configuration c, tax_deferred from the same
 * configuration run without the overlay. */
rb_status rb_overlay_sim_finish(const rb_matrix *m, const struct rb_sim_config *c, struct rb_sim_result *r,
                                rb_error *err);

#endif /* RB_OVERLAY_H */
