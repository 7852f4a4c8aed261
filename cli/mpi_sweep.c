/* mpi_sweep.c - rank 0 of an MPI sweep (mpi_sweep.h): MPI started and ended, the sweep sent
 * to the workers, chunks handed out as they ask (sweep_chunks.h), their results stored. */
#include <mpi.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "cli.h"
#include "error.h"
#include "matrix_wire.h"
#include "series_wire.h"
#include "mpi_pack.h"
#include "mpi_sweep.h"
#include "mpi_wire.h"
#include "spec.h"
#include "sweep.h"
#include "sweep_chunks.h"
#include "sweep_inputs.h"

/* How long rank 0, stopped, waits for the workers to answer (cli_mpi_settle): mpirun's stop
 * sends SIGKILL a second after SIGTERM (its odls_base_sigkill_timeout). The rows and the
 * sweep's status are committed before this wait, not after. */
#define STOP_GRACE_SECONDS 0.4

/* Waiting for a message: a probe, then naps from 50 us doubling up to 1 ms while nothing
 * comes, so that an idle rank 0 (or a worker waiting for the sweep) leaves the cores to the
 * workers; a chunk of at least 192 configurations takes milliseconds, so the answer to a
 * worker comes late by a fraction of its chunk at most. */
#define NAP_MIN_NS 50000L
#define NAP_MAX_NS 1000000L

double cli_mpi_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cli_mpi_wait(int source, MPI_Status *st, volatile int *stop, double deadline)
{
    long nap_ns = NAP_MIN_NS;
    for (;;) {
        int flag = 0;
        MPI_Iprobe(source, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, st);
        if (flag) return 1;
        if ((stop && *stop) || (deadline > 0 && cli_mpi_now() > deadline)) return 0;
        struct timespec nap = {0, nap_ns};
        nanosleep(&nap, NULL);
        nap_ns = nap_ns * 2 < NAP_MAX_NS ? nap_ns * 2 : NAP_MAX_NS;
    }
}

void cli_mpi_complete(MPI_Request *req)
{
    long nap_ns = NAP_MIN_NS;
    for (;;) {
        int done = 0;
        MPI_Test(req, &done, MPI_STATUS_IGNORE);
        if (done) return;
        struct timespec nap = {0, nap_ns};
        nanosleep(&nap, NULL);
        nap_ns = nap_ns * 2 < NAP_MAX_NS ? nap_ns * 2 : NAP_MAX_NS;
    }
}

int cli_mpi_bcast_bytes(void *buf, uint64_t bytes)
{
    const uint64_t piece = UINT64_C(1) << 30;
    for (uint64_t at = 0; at < bytes; at += piece) {
        int n = (int)(bytes - at < piece ? bytes - at : piece);
        if (MPI_Bcast((char *)buf + at, n, MPI_BYTE, 0, MPI_COMM_WORLD) != MPI_SUCCESS) return 0;
    }
    return 1;
}

/* Set by mpirun (Open MPI), srun and other PMI launchers. */
static int launched_by_mpi(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK") || getenv("PMI_SIZE");
}

int cli_mpi_start(cli_mpi *mp)
{
    memset(mp, 0, sizeof *mp);
    mp->size = 1;
    if (!launched_by_mpi()) return CLI_OK;
    /* Only the main thread calls MPI (the OpenMP threads and the results writer do not). */
    int provided = 0;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "rebal: MPI_Init failed: cannot run as an MPI rank\n");
        return CLI_RUNTIME;
    }
    mp->started = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &mp->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &mp->size);
    return CLI_OK;
}

int cli_mpi_finish(cli_mpi *mp, int status)
{
    if (!mp->started) return status;
    cli_mpi_settle(mp); /* when the sweep was stopped and the outcome did not wait already */
    if (mp->rank == 0 && mp->size > 1 && !mp->job_sent) {
        for (int r = 1; r < mp->size; r++) MPI_Send(NULL, 0, MPI_BYTE, r, TAG_QUIT, MPI_COMM_WORLD);
        mp->workers_done = 1;
    }
    if (mp->rank == 0 && mp->size > 1 && !mp->workers_done) {
        /* Workers may still be running (or be dead): end them all, with the command's status. */
        fflush(stdout);
        fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, status ? status : CLI_RUNTIME);
    }
    MPI_Finalize();
    return status;
}

/* The sweep's text and name, the digest of the files it names, the bonus target and
 * (--broadcast-prices) the prices, to every worker. */
