/* impact_inputs.h - the rolling volatility and volume of each asset, read by the impact
 * model (engine/costs.c) and by the volatility rules (strategies/vol_band.c). Internal. */
#ifndef RB_IMPACT_INPUTS_H
#define RB_IMPACT_INPUTS_H

#include "rebal.h"

/* Fills sigma[t * N + i] (sample stdev of log returns close[s]/close[s-1] for s in
 * max(1, t - window + 1) .. t; 0 with fewer than 2 returns) and adv[t * N + i] (mean volume
 * over the bars of max(0, t - window + 1) .. t that are not forward-filled; NaN if the
 * asset has no volume there) for every bar and asset. Uses data up to t only. */
rb_status rb_impact_inputs(const rb_matrix *m, int window, double *sigma, double *adv, rb_error *err);

/* Fills sigma[t * N + i] with the RiskMetrics exponentially weighted volatility of the log
 * returns r_t = ln(close[t] / close[t-1]) (zero mean; docs/engine.md, "Volatility models"):
 *     sigma^2_2 = (r_1^2 + r_2^2) / 2,   sigma^2_t = lambda sigma^2_{t-1} + (1 - lambda) r_t^2  (t >= 3),
 * and 0 on bars 0 and 1 (fewer than 2 returns, as the window model). 0 < lambda < 1. Uses
 * data up to t only; a forward-filled bar adds its zero return. */
rb_status rb_vol_ewma(const rb_matrix *m, double lambda, double *sigma, rb_error *err);

#endif /* RB_IMPACT_INPUTS_H */
