/* report_source.c - a sweep's runs as the report reads them (report_source.h). */
#include "report_source.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "alloc.h"

void rb_src_close(source *s)
{
    size_t n = s->cols ? s->cols->n : 0;
    for (size_t c = 0; s->fixed && c < n; c++) free(s->fixed[c]);
    free(s->fixed);
    free(s->is_fixed);
    free(s->cond);
    rb_results_sweep_clear(&s->sweep);
    rb_results_reader_close(s->reader);
    s->reader = NULL;
    s->cols = NULL;
}

rb_status rb_src_open(source *s, const char *path, int64_t want, rb_error *err)
{
    s->path = path;
    rb_status rc = rb_results_reader_open(path, &s->reader, err);
    if (rc != RB_OK) return rc;
    s->cols = rb_results_reader_columns(s->reader);
    size_t n = s->cols->n ? s->cols->n : 1;
    s->fixed = rb_calloc(n, sizeof *s->fixed);
    s->is_fixed = rb_calloc(n, sizeof *s->is_fixed);
    s->cond = rb_calloc(n, sizeof *s->cond);
    if (!s->fixed || !s->is_fixed || !s->cond) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    rc = rb_results_reader_sweep(s->reader, want, &s->sweep, err);
    if (rc == RB_ERR_NOT_FOUND && want)
        return rb_fail(err, RB_ERR_NOT_FOUND, "%s: no sweep %lld", path, (long long)want);
    if (rc == RB_ERR_NOT_FOUND) return rb_fail(err, RB_ERR_NOT_FOUND, "%s: no sweep recorded", path);
    return rc;
}

int rb_src_find_key(const source *s, const char *key)
{
    for (size_t c = 0; c < s->cols->n; c++)
        if (s->cols->col[c].key && strcmp(s->cols->col[c].key, key) == 0) return (int)c;
    return -1;
}

rb_results_query rb_src_query(source *s, int except1, int except2)
{
    size_t n = 0;
    for (size_t c = 0; c < s->cols->n; c++)
        if (s->is_fixed[c] && (int)c != except1 && (int)c != except2)
            s->cond[n++] = (rb_results_cond){.column = c, .op = RB_ROP_IS, .text = s->fixed[c]};
    return (rb_results_query){.sweep_id = s->sweep.id, .status = RB_RUNS_OK, .cond = s->cond, .ncond = n};
}

rb_status rb_src_cfg(const source *s, const rb_results_run *run, rb_report_cfg *c, rb_error *err)
{
    *c = (rb_report_cfg){0};
    c->id = run->config_id;
    snprintf(c->section, sizeof c->section, "%s", run->section ? run->section : "");
    snprintf(c->strategy, sizeof c->strategy, "%s", run->strategy ? run->strategy : "");
    rb_status rc = rb_kvlist_add(&c->params, "strategy", c->strategy, err);
    for (size_t k = 0; k < s->cols->n && rc == RB_OK; k++)
        if (s->cols->col[k].kind == RB_RCOL_PARAM && run->text[k])
            rc = rb_kvlist_add(&c->params, s->cols->col[k].key, run->text[k], err);
    c->m = run->metrics;
    if (rc != RB_OK) rb_report_cfg_free(c);
    return rc;
}