static rb_status send_job(cli_mpi *mp, const rb_sweep_work *w, rb_error *err)
{
    const char *text = rb_sweep_text(w->sweep);
    unsigned char *packed = NULL, *series = NULL;
    size_t packed_bytes = 0, series_bytes = 0;
    int from_file = 0, files_any = 0;
    const char *name = rb_sweep_name(w->sweep, &from_file);
    uint64_t files = 0;
    rb_status rc = rb_sweep_files_digest(w->sweep, &files, &files_any, err);
    if (rc == RB_OK && mp->broadcast) rc = rb_series_pack(w->prices, w->sweep, &series, &series_bytes, err);
    if (rc == RB_OK && mp->broadcast) rc = rb_matrix_pack(w->m, &packed, &packed_bytes, err);
    if (rc != RB_OK) { /* the workers are sent TAG_QUIT by cli_mpi_finish */
        free(series);
        return rc;
    }
    job_header h = {.spec_bytes = strlen(text) + 1,
                    .name_bytes = strlen(name) + 1,
                    .files_digest = files,
                    .from_file = from_file,
                    .files_any = files_any,
                    .matrix_bytes = packed_bytes,
                    .series_bytes = series_bytes,
                    .assets = w->m->N,
                    .has_bonus = w->bo->bonus_target != NULL,
                    .bonus = w->bo->bonus};
    for (int r = 1; r < mp->size; r++) MPI_Send(&h, sizeof h, MPI_BYTE, r, TAG_JOB, MPI_COMM_WORLD);
    mp->job_sent = 1;
    int ok = cli_mpi_bcast_bytes((void *)text, h.spec_bytes);
    if (ok) ok = cli_mpi_bcast_bytes((void *)name, h.name_bytes);
    if (ok && h.has_bonus) ok = cli_mpi_bcast_bytes((void *)w->bo->bonus_target, h.assets * sizeof(double));
    if (ok && packed) ok = cli_mpi_bcast_bytes(packed, packed_bytes);
    if (ok && series) ok = cli_mpi_bcast_bytes(series, series_bytes);
    free(packed);
    free(series);
    return ok ? RB_OK : rb_fail(err, RB_ERR_IO, "MPI: sending the sweep to the other ranks failed");
}

/* Hands a worker's rows to the sweep (results store, failure count, progress). */
static rb_status deliver(const rb_sweep_work *w, const unsigned char *msg, size_t bytes, int src, uint64_t *completed,
                         rb_error *err)
{
    cli_wire_in in;
    rb_status rc = cli_wire_open(&in, msg, bytes, src, err);
    uint64_t delivered = 0;
    for (uint64_t i = 0; rc == RB_OK && i < in.h.rows; i++) {
        /* Stopped: the rows queued already are committed, and the sweep marked interrupted,
         * before mpirun's SIGKILL; the rest are left for --resume. */
        if (w->bo->stop && *w->bo->stop) break;
        uint64_t k = 0;
        const rb_metrics *m = NULL;
        const rb_error *why = NULL;
        int got = cli_wire_row(&in, i, src, &k, &m, &why, err);
        if (got < 0) rc = err ? err->code : RB_ERR_IO;
        else if (got == 1) rc = w->result_fn(w->ctx, k, m, err);
        else if (got == 2) rc = w->bo->failed(w->ctx, k, why, err);
        if (rc == RB_OK && got > 0) ++*completed, delivered++;
    }
    if (w->bo->done) __atomic_add_fetch(w->bo->done, delivered, __ATOMIC_RELAXED);
    return rc;
}

/* Rank 0's state while serving the workers; kept past cli_mpi_exec when it was stopped, for
 * cli_mpi_settle (mp->server). */
struct cli_mpi_server {
    cli_mpi *mp;
    const rb_sweep_work *w; /* NULL once cli_mpi_exec returned */
    volatile sig_atomic_t *stop;
    rb_chunker chunks;
    unsigned char *buf;
    size_t cap;
    char *finished;    /* per rank: told the sweep is over, or stopped, or failed */
    uint64_t *answered; /* per rank: its requests answered with a chunk */
    uint64_t *given;    /* per rank: non-empty chunks sent (each brings one more request) */
    MPI_Request *sent; /* per rank, WIRE_AHEAD: its last chunks, sent without waiting (a worker
                          stopped or dead never takes them, and rank 0 must not wait for it then) */
    int live;          /* workers not finished */
    int halted;        /* no more chunks: a worker failed or was stopped, or rank 0 was */
    double deadline;   /* rank 0 was stopped: the time it stops waiting for the workers (0: not) */
    int abandoned;     /* a receive into buf was given up: MPI may still write there */
};
typedef struct cli_mpi_server server;

