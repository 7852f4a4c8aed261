/* bar_cache_file.c - a cached asset's BLOB read from the price store's file itself
 * (bar_cache_file.h). The layout read here is SQLite's file format: the database header,
 * table B-tree pages (interior 0x05, leaf 0x0D), their cells, records and overflow chains. */
#include "bar_cache_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "store.h"

enum {
    PAGE_INTERIOR = 0x05, /* a table B-tree's interior page */
    PAGE_LEAF = 0x0d,     /* and its leaf */
    MOST_DEPTH = 32,      /* SQLite's B-trees are at most 20 deep */
    CELL_HEAD = 128       /* bytes read at a row's cell: its sizes, the record header, the integers */
};

static int disabled;

void rb_bar_cache_file_enable(int on) { disabled = !on; }

/* A page of bar_cache's B-tree as read: its type, cell count and (an interior page's)
 * right-most child; bytes: its cell pointers (2 bytes each), then an interior page's cells
 * themselves (a few bytes each, read with its head: its keys are then searched in memory),
 * copied from offset `area` of the page. */
typedef rb_bar_cache_node node;

void rb_bar_cache_file_init(rb_bar_cache_file *f)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
}

void rb_bar_cache_file_end(rb_bar_cache_file *f)
{
    if (f->fd >= 0) close(f->fd);
    free(f->root.bytes);
    free(f->leaf.bytes);
    free(f->other.bytes);
    rb_bar_cache_file_init(f);
}

static uint32_t be16(const unsigned char *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A varint of SQLite's (1-9 bytes, big-endian, 7 bits a byte but the ninth's 8) from p, of at
 * most avail bytes: its length, or 0 when it does not end within them. */
static size_t varint(const unsigned char *p, size_t avail, uint64_t *v)
{
    uint64_t x = 0;
    for (size_t i = 0; i < 9 && i < avail; i++) {
        if (i == 8) {
            *v = x << 8 | p[i];
            return 9;
        }
        x = x << 7 | (p[i] & 0x7f);
        if (!(p[i] & 0x80)) {
            *v = x;
            return i + 1;
        }
    }
    return 0;
}

/* len bytes at offset off of the file, all of them, or 0. */
static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
    char *p = buf;
    while (len > 0) {
        ssize_t k = pread(fd, p, len, (off_t)off);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return 0;
        p += k, len -= (size_t)k, off += (uint64_t)k;
    }
    return 1;
}

/* len bytes at offset `at` of page pg, within the page, or 0. */
static int page_read(const rb_bar_cache_file *f, uint32_t pg, size_t at, void *buf, size_t len)
{
    if (pg < 1 || pg > f->npages || at > f->page || len > f->page - at) return 0;
    return read_at(f->fd, buf, len, (uint64_t)(pg - 1) * f->page + at);
}

/* alen bytes at offset off into a, then the blen that follow into b: one preadv (a short read
 * finished by pread). */
static int read_two(int fd, void *a, size_t alen, void *b, size_t blen, uint64_t off)
{
    struct iovec iov[2] = {{a, alen}, {b, blen}};
    ssize_t k;
    do k = preadv(fd, iov, 2, (off_t)off);
    while (k < 0 && errno == EINTR);
    if (k < 0) return 0;
    size_t got = (size_t)k;
    if (got < alen) return read_at(fd, (char *)a + got, alen - got, off + got) && read_at(fd, b, blen, off + alen);
    return read_at(fd, (char *)b + (got - alen), blen - (got - alen), off + got);
}

/* An overflow page's first 4 bytes (the next page's number) into next, and len bytes of its
 * content from content offset `at` into out. */
static int overflow_read(const rb_bar_cache_file *f, uint32_t pg, unsigned char next[4], size_t at, void *out,
                         size_t len)
{
    if (pg < 2 || pg > f->npages || at > f->usable - 4 || len > f->usable - 4 - at) return 0;
    uint64_t off = (uint64_t)(pg - 1) * f->page;
    if (at == 0) return read_two(f->fd, next, 4, out, len, off);
    return read_at(f->fd, next, 4, off) && (len == 0 || read_at(f->fd, out, len, off + 4 + at));
}

static int node_room(node *n, size_t bytes)
{
    if (bytes <= n->cap) return 1;
    unsigned char *grown = realloc(n->bytes, bytes);
    if (!grown) return 0;
    n->bytes = grown;
    n->cap = bytes;
    return 1;
}

