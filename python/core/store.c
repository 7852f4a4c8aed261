/* store.c - the Store type of rebal._core: a price store (rb_store) opened from Python, CSV
 * import, bars from arrays (rb_import_arrays, reading a DataFrame's buffer in place), the
 * stored assets and the aligned price matrix (rb_matrix_load). */
#include <string.h>

#include "core.h"

rb_store *rb_py_store_acquire(PyObject *obj)
{
    if (!PyObject_TypeCheck(obj, &rb_py_store_type)) {
        PyErr_Format(PyExc_TypeError, "expected a rebal Store, not %s", Py_TYPE(obj)->tp_name);
        return NULL;
    }
    rb_py_store *s = (rb_py_store *)obj;
    Py_BEGIN_ALLOW_THREADS
    PyThread_acquire_lock(s->lock, WAIT_LOCK);
    Py_END_ALLOW_THREADS
    if (!s->store) {
        PyThread_release_lock(s->lock);
        PyErr_SetString(PyExc_ValueError, "the Store is closed");
        return NULL;
    }
    return s->store;
}

void rb_py_store_release(PyObject *obj) { PyThread_release_lock(((rb_py_store *)obj)->lock); }

static int store_init(rb_py_store *self, PyObject *args, PyObject *kw)
{
    static char *names[] = {"path", "readonly", NULL};
    const char *path;
    int readonly = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "s|p", names, &path, &readonly)) return -1;
    if (!self->lock && !(self->lock = PyThread_allocate_lock())) {
        PyErr_NoMemory();
        return -1;
    }
    rb_store *st = NULL;
    rb_error err = {0};
    rb_status rc;
    Py_BEGIN_ALLOW_THREADS
    rc = rb_store_open(path, readonly ? RB_STORE_READONLY : 0, &st, &err);
    Py_END_ALLOW_THREADS
    if (rc != RB_OK) {
        rb_py_raise(&err);
        return -1;
    }
    rb_store_free(self->store);
    self->store = st;
    return 0;
}

static void store_dealloc(rb_py_store *self)
{
    rb_store_free(self->store);
    if (self->lock) PyThread_free_lock(self->lock);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *store_close(rb_py_store *self, PyObject *unused)
{
    (void)unused;
    if (self->lock) {
        Py_BEGIN_ALLOW_THREADS
        PyThread_acquire_lock(self->lock, WAIT_LOCK);
        Py_END_ALLOW_THREADS
        rb_store_free(self->store);
        self->store = NULL;
        PyThread_release_lock(self->lock);
    }
    Py_RETURN_NONE;
}

static PyObject *stats_dict(const rb_import_stats *st)
{
    return Py_BuildValue("{s:n,s:n,s:n,s:n,s:n,s:n}", "files", (Py_ssize_t)st->files, "rows", (Py_ssize_t)st->rows,
                         "bars_added", (Py_ssize_t)st->bars_added, "bars_unchanged", (Py_ssize_t)st->bars_unchanged,
                         "bars_replaced", (Py_ssize_t)st->bars_replaced, "assets_added",
                         (Py_ssize_t)st->assets_added);
}

/* The index of word in words[0..n), or -1 with ValueError raised. */
static int word_index(const char *what, const char *word, const char *const *words, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(word, words[i]) == 0) return i;
    PyErr_Format(PyExc_ValueError, "%s: '%s' is not one of the accepted words", what, word);
    return -1;
}

