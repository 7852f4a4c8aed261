/* overlay_sim.c - the perpetual-futures overlay of one reference run (overlay.h): its state
 * made and freed, each bar's exposures recorded for the metrics, and its metrics at the end,
 * tax_deferred from the same configuration trading spot. */
#include <math.h>
#include <stdlib.h>

#include "alloc.h"
#include "error.h"
#include "metric_acc.h"
#include "overlay.h"
#include "simulate.h"

rb_status rb_overlay_sim_new(const rb_overlay_cfg *cfg, size_t N, size_t T, rb_overlay **out, rb_error *err)
{
    rb_overlay *ov = rb_calloc(1, sizeof *ov);
    if (!ov) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    rb_status rc = rb_overlay_init(ov, N, T, err);
    if (rc != RB_OK) {
        free(ov);
        return rc;
    }
    ov->cfg = cfg;
    *out = ov;
    return RB_OK;
}

void rb_overlay_sim_free(rb_overlay *ov)
{
    if (!ov) return;
    rb_overlay_release(ov);
    free(ov);
}

void rb_overlay_sim_mark(rb_overlay *ov, const rb_portfolio *p, const double *close, const double *target, double v,
                         size_t t, double *weights, double *dsum)
{
    rb_overlay_record(ov, ov->cfg, p, close, v, t);
    const double *w = ov->exposure + t * ov->N;
    double d = 0, net = 0;
    for (size_t i = 0; i < ov->N; i++) {
        weights[i] = w[i];
        d += fabs(w[i] - target[i]);
        net += ov->q[i] * close[i];
    }
    /* The metrics add the uninvested cash's weight cash / v (rb_metric_drift); with the
     * collateral in the uninvested cash its exposure is cash less the perps' net notional. */
    if (ov->cfg->margin_col < 0 && v > 0) d += (fabs(p->cash - net) - p->cash) / v;
    *dsum = d;
}

rb_status rb_overlay_sim_finish(const rb_matrix *m, const rb_sim_config *c, rb_sim_result *r, rb_error *err)
{
    rb_overlay_metrics(r->overlay, r->T, &r->metrics);
    /* The spot twin: the same rule, costs and taxes, rebalancing spot. */
    rb_sim_config spot = *c;
    spot.overlay = NULL;
    spot.portfolio.keep_trades = 0;
    spot.portfolio.keep_lots = 0;
    rb_sim_result twin;
    rb_status rc = rb_simulate(m, &spot, &twin, err);
    if (rc != RB_OK) return rb_error_prefix(err, "the spot twin of the overlay (tax_deferred)");
    r->metrics.tax_deferred = rb_overlay_tax_by_end(&twin.portfolio) - rb_overlay_tax_by_end(&r->portfolio);
    rb_sim_result_release(&twin);
    return RB_OK;
}
