/* sweep.h - a sweep specification (INI, parsed with libinih) and its expansion into
 * configurations. Configurations are never materialized: configuration k is decoded from
 * its index on demand, so a million-configuration grid costs no memory. Internal.
 *
 * File format (keys are exactly the `rebal run` flag names without "--"):
 *   [data]       assets, start, end, align, max-gap, cash-rate, periods-per-year, and the
 *                portfolio settings capital, exec, min-trade, lot-size (single values)
 *   [costs]      cost settings            \  each key may hold a list or a range; they
 *   [tax]        tax settings              > multiply across every strategy section
 *   [flows]      contribution settings    /
 *   [FAMILY] or [FAMILY.NAME]   one section per rule: FAMILY is a strategy name
 *                (calendar, threshold, hybrid, vol-band, buy-and-hold); its keys are that
 *                strategy's parameters and the strategy-group settings (targets,
 *                vol-window), each a list or range; the section expands to the Cartesian
 *                product of its keys.
 * Values: a single value, a list "a, b, c", or an inclusive range "start:stop:step"
 * (numbers; the i-th value is start + i * step, formatted in its shortest exact form, so
 * 0.1:0.3:0.1 gives 0.1, 0.2, 0.3 without drift). A value containing '=' (per-asset
 * values) is one value, commas included, unless written as a list of quoted values
 * ("BTC=10,ETH=20", "BTC=5").
 * Comments start with ';' or '#'.
 * Limits: at most RB_SWEEP_MAX_VALUES values in the whole file (every list, range and
 * single value of every key together), RB_SWEEP_MAX_SECTIONS rule sections and
 * RB_SWEEP_MAX_CONFIGS configurations. Values and configurations are counted from the
 * ranges' sizes before any range is written out, so a file past a limit is refused in
 * milliseconds and a few MB however large its ranges are. */
#ifndef RB_SWEEP_H
#define RB_SWEEP_H

#include <stdint.h>

#include "rebal.h"
#include "spec.h"

/* Far beyond any real sweep (a million configurations run in minutes); what bounds the
 * memory and time of reading a file. */
#define RB_SWEEP_MAX_VALUES 100000
#define RB_SWEEP_MAX_CONFIGS UINT64_C(1000000000)
/* Rule sections ([calendar], [threshold.tight], ...): every two of one strategy are
 * compared (no configuration may come twice). */
#define RB_SWEEP_MAX_SECTIONS 1000

/* rb_sweep_parse_text and rb_sweep_parse_file (rebal.h) parse and check a spec completely:
 * every key must be a run setting or a parameter of the section's strategy, and every value
 * of every key is read through its row of the settings table (rb_setting_read), per-asset symbols checked against [data]'s assets, and
 * each strategy section's cross-parameter checks made (rb_strategy.check); errors name
 * "FILE:LINE: [section] key: what is wrong". */

/* The spec as read (for the results store). */
const char *rb_sweep_text(const rb_sweep *sweep);

/* The name its messages give it: the file's path for a sweep read from a file (*from_file
 * 1: its [venues] paths are relative to it), else the name given to rb_sweep_parse_text. */
const char *rb_sweep_name(const rb_sweep *sweep, int *from_file);

/* rb_sweep_parse_file of a file another process read: text is the file's content, path its
 * path as that process named it ([venues] paths relative to it, as in the file's own parse).
 * How an MPI worker parses the sweep rank 0 sends. */
rb_status rb_sweep_parse_text_at(const char *text, const char *path, rb_sweep **out, rb_error *err);


/* The settings every configuration shares: the [data] section. */
size_t rb_sweep_data(const rb_sweep *sweep, const rb_sweep_kv **kv);

/* Configuration k (0 <= k < count): its section name ("threshold.tight"), its strategy
 * (the family) and its settings beyond [data] in a canonical order (sorted by key),
 * written into kv (capacity cap; returns the number written, which is at most
 * rb_sweep_max_keys). Pure: safe to call from several threads. */
size_t rb_sweep_config(const rb_sweep *sweep, uint64_t k, const char **section, const char **strategy,
                       rb_sweep_kv *kv, size_t cap);
size_t rb_sweep_max_keys(const rb_sweep *sweep);

/* Fills spec with configuration k (< count) from the values parsed once at parse: the
 * defaults and [data], its rule, its own values. Nothing is parsed or allocated: spec
 * borrows what it points to from the sweep (never release it; it is valid while the sweep
 * is). Pure: safe to call from several threads. */
void rb_sweep_fill(const rb_sweep *sw, uint64_t k, rb_run_spec *spec);


/* Calls fn with every value of the sweep that names an input outside its file (a setting
 * whose row's input is not RB_INPUT_NONE: a CSV path, a stored series' name), [data]'s
 * first, then each section's in file order: each value as written, and as the run reads it
 * (text; a [venues] path of a sweep read from a file is relative to that file); stops at
 * fn's first error. */
typedef rb_status (*rb_sweep_input_fn)(void *ctx, const rb_setting_info *row, const char *written, const char *text,
                                       rb_error *err);
rb_status rb_sweep_each_input(const rb_sweep *sw, rb_sweep_input_fn fn, void *ctx, rb_error *err);

/* A value of setting `key` as a sweep read from the file at sweep_path reads it: a [venues]
 * path relative to the file's directory (joined into buf, len bytes), any other value as it
 * is. What a report replaying the sweep's configurations from their stored values needs. */
const char *rb_sweep_input_at(const char *sweep_path, const char *key, const char *value, char *buf, size_t len);

/* A stable 63-bit id of configuration k: a hash (FNV-1a 64, top bit cleared) of its
 * canonical text "strategy=S;key=value;..." with values in canonical form. The same
 * configuration gets the same id in every sweep and run. */
int64_t rb_sweep_config_id(const rb_sweep *sweep, uint64_t k);

/* Orders two ids (int64_t) for qsort and bsearch. */
int rb_sweep_id_cmp(const void *a, const void *b);

/* Every configuration's id (rb_sweep_config_id) into ids, in configuration order, and into
 * sorted, in increasing order (rb_sweep_count of each). Returns an id two configurations
 * share, or -1 when none does: the parser refuses a configuration given twice, so a repeat
 * is two texts of one hash. */
int64_t rb_sweep_list_ids(const rb_sweep *sweep, int64_t *ids, int64_t *sorted);

/* The canonical text of a configuration (for tests and the results table). */
size_t rb_sweep_canonical(const rb_sweep *sweep, uint64_t k, char *buf, size_t len);

#endif /* RB_SWEEP_H */
