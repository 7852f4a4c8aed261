/* report_cfg.c - settings lists and configurations as the report's sources hand them over
 * (report_cfg.h). */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "report_cfg.h"
#include "sweep.h"
#include "alloc.h"

rb_status rb_kvlist_add(rb_kvlist *l, const char *key, const char *value, rb_error *err)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        char **k = rb_realloc(l->key, cap * sizeof *k);
        if (!k) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
        l->key = k;
        char **v = rb_realloc(l->value, cap * sizeof *v);
        if (!v) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
        l->value = v;
        l->cap = cap;
    }
    char *k = rb_strdup(key), *v = rb_strdup(value);
    if (!k || !v) {
        free(k);
        free(v);
        return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    }
    l->key[l->n] = k;
    l->value[l->n++] = v;
    return RB_OK;
}

const char *rb_kvlist_get(const rb_kvlist *l, const char *key)
{
    const char *found = NULL;
    for (size_t i = 0; i < l->n; i++) /* the last one wins, as with rb_run_spec_set */
        if (strcmp(l->key[i], key) == 0) found = l->value[i];
    return found;
}

void rb_kvlist_free(rb_kvlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->key[i]);
        free(l->value[i]);
    }
    free(l->key);
    free(l->value);
    *l = (rb_kvlist){0};
}

const char *rb_setting_group(const char *key)
{
    for (size_t i = 0; i < rb_setting_count(); i++)
        if (strcmp(rb_setting_at(i)->key, key) == 0) return rb_setting_at(i)->group;
    return "strategy";
}

int rb_is_scenario_key(const char *key)
{
    const char *g = rb_setting_group(key);
    return strcmp(g, "costs") == 0 || strcmp(g, "tax") == 0 || strcmp(g, "flows") == 0 || strcmp(g, "metrics") == 0 ||
           strcmp(g, "venues") == 0;
}

void rb_report_cfg_free(rb_report_cfg *c)
{
    if (!c) return;
    rb_kvlist_free(&c->params);
}

void rb_report_cfg_label(const rb_report_cfg *c, char *out, size_t len)
{
    size_t o = (size_t)snprintf(out, len, "%s", c->section);
    for (size_t i = 0; i < c->params.n && o < len; i++) {
        if (rb_is_scenario_key(c->params.key[i]) || strcmp(c->params.key[i], "strategy") == 0) continue;
        o += (size_t)snprintf(out + o, len - o, " %s=%s", c->params.key[i], c->params.value[i]);
    }
}

void rb_report_input_free(rb_report_input *in)
{
    rb_kvlist_free(&in->data);
    for (size_t k = 0; k < in->nbest; k++) rb_report_cfg_free(&in->best[k]);
    free(in->best);
    if (in->weights) rb_report_cfg_free(in->weights);
    free(in->weights);
    free(in->about);
    free(in->spec_path);
    *in = (rb_report_input){0};
}

rb_status rb_report_spec_set(rb_run_spec *spec, const char *spec_path, const char *key, const char *value,
                             rb_error *err)
{
    char joined[4096];
    if (spec_path) value = rb_sweep_input_at(spec_path, key, value, joined, sizeof joined);
    return rb_run_spec_set(spec, key, value, err);
}
