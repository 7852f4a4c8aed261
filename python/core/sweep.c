/* sweep.c - rebal._core.sweep: a sweep run by the batch simulator (rb_sweep_run_parsed) on a
 * thread of its own while the calling thread, holding the GIL only briefly, reports
 * progress and watches for Ctrl-C (PyErr_CheckSignals): an interrupt stops the sweep between
 * blocks, what is done is kept (in the results store too) and the caller is told. The rows
 * arrive through rb_sweep_options.on_row from the worker threads, each into its own slot of
 * column arrays, which become the columns of a DataFrame without another pass in Python. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"

/* The columns being filled: one slot per configuration (its index in the spec). */
typedef struct sink {
    uint64_t K;
    size_t nkeys;
    const char *const *keys; /* the sweep's */
    size_t nmetric;
    const rb_metric_info *metric;
    double *metrics;       /* nmetric x K, column-major (one column per metric) */
    int64_t *config_id;    /* K */
    int64_t *depleted_on;  /* K; INT64_MIN where none */
    uint8_t *status;       /* K: 0 not run, 1 ran, 2 failed */
    const char **section;  /* K (the sweep's strings) */
    const char **value;    /* nkeys x K: the text of each parameter (the sweep's), NULL unset */
    char **error;          /* K: a failed configuration's message (malloc'ed) */
} sink;

static void sink_free(sink *s)
{
    if (s->error)
        for (uint64_t k = 0; k < s->K; k++) free(s->error[k]);
    free(s->metrics), free(s->config_id), free(s->depleted_on), free(s->status), free(s->section);
    free(s->value), free(s->error);
    memset(s, 0, sizeof *s);
}

static rb_status on_keys(void *ctx, const char *const *keys, size_t nkeys, uint64_t K, rb_error *err)
{
    sink *s = ctx;
    s->K = K, s->keys = keys, s->nkeys = nkeys;
    s->metric = rb_metric_table(&s->nmetric);
    size_t k = (size_t)K ? (size_t)K : 1;
    s->metrics = malloc(s->nmetric * k * sizeof *s->metrics);
    s->config_id = calloc(k, sizeof *s->config_id);
    s->depleted_on = malloc(k * sizeof *s->depleted_on);
    s->status = calloc(k, 1);
    s->section = calloc(k, sizeof *s->section);
    s->value = calloc(nkeys * k + 1, sizeof *s->value);
    s->error = calloc(k, sizeof *s->error);
    if (!s->metrics || !s->config_id || !s->depleted_on || !s->status || !s->section || !s->value || !s->error) {
        snprintf(err->msg, sizeof err->msg, "out of memory for the results of %llu configurations",
                 (unsigned long long)K);
        return err->code = RB_ERR_NOMEM;
    }
    for (size_t i = 0; i < s->nmetric * k; i++) s->metrics[i] = NAN;
    for (size_t i = 0; i < k; i++) s->depleted_on[i] = INT64_MIN;
    return RB_OK;
}

/* Called from the worker threads: each row into its own slot. */
static rb_status on_row(void *ctx, const rb_sweep_row *row, rb_error *err)
{
    sink *s = ctx;
    uint64_t k = row->index, K = s->K;
    s->config_id[k] = row->config_id;
    s->section[k] = row->section;
    /* Both lists are sorted by key: one merge walk. The texts are the sweep's own strings,
     * one pointer per distinct value: read as numbers once each, after the run (columns). */
    for (size_t j = 0, p = 0; j < s->nkeys && p < row->nparams; j++)
        if (strcmp(s->keys[j], row->params[p].key) == 0) s->value[j * K + k] = row->params[p++].value;
    if (row->metrics) {
        for (size_t m = 0; m < s->nmetric; m++)
            memcpy(&s->metrics[m * K + k], (const char *)row->metrics + s->metric[m].offset, sizeof(double));
        if (row->metrics->depleted) s->depleted_on[k] = row->metrics->depleted_on;
        s->status[k] = 1;
    } else {
        s->status[k] = 2;
        if (!(s->error[k] = strdup(row->error ? row->error : "failed"))) {
            snprintf(err->msg, sizeof err->msg, "out of memory");
            return err->code = RB_ERR_NOMEM;
        }
    }
    return RB_OK;
}

/* The sweep's thread and what the caller's thread watches. */
typedef struct job {
    rb_store *store;
    const rb_sweep *sweep;
    const char *name;
    rb_sweep_options opt;
    rb_sweep_summary sum;
    rb_error err;
    rb_status rc;
    volatile int stop;
    volatile uint64_t done;
    volatile uint64_t to_run; /* set by on_start */
    volatile int started;
    int finished;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    sink s;
    double library_seconds; /* rb_sweep_run_parsed as a whole */
} job;