/* The import options from keywords (the CLI's import flags, '-' written '_'). */
static int import_options(PyObject *kw, rb_import_options *opt)
{
    rb_import_options_init(opt);
    static const char *const formats[] = {"auto", "long", "wide", "ohlcv"};
    static const char *const prices[] = {"close", "adjclose"};
    static const char *const calendars[] = {"dated", "minute", "hour", "day", "business-day", "week", "month"};
    static char *names[] = {"format", "symbol", "price", "delimiter", "date_format", "replace", "decimal", "start",
                            "every", "allow_extreme_prices", NULL};
    const char *format = "auto", *price = "close", *delimiter = NULL, *decimal = NULL, *every = "dated";
    PyObject *empty = PyTuple_New(0);
    if (!empty) return -1;
    int ok = PyArg_ParseTupleAndKeywords(empty, kw, "|szszzpzzzp", names, &format, &opt->symbol, &price, &delimiter,
                                         &opt->date_format, &opt->replace, &decimal, &opt->start, &every,
                                         &opt->allow_extreme_prices);
    Py_DECREF(empty);
    if (!ok) return -1;
    int f = word_index("format", format, formats, 4), p = f < 0 ? -1 : word_index("price", price, prices, 2);
    int e = p < 0 ? -1 : word_index("every", every, calendars, 7);
    if (e < 0) return -1;
    opt->format = (rb_csv_format)f;
    opt->price = (rb_price_field)p;
    opt->every = (rb_bar_calendar)e;
    if (delimiter && strlen(delimiter) != 1) {
        PyErr_SetString(PyExc_ValueError, "delimiter: one character, e.g. ';' or '\\t'");
        return -1;
    }
    if (decimal && strlen(decimal) != 1) {
        PyErr_SetString(PyExc_ValueError, "decimal: '.' or ','");
        return -1;
    }
    opt->delimiter = delimiter ? delimiter[0] : 0;
    opt->decimal = decimal ? decimal[0] : 0;
    return 0;
}

/* Store.import_csv(paths, **options): rb_import_files. */
static PyObject *store_import_csv(rb_py_store *self, PyObject *args, PyObject *kw)
{
    PyObject *paths;
    if (!PyArg_ParseTuple(args, "O", &paths)) return NULL;
    PyObject *seq = PySequence_Fast(paths, "paths must be a list of file names");
    if (!seq) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    const char **list = PyMem_Calloc(n ? (size_t)n : 1, sizeof *list);
    rb_import_options opt;
    int ok = list && import_options(kw, &opt) == 0;
    if (!list) PyErr_NoMemory();
    for (Py_ssize_t i = 0; ok && i < n; i++) list[i] = rb_py_text(PySequence_Fast_GET_ITEM(seq, i), "a path", &ok);
    for (Py_ssize_t i = 0; ok && i < n; i++)
        if (!list[i]) ok = 0, PyErr_SetString(PyExc_TypeError, "paths must be str, not None");
    PyObject *out = NULL;
    rb_store *st = ok ? rb_py_store_acquire((PyObject *)self) : NULL;
    if (st) {
        rb_import_stats stats = {0};
        rb_error err = {0};
        rb_status rc;
        Py_BEGIN_ALLOW_THREADS
        rc = rb_import_files(st, list, (size_t)n, &opt, &stats, &err);
        Py_END_ALLOW_THREADS
        rb_py_store_release((PyObject *)self);
        out = rc == RB_OK ? stats_dict(&stats) : rb_py_raise(&err);
    }
    PyMem_Free(list);
    Py_DECREF(seq);
    return out;
}

const char **rb_py_symbol_list(PyObject *symbols, Py_ssize_t *n, PyObject **seq)
{
    *seq = PySequence_Fast(symbols, "symbols must be a list of str");
    if (!*seq) return NULL;
    *n = PySequence_Fast_GET_SIZE(*seq);
    const char **list = PyMem_Calloc(*n ? (size_t)*n : 1, sizeof *list);
    if (!list) {
        PyErr_NoMemory();
        return NULL;
    }
    int ok = 1;
    for (Py_ssize_t i = 0; ok && i < *n; i++) {
        list[i] = rb_py_text(PySequence_Fast_GET_ITEM(*seq, i), "a symbol", &ok);
        if (ok && !list[i]) ok = 0, PyErr_SetString(PyExc_TypeError, "a symbol must be a str, not None");
    }
    if (!ok) {
        PyMem_Free(list);
        return NULL;
    }
    return list;
}