/* Page pg into n: its head and cell pointers in one read (a second when it has many cells),
 * and an interior page's cell area in one more. */
static int node_read(const rb_bar_cache_file *f, uint32_t pg, node *n)
{
    enum { FIRST = 12 + 2 * 250 }; /* the head and up to 250 pointers */
    const size_t at = pg == 1 ? 100 : 0; /* page 1 begins with the database header */
    unsigned char b[FIRST];
    size_t len = f->page - at < FIRST ? f->page - at : FIRST;
    n->pg = 0;
    if (!page_read(f, pg, at, b, len)) return 0;
    n->type = b[0];
    n->ncells = be16(b + 3);
    const int interior = n->type == PAGE_INTERIOR;
    n->right = interior ? be32(b + 8) : 0;
    const size_t ptrs = (interior ? 12 : 8), nptr = 2 * n->ncells;
    size_t content = be16(b + 5) ? be16(b + 5) : 65536; /* where the cells begin */
    if ((!interior && n->type != PAGE_LEAF) || at + ptrs + nptr > content || content > f->usable) return 0;
    n->area = content;
    size_t cells = interior ? f->usable - content : 0;
    if (!node_room(n, nptr + cells + 1)) return 0;
    size_t have = len - ptrs < nptr ? len - ptrs : nptr;
    memcpy(n->bytes, b + ptrs, have);
    if (have < nptr && !page_read(f, pg, at + ptrs + have, n->bytes + have, nptr - have)) return 0;
    if (cells && !page_read(f, pg, content, n->bytes + nptr, cells)) return 0;
    n->pg = pg;
    return 1;
}

/* Cell i's offset on the page. */
static size_t cell_at(const node *n, size_t i) { return be16(n->bytes + 2 * i); }

/* The key of cell i of n: an interior cell's, from the cells read (its child into *child), or
 * a leaf cell's rowid, read with the first CELL_HEAD bytes of the cell into head (*got of
 * them). */
static int cell_key(const rb_bar_cache_file *f, const node *n, size_t i, int64_t *key, uint32_t *child,
                    unsigned char head[CELL_HEAD], size_t *got)
{
    size_t at = cell_at(n, i);
    uint64_t v = 0;
    if (n->type == PAGE_INTERIOR) {
        if (at < n->area || at >= f->usable) return 0;
        const unsigned char *c = n->bytes + 2 * n->ncells + (at - n->area);
        size_t len = f->usable - at;
        if (len < 5 || !varint(c + 4, len - 4, &v)) return 0;
        *child = be32(c);
        *key = (int64_t)v;
        return 1;
    }
    size_t len = at < f->usable ? f->usable - at : 0, n1;
    if (len > CELL_HEAD) len = CELL_HEAD;
    if (len == 0 || !page_read(f, n->pg, at, head, len)) return 0;
    *got = len;
    if (!(n1 = varint(head, len, &v)) || !varint(head + n1, len - n1, &v)) return 0; /* the payload's size, the rowid */
    *key = (int64_t)v;
    return 1;
}

/* The leaf page and the offset of row rowid's cell, from bar_cache's root; the cell's first
 * bytes into head (*got of them). The root and the last leaf stay read (f->root, f->leaf). */
static int find_row(rb_bar_cache_file *f, int64_t rowid, uint32_t *leaf, size_t *cell, unsigned char head[CELL_HEAD],
                    size_t *got)
{
    uint32_t pg = f->root_pg;
    for (int depth = 0; depth < MOST_DEPTH && pg != 0; depth++) {
        node *n = pg == f->root.pg ? &f->root : pg == f->leaf.pg ? &f->leaf : &f->other;
        if (n->pg != pg && !node_read(f, pg, n)) return 0;
        if (n == &f->other && n->type == PAGE_LEAF) { /* kept as the last leaf */
            node t = f->leaf;
            f->leaf = f->other;
            f->other = t;
            n = &f->leaf;
        } else if (depth == 0 && n == &f->other) {
            node t = f->root; /* the root, read first: kept */
            f->root = f->other;
            f->other = t;
            n = &f->root;
        }
        /* the first cell whose key is at least rowid (cells are in key order) */
        size_t lo = 0, hi = n->ncells;
        uint32_t child = 0, lo_child = n->right;
        int64_t key = 0;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (!cell_key(f, n, mid, &key, &child, head, got)) return 0;
            if (n->type == PAGE_LEAF && key == rowid) {
                *leaf = pg;
                *cell = cell_at(n, mid);
                return 1;
            }
            if (key >= rowid) {
                hi = mid;
                lo_child = child;
            } else {
                lo = mid + 1;
            }
        }
        if (n->type == PAGE_LEAF) return 0; /* not there */
        pg = lo_child;                       /* an interior page: the keys up to a cell's key lie left of it */
    }
    return 0;
}