/* A receive buffer under a receive given up: kept (and reachable) until the process ends,
 * MPI_Abort next, rather than freed under a transfer that may still be going on. */
static unsigned char *abandoned_buf;

static void server_free(server *s)
{
    if (!s) return;
    free(s->finished);
    free(s->answered);
    free(s->given);
    free(s->sent);
    if (s->abandoned) abandoned_buf = s->buf;
    else free(s->buf);
    free(s);
}

static server *server_new(cli_mpi *mp, const rb_sweep_work *w)
{
    server *s = rb_calloc(1, sizeof *s);
    size_t n = (size_t)mp->size;
    if (!s) return NULL;
    *s = (server){.mp = mp, .w = w, .stop = w->bo->stop, .live = mp->size - 1, .finished = rb_calloc(n, 1),
                  .answered = rb_calloc(n, sizeof *s->answered), .given = rb_calloc(n, sizeof *s->given),
                  .sent = rb_malloc(n * WIRE_AHEAD * sizeof *s->sent)};
    if (!s->finished || !s->answered || !s->given || !s->sent) {
        server_free(s);
        return NULL;
    }
    for (size_t r = 0; r < n * WIRE_AHEAD; r++) s->sent[r] = MPI_REQUEST_NULL;
    rb_chunker_init(&s->chunks, w->sweep, w->m, w->queue, w->n, mp->size - 1);
    return s;
}

/* Rank 0 stopped (SIGINT, SIGTERM: mpirun stops every rank when one dies): no more chunks,
 * and a short wait for the workers to answer. */
static int stopping(server *s)
{
    if (!s->deadline && s->stop && *s->stop) {
        s->halted = 1;
        s->deadline = cli_mpi_now() + STOP_GRACE_SECONDS;
    }
    return s->deadline > 0;
}

/* Receives a message probed: without waiting in MPI_Recv, which never returns when the
 * sender dies in the middle of a large message. 0: given up (rank 0 stopped, and the grace
 * passed), the worker is then named as not answering. */
static int receive(server *s, const MPI_Status *st, int bytes)
{
    MPI_Request req;
    MPI_Irecv(s->buf, bytes, MPI_BYTE, st->MPI_SOURCE, st->MPI_TAG, MPI_COMM_WORLD, &req);
    for (;;) {
        int done = 0;
        MPI_Test(&req, &done, MPI_STATUS_IGNORE);
        if (done) return 1;
        if (stopping(s) && cli_mpi_now() > s->deadline) { /* req is abandoned: MPI_Abort follows */
            s->abandoned = 1;
            return 0;
        }
        struct timespec nap = {0, 50000};
        nanosleep(&nap, NULL);
    }
}

static void finish_worker(server *s, int rank)
{
    if (!s->finished[rank]) s->finished[rank] = 1, s->live--;
}

/* Rank src's request answered with the next chunk (none when halted or every one is out). */
static void answer(server *s, int src, int give)
{
    size_t first = 0, n = give && !s->halted ? rb_chunker_next(&s->chunks, &first) : 0;
    /* The slot's previous chunk was taken before the worker sent this request. */
    MPI_Request *slot = &s->sent[(size_t)src * WIRE_AHEAD + s->answered[src] % WIRE_AHEAD];
    MPI_Wait(slot, MPI_STATUS_IGNORE);
    MPI_Isend(s->w->queue + first, (int)n, MPI_UINT64_T, src, TAG_CHUNK, MPI_COMM_WORLD, slot);
    s->answered[src]++;
    if (n) s->given[src]++;
    /* Every request answered, the last with nothing: the worker asks no more. */
    if (!n && s->answered[src] == WIRE_AHEAD + s->given[src]) finish_worker(s, src);
}

/* A message from a worker: its results (then its next chunk) or its failure. Once
 * cli_mpi_exec returned (s->w NULL) only whether the worker answers counts. */
