/* series_wire.h - the stored series a sweep reads, as one flat buffer and back into a price
 * store in memory, so that a process without the price store runs the sweep's
 * configurations that read series (the CLI's MPI build: --broadcast-prices). The bytes are
 * this machine's. Internal. */
#ifndef RB_SERIES_WIRE_H
#define RB_SERIES_WIRE_H

#include <stddef.h>

#include "rebal.h"
#include "store.h"
#include "sweep.h"

/* Every series the sweep's values name (gas-series, amm-depth-series, funding-series,
 * benchmark series:NAME; each once), with all its stored points, from prices, into one
 * malloc'ed buffer (*bytes long; *buf NULL and *bytes 0 when the sweep names none). A name
 * the store holds no series of (a benchmark that is an asset's symbol, or a series missing)
 * is refused, naming its setting: a process sent the buffer could not read it. */
rb_status rb_series_pack(rb_store *prices, const rb_sweep *sweep, unsigned char **buf, size_t *bytes, rb_error *err);

/* A new price store in memory (*out; rb_store_free it) holding the series rb_series_pack
 * wrote; refuses a damaged buffer. */
rb_status rb_series_unpack(const unsigned char *buf, size_t bytes, rb_store **out, rb_error *err);

#endif /* RB_SERIES_WIRE_H */
