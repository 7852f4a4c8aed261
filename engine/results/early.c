/* early.c - the results store opened while the sweep's prices load (early.h).
 *
 * Opening a results store costs a sweep command about half a millisecond on the 2-core
 * development VM (checking the file, opening it, its WAL and -shm files, marking a new one),
 * time the main thread otherwise spends in system calls before its first configuration runs.
 * Started before the sweep file is read and its prices loaded, the open runs beside that
 * work on the other core. Its outcome is taken where the command used to open the store,
 * after every check that comes before it, so that errors come in the same order; a command
 * stopped before that point removes a store file the open created. */
#include "early.h"

#include <string.h>

#include "store.h"

static void *early_main(void *arg)
{
    rb_results_early *e = arg;
    e->rc = rb_results_open(e->path, &e->results, &e->err);
    return NULL;
}

void rb_results_early_start(rb_results_early *e, const char *path)
{
    memset(e, 0, sizeof *e);
    e->path = path;
    if (!path) return;
    int exists = 0;
    e->existed = rb_file_has_content(path, &exists) > 0;
    e->threaded = pthread_create(&e->thread, NULL, early_main, e) == 0;
}

static void early_wait(rb_results_early *e)
{
    if (!e->threaded) return;
    pthread_join(e->thread, NULL);
    e->threaded = 0;
}

rb_status rb_results_early_take(rb_results_early *e, rb_results **out, rb_error *err)
{
    *out = NULL;
    if (!e->path) return RB_OK;
    if (e->threaded) {
        early_wait(e);
    } else if (!e->results && e->rc == RB_OK) {
        e->rc = rb_results_open(e->path, &e->results, &e->err); /* no thread was to be had */
    }
    e->path = NULL;
    if (e->rc != RB_OK) {
        if (err) *err = e->err;
        return e->rc;
    }
    *out = e->results;
    e->results = NULL;
    return RB_OK;
}

void rb_results_early_drop(rb_results_early *e)
{
    early_wait(e);
    rb_results_free(e->results); /* removes the file when this open created it */
    e->results = NULL;
    e->path = NULL;
}
