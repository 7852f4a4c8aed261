/* read.c - reading one CSV file of an import (importer.h: rb_import_parse_file): a stream
 * (or pipe) in READ_CHUNK pieces, or a large regular file mapped and parsed on two threads
 * (read_parallel.c). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "error.h"
#include "parser.h"
#include "alloc.h"

/* Reads a file (or pipe) in READ_CHUNK pieces. */
static rb_status parse_stream(rb_parser *p, FILE *f)
{
    rb_importer *im = p->im;
    size_t total = 0;
    int first = 1;
    for (;;) {
        size_t got = fread(im->buf, 1, READ_CHUNK, f);
        if (got == 0) {
            if (ferror(f)) {
                rb_fail(p->e, RB_ERR_IO, "%s: read error: %s", p->path, strerror(errno));
                p->failed = 1;
            }
            break;
        }
        const char *s = im->buf;
        if (first) {
            first = 0;
            if (!rb_parser_start_file(p, &s, &got)) break;
        }
        total += got;
        rb_parser_feed(p, s, got);
        if (p->failed) break;
    }
    return rb_parser_finish_file(p, total);
}

/* Reads and validates one file, appending its bars to im->r. */
rb_status rb_import_parse_file(rb_importer *im, size_t file)
{
    const char *path = im->paths[file];
    rb_parser p;
    rb_parser_init(&p, im, file);
    im->file_format[file] = rb_import_format_name(im->opt->format == RB_CSV_AUTO ? RB_CSV_LONG : im->opt->format);
    FILE *f = fopen(path, "rb");
    if (!f) return rb_fail(&im->e, RB_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (csv_init(&p.csv, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        fclose(f);
        return rb_fail(&im->e, RB_ERR_NOMEM, "%s: out of memory while importing", path);
    }
    csv_set_realloc_func(&p.csv, rb_realloc); /* libcsv's buffer too goes through alloc.h */
    struct stat sb;
    void *map = MAP_FAILED;
    if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size >= (off_t)PARALLEL_MIN &&
        (uintmax_t)sb.st_size <= SIZE_MAX)
        map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fileno(f), 0);
    rb_status rc;
    if (map != MAP_FAILED) {
        rc = rb_parser_read_mapped(&p, map, (size_t)sb.st_size);
        munmap(map, (size_t)sb.st_size);
    } else {
        rc = parse_stream(&p, f);
    }
    fclose(f);
    rb_parser_free(&p);
    return rc;
}
