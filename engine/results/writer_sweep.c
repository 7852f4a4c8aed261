/* writer_sweep.c - a sweep's start in the results store (writer_internal.h): its keys made
 * columns, its row recorded or resumed, its insert statement prepared; now or, deferred, on
 * the writer thread. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "store.h"
#include "alloc.h"
#include "writer_internal.h"

int rb_wr_key_cmp(const void *a, const void *b)
{
    return strcmp(((const key_column *)a)->key, ((const key_column *)b)->key);
}

void rb_wr_clear_later(struct later *l)
{
    free(l->spec);
    free(l->dataset_hash);
    free(l->names);
    memset(l, 0, sizeof *l);
}

rb_status rb_wr_set_keys(rb_results *r, const char *const *keys, size_t nkeys, char (*names)[RB_RESULTS_KEY_MAX],
                         rb_error *err)
{
    r->keys = nkeys ? rb_calloc(nkeys, sizeof *r->keys) : NULL;
    r->index = nkeys ? rb_calloc(nkeys, sizeof *r->index) : NULL;
    r->by_column = nkeys ? rb_calloc(nkeys, sizeof *r->by_column) : NULL;
    if (nkeys && (!r->keys || !r->index || !r->by_column))
        return rb_fail(err, RB_ERR_NOMEM, "out of memory starting a sweep");
    for (size_t k = 0; k < nkeys; k++) {
        rb_status rc = rb_results_column_of(r->conn.path, keys[k], names[k], err);
        for (size_t j = 0; j < k && rc == RB_OK; j++)
            if (strcmp(names[j], names[k]) == 0)
                rc = rb_fail(err, RB_ERR_DATA, "%s: parameter keys '%s' and '%s' both name the column '%s'",
                             r->conn.path, keys[j], keys[k], names[k]);
        if (rc == RB_OK && !(r->keys[k] = rb_strdup(keys[k])))
            rc = rb_fail(err, RB_ERR_NOMEM, "out of memory starting a sweep");
        if (rc != RB_OK) return rc;
        r->index[k] = r->by_column[k] = (key_column){.key = r->keys[k], .column = k};
        r->ncols = k + 1;
    }
    if (r->ncols) qsort(r->index, r->ncols, sizeof *r->index, rb_wr_key_cmp);
    return RB_OK;
}

/* How each parameter column stores its values (by_column, which the writer alone reads): as
 * the table declares it. */
static rb_status read_types(rb_results *r, char (*names)[RB_RESULTS_KEY_MAX], rb_error *err)
{
    rb_results_columns cols;
    rb_status rc = rb_results_columns_read(&r->conn, &cols, err);
    if (rc != RB_OK) return rc;
    for (size_t k = 0; k < r->ncols; k++) {
        int at = rb_results_columns_find(&cols, names[k]);
        key_column *kc = &r->by_column[k];
        kc->real = at >= 0 && cols.col[at].real;
        kc->fraction = at >= 0 && cols.col[at].fraction;
    }
    rb_results_columns_free(&cols);
    return RB_OK;
}

/* Creates the tables (a new store) or adds the columns, then continues the sweep to resume
 * (*id, its stored ids) or records a new one, in one transaction. */
static rb_status start_sweep(rb_results *r, const char *spec, const char *dataset_hash, uint64_t configurations,
                             char (*names)[RB_RESULTS_KEY_MAX], int resume, int *found, int64_t *id, int64_t **ids,
                             size_t *nids, rb_error *err)
{
    const rb_rconn *c = &r->conn;
    const char *const *keys = (const char *const *)r->keys;
    int created = 0;
    rb_status rc = rb_rsql_exec(c, "BEGIN IMMEDIATE", "starting a sweep", err);
    /* A new file another command created and removed again (rb_results_free) while this
     * one opened it: its rows would go nowhere. */
    if (rc == RB_OK && rb_sqlite_file_was_removed(c->db))
        rc = rb_fail(err, RB_ERR_DB, "%s: the new results store was removed by another command as this one opened it; "
                     "run the command again", c->path);
    if (rc == RB_OK && c->version == 0) rc = rb_results_schema_create(&r->conn, keys, names, r->ncols, &created, err);
    if (rc == RB_OK && !created) rc = rb_results_schema_add(c, keys, names, r->ncols, err);
    if (rc == RB_OK && resume && !created)
        rc = rb_results_sweep_find(c, spec, dataset_hash, r->legacy_hash[0] ? r->legacy_hash : NULL, id, err);
    *found = rc == RB_OK && *id != 0;
    if (*found) {
        rb_results_sweep *s = NULL;
        size_t ns = 0;
        rc = rb_results_sweep_resume(c, *id, err);
        if (rc == RB_OK) rc = rb_results_sweep_ids(c, *id, ids, nids, err);
        if (rc == RB_OK) rc = rb_results_sweep_list(c, *id, &s, &ns, NULL, err);
        if (rc == RB_OK && ns) r->failed_before = (uint64_t)s[0].failed;
        rb_results_sweeps_free(s, ns);
    } else if (rc == RB_OK) {
        rc = rb_results_sweep_new(c, spec, r->spec_path, dataset_hash, configurations, id, err);
    }
    if (rc == RB_OK) rc = rb_rsql_exec(c, "COMMIT", "starting a sweep", err);
    if (rc != RB_OK) rb_rsql_rollback(c);
    if (rc == RB_OK && created) rc = rb_results_schema_created(&r->conn, err);
    return rc;
}

rb_status rb_wr_record_start(rb_results *r, const char *spec, const char *dataset_hash, uint64_t configurations,
                             char (*names)[RB_RESULTS_KEY_MAX], int resume, int *found, int64_t **ids, size_t *nids,
                             rb_error *err)
{
    int64_t id = 0;
    rb_status rc = start_sweep(r, spec, dataset_hash, configurations, names, resume, found, &id, ids, nids, err);
    if (rc == RB_OK) rc = read_types(r, names, err);
    if (rc == RB_OK) {
        r->sweep_id = id;
        rc = rb_results_schema_insert(&r->conn, names, r->ncols, &r->insert, err);
    }
    if (rc == RB_OK) rc = rb_results_status_prepare(&r->conn, &r->finish, err);
    if (rc == RB_OK)
        rc = rb_rsql_exec(&r->conn, "PRAGMA cache_size = -" WRITER_CACHE_KIB, "sizing the writer's cache", err);
    return rc;
}

rb_status rb_wr_record_later(rb_results *r, rb_error *err)
{
    struct later *l = &r->later;
    int found = 0;
    int64_t *ids = NULL;
    size_t nids = 0;
    /* a new store: there is nothing to resume (found stays 0, ids NULL) */
    rb_status rc = rb_wr_record_start(r, l->spec, l->dataset_hash, l->configurations, l->names, 0, &found, &ids, &nids, err);
    free(ids);
    return rc;
}

rb_status rb_wr_keep_later(rb_results *r, const char *spec, const char *dataset_hash, uint64_t configurations,
                           char (*names)[RB_RESULTS_KEY_MAX], rb_error *err)
{
    struct later *l = &r->later;
    l->spec = rb_strdup(spec);
    l->dataset_hash = rb_strdup(dataset_hash ? dataset_hash : "");
    l->configurations = configurations;
    l->names = names;
    if (!l->spec || !l->dataset_hash) return rb_fail(err, RB_ERR_NOMEM, "out of memory starting a sweep");
    return RB_OK;
}