static void on_start(void *ctx, uint64_t configurations, uint64_t to_run, int resumed, int threads)
{
    (void)configurations, (void)resumed, (void)threads;
    job *j = ctx;
    j->to_run = to_run;
    j->started = 1;
}

/* The callbacks' ctx is the job; on_keys and on_row forward to its sink. */
static rb_status job_keys(void *ctx, const char *const *keys, size_t nkeys, uint64_t K, rb_error *err)
{
    return on_keys(&((job *)ctx)->s, keys, nkeys, K, err);
}

static rb_status job_row(void *ctx, const rb_sweep_row *row, rb_error *err)
{
    return on_row(&((job *)ctx)->s, row, err);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void *job_main(void *arg)
{
    job *j = arg;
    double t0 = now_seconds();
    j->rc = rb_sweep_run_parsed(j->store, j->sweep, j->name, &j->opt, &j->sum, &j->err);
    j->library_seconds = now_seconds() - t0;
    pthread_mutex_lock(&j->mu);
    j->finished = 1;
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

/* Waits for the job with the GIL released, taking it back every tick to report progress
 * (progress(done, to_run)) and look for signals. Returns 1 when Ctrl-C (or an exception
 * from progress) stopped the sweep, with that exception kept in *exc. */
static int watch(job *j, PyObject *progress, PyObject **exc)
{
    int stopped = 0;
    for (;;) {
        int finished;
        Py_BEGIN_ALLOW_THREADS
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 100 * 1000000L;
        if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
        pthread_mutex_lock(&j->mu);
        if (!j->finished) pthread_cond_timedwait(&j->cv, &j->mu, &until);
        finished = j->finished;
        pthread_mutex_unlock(&j->mu);
        Py_END_ALLOW_THREADS
        if (!stopped && PyErr_CheckSignals() < 0) stopped = 1;
        if (!stopped && progress != Py_None && j->started) {
            PyObject *r = PyObject_CallFunction(progress, "KK", (unsigned long long)j->done,
                                                (unsigned long long)j->to_run);
            if (!r) stopped = 1;
            Py_XDECREF(r);
        }
        if (stopped && !*exc) {
            PyObject *type, *value, *tb;
            PyErr_Fetch(&type, &value, &tb);
            PyErr_NormalizeException(&type, &value, &tb);
            if (tb) PyException_SetTraceback(value, tb);
            Py_XDECREF(type);
            Py_XDECREF(tb);
            *exc = value;
            j->stop = 1;
        }
        if (finished) return stopped;
    }
}

/* Texts (the sweep's strings, equal when their pointers are) to small codes in first-seen
 * order: an open-addressing table keyed by pointer. */
typedef struct interner {
    const char **slot_key;
    int32_t *slot_code;
    size_t nslot;
    PyObject *texts; /* list: code -> str */
} interner;

static int interner_init(interner *t)
{
    t->nslot = 64;
    t->slot_key = calloc(t->nslot, sizeof *t->slot_key);
    t->slot_code = calloc(t->nslot, sizeof *t->slot_code);
    t->texts = PyList_New(0);
    if (!t->slot_key || !t->slot_code || !t->texts) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void interner_free(interner *t)
{
    free(t->slot_key), free(t->slot_code);
    Py_XDECREF(t->texts);
}

static size_t slot_of(const interner *t, const char *p)
{
    size_t h = (size_t)(((uintptr_t)p >> 3) * UINT64_C(0x9E3779B97F4A7C15)) & (t->nslot - 1);
    while (t->slot_key[h] && t->slot_key[h] != p) h = (h + 1) & (t->nslot - 1);
    return h;
}

/* The code of p (NULL: -1), added when new; -2 with an exception raised. */
static int32_t intern_text(interner *t, const char *p)
{
    if (!p) return -1;
    size_t h = slot_of(t, p);
    if (t->slot_key[h]) return t->slot_code[h];
    if (2 * ((size_t)PyList_GET_SIZE(t->texts) + 1) > t->nslot) {
        interner bigger = {.nslot = 2 * t->nslot, .texts = t->texts};
        bigger.slot_key = calloc(bigger.nslot, sizeof *bigger.slot_key);
        bigger.slot_code = calloc(bigger.nslot, sizeof *bigger.slot_code);
        if (!bigger.slot_key || !bigger.slot_code) {
            free(bigger.slot_key), free(bigger.slot_code);
            PyErr_NoMemory();
            return -2;
        }
        for (size_t i = 0; i < t->nslot; i++)
            if (t->slot_key[i]) {
                size_t g = slot_of(&bigger, t->slot_key[i]);
                bigger.slot_key[g] = t->slot_key[i];
                bigger.slot_code[g] = t->slot_code[i];
            }
        free(t->slot_key), free(t->slot_code);
        *t = bigger;
        h = slot_of(t, p);
    }
    PyObject *u = PyUnicode_FromString(p);
    if (!u || PyList_Append(t->texts, u) < 0) {
        Py_XDECREF(u);
        return -2;
    }
    Py_DECREF(u);
    t->slot_key[h] = p;
    return t->slot_code[h] = (int32_t)(PyList_GET_SIZE(t->texts) - 1);
}

/* (codes as int32 bytes, texts) of K text pointers; with number (K doubles), also each
 * text's value as the results store keeps it (rb_setting_value_number of key: NaN where not
 * a number or unset), read once per distinct text, and *all_numeric: every set text is one. */
static PyObject *coded(const char *const *texts, uint64_t K, const char *key, double *number, int *all_numeric)
{
    interner t;
    PyObject *codes = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)(K * sizeof(int32_t)));
    if (!codes || interner_init(&t) < 0) {
        Py_XDECREF(codes);
        return NULL;
    }
    int32_t *c = (int32_t *)PyByteArray_AS_STRING(codes);
    double *value = NULL; /* per code */
    size_t nvalue = 0;
    int failed = 0;
    for (uint64_t k = 0; k < K && !failed; k++) {
        c[k] = intern_text(&t, texts[k]);
        if (c[k] == -2) {
            failed = 1;
            break;
        }
        if (number && c[k] >= 0 && (size_t)c[k] == nvalue) { /* a new text: its number */
            double *grown = realloc(value, (nvalue + 1) * sizeof *value);
            if (!grown) {
                PyErr_NoMemory();
                failed = 1;
                break;
            }
            value = grown;
            if (!rb_setting_value_number(key, texts[k], &value[nvalue])) value[nvalue] = NAN, *all_numeric = 0;
            nvalue++;
        }
        if (number) number[k] = c[k] >= 0 ? value[c[k]] : NAN;
    }
    free(value);
    if (failed) {
        interner_free(&t);
        Py_DECREF(codes);
        return NULL;
    }
    PyObject *out = Py_BuildValue("(NO)", codes, t.texts);
    interner_free(&t);
    return out;
}

/* The columns: config_id, status, section, the parameters, the metrics, depleted_on, errors.
 * The large arrays move into Python as they are (rb_py_owned): the sink no longer has them. */
static PyObject *columns(sink *s)
{
    uint64_t K = s->K;
    PyObject *params = PyList_New(0), *metrics = PyList_New(0), *errors = PyList_New(0);
    for (size_t j = 0; params && j < s->nkeys; j++) {
        int numeric = 1;
        char column[96];
        rb_results_column_name(s->keys[j], column, sizeof column);
        PyObject *numbers = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)(K * sizeof(double)));
        PyObject *c = numbers ? coded(s->value + j * K, K, s->keys[j], (double *)PyByteArray_AS_STRING(numbers),
                                      &numeric)
                              : NULL;
        PyObject *t = c ? Py_BuildValue("(ssNNO)", s->keys[j], column, numbers, c, numeric ? Py_True : Py_False)
                        : NULL;
        if (!c) Py_XDECREF(numbers);
        if (!t || PyList_Append(params, t) < 0) Py_CLEAR(params);
        Py_XDECREF(t);
    }
    for (size_t m = 0; metrics && m < s->nmetric; m++) {
        PyObject *t = Py_BuildValue("(sO)", s->metric[m].name, Py_None);
        if (!t || PyList_Append(metrics, t) < 0) Py_CLEAR(metrics);
        Py_XDECREF(t);
    }
    for (uint64_t k = 0; errors && k < K; k++) {
        if (!s->error[k]) continue;
        PyObject *t = Py_BuildValue("(Ks)", (unsigned long long)k, s->error[k]);
        if (!t || PyList_Append(errors, t) < 0) Py_CLEAR(errors);
        Py_XDECREF(t);
    }
    PyObject *section = coded(s->section, K, NULL, NULL, NULL);
    if (!params || !metrics || !errors || !section) {
        Py_XDECREF(params), Py_XDECREF(metrics), Py_XDECREF(errors), Py_XDECREF(section);
        return NULL;
    }
    return Py_BuildValue("{s:K,s:N,s:N,s:N,s:N,s:N,s:N,s:N,s:N}", "K", (unsigned long long)K, "config_id",
                         rb_py_owned((void **)&s->config_id, K * 8), "status", rb_py_owned((void **)&s->status, K),
                         "section", section, "params", params, "metrics", metrics, "metric_block",
                         rb_py_owned((void **)&s->metrics, s->nmetric * K * sizeof(double)), "depleted_on",
                         rb_py_owned((void **)&s->depleted_on, K * 8), "errors", errors);
}

