/* run.c - rebal._core.run and rebal._core.report: one configuration replayed by the
 * reference simulator (rb_run), its outputs written by the library's own writers (the same
 * JSON and CSV bytes as `rebal run`), and the reports of a run or a sweep. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

/* Settings as [(key, value), ...] of str, flattened into a PyMem array of 2 n texts. */
static const char **settings_list(PyObject *settings, size_t *n, PyObject **seq)
{
    *seq = PySequence_Fast(settings, "settings must be a list of (key, value) pairs");
    if (!*seq) return NULL;
    Py_ssize_t k = PySequence_Fast_GET_SIZE(*seq);
    const char **list = PyMem_Calloc(2 * (size_t)k + 1, sizeof *list);
    if (!list) {
        PyErr_NoMemory();
        return NULL;
    }
    int ok = 1;
    for (Py_ssize_t i = 0; ok && i < k; i++) {
        PyObject *pair = PySequence_Fast_GET_ITEM(*seq, i);
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
            PyErr_SetString(PyExc_TypeError, "settings must be (key, value) tuples of str");
            ok = 0;
            break;
        }
        list[2 * i] = rb_py_text(PyTuple_GET_ITEM(pair, 0), "a setting key", &ok);
        if (ok) list[2 * i + 1] = rb_py_text(PyTuple_GET_ITEM(pair, 1), "a setting value", &ok);
        if (ok && (!list[2 * i] || !list[2 * i + 1]))
            ok = 0, PyErr_SetString(PyExc_TypeError, "a setting key or value is None");
    }
    if (!ok) {
        PyMem_Free(list);
        return NULL;
    }
    *n = (size_t)k;
    return list;
}

/* One of the result's writers into a str (NULL with an error in err). */
static char *write_text(rb_status (*writer)(const rb_run_result *, FILE *, rb_error *), const rb_run_result *r,
                        rb_error *err, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f) {
        snprintf(err->msg, sizeof err->msg, "out of memory");
        err->code = RB_ERR_NOMEM;
        return NULL;
    }
    rb_status rc = writer(r, f, err);
    if (fclose(f) != 0 && rc == RB_OK) {
        snprintf(err->msg, sizeof err->msg, "out of memory writing a run's output");
        err->code = RB_ERR_NOMEM;
        rc = RB_ERR_NOMEM;
    }
    if (rc != RB_OK) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* What one run produced: its texts, while the GIL is released. */
typedef struct run_texts {
    char *text[4]; /* json, curve, trades, lots (NULL when not kept) */
    size_t len[4];
} run_texts;

static rb_status run_and_write(rb_store *st, rb_run_spec *spec, const char **settings, size_t n, unsigned keep,
                               run_texts *out, rb_error *err)
{
    rb_run_result *r = NULL;
    rb_status rc = rb_run(st, spec, keep, &r, err);
    if (rc == RB_OK) rc = rb_run_describe(r, settings, n, err);
    rb_status (*writers[4])(const rb_run_result *, FILE *, rb_error *) = {rb_run_write_json, rb_run_write_curve,
                                                                          rb_run_write_trades, rb_run_write_lots};
    unsigned wanted[4] = {0, RB_KEEP_CURVE, RB_KEEP_TRADES, RB_KEEP_LOTS};
    for (int i = 0; i < 4 && rc == RB_OK; i++)
        if (i == 0 || (keep & wanted[i])) { /* the JSON always */
            out->text[i] = write_text(writers[i], r, err, &out->len[i]);
            if (!out->text[i]) rc = err->code;
        }
    rb_run_result_free(r);
    return rc;
}

/* The schedule and targets table a run may take from arrays (rebal.run's when= and a
 * targets DataFrame), set on the spec. */
static int set_arrays(rb_run_spec *spec, PyObject *schedule, PyObject *table, rb_error *err, rb_status *rc);

PyObject *rb_py_run(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *names[] = {"store", "settings", "keep", "schedule", "targets", "described", NULL};
    PyObject *store, *settings, *schedule = Py_None, *table = Py_None, *described = Py_None, *seq = NULL,
                                 *dseq = NULL;
    unsigned int keep = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|IOOO", names, &store, &settings, &keep, &schedule, &table,
                                     &described))
        return NULL;
    size_t n = 0, nd = 0;
    const char **list = settings_list(settings, &n, &seq);
    /* described: the settings as the run's JSON tells them (arrays named, not their values) */
    const char **dlist = !list ? NULL : described == Py_None ? list : settings_list(described, &nd, &dseq);
    if (described == Py_None) nd = n;
    if (!list || !dlist) {
        if (dlist != list) PyMem_Free(dlist);
        PyMem_Free(list);
        Py_XDECREF(seq);
        Py_XDECREF(dseq);
        return NULL;
    }
    rb_run_spec *spec = NULL;
    rb_error err = {0};
    rb_status rc = rb_run_spec_new(&spec, &err);
    for (size_t i = 0; i < n && rc == RB_OK; i++) rc = rb_run_spec_set(spec, list[2 * i], list[2 * i + 1], &err);
    PyObject *out = NULL;
    run_texts texts = {{0}, {0}};
    if (rc == RB_OK && set_arrays(spec, schedule, table, &err, &rc) < 0) goto done;
    if (rc != RB_OK) {
        rb_py_raise(&err);
        goto done;
    }
    rb_store *st = rb_py_store_acquire(store);
    if (!st) goto done;
    Py_BEGIN_ALLOW_THREADS
    rc = run_and_write(st, spec, dlist, nd, keep, &texts, &err);
    Py_END_ALLOW_THREADS
    rb_py_store_release(store);
    if (rc != RB_OK) {
        rb_py_raise(&err);
        goto done;
    }
    out = PyDict_New();
    static const char *const keys[4] = {"json", "curve", "trades", "lots"};
    for (int i = 0; out && i < 4; i++) {
        if (!texts.text[i]) continue;
        PyObject *u = PyUnicode_DecodeUTF8(texts.text[i], (Py_ssize_t)texts.len[i], "replace");
        if (!u || PyDict_SetItemString(out, keys[i], u) < 0) Py_CLEAR(out);
        Py_XDECREF(u);
    }
