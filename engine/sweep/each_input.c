/* each_input.c - the values of a sweep that name something outside its file (a CSV of target
 * weights or dates, a stored series), visited so that the sweep's identity can cover their
 * content (sweep.h). */
#include "sweep_internal.h"

#include <stdio.h>
#include <string.h>

const char *sw_input_path(const char *name, int from_file, const rb_setting_info *row, const char *text, char *buf,
                          size_t len)
{
    /* only a file's path is joined (the venues table): every other value goes back at once */
    if (!from_file || row->input != RB_INPUT_FILE || row != rb_run_setting_row("venues")) return text;
    const char *slash = strrchr(name, '/');
    if (text[0] == '/' || !text[0] || !slash) return text;
    int n = snprintf(buf, len, "%.*s/%s", (int)(slash - name), name, text);
    return n > 0 && (size_t)n < len ? buf : text;
}

const char *rb_sweep_input_at(const char *sweep_path, const char *key, const char *value, char *buf, size_t len)
{
    const rb_setting_info *row = rb_setting_find(key);
    return row ? sw_input_path(sweep_path, 1, row, value, buf, len) : value;
}

rb_status rb_sweep_each_input(const rb_sweep *sw, rb_sweep_input_fn fn, void *ctx, rb_error *err)
{
    for (size_t i = 0; i < sw->ndata; i++) {
        const rb_setting_info *row = rb_setting_find(sw->data[i].key);
        if (!row || row->input == RB_INPUT_NONE) continue;
        char joined[4096];
        const char *text = sw_input_path(sw->name, sw->from_file, row, sw->data[i].value, joined, sizeof joined);
        rb_status rc = fn(ctx, row, sw->data[i].value, text, err);
        if (rc != RB_OK) return rc;
    }
    for (size_t s = 0; s < sw->nsec; s++) {
        const section *sec = &sw->sec[s];
        if (sec->kind == SEC_DATA) continue; /* its values are sw->data's */
        for (size_t k = 0; k < sec->nkeys; k++) {
            const values *v = &sec->keys[k];
            if (!v->row || v->row->input == RB_INPUT_NONE) continue;
            for (size_t j = 0; j < v->n; j++) {
                char joined[4096];
                const char *text = sw_input_path(sw->name, sw->from_file, v->row, v->text[j], joined, sizeof joined);
                rb_status rc = fn(ctx, v->row, v->text[j], text, err);
                if (rc != RB_OK) return rc;
            }
        }
    }
    return RB_OK;
}