/* An integer of the record of serial type t at p (avail bytes there): its value and size;
 * 0 for any other type. */
static int int_value(uint64_t t, const unsigned char *p, size_t avail, int64_t *v, size_t *size)
{
    static const unsigned char sizes[7] = {0, 1, 2, 3, 4, 6, 8};
    if (t == 8 || t == 9) {
        *v = (int64_t)t - 8;
        *size = 0;
        return 1;
    }
    if (t < 1 || t > 6 || sizes[t] > avail) return 0;
    uint64_t x = p[0] & 0x80 ? UINT64_MAX : 0; /* two's complement, big-endian */
    for (size_t i = 0; i < sizes[t]; i++) x = x << 8 | p[i];
    *v = (int64_t)x;
    *size = sizes[t];
    return 1;
}

/* Opens the file SQLite has open and reads what every row needs: within the caller's read
 * transaction, so that the header is the one SQLite reads. */
static int open_file(rb_bar_cache_file *f, sqlite3 *db)
{
    const char *path = sqlite3_db_filename(db, "main");
    if (!path || !*path) return 0; /* in memory */
    f->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (f->fd < 0) return 0;
    /* The same file: SQLite's is still at the path, and the path's is ours. */
    struct stat ours, now;
    if (fstat(f->fd, &ours) != 0 || !S_ISREG(ours.st_mode) || rb_sqlite_file_was_removed(db) ||
        stat(path, &now) != 0 || now.st_dev != ours.st_dev || now.st_ino != ours.st_ino)
        return 0;
    unsigned char h[100];
    if (!read_at(f->fd, h, sizeof h, 0) || memcmp(h, "SQLite format 3", 16) != 0) return 0;
    uint32_t page = be16(h + 16) == 1 ? 65536 : be16(h + 16);
    if (page < 512 || page > 65536 || (page & (page - 1)) != 0) return 0;
    if (h[18] != 1 || h[19] != 1) return 0; /* 2: WAL mode */
    f->page = page;
    f->usable = page - h[20];
    if (f->usable < 480) return 0;
    /* the header's page count is valid when its change counter matches (the format's rule);
     * pages past the end of the file are not read either way */
    uint64_t in_file = (uint64_t)ours.st_size / page, counted = be32(h + 28);
    f->npages = counted != 0 && be32(h + 92) == be32(h + 24) && counted < in_file ? counted : in_file;
    int64_t root = 0; /* 0 when the table is not there, or the query fails */
    (void)rb_sqlite_one_int(db, "SELECT rootpage FROM sqlite_schema WHERE type = 'table' AND name = 'bar_cache'",
                            &root);
    if (root < 2 || (uint64_t)root > f->npages) return 0;
    f->root_pg = (uint32_t)root;
    return 1;
}

/* Within a read transaction that wrote nothing: SQLite's SHARED lock keeps writers out of a
 * file in rollback-journal mode, and no page of the connection's differs from the file's. */
static int reading(sqlite3 *db)
{
#if SQLITE_VERSION_NUMBER >= 3034000
    return sqlite3_txn_state(db, "main") == SQLITE_TXN_READ;
#else
    (void)db;
    return 0;
#endif
}

/* Row rowid found in the file and its record read into *at: its integers, where its BLOB
 * begins in its payload and how long it is. 0 where the file is not read here, or the row is
 * not found or not as bar_cache.c writes it. */
