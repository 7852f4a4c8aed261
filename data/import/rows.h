/* rows.h - the bars an import has read, as flat arrays. Internal to data/import/. */
#ifndef RB_IMPORT_ROWS_H
#define RB_IMPORT_ROWS_H

#include <stddef.h>
#include <stdint.h>

/* Every bar read, as flat arrays (structure of arrays). NaN marks an empty optional value
 * (stored as NULL); prices are validated finite and positive, so NaN is free for that. */
typedef struct rb_rows {
    size_t n, cap;
    uint32_t *asset; /* rb_symtab index */
    int64_t *ts;
    double *close;
    uint32_t *line;                     /* physical line the record starts on */
    double *open, *high, *low, *volume; /* NULL until some file has such columns */
} rb_rows;

void rb_rows_free(rb_rows *r);

/* Frees the value arrays (close, open, high, low, volume) once they have been copied
 * elsewhere; asset, ts and line stay for the messages. */
void rb_rows_free_values(rb_rows *r);

/* Doubles the capacity of every array; 0 when out of memory (the arrays stay valid). */
int rb_rows_grow(rb_rows *r);

/* Adds the open/high/low/volume arrays, NaN for the rows already read; 0 when out of memory. */
int rb_rows_add_ohlv(rb_rows *r);

#endif /* RB_IMPORT_ROWS_H */