int rb_py_get_buffer(PyObject *obj, Py_buffer *view, const char *what, int ndim, char kind)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_STRIDES | PyBUF_FORMAT) < 0) return -1;
    const char *f = view->format ? view->format : "B";
    if (*f == '@' || *f == '=' || *f == '<') f++;
    int good = kind == 'd' ? strcmp(f, "d") == 0 : (strcmp(f, "q") == 0 || strcmp(f, "l") == 0) && view->itemsize == 8;
    if (!good || view->ndim != ndim) {
        PyErr_Format(PyExc_TypeError, "%s must be a %d-dimensional array of %s, not format '%s' with %d dimensions",
                     what, ndim, kind == 'd' ? "float64" : "int64", f, view->ndim);
        PyBuffer_Release(view);
        return -1;
    }
    for (int d = 0; d < ndim; d++)
        if (view->strides[d] % view->itemsize != 0) {
            PyErr_Format(PyExc_ValueError, "%s: strides that are not whole elements", what);
            PyBuffer_Release(view);
            return -1;
        }
    return 0;
}

/* Store.import_arrays(name, symbols, times, closes, replace=False, allow_extreme_prices=False):
 * times an int64 array (seconds since the epoch), closes a float64 array of shape
 * (len(times), len(symbols)), any strides (read in place, no copy); NaN is no bar. */
static PyObject *store_import_arrays(rb_py_store *self, PyObject *args, PyObject *kw)
{
    static char *names[] = {"name", "symbols", "times", "closes", "replace", "allow_extreme_prices", NULL};
    const char *name;
    PyObject *symbols, *times_obj, *closes_obj, *seq = NULL, *out = NULL;
    rb_import_options opt;
    rb_import_options_init(&opt);
    if (!PyArg_ParseTupleAndKeywords(args, kw, "sOOO|pp", names, &name, &symbols, &times_obj, &closes_obj,
                                     &opt.replace, &opt.allow_extreme_prices))
        return NULL;
    Py_buffer times, closes;
    Py_ssize_t n = 0;
    if (rb_py_get_buffer(times_obj, &times, "times", 1, 'q') < 0) return NULL;
    if (rb_py_get_buffer(closes_obj, &closes, "closes", 2, 'd') < 0) {
        PyBuffer_Release(&times);
        return NULL;
    }
    const char **list = rb_py_symbol_list(symbols, &n, &seq);
    if (list && (closes.shape[0] != times.shape[0] || closes.shape[1] != n || times.strides[0] != 8))
        PyErr_Format(PyExc_ValueError, "closes has shape (%zd, %zd); %zd times (contiguous) and %zd symbols expected",
                     closes.shape[0], closes.shape[1], times.shape[0], n);
    else if (list) {
        rb_import_table tb = {.name = name,
                              .symbols = list,
                              .nsymbols = (size_t)n,
                              .time = times.buf,
                              .nbars = (size_t)times.shape[0],
                              .close = closes.buf,
                              .row_stride = (size_t)(closes.strides[0] / 8),
                              .col_stride = (size_t)(closes.strides[1] / 8)};
        if (closes.strides[0] < 0 || closes.strides[1] < 0)
            PyErr_SetString(PyExc_ValueError, "closes: negative strides (a reversed view); pass a copy");
        else {
            rb_store *st = rb_py_store_acquire((PyObject *)self);
            if (st) {
                rb_import_stats stats = {0};
                rb_error err = {0};
                rb_status rc;
                Py_BEGIN_ALLOW_THREADS
                rc = rb_import_arrays(st, &tb, &opt, &stats, &err);
                Py_END_ALLOW_THREADS
                rb_py_store_release((PyObject *)self);
                out = rc == RB_OK ? stats_dict(&stats) : rb_py_raise(&err);
            }
        }
    }
    PyMem_Free(list);
    Py_XDECREF(seq);
    PyBuffer_Release(&times);
    PyBuffer_Release(&closes);
    return out;
}