int rb_bar_cache_file_look(rb_bar_cache_file *f, sqlite3 *db, int64_t rowid, rb_bar_cache_spot *at)
{
    at->found = 0;
    if (disabled || f->state < 0 || !reading(db)) return 0;
    if (f->state == 0) f->state = open_file(f, db) ? 1 : -1;
    if (f->state < 0) return 0;
    size_t cell, len = 0;
    unsigned char b[CELL_HEAD];
    if (!find_row(f, rowid, &at->leaf, &cell, b, &len)) return 0;
    uint64_t P, key, hsize;
    size_t n1 = varint(b, len, &P), n2 = n1 ? varint(b + n1, len - n1, &key) : 0; /* the rowid: find_row's */
    if (!n2) return 0;
    /* How much of the payload the leaf holds (the format's rule for table leaves). */
    const uint64_t U = f->usable, X = U - 35, M = (U - 12) * 32 / 255 - 23;
    uint64_t local = P;
    if (P > X) {
        uint64_t K = M + (P - M) % (U - 4);
        local = K <= X ? K : M;
    }
    at->payload = cell + n1 + n2; /* on the page */
    if (at->payload + local + (P > local ? 4 : 0) > f->usable) return 0;
    /* The record: its header, then NULL (the rowid alias), four integers, the BLOB. */
    const unsigned char *r = b + n1 + n2;
    size_t avail = len - n1 - n2;
    if (avail > local) avail = (size_t)local; /* what follows the leaf's part is not the record's */
    size_t h = varint(r, avail, &hsize);
    if (!h || hsize > avail || hsize > local) return 0;
    uint64_t type[6];
    for (int k = 0; k < 6; k++) {
        size_t n = h < hsize ? varint(r + h, (size_t)hsize - h, &type[k]) : 0;
        if (!n) return 0;
        h += n;
    }
    if (h != hsize || type[0] != 0 || type[5] < 12 || type[5] % 2 != 0) return 0;
    size_t off = (size_t)hsize;
    for (int k = 0; k < 4; k++) {
        size_t size;
        if (!int_value(type[k + 1], r + off, avail > off ? avail - off : 0, &at->value[k], &size)) return 0;
        off += size;
    }
    at->boff = off; /* the BLOB's offset in the payload, and the payload's last byte */
    at->bytes = (type[5] - 12) / 2;
    if (at->boff + at->bytes != P) return 0;
    at->P = P;
    at->local = local;
    at->rowid = rowid;
    at->found = 1;
    return 1;
}

int rb_bar_cache_file_read(rb_bar_cache_file *f, sqlite3 *db, const rb_bar_cache_spot *spot,
                           const rb_bar_cache_row *row, void *out, size_t bytes)
{
    /* the row where rb_bar_cache_file_look found it (still within a read transaction that
     * wrote nothing), else found now */
    rb_bar_cache_spot here;
    const rb_bar_cache_spot *at = spot;
    if (!(spot && spot->found && spot->rowid == row->rowid && f->state > 0 && !disabled && reading(db))) {
        if (!rb_bar_cache_file_look(f, db, row->rowid, &here)) return 0;
        at = &here;
    }
    const int64_t want[4] = {row->layout, row->nbars, row->first, row->last};
    for (int k = 0; k < 4; k++)
        if (at->value[k] != want[k]) return 0;
    if (at->bytes != bytes) return 0;
    const uint32_t leaf = at->leaf;
    const uint64_t P = at->P, local = at->local, boff = at->boff, U = f->usable;
    unsigned char *to = out, next[4];
    if (P == local) return page_read(f, leaf, at->payload + (size_t)boff, to, bytes);
    /* the leaf's part and the first overflow page's number after it, in one read */
    if (boff < local ? !read_two(f->fd, to, (size_t)(local - boff), next, 4,
                                 (uint64_t)(leaf - 1) * f->page + at->payload + boff)
                     : !page_read(f, leaf, at->payload + (size_t)local, next, 4))
        return 0;
    /* The overflow chain: page after page, each U - 4 bytes of the payload after its number. */
    uint64_t pos = local, pages = (P - local + U - 5) / (U - 4);
    for (uint64_t k = 0; k < pages; k++) {
        uint64_t end = pos + (U - 4) < P ? pos + (U - 4) : P, from = pos > boff ? pos : boff;
        size_t part = from < end ? (size_t)(end - from) : 0;
        if (!overflow_read(f, be32(next), next, (size_t)(from - pos), to + (from - boff), part)) return 0;
        pos = end;
    }
    return be32(next) == 0; /* the chain ends where the BLOB does */
}
