/* rebalance_lanes_avx512.h - rb_lanes_rebalance's steps for lanes k0..k0+W-1 (W a multiple
 * of 8) written with AVX-512's intrinsics, each vector of 8 lanes' running values kept in
 * registers from the first asset to the last: called by rb_lanes_rebalance's AVX-512 clone
 * only (rb_kernel_avx512), in place of its portable steps, to the same bits. Internal. */
#ifndef RB_REBALANCE_LANES_AVX512_H
#define RB_REBALANCE_LANES_AVX512_H

#include "kernel_clones.h"
#include "rebalance_lanes.h"

#if RB_KERNEL_INTRINSICS
RB_KERNEL_AVX512 void rb_lanes_rebalance_avx512(rb_lanes *l, size_t k0, size_t W, const double *price, int rebalance);
#endif

#endif /* RB_REBALANCE_LANES_AVX512_H */
