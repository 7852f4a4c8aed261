/* core.h - the C side of the Python package (module rebal._core): a thin layer over the
 * public librebal API (include/rebal.h), never over the CLI. What is shared between its
 * files: raising errors, the Store type, argument helpers. Internal to python/core/. */
#ifndef RB_PY_CORE_H
#define RB_PY_CORE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "rebal.h"

/* Raises the package's exception for a librebal error (rebal._errors._raise: a
 * rebal.Error that is also a ValueError for bad settings and data, an OSError for files).
 * Returns NULL, for `return rb_py_raise(&err);`. */
PyObject *rb_py_raise(const rb_error *err);

/* The Store type: one open price store. Operations on it hold its lock (the GIL released),
 * so two Python threads never use one SQLite connection at once. */
typedef struct rb_py_store {
    PyObject_HEAD
    rb_store *store;
    PyThread_type_lock lock;
} rb_py_store;

extern PyTypeObject rb_py_store_type;

/* The open store of obj (a Store), or NULL with TypeError / ValueError (closed) raised.
 * With the store returned, its lock is taken: rb_py_store_release gives it back. Call
 * without the GIL held is not allowed: it waits for the lock with the GIL released. */
rb_store *rb_py_store_acquire(PyObject *obj);
void rb_py_store_release(PyObject *obj);

/* Text of a str argument (NULL for None); NULL with TypeError raised for other objects
 * (then *ok is 0). */
const char *rb_py_text(PyObject *obj, const char *what, int *ok);

/* The symbols of a list of str, into a PyMem array (free with PyMem_Free; *seq, the list as
 * a sequence, holds the strings: release it after). NULL with an exception raised. */
const char **rb_py_symbol_list(PyObject *symbols, Py_ssize_t *n, PyObject **seq);

/* obj's buffer of float64 (kind 'd') or int64 (kind 'q') with ndim dimensions and any
 * strides (whole elements), or -1 with an exception raised; PyBuffer_Release it after. */
int rb_py_get_buffer(PyObject *obj, Py_buffer *view, const char *what, int ndim, char kind);

/* A malloc'ed block as a Python object with the buffer protocol, owning it from now on
 * (*data becomes NULL): freed with the object. NULL with an exception (then *data is kept). */
extern PyTypeObject rb_py_owned_type;
PyObject *rb_py_owned(void **data, size_t size);

/* The module's functions in other files. */
PyObject *rb_py_run(PyObject *self, PyObject *args, PyObject *kw);
PyObject *rb_py_report(PyObject *self, PyObject *args, PyObject *kw);
PyObject *rb_py_sweep(PyObject *self, PyObject *args, PyObject *kw);
PyObject *rb_py_sweep_check(PyObject *self, PyObject *args);

#endif /* RB_PY_CORE_H */
