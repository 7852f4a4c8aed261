/* owned.c - a block of memory malloc'ed by the C side handed to Python without a copy: an
 * object with the buffer protocol (numpy.frombuffer reads it in place) that frees the block
 * when the last array made from it goes. What a sweep's million-row columns travel in. */
#include "core.h"

typedef struct owned {
    PyObject_HEAD
    void *data;
    Py_ssize_t size;
} owned;

static void owned_dealloc(owned *self)
{
    free(self->data);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int owned_getbuffer(owned *self, Py_buffer *view, int flags)
{
    return PyBuffer_FillInfo(view, (PyObject *)self, self->data ? self->data : (void *)"", self->size, 0, flags);
}

static PyBufferProcs owned_buffer = {.bf_getbuffer = (getbufferproc)owned_getbuffer};

PyTypeObject rb_py_owned_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "rebal._core.Owned",
    .tp_basicsize = sizeof(owned),
    .tp_dealloc = (destructor)owned_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Memory of the C side, read in place through the buffer protocol.",
    .tp_as_buffer = &owned_buffer,
};

PyObject *rb_py_owned(void **data, size_t size)
{
    owned *o = PyObject_New(owned, &rb_py_owned_type);
    if (!o) return NULL;
    o->data = *data;
    o->size = (Py_ssize_t)size;
    *data = NULL; /* the object owns it now */
    return (PyObject *)o;
}
