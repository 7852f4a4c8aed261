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
#else
#define RB_KERNEL_CLONES
#endif

#endif /* RB_KERNEL_CLONES_H */
