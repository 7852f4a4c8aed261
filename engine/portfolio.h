/* portfolio.h - one portfolio's state (units, cash, tax lots, running totals) and the
 * operations that trade it: a rebalance by exact post-cost targeting, a cash flow, paying
 * the year's tax. This is the accounting the reference simulator runs bar by bar and the
 * batch simulator's scalar path shares (docs/engine.md). Internal. */
#ifndef RB_PORTFOLIO_H
#define RB_PORTFOLIO_H

#include <stdint.h>

#include "lots.h"
#include "rebal.h"
#include "trade.h"

/* What orders at one bar meet. */
typedef struct rb_trade_env {
    size_t N;
    size_t bar;
    rb_time time;
    const double *price;        /* N execution prices */
    const rb_asset_costs *costs; /* N, or NULL for no costs */
    int plain_costs;            /* costs checked once (rb_sim_config.plain_costs): an order's
                                   cost is its rates' and per-order fees' (rb_trade_order_fees) */
    const double *sigma;        /* N impact inputs at the deciding bar, or NULL */
    const double *adv;
    double gas;                 /* per transaction at this bar: every order is one */
    double gas_tx, gas_swap;    /* a vault's transaction: once per batch of orders that trades
                                   (execute), and per order in it; they add to gas */
    const double *const *depth; /* N: a pool's depth per bar (T values; the order's is at `bar`)
                                   replacing costs[i].amm_depth, or a NULL entry; NULL: none */
    const struct rb_routes *routes; /* N: the venues an asset's orders are routed across
                                   (routes.h; replacing its costs), or NULL: none */
    int cash_col;               /* the CASH column (no costs, no lots), or -1 */
    const char *const *symbols; /* N symbols, for error messages */
    const double *rate;         /* N cost rates (rb_cost_rate), or NULL; set only when every
                                   cost is proportional */
    double min_trade;           /* quote currency */
    double lot_size;            /* units; 0 = fractional */
} rb_trade_env;

/* The gas of one order: a transaction's (--gas), and with --gas-swap a swap of the vault's
 * transaction too (a sum only when set, so that runs without it keep their bits). */
static inline double rb_order_gas(const rb_trade_env *env)
{
    return env->gas_swap != 0 ? env->gas + env->gas_swap : env->gas;
}

typedef enum rb_trade_kind { RB_TRADE_INITIAL, RB_TRADE_REBALANCE, RB_TRADE_FLOW, RB_TRADE_TAX } rb_trade_kind;

/* One order, as --trades reports it. */
typedef struct rb_trade {
    rb_time time;
    size_t bar;
    size_t asset;
    rb_trade_kind kind;
    double units;  /* > 0 bought, < 0 sold; the order's size when skipped */
    double price;  /* market price */
    double fee, slippage, gas;
    int skipped;   /* below --min-trade: not executed */
    /* --venues: an order routed across venues is one record per leg (units, fee, slippage and
     * gas the leg's); venue names its venue ("" for an order not routed), order_units is the
     * whole order's units */
    char venue[32];
    double order_units;
} rb_trade;

typedef struct rb_portfolio {
    size_t N;
    double *units;
    double cash;
    rb_lots *lots;            /* NULL: no lot tracking */
    /* Gains of the current tax year: next to lots, so that the batch's ledger calls (trades.c),
     * which read the one and add to the other, find both on one line of the configuration. */
    rb_realized year_realized;
    rb_lots *spare_lots;      /* a ledger kept for the next rb_portfolio_reset that needs one */
    double tax_short, tax_long;
    /* totals */
    double fees, slippage, gas, taxes;
    double traded_value;      /* |value| of rebalance orders (first allocation, flows, tax sales excluded) */
    double rebalances;
    rb_realized carry;         /* losses carried in */
    /* orders, when kept */
    int keep_trades;
    rb_trade *trades;
    size_t ntrades, trades_cap;
    /* scratch, N each, in one allocation: values, orders and the assets in play, and the
     * inputs and outputs of the closed-form rebalance's one lane (rebalance_lanes.h) */
    double *value, *order, *lane;
    int64_t *in;
    /* --venues: what routing keeps from one order to the next (routes.h), made when first
     * routed; NULL before, or when it could not be */
    struct rb_route_memo *route_memo;
    int lent; /* units and scratch are the caller's memory (rb_portfolio_lend) */
} rb_portfolio;

