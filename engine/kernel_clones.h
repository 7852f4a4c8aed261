/* kernel_clones.h - RB_KERNEL_CLONES, for the batch simulator's vectorized loops.
 *
 * The portable build still uses wide vectors where the CPU has them: a function marked
 * RB_KERNEL_CLONES is compiled for AVX-512, AVX2 and the baseline, and the best is chosen
 * at load time. Its loops keep every per-configuration sum in the same order in all three,
 * so results do not depend on the machine's vector width (and -ffp-contract=off keeps
 * multiplies and adds apart). */
#ifndef RB_KERNEL_CLONES_H
#define RB_KERNEL_CLONES_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define RB_KERNEL_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
/* 1 where the clones run are AVX-512's: the machine has it (the clones' own choice). For a
 * step whose best form depends on the width it runs at, asked in the clone itself. */
static inline int rb_kernel_avx512(void) { return __builtin_cpu_supports("avx512f"); }
/* A step written with AVX-512's intrinsics (<immintrin.h>), for what the compiler does not
 * vectorize by itself: compiled for AVX-512 alone, inlined into the AVX-512 clone, and
 * called only where rb_kernel_avx512() says the machine has it, beside a portable form. */
#define RB_KERNEL_INTRINSICS 1
#define RB_KERNEL_AVX512 __attribute__((target("avx512f")))
#else
#define RB_KERNEL_CLONES
static inline int rb_kernel_avx512(void) { return 0; }
#define RB_KERNEL_INTRINSICS 0
#endif

#endif /* RB_KERNEL_CLONES_H */