/* Store.assets() -> [(symbol, first, last, bars, gap_from, gap_to)], times in seconds. */
static PyObject *store_assets(rb_py_store *self, PyObject *unused)
{
    (void)unused;
    rb_store *st = rb_py_store_acquire((PyObject *)self);
    if (!st) return NULL;
    rb_asset_info *a = NULL;
    size_t n = 0;
    rb_error err = {0};
    rb_status rc;
    Py_BEGIN_ALLOW_THREADS
    rc = rb_store_list_assets(st, &a, &n, &err);
    Py_END_ALLOW_THREADS
    rb_py_store_release((PyObject *)self);
    if (rc != RB_OK) return rb_py_raise(&err);
    PyObject *out = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; out && i < n; i++) {
        PyObject *t = Py_BuildValue("(sLLLLL)", a[i].symbol, (long long)a[i].first, (long long)a[i].last,
                                    (long long)a[i].bars, (long long)a[i].gap_from, (long long)a[i].gap_to);
        if (!t) Py_CLEAR(out);
        else PyList_SET_ITEM(out, (Py_ssize_t)i, t);
    }
    free(a);
    return out;
}

/* A copy of n bytes as a bytearray (the package reads it with numpy.frombuffer). */
static PyObject *bytes_of(const void *p, size_t n) { return PyByteArray_FromStringAndSize(p, (Py_ssize_t)n); }

/* Store.load(symbols, start=None, end=None, align="union", max_gap=None, cash_rate=0,
 * periods_per_year=0) -> dict of the aligned matrix (rb_matrix_load): time (int64 bytes),
 * close, open, volume (float64 bytes, row-major T x N), filled (uint8), and its calendar. */
static PyObject *store_load(rb_py_store *self, PyObject *args, PyObject *kw)
{
    static char *names[] = {"symbols", "start", "end", "align", "max_gap", "cash_rate", "periods_per_year", NULL};
    PyObject *symbols, *start = Py_None, *end = Py_None, *max_gap = Py_None, *seq = NULL;
    const char *align = "union";
    rb_load_options opt;
    rb_load_options_init(&opt);
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OOsOdd", names, &symbols, &start, &end, &align, &max_gap,
                                     &opt.cash_rate, &opt.periods_per_year))
        return NULL;
    static const char *const aligns[] = {"union", "intersect"};
    int a = word_index("align", align, aligns, 2);
    if (a < 0) return NULL;
    opt.align = (rb_align)a;
    if (start != Py_None) opt.has_start = 1, opt.start = PyLong_AsLongLong(start);
    if (end != Py_None) opt.has_end = 1, opt.end = PyLong_AsLongLong(end);
    if (max_gap != Py_None) opt.max_gap = (int)PyLong_AsLong(max_gap);
    if (PyErr_Occurred()) return NULL;
    Py_ssize_t n = 0;
    const char **list = rb_py_symbol_list(symbols, &n, &seq);
    if (!list) {
        Py_XDECREF(seq);
        return NULL;
    }
    opt.symbols = list;
    opt.nsymbols = (size_t)n;
    rb_matrix *m = NULL;
    rb_error err = {0};
    rb_status rc = RB_ERR_USAGE;
    rb_store *st = rb_py_store_acquire((PyObject *)self);
    if (st) {
        Py_BEGIN_ALLOW_THREADS
        rc = rb_matrix_load(st, &opt, &m, &err);
        Py_END_ALLOW_THREADS
        rb_py_store_release((PyObject *)self);
    }
    PyMem_Free(list);
    Py_DECREF(seq);
    if (!st) return NULL;
    if (rc != RB_OK) return rb_py_raise(&err);
    size_t cells = m->T * m->N;
    PyObject *syms = PyList_New((Py_ssize_t)m->N);
    for (size_t i = 0; syms && i < m->N; i++) {
        PyObject *u = PyUnicode_FromString(m->symbols[i]);
        if (!u) Py_CLEAR(syms);
        else PyList_SET_ITEM(syms, (Py_ssize_t)i, u);
    }
    PyObject *out = !syms ? NULL
                          : Py_BuildValue("{s:N,s:N,s:N,s:N,s:N,s:N,s:d,s:s,s:n,s:n}", "symbols", syms, "time",
                                          bytes_of(m->time, m->T * sizeof *m->time), "close",
                                          bytes_of(m->close, cells * sizeof(double)), "open",
                                          bytes_of(m->open, cells * sizeof(double)), "volume",
                                          bytes_of(m->volume, cells * sizeof(double)), "filled",
                                          bytes_of(m->filled, cells), "periods_per_year", m->periods_per_year,
                                          "periods_source", m->periods_source, "T", (Py_ssize_t)m->T, "N",
                                          (Py_ssize_t)m->N);
    rb_matrix_free(m);
    return out;
}