static rb_status serve_one(server *s, const MPI_Status *st, uint64_t *completed, rb_status rc, rb_error *err)
{
    int bytes = 0, src = st->MPI_SOURCE;
    MPI_Get_count(st, MPI_BYTE, &bytes);
    if ((size_t)bytes + 1 > s->cap) {
        unsigned char *grown = rb_realloc(s->buf, (size_t)bytes + 1);
        if (!grown) return rb_fail(err, RB_ERR_NOMEM, "out of memory receiving rank %d's results", src);
        s->buf = grown, s->cap = (size_t)bytes + 1;
    }
    if (!receive(s, st, bytes)) return rc;
    if (st->MPI_TAG == TAG_FAIL) {
        s->buf[bytes] = 0;
        finish_worker(s, src);
        s->halted = 1;
        if (rc != RB_OK || !s->w) return rc;
        return rb_fail(err, RB_ERR_IO, "rank %d: %s", src, (char *)s->buf);
    }
    results_header h = {0};
    if ((size_t)bytes >= sizeof h) memcpy(&h, s->buf, sizeof h);
    if (rc == RB_OK && s->w) rc = deliver(s->w, s->buf, (size_t)bytes, src, completed, err);
    if (h.stopping) {
        finish_worker(s, src);
        if (!s->halted && !s->mp->note[0])
            snprintf(s->mp->note, sizeof s->mp->note, "rank %d was stopped (SIGINT or SIGTERM)", src);
        s->halted = 1;
        return rc;
    }
    if (s->w) answer(s, src, rc == RB_OK);
    return rc;
}

/* Appends to the note, cut at its size. */
static void note_add(cli_mpi *mp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note_add(cli_mpi *mp, const char *fmt, ...)
{
    size_t at = strlen(mp->note);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(mp->note + at, sizeof mp->note - at, fmt, ap);
    va_end(ap);
}

/* Names the workers that did not answer once the sweep was stopped: dead, or slower to stop
 * than rank 0 waits. */
static void note_silent(server *s)
{
    cli_mpi *mp = s->mp;
    if (mp->note[0]) note_add(mp, "; ");
    note_add(mp, "no answer from rank%s", s->live > 1 ? "s" : "");
    for (int r = 1, k = 0; r < mp->size; r++)
        if (!s->finished[r]) note_add(mp, "%s %d", k++ ? "," : "", r);
    note_add(mp, " within %.1f s (dead, or still stopping: mpirun's message names a rank that died)",
             STOP_GRACE_SECONDS);
}

/* The workers are done with (every one finished, or the grace passed): the note, and
 * whether they all ended normally (else cli_mpi_finish ends them). */
static void server_end(cli_mpi *mp)
{
    server *s = mp->server;
    if (s->live > 0) note_silent(s);
    mp->workers_done = s->live == 0 && !s->deadline && !mp->note[0];
    /* Every worker took its last (empty) chunks; otherwise rank 0 ends them all (cli_mpi_finish). */
    if (mp->workers_done) MPI_Waitall(mp->size * WIRE_AHEAD, s->sent, MPI_STATUSES_IGNORE);
    server_free(s);
    mp->server = NULL;
}

rb_status cli_mpi_exec(void *exec_ctx, const rb_sweep_work *w, uint64_t *completed, rb_error *err)
{
    cli_mpi *mp = exec_ctx;
    *completed = 0;
    rb_status rc = send_job(mp, w, err);
    if (rc != RB_OK) return rc;
    server *s = mp->server = server_new(mp, w);
    if (!s) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    /* Until every worker is done, or rank 0 is stopped: then the rows queued are committed
     * and the sweep marked interrupted at once (mpirun's SIGKILL follows its SIGTERM by a
     * second), and cli_mpi_settle waits for the workers' answers afterwards. */
    while (s->live > 0 && !stopping(s)) {
        MPI_Status st;
        if (cli_mpi_wait(MPI_ANY_SOURCE, &st, (volatile int *)s->stop, 0))
            rc = serve_one(s, &st, completed, rc, err);
    }
    s->w = NULL;
    if (!s->deadline) server_end(mp);
    return rc;
}

void cli_mpi_settle(cli_mpi *mp)
{
    server *s = mp->server;
    if (!s) return;
    rb_error ignored = {0};
    uint64_t none = 0;
    while (s->live > 0 && cli_mpi_now() <= s->deadline) {
        MPI_Status st;
        if (cli_mpi_wait(MPI_ANY_SOURCE, &st, NULL, s->deadline)) serve_one(s, &st, &none, RB_OK, &ignored);
    }
    server_end(mp);
}
