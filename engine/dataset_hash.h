/* dataset_hash.h - the hash that names the aligned data a sweep ran on (symbols, times,
 * closes, opens), so that a resume or a report can tell it has the same data. */
#ifndef RB_DATASET_HASH_H
#define RB_DATASET_HASH_H

#include "rebal.h"

/* "v2-" and 16 hex digits, and the terminating NUL. */
#define RB_DATASET_HASH_SIZE 20

/* The hash of m as this build writes it: "v2-" and 16 hex digits of a 64-bit multiply-rotate
 * hash over 8-byte words in four independent lanes (about 0.1 ms for 10 assets x 5,000
 * bars, where the byte-serial FNV-1a of earlier builds took 1 ms). */
void rb_dataset_hash(const rb_matrix *m, char out[RB_DATASET_HASH_SIZE]);

/* The hash of earlier builds (16 hex digits of FNV-1a 64 over the same bytes), which results
 * stores written by them hold: computed only to recognize their sweeps. */
void rb_dataset_hash_legacy(const rb_matrix *m, char out[17]);

/* 1 when stored, a hash of either kind, is m's. */
int rb_dataset_hash_matches(const rb_matrix *m, const char *stored);

/* 1 when stored is a hash of earlier builds. */
int rb_dataset_hash_is_legacy(const char *stored);

#endif /* RB_DATASET_HASH_H */