/* The counts of a series import as a dict. */
static PyObject *series_stats_dict(const rb_series_stats *st)
{
    return Py_BuildValue("{s:n,s:n,s:n,s:n}", "rows", (Py_ssize_t)st->rows, "added", (Py_ssize_t)st->added,
                         "unchanged", (Py_ssize_t)st->unchanged, "replaced", (Py_ssize_t)st->replaced);
}

/* Store.import_series(name, path=None, times=None, values=None, replace=False): a dated
 * series from a date,value CSV file (rb_series_import_file), or from an int64 array of
 * times (seconds since the epoch) and a float64 array of values, each contiguous
 * (rb_series_import_arrays). One transaction either way. */
static PyObject *store_import_series(rb_py_store *self, PyObject *args, PyObject *kw)
{
    static char *names[] = {"name", "path", "times", "values", "replace", NULL};
    const char *name, *path = NULL;
    PyObject *times_obj = Py_None, *values_obj = Py_None;
    int replace = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "s|zOOp", names, &name, &path, &times_obj, &values_obj, &replace))
        return NULL;
    if (!path == (times_obj == Py_None || values_obj == Py_None)) {
        PyErr_SetString(PyExc_TypeError, "import_series: give either path, or times and values");
        return NULL;
    }
    Py_buffer times = {0}, values = {0};
    if (!path) {
        if (rb_py_get_buffer(times_obj, &times, "times", 1, 'q') < 0) return NULL;
        if (rb_py_get_buffer(values_obj, &values, "values", 1, 'd') < 0) {
            PyBuffer_Release(&times);
            return NULL;
        }
        if (values.shape[0] != times.shape[0] || times.strides[0] != 8 || values.strides[0] != 8) {
            PyErr_Format(PyExc_ValueError, "%zd times and %zd values: the same number, each contiguous, expected",
                         times.shape[0], values.shape[0]);
            PyBuffer_Release(&times);
            PyBuffer_Release(&values);
            return NULL;
        }
    }
    PyObject *out = NULL;
    rb_store *st = rb_py_store_acquire((PyObject *)self);
    if (st) {
        rb_series_stats stats = {0};
        rb_error err = {0};
        rb_status rc;
        Py_BEGIN_ALLOW_THREADS
        rc = path ? rb_series_import_file(st, name, path, replace, &stats, &err)
                  : rb_series_import_arrays(st, name, times.buf, values.buf, (size_t)times.shape[0], replace,
                                            &stats, &err);
        Py_END_ALLOW_THREADS
        rb_py_store_release((PyObject *)self);
        out = rc == RB_OK ? series_stats_dict(&stats) : rb_py_raise(&err);
    }
    if (!path) {
        PyBuffer_Release(&times);
        PyBuffer_Release(&values);
    }
    return out;
}