/* The summary, with where the time went: the library's call as a whole and the columns. */
static PyObject *summary_dict(const rb_sweep_summary *m, double library_seconds, double columns_seconds)
{
    return Py_BuildValue("{s:K,s:K,s:K,s:O,s:d,s:s,s:K,s:s,s:L,s:L,s:s,s:d,s:d}", "configurations",
                         (unsigned long long)m->configurations, "ran", (unsigned long long)m->ran, "skipped",
                         (unsigned long long)m->skipped, "interrupted", m->interrupted ? Py_True : Py_False, "seconds",
                         m->seconds, "exec_note", m->exec_note, "failed", (unsigned long long)m->failed, "failure",
                         m->failure, "already", (long long)m->already, "sweep_id", (long long)m->sweep_id,
                         "already_at", m->already_at, "library_seconds", library_seconds, "columns_seconds",
                         columns_seconds);
}

/* sweep(store, spec, name="sweep", threads=0, results=None, resume=False, force=False,
 * progress=None) -> (summary, columns, exception): exception is what stopped the sweep
 * (KeyboardInterrupt, or the progress callback's), None when it ran to its end. */
PyObject *rb_py_sweep(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *names[] = {"store", "spec", "name", "threads", "results", "resume", "force", "progress", NULL};
    PyObject *store, *progress = Py_None;
    const char *spec, *name = "sweep";
    job *j = calloc(1, sizeof *j);
    if (!j) return PyErr_NoMemory();
    if (!PyArg_ParseTupleAndKeywords(args, kw, "Os|sizppO", names, &store, &spec, &name, &j->opt.threads,
                                     &j->opt.results, &j->opt.resume, &j->opt.force, &progress)) {
        free(j);
        return NULL;
    }
    rb_sweep *sweep = NULL;
    rb_error err = {0};
    rb_status rc;
    Py_BEGIN_ALLOW_THREADS
    rc = rb_sweep_parse_text(spec, name, &sweep, &err);
    Py_END_ALLOW_THREADS
    if (rc != RB_OK) {
        free(j);
        return rb_py_raise(&err);
    }
    j->store = rb_py_store_acquire(store);
    if (!j->store) {
        rb_sweep_free(sweep);
        free(j);
        return NULL;
    }
    j->sweep = sweep, j->name = name;
    j->opt.stop = &j->stop, j->opt.done = &j->done, j->opt.ctx = j;
    j->opt.on_start = on_start, j->opt.on_keys = job_keys, j->opt.on_row = job_row;
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    pthread_t thread;
    PyObject *exc = NULL, *out = NULL;
    if (pthread_create(&thread, NULL, job_main, j) != 0) {
        job_main(j); /* no thread to spare: here, without progress or Ctrl-C */
    } else {
        watch(j, progress, &exc);
        Py_BEGIN_ALLOW_THREADS
        pthread_join(thread, NULL);
        Py_END_ALLOW_THREADS
    }
    rb_py_store_release(store);
    if (j->rc != RB_OK) {
        Py_XDECREF(exc);
        rb_py_raise(&j->err);
    } else {
        double t0 = now_seconds();
        PyObject *cols = j->s.K || j->s.metrics ? columns(&j->s) : Py_NewRef(Py_None);
        double took = now_seconds() - t0;
        out = cols ? Py_BuildValue("(NNN)", summary_dict(&j->sum, j->library_seconds, took), cols,
                                   exc ? exc : Py_NewRef(Py_None))
                   : NULL;
        if (!out) Py_XDECREF(exc);
    }
    sink_free(&j->s);
    rb_sweep_free(sweep);
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->cv);
    free(j);
    return out;
}

/* sweep_check(spec, name) -> (configurations, keys): the specification parsed and checked. */
PyObject *rb_py_sweep_check(PyObject *self, PyObject *args)
{
    (void)self;
    const char *spec, *name = "sweep";
    if (!PyArg_ParseTuple(args, "s|s", &spec, &name)) return NULL;
    rb_sweep *sweep = NULL;
    rb_error err = {0};
    if (rb_sweep_parse_text(spec, name, &sweep, &err) != RB_OK) return rb_py_raise(&err);
    const char *const *keys;
    size_t n = rb_sweep_keys(sweep, &keys);
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        PyObject *u = PyUnicode_FromString(keys[i]);
        if (!u) Py_CLEAR(list);
        else PyList_SET_ITEM(list, (Py_ssize_t)i, u);
    }
    PyObject *out = list ? Py_BuildValue("(KN)", (unsigned long long)rb_sweep_count(sweep), list) : NULL;
    rb_sweep_free(sweep);
    return out;
}
