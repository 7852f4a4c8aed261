/* thread.h - starting a helper thread beside the one that asks for it. Internal. */
#ifndef RB_THREAD_H
#define RB_THREAD_H

#include <pthread.h>

/* pthread_create(thread, NULL, fn, arg), but the new thread may run on any processor the
 * caller may use except the one the caller runs on now, when there is another (else on any
 * the caller may use). A helper (the results writer, a side computation) then starts on an
 * idle core instead of waking on the caller's and taking turns with it: Linux places a new
 * thread on its creator's processor when it does not find the other idler, and on the 2-core
 * development VM the creator then waited for its helper's first slices (bench/README.md,
 * tenth session). Returns pthread_create's code. */
int rb_thread_start_beside(pthread_t *thread, void *(*fn)(void *), void *arg);

/* The same, away from processor cpu (rb_thread_start_beside: the caller's); a cpu the caller
 * may not use, or the only one it may, leaves the new thread the caller's processors. */
int rb_thread_start_away(pthread_t *thread, void *(*fn)(void *), void *arg, int cpu);

/* Moves a thread already started (one waiting for work, say) beside the caller, as
 * rb_thread_start_beside would have started it: onto the processors the caller may use but
 * the one it runs on now, when there is another. Nothing changes where that fails. */
void rb_thread_move_beside(pthread_t thread);

/* The processor the calling thread runs on now, or -1 where that is not known. */
int rb_thread_cpu(void);

/* For a thread another started without asking where (an OpenMP team's, which its runtime
 * creates): if the calling thread runs on processor cpu, it moves to another processor it
 * may use, when there is one, and may then use all of them again. Linux may start a new
 * thread on its creator's processor, where it waits for the scheduler's tick to run (4 ms on
 * the 2-core development VM) and then takes turns with its creator until a later tick moves
 * one of them (bench/README.md, thirtieth session). Returns 1 when the thread moved. */
int rb_thread_leave_cpu(int cpu);

/* 1 when the calling thread may run on more than one processor: a wait for another thread
 * may then poll before it sleeps, that thread running meanwhile on another processor (a
 * sleeper woken on the 2-core development VM resumed some 0.1 ms after the wake). */
int rb_thread_may_poll(void);
/* Polls *word (read atomically) for up to ns nanoseconds: 1 once it is not 0, else 0. */
int rb_thread_poll_set(const int *word, long ns);

/* A job run on a helper that then stays, for a while, the process's spare: the next
 * rb_thread_start_beside (or _away) hands its function to that thread, already started
 * and on the other processor, instead of starting one (0.15-0.3 ms on the 2-core
 * development VM, the first of a process the most). rebal sweep parses its sweep file this
 * way beside the price store's open, and the sweep's side job then runs on the same
 * thread. A spare not given a job within RB_SPARE_WAIT_MS ends by itself; there is at most
 * one. The job's end: rb_spare_wait (the caller never joins the thread). */
#define RB_SPARE_WAIT_MS 100
typedef struct rb_spare {
    void *(*fn)(void *);
    void *arg;
    void *result;
    int done; /* under the spare's lock (thread.c) */
    struct rb_spare_ticket *ticket; /* who runs the job, shared with its helper (thread.c) */
} rb_spare;

/* Runs fn(arg) as above; s stays the caller's, and must live until rb_spare_wait returns
 * (or rb_spare_claim gives the job back). Returns pthread_create's code (then nothing runs:
 * the caller does the job itself). */
int rb_thread_run_spare(rb_spare *s, void *(*fn)(void *), void *arg);
/* Takes the job back if its helper has not begun it yet (on a busy machine, or a virtual
 * one whose other processor the host runs late, a new thread may start milliseconds after
 * its creation): 1, and the caller runs fn itself; the helper never will, nor touch s again
 * (it goes on as the spare). 0 when the helper has begun it: rb_spare_wait then. At most once,
 * before rb_spare_wait. */
int rb_spare_claim(rb_spare *s);
/* Waits for the job's end; returns fn's result. */
void *rb_spare_wait(rb_spare *s);
/* 1 when the job has ended (rb_spare_wait would not wait), else 0. */
int rb_spare_done(rb_spare *s);
/* How long a spare waits for its next job from now on (ms; RB_SPARE_WAIT_MS until set): for
 * the tests, whose machine may be slower than any wait. */
void rb_thread_spare_patience(long ms);

#endif /* RB_THREAD_H */