typedef struct rb_portfolio_options {
    size_t N;
    rb_lot_method lots;
    int long_term_days, wash_sale_days;
    double tax_short, tax_long;
    int keep_trades, keep_lots;
} rb_portfolio_options;

rb_status rb_portfolio_init(rb_portfolio *p, const rb_portfolio_options *opt, rb_error *err);
/* The same as rb_portfolio_init on a portfolio initialized before (or zeroed), reusing its
 * memory when N is the same: units, scratch, order records and the lots ledger (emptied:
 * rb_lots_clear), so a sweep's configuration slot allocates nothing once its ledger has
 * grown. On failure the portfolio is released. */
rb_status rb_portfolio_reset(rb_portfolio *p, const rb_portfolio_options *opt, rb_error *err);
void rb_portfolio_release(rb_portfolio *p);

/* Units and scratch for N assets in rb_portfolio_bytes(N) bytes of the caller's memory
 * (8-byte aligned), on a zeroed or released portfolio, which rb_portfolio_reset then makes
 * ready without allocating them; rb_portfolio_release leaves the memory to the caller. */
size_t rb_portfolio_bytes(size_t N);
void rb_portfolio_lend(rb_portfolio *p, size_t N, void *memory);

/* Value at prices: sum units * price + cash. */
double rb_portfolio_value(const rb_portfolio *p, const double *price);

/* Trades to the weights `to` (N, sum 1) by exact post-cost targeting. *traded gets 1 when
 * at least one order executed. Kind RB_TRADE_REBALANCE counts a rebalance and turnover. */
rb_status rb_portfolio_rebalance(rb_portfolio *p, const rb_trade_env *env, const double *to, rb_trade_kind kind,
                                 int *traded, rb_error *err);

/* rb_portfolio_rebalance without its first step, rb_rebalance_proportional: for a caller
 * that has just found the closed form not to apply to this very rebalance (the batch's
 * lanes, whose fallen lanes are left as they were), where trying it again would only fail
 * again (a third of such a rebalance's time on the 1,000-band sweep). */
rb_status rb_portfolio_rebalance_general(rb_portfolio *p, const rb_trade_env *env, const double *to,
                                         rb_trade_kind kind, int *traded, rb_error *err);

/* Whether rb_rebalance_proportional can serve this portfolio and market: only proportional
 * costs (commission in bps, fixed slippage, spread: no per-order fee, minimum, gas, impact
 * or pool), no order records, no --min-trade or --lot-size. */
int rb_rebalance_proportional_applies(const rb_portfolio *p, const rb_trade_env *env);

/* The commonest rebalance without the general machinery, where it applies; tax lots as
 * usual. It is the batch simulator's rebalance lanes (rebalance_lanes.h) run for this one
 * portfolio; rb_portfolio_rebalance takes it itself when it applies. Returns 1 when done, 0,
 * changing nothing, when its closed form does not apply this time, -1 on a lot error (err
 * filled). */
int rb_rebalance_proportional(rb_portfolio *p, const rb_trade_env *env, const double *to, rb_trade_kind kind, int *traded,
                              rb_error *err);

/* Adds amount (< 0 withdraws) and invests it: at the target weights (RB_FLOWS_TARGET) or
 * in the most underweight assets first (RB_FLOWS_REBALANCE; a withdrawal then sells the
 * most overweight first). *applied gets the flow actually made (a withdrawal is limited to
 * what the portfolio holds). */
rb_status rb_portfolio_flow(rb_portfolio *p, const rb_trade_env *env, double amount, const double *target,
                            rb_flow_mode mode, double *applied, rb_error *err);

/* Closes the tax year: returns the tax of the gains realized in it (with carry-forward),
 * keeps the losses to carry, and starts a new year (gains realized from now on are its). */
double rb_portfolio_close_year(rb_portfolio *p);

/* Pays a closed year's tax `due`: from cash and then by selling every position pro rata
 * (those sales realize gains of the new year). */
rb_status rb_portfolio_pay_tax(rb_portfolio *p, const rb_trade_env *env, double due, rb_error *err);

/* Tax still owed if every position were sold at prices at time t (no costs): the current
 * year's realized gains plus the liquidation's, after carry-forward. */
double rb_portfolio_pending_tax(const rb_portfolio *p, const double *price, rb_time t);

#endif /* RB_PORTFOLIO_H */
