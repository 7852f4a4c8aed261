/* dataset_hash.h - the hash that names the aligned data a sweep ran on (symbols, times,
 * closes, opens), so that a resume or a report can tell it has the same data. */
#ifndef RB_DATASET_HASH_H
#define RB_DATASET_HASH_H

#include "rebal.h"

/* The longest hash ("v3-", 16 hex digits, "-", 16 more) and the terminating NUL. */
#define RB_DATASET_HASH_SIZE 37

/* The hash of m as this build writes it: "v2-" and 16 hex digits of a 64-bit multiply-rotate
 * hash over 8-byte words in four independent lanes (about 0.1 ms for 10 assets x 5,000
 * bars, where the byte-serial FNV-1a of earlier builds took 1 ms). */
void rb_dataset_hash(const rb_matrix *m, char out[RB_DATASET_HASH_SIZE]);

/* The hash of a sweep that also reads inputs outside its file and the price matrix (CSV
 * files, stored series: rb_sweep_inputs_digest): "v3-", m's 16 hex digits as in "v2-", "-",
 * and the 16 of `inputs`; a change of either is another dataset. */
void rb_dataset_hash_inputs(const rb_matrix *m, uint64_t inputs, char out[RB_DATASET_HASH_SIZE]);

/* The 64-bit hash of bytes p[0..n) chained from seed (the one behind the dataset hash). */
uint64_t rb_hash_bytes(const void *p, size_t n, uint64_t seed);

/* The hash of earlier builds (16 hex digits of FNV-1a 64 over the same bytes), which results
 * stores written by them hold: computed only to recognize their sweeps. */
void rb_dataset_hash_legacy(const rb_matrix *m, char out[17]);

/* 1 when stored, a hash of any kind, is m's: for a "v3-" hash, when its prices' half is
 * (a report checks the prices it replays; a resume compares the whole text). */
int rb_dataset_hash_matches(const rb_matrix *m, const char *stored);

/* 1 when stored is a hash of earlier builds (neither "v2-" nor "v3-"). */
int rb_dataset_hash_is_legacy(const char *stored);

#endif /* RB_DATASET_HASH_H */
