/* columns.h - the memory of an import's large per-row arrays (rows.h, the sorted copy of
 * importer.h): small arrays on the heap, large ones on huge pages (big_alloc.h). A million
 * rows take some 50 MB of such arrays, and each fresh 4 KiB page costs a trap into the
 * kernel when first written: 12-15 us on the 2-core VM the benchmarks run on, about 0.2 s in
 * all for a million-row import, against well under 10 ms in 2 MiB pages. Internal to
 * data/import/. */
#ifndef RB_IMPORT_COLUMNS_H
#define RB_IMPORT_COLUMNS_H

#include <stddef.h>

/* An array of bytes bytes (0 counts as 1); NULL when out of memory. Whether it lies on the
 * heap or on huge pages follows from bytes alone, so rb_column_free needs the same size. */
void *rb_column_alloc(size_t bytes);
void rb_column_free(void *p, size_t bytes);

/* 1 when an array of bytes bytes lies on the heap (rb_malloc: it may grow by rb_realloc). */
int rb_column_on_heap(size_t bytes);

#endif /* RB_IMPORT_COLUMNS_H */
