/* rebal_resample.h - resampled histories of a sweep, part of the library's public API (rebal.h
 * includes it): the method of rb_sweep_options.resample, one history, and the distributions
 * the results store keeps (docs/sweeps.md, "Resampled histories"). */
#ifndef RB_REBAL_RESAMPLE_H
#define RB_REBAL_RESAMPLE_H

#include <stdint.h>

#include "rebal.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Histories drawn from the real one (docs/sweeps.md): the stationary block bootstrap (a bar takes
 * all assets' returns of one real bar) or a fitted GBM; history h is keyed by (seed, h) alone. */
typedef enum rb_resample_method { RB_RESAMPLE_BOOTSTRAP = 1, RB_RESAMPLE_GBM } rb_resample_method;
typedef struct rb_resample_spec {
    rb_resample_method method;
    uint64_t histories;  /* 1 to 1,000,000 */
    double block_length; /* >= 1 (bootstrap); 0 for gbm */
    uint64_t seed;
} rb_resample_spec;
/* Reads "block-bootstrap:N:L" or "gbm:N" (the seed left as it was); errors name --resample. */
rb_status rb_resample_parse(const char *text, rb_resample_spec *out, rb_error *err);

/* History h of m: m's times, flags and CASH, other closes rebuilt from resampled returns. */
rb_status rb_resample_history(const rb_matrix *m, const rb_resample_spec *spec, uint64_t h, rb_matrix **out,
                              rb_error *err);

/* Final value over the histories, its excess over buy-and-hold's ([data] weights, no costs) on
 * the same history, and the share of histories it is above. */
typedef struct rb_resample_stat {
    int64_t config_id;  /* 0: buy-and-hold itself */
    uint64_t histories; /* those it ran on */
    double mean, median, p05, p95, excess_mean, excess_median, excess_p05, excess_p95, p_beat;
} rb_resample_stat;
typedef struct rb_resample_info {
    char method[64]; /* "block-bootstrap:N:L" or "gbm:N" */
    rb_resample_spec spec;
    rb_resample_stat benchmark; /* buy-and-hold (excess, p_beat NaN) */
    uint64_t configurations;
    double seconds;
} rb_resample_info;

/* Sweep sweep_id's (0: the latest) latest resample, *rows (free()) by id; or RB_ERR_NOT_FOUND. */
rb_status rb_resample_read(const char *results_path, int64_t sweep_id, rb_resample_info *info,
                           rb_resample_stat **rows, size_t *n, rb_error *err);

#ifdef __cplusplus
}
#endif

#endif /* RB_REBAL_RESAMPLE_H */
