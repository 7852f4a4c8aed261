/* matrix_wire.h - a price matrix as one flat buffer and back, to send it to another process
 * (the CLI's MPI build: --broadcast-prices). The bytes are this machine's: the processes
 * must share its architecture (a cluster's nodes do). Internal. */
#ifndef RB_MATRIX_WIRE_H
#define RB_MATRIX_WIRE_H

#include <stddef.h>

#include "rebal.h"

/* m as one malloc'ed buffer (*bytes long; the caller frees it). */
rb_status rb_matrix_pack(const rb_matrix *m, unsigned char **buf, size_t *bytes, rb_error *err);

/* The matrix rb_matrix_pack wrote (each array its own allocation; rb_matrix_free frees it);
 * refuses a buffer of the wrong size or shape. */
rb_status rb_matrix_unpack(const unsigned char *buf, size_t bytes, rb_matrix **out, rb_error *err);

#endif /* RB_MATRIX_WIRE_H */