/* Store.series() -> [(name, first, last, points)], times in seconds. */
static PyObject *store_series(rb_py_store *self, PyObject *unused)
{
    (void)unused;
    rb_store *st = rb_py_store_acquire((PyObject *)self);
    if (!st) return NULL;
    rb_series_info *list = NULL;
    size_t n = 0;
    rb_error err = {0};
    rb_status rc;
    Py_BEGIN_ALLOW_THREADS
    rc = rb_store_list_series(st, &list, &n, &err);
    Py_END_ALLOW_THREADS
    rb_py_store_release((PyObject *)self);
    if (rc != RB_OK) return rb_py_raise(&err);
    PyObject *out = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; out && i < n; i++) {
        PyObject *t = Py_BuildValue("(sLLL)", list[i].name, (long long)list[i].first, (long long)list[i].last,
                                    (long long)list[i].points);
        if (!t) Py_CLEAR(out);
        else PyList_SET_ITEM(out, (Py_ssize_t)i, t);
    }
    free(list);
    return out;
}

/* Store.series_points(name) -> (times as int64 bytes, values as float64 bytes). */
static PyObject *store_series_points(rb_py_store *self, PyObject *args)
{
    const char *name;
    if (!PyArg_ParseTuple(args, "s", &name)) return NULL;
    rb_store *st = rb_py_store_acquire((PyObject *)self);
    if (!st) return NULL;
    rb_time *time = NULL;
    double *value = NULL;
    size_t n = 0;
    rb_error err = {0};
    rb_status rc;
    Py_BEGIN_ALLOW_THREADS
    rc = rb_series_get(st, name, &time, &value, &n, &err);
    Py_END_ALLOW_THREADS
    rb_py_store_release((PyObject *)self);
    PyObject *out = rc != RB_OK ? rb_py_raise(&err)
                                : Py_BuildValue("(NN)", bytes_of(time, n * sizeof *time), bytes_of(value, n * sizeof *value));
    free(time);
    free(value);
    return out;
}

static PyObject *store_enter(PyObject *self, PyObject *unused)
{
    (void)unused;
    return Py_NewRef(self);
}

static PyObject *store_exit(rb_py_store *self, PyObject *args)
{
    (void)args;
    return store_close(self, NULL);
}

static PyMethodDef store_methods[] = {
    {"close", (PyCFunction)store_close, METH_NOARGS, "Closes the store (later calls raise ValueError)."},
    {"import_csv", (PyCFunction)(void (*)(void))store_import_csv, METH_VARARGS | METH_KEYWORDS,
     "import_csv(paths, **options) -> import statistics"},
    {"import_arrays", (PyCFunction)(void (*)(void))store_import_arrays, METH_VARARGS | METH_KEYWORDS,
     "import_arrays(name, symbols, times, closes, replace=False, allow_extreme_prices=False)"},
    {"assets", (PyCFunction)store_assets, METH_NOARGS, "The stored assets."},
    {"load", (PyCFunction)(void (*)(void))store_load, METH_VARARGS | METH_KEYWORDS, "The aligned price matrix."},
    {"import_series", (PyCFunction)(void (*)(void))store_import_series, METH_VARARGS | METH_KEYWORDS,
     "Stores a dated series (from a CSV file, or from arrays)."},
    {"series", (PyCFunction)store_series, METH_NOARGS, "The stored series."},
    {"series_points", (PyCFunction)store_series_points, METH_VARARGS, "The points of one stored series."},
    {"__enter__", store_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)store_exit, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

PyTypeObject rb_py_store_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "rebal._core.Store",
    .tp_basicsize = sizeof(rb_py_store),
    .tp_dealloc = (destructor)store_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "A rebal price store (SQLite).",
    .tp_methods = store_methods,
    .tp_init = (initproc)store_init,
    .tp_new = PyType_GenericNew,
};
