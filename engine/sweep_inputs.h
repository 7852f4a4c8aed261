/* sweep_inputs.h - the digest of a sweep's inputs beyond its own text and the price matrix,
 * so that its identity in a results store changes when they do: a complete sweep is run
 * again, and a resume refused, once a CSV it names or a stored series it reads has other
 * content (rebal import --series of new values). Internal. */
#ifndef RB_SWEEP_INPUTS_H
#define RB_SWEEP_INPUTS_H

#include <stdint.h>

#include "rebal.h"
#include "store.h"
#include "sweep.h"

/* *digest: a 64-bit hash of every input the sweep's values name (rb_sweep_each_input), in
 * their order: each setting's key and value, then a file's bytes, or a series' values on
 * m's bars (forward-filled as the run reads them); a file or series that cannot be read
 * counts by its name and why, the run itself refusing it with its own message. *any: 0 when
 * the sweep names none (the dataset hash is then the prices' alone, as before). */
rb_status rb_sweep_inputs_digest(rb_store *prices, const rb_sweep *sweep, const rb_matrix *m, uint64_t *digest,
                                 int *any, rb_error *err);

/* *digest: the same over the files alone (RB_INPUT_FILE: targets-csv, when, venues): each
 * setting's key, the path as the sweep resolves it and the file's bytes, or why it cannot be
 * read. What needs no price store: MPI ranks compare it with rank 0's, so that every rank
 * reads the files rank 0 read. *any: 0 when the sweep names no file. */
rb_status rb_sweep_files_digest(const rb_sweep *sweep, uint64_t *digest, int *any, rb_error *err);

/* The stored series a value of setting row names (an RB_INPUT_SERIES or
 * RB_INPUT_SERIES_PER_ASSET row; any other names none), each to fn with the text that names
 * it ("series:NAME" for a benchmark, as written) and the series' name; stops at fn's first
 * error. A per-asset list the setting's reader refuses is that error. */
typedef rb_status (*rb_series_name_fn)(void *ctx, const char *named, const char *name, rb_error *err);
rb_status rb_input_series_each(const rb_setting_info *row, const char *text, rb_series_name_fn fn, void *ctx,
                               rb_error *err);

/* The inputs the sweep names, as "key = value, key = value" (files alone with files_only),
 * each as the sweep resolves it, into out (len bytes; cut short with "..." when longer): what
 * a message about them quotes. */
void rb_sweep_inputs_named(const rb_sweep *sweep, int files_only, char *out, size_t len);

#endif /* RB_SWEEP_INPUTS_H */
