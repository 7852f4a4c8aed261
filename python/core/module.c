/* module.c - the extension module rebal._core: its functions, the error bridge and the
 * library's tables (settings, strategies, metrics) that the Python package turns into its
 * docstrings and typed columns. */
#include "core.h"

PyObject *rb_py_raise(const rb_error *err)
{
    PyObject *mod = PyImport_ImportModule("rebal._errors");
    if (!mod) return NULL;
    PyObject *r = PyObject_CallMethod(mod, "_raise", "is", (int)err->code, err->msg);
    Py_DECREF(mod);
    Py_XDECREF(r); /* _raise always raises */
    return NULL;
}

const char *rb_py_text(PyObject *obj, const char *what, int *ok)
{
    *ok = 1;
    if (!obj || obj == Py_None) return NULL;
    if (!PyUnicode_Check(obj)) {
        *ok = 0;
        PyErr_Format(PyExc_TypeError, "%s must be a str, not %s", what, Py_TYPE(obj)->tp_name);
        return NULL;
    }
    const char *s = PyUnicode_AsUTF8(obj);
    if (!s) *ok = 0;
    return s;
}

static const char *type_name(rb_value_type t)
{
    switch (t) {
    case RB_VALUE_NUMBER: return "number";
    case RB_VALUE_WHOLE: return "whole";
    case RB_VALUE_WORD: return "word";
    case RB_VALUE_PER_ASSET: return "per-asset";
    case RB_VALUE_FLAG: return "flag";
    default: return "other";
    }
}

/* One settings-table row as a dict. */
static PyObject *setting_dict(const rb_setting_info *s)
{
    PyObject *words = PyList_New(0);
    if (!words) return NULL;
    for (const char *const *w = s->words; w && *w; w++) {
        if (!**w) continue; /* an index no one may write */
        PyObject *u = PyUnicode_FromString(*w);
        if (!u || PyList_Append(words, u) < 0) {
            Py_XDECREF(u);
            Py_DECREF(words);
            return NULL;
        }
        Py_DECREF(u);
    }
    char column[96];
    rb_results_column_name(s->key, column, sizeof column);
    int ranged = s->type == RB_VALUE_NUMBER || s->type == RB_VALUE_WHOLE || s->type == RB_VALUE_PER_ASSET;
    PyObject *lo = ranged ? PyFloat_FromDouble(s->lo) : Py_NewRef(Py_None);
    PyObject *hi = ranged ? PyFloat_FromDouble(s->hi) : Py_NewRef(Py_None);
    if (!lo || !hi) {
        Py_XDECREF(lo), Py_XDECREF(hi), Py_DECREF(words);
        return NULL;
    }
    return Py_BuildValue("{s:s,s:s,s:s,s:s,s:s,s:O,s:s,s:N,s:N,s:N,s:O,s:s}", "key", s->key, "arg", s->arg, "default",
                         s->def, "group", s->group, "help", s->help, "fraction", s->fraction ? Py_True : Py_False,
                         "type", type_name(s->type), "lo", lo, "hi", hi, "words", words, "numeric",
                         rb_setting_is_numeric(s) ? Py_True : Py_False, "column", column);
}

static PyObject *py_settings(PyObject *self, PyObject *unused)
{
    (void)self, (void)unused;
    PyObject *out = PyList_New(0);
    for (size_t i = 0; out && i < rb_setting_count(); i++) {
        PyObject *d = setting_dict(rb_setting_at(i));
        if (!d || PyList_Append(out, d) < 0) Py_CLEAR(out);
        Py_XDECREF(d);
    }
    return out;
}

static PyObject *py_strategies(PyObject *self, PyObject *unused)
{
    (void)self, (void)unused;
    PyObject *out = PyList_New(0);
    for (size_t k = 0; out && k < rb_strategy_count(); k++) {
        const rb_strategy_info *st = rb_strategy_at(k);
        PyObject *params = PyList_New(0);
        for (size_t j = 0; params && j < st->nparams; j++) {
            PyObject *d = setting_dict(&st->params[j]);
            if (!d || PyList_Append(params, d) < 0) Py_CLEAR(params);
            Py_XDECREF(d);
        }
        PyObject *d = params ? Py_BuildValue("{s:s,s:s,s:N}", "name", st->name, "summary", st->summary, "params",
                                             params)
                             : NULL;
        if (!d || PyList_Append(out, d) < 0) Py_CLEAR(out);
        Py_XDECREF(d);
    }
    return out;
}

static PyObject *py_metrics(PyObject *self, PyObject *unused)
{
    (void)self, (void)unused;
    size_t n;
    const rb_metric_info *m = rb_metric_table(&n);
    PyObject *out = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; out && i < n; i++) {
        PyObject *t = Py_BuildValue("(sss)", m[i].name, m[i].unit, m[i].definition);
        if (!t) Py_CLEAR(out);
        else PyList_SET_ITEM(out, (Py_ssize_t)i, t);
    }
    return out;
}

static PyObject *py_parse_time(PyObject *self, PyObject *args)
{
    (void)self;
    const char *text, *fmt = NULL;
    if (!PyArg_ParseTuple(args, "s|z", &text, &fmt)) return NULL;
    rb_time t;
    rb_error err = {0};
    if (rb_time_parse(text, fmt, &t, &err) != RB_OK) return rb_py_raise(&err);
    return PyLong_FromLongLong((long long)t);
}

static PyObject *py_column_name(PyObject *self, PyObject *args)
{
    (void)self;
    const char *key;
    if (!PyArg_ParseTuple(args, "s", &key)) return NULL;
    char out[96];
    rb_results_column_name(key, out, sizeof out);
    return PyUnicode_FromString(out);
}

static PyMethodDef methods[] = {
    {"settings", py_settings, METH_NOARGS, "The run settings table: one dict per setting."},
    {"strategies", py_strategies, METH_NOARGS, "The strategies: name, summary and parameter rows."},
    {"metrics", py_metrics, METH_NOARGS, "The metrics: (name, unit, definition) in report order."},
    {"parse_time", py_parse_time, METH_VARARGS, "parse_time(text, fmt=None) -> seconds since the epoch, UTC."},
    {"column_name", py_column_name, METH_VARARGS, "The results column of a setting key (fee-bps -> fee_bps)."},
    {"run", (PyCFunction)(void (*)(void))rb_py_run, METH_VARARGS | METH_KEYWORDS, "Runs one configuration."},
    {"report", (PyCFunction)(void (*)(void))rb_py_report, METH_VARARGS | METH_KEYWORDS, "Writes a report."},
    {"sweep", (PyCFunction)(void (*)(void))rb_py_sweep, METH_VARARGS | METH_KEYWORDS, "Runs a sweep."},
    {"sweep_check", rb_py_sweep_check, METH_VARARGS, "Parses a sweep specification: (configurations, keys)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "rebal._core", "The C engine behind the rebal package (librebal).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__core(void)
{
    if (PyType_Ready(&rb_py_store_type) < 0 || PyType_Ready(&rb_py_owned_type) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    Py_INCREF(&rb_py_store_type);
    if (PyModule_AddObject(m, "Store", (PyObject *)&rb_py_store_type) < 0 ||
        PyModule_AddStringConstant(m, "VERSION", RB_VERSION) < 0 ||
        PyModule_AddStringConstant(m, "CASH", RB_CASH) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
