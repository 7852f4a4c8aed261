/* finish.c - a configuration's metrics once the bars are done (batch_internal.h): its
 * statistics from the block's columns, its account from its portfolio, the bonus shared by
 * the configurations of one target vector. */
#include <math.h>
#include <string.h>

#include "batch_internal.h"
#include "error.h"

rb_metric_sums batch_sums_of(const block *b, size_t j, size_t T, const rb_time *time, int depleted)
{
    rb_metric_acc a = batch_acc_at(b->cols, j);
    rb_metric_dd dd = batch_dd_at(b->cols, j);
    return rb_metric_acc_sums(&a, &dd, T, time, depleted);
}

/* The bonus depends on the targets (and the bars) only; most sweeps share one target
 * vector and run over every bar: it is computed once per run for the first target vector
 * seen, and again only for configurations with other targets. */
static double bonus_of(job *jb, const config *c, const rb_metric_input *in)
{
    const rb_matrix *m = jb->m;
    double bonus = c->end_T ? rb_metrics_bonus(in) : NAN;
#pragma omp critical(rb_batch_bonus)
    if (!c->end_T) {
        if (!jb->has_bonus || memcmp(jb->bonus_target, c->res.target, m->N * sizeof(double)) != 0) {
            bonus = rb_metrics_bonus(in);
            if (!jb->has_bonus && jb->bonus_target) {
                memcpy(jb->bonus_target, c->res.target, m->N * sizeof(double));
                jb->bonus = bonus;
                jb->has_bonus = 1;
            }
        } else {
            if (jb->bonus_of) { /* the caller's, asked now that it is needed */
                jb->bonus = jb->bonus_of(jb->ctx);
                jb->bonus_of = NULL;
            }
            bonus = jb->bonus;
        }
    }
    return bonus;
}

int batch_overflowed(const block *b, size_t j)
{
    const config *c = batch_cfg(b, j);
    if (c->end_T) return rb_metrics_check_sums(&c->ended, NULL) != RB_OK;
    rb_metric_acc a = batch_acc_at(b->cols, j);
    return !(isfinite(b->total[j]) && isfinite(a.f[RB_ACC_SUM_V]) && isfinite(a.f[RB_ACC_INDEX]));
}

rb_status batch_overflow_error(const rb_matrix *m, const config *c, rb_error *err)
{
    rb_sim_result r;
    rb_status rc = rb_simulate(m, &c->c, &r, err);
    if (rc != RB_OK) return rc;
    rb_sim_result_release(&r);
    return rb_fail(err, RB_ERR_DATA, "the arithmetic overflowed (" RB_OVERFLOW_HINT ")");
}

void batch_finish(job *jb, block *b, size_t j, rb_metrics *out)
{
    const rb_matrix *m = jb->m;
    config *c = batch_cfg(b, j);
    size_t T = c->end_T ? c->end_T : m->T; /* a depleted run ends on its depletion bar */
    rb_metric_sums s = c->end_T ? c->ended : batch_sums_of(b, j, T, m->time, 0);
    batch_gather(b, j);
    const double *last = m->close + (T - 1) * m->N;
    double pending = rb_portfolio_pending_tax(&c->port, last, m->time[T - 1]);
    rb_metric_input in = {
        .T = T,
        .time = m->time,
        .close = m->close,
        .N = m->N,
        .target = c->res.target,
        .periods_per_year = m->periods_per_year,
        .periods_source = m->periods_source,
        .periods_inferred = m->periods_inferred,
        .exec_note = c->c.exec == RB_EXEC_NEXT_OPEN ? jb->next_open_note : NULL,
        .rf = c->c.rf,
        .rebalances = c->port.rebalances,
        .traded_value = c->port.traded_value,
        .fees = c->port.fees,
        .slippage = c->port.slippage,
        .gas = c->port.gas,
        .taxes = c->port.taxes,
        .after_tax_value = s.final_value - pending,
        .depleted = c->end_T != 0,
        .bench = c->c.bench,
    };
    rb_metrics_finish(&s, &in, bonus_of(jb, c, &in), out);
}