done:
    for (int i = 0; i < 4; i++) free(texts.text[i]);
    rb_run_spec_free(spec);
    if (dlist != list) PyMem_Free(dlist);
    PyMem_Free(list);
    Py_DECREF(seq);
    Py_XDECREF(dseq);
    return out;
}

static int set_arrays(rb_run_spec *spec, PyObject *schedule, PyObject *table, rb_error *err, rb_status *rc)
{
    if (schedule != Py_None) {
        Py_buffer t;
        if (rb_py_get_buffer(schedule, &t, "when", 1, 'q') < 0) return -1;
        if (t.strides[0] != 8) {
            PyBuffer_Release(&t);
            PyErr_SetString(PyExc_ValueError, "when: the times must be contiguous");
            return -1;
        }
        *rc = rb_run_spec_set_schedule(spec, t.buf, (size_t)t.shape[0], err);
        PyBuffer_Release(&t);
        if (*rc != RB_OK) return 0;
    }
    if (table == Py_None) return 0;
    PyObject *symbols, *times, *weights, *seq = NULL;
    if (!PyArg_ParseTuple(table, "OOO", &symbols, &times, &weights)) return -1;
    Py_buffer t, w;
    if (rb_py_get_buffer(times, &t, "targets' times", 1, 'q') < 0) return -1;
    if (rb_py_get_buffer(weights, &w, "targets' weights", 2, 'd') < 0) {
        PyBuffer_Release(&t);
        return -1;
    }
    Py_ssize_t n = 0;
    const char **list = rb_py_symbol_list(symbols, &n, &seq);
    int out = list ? 0 : -1;
    if (list && (t.strides[0] != 8 || w.shape[0] != t.shape[0] || w.shape[1] != n || w.strides[1] != 8 ||
                 w.strides[0] != 8 * n)) {
        PyErr_SetString(PyExc_ValueError, "targets: weights must be a C-contiguous (dates x symbols) float64 array");
        out = -1;
    } else if (list) {
        *rc = rb_run_spec_set_target_table(spec, list, (size_t)n, t.buf, (size_t)t.shape[0], w.buf, err);
    }
    PyMem_Free(list);
    Py_XDECREF(seq);
    PyBuffer_Release(&t);
    PyBuffer_Release(&w);
    return out;
}

static PyObject *report_summary(const rb_report_summary *s)
{
    return Py_BuildValue("{s:K,s:n,s:s,s:s,s:s,s:K}", "configurations", (unsigned long long)s->configurations,
                         "charts_drawn", (Py_ssize_t)s->charts_drawn, "missing", s->missing, "failed", s->failed,
                         "best", s->best, "failed_configurations", (unsigned long long)s->failed_configurations);
}

/* report(store, out_dir, results=None, settings=None, title=None, by=None, top=0, scenario=None,
 * heatmap=None, weights_id=0, sweep_id=0, no_charts=False): the report of a sweep in the
 * results store `results`, or of one run given as its settings. */
PyObject *rb_py_report(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *names[] = {"store",   "out_dir",    "results",  "settings", "title",     "by", "top",
                            "scenario", "heatmap", "weights_id", "sweep_id", "no_charts", NULL};
    PyObject *store, *settings = Py_None, *seq = NULL;
    const char *results = NULL;
    rb_report_options opt = {0};
    Py_ssize_t top = 0;
    long long weights_id = 0, sweep_id = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "Os|zOzznzzLLp", names, &store, &opt.out_dir, &results, &settings,
                                     &opt.title, &opt.by, &top, &opt.scenario, &opt.heatmap, &weights_id, &sweep_id,
                                     &opt.no_charts))
        return NULL;
    if ((results == NULL) == (settings == Py_None)) {
        PyErr_SetString(PyExc_TypeError, "report: give a results store or a run's settings, one of them");
        return NULL;
    }
    if (top < 0) {
        PyErr_SetString(PyExc_ValueError, "report: top must be 0 (the default, 5) or more");
        return NULL;
    }
    opt.top = (size_t)top;
    opt.weights_id = weights_id;
    opt.sweep_id = sweep_id;
    size_t n = 0;
    const char **list = NULL;
    if (settings != Py_None && !(list = settings_list(settings, &n, &seq))) {
        Py_XDECREF(seq);
        return NULL;
    }
    rb_store *st = rb_py_store_acquire(store);
    PyObject *out = NULL;
    if (st) {
        rb_report_summary sum = {0};
        rb_error err = {0};
        rb_status rc;
        Py_BEGIN_ALLOW_THREADS
        rc = list ? rb_report_run(st, list, n, &opt, &sum, &err) : rb_report_sweep(st, results, &opt, &sum, &err);
        Py_END_ALLOW_THREADS
        rb_py_store_release(store);
        out = rc == RB_OK ? report_summary(&sum) : rb_py_raise(&err);
    }
    PyMem_Free(list);
    Py_XDECREF(seq);
    return out;
}
