/* fault_stages.h - the small case of the fault-injection suite (test_fault_inject.c) and its
 * stages, import, run, sweep and report, each calling the library as the CLI's command does:
 * the files, the stores each stage must leave intact and what it prints. */
#ifndef RB_FAULT_STAGES_H
#define RB_FAULT_STAGES_H

#include <sqlite3.h>
#include <stdio.h>

#include "rebal.h"

#define FAULT_STORES 2  /* stores a stage watches, at most */
#define FAULT_QUERIES 2 /* queries on one store, at most */

/* The case's files, in dir. Each stage works on fresh copies of the templates (*_tpl). */
typedef struct fault_case {
    char *prices_tpl;  /* three assets of 40 bars */
    char *cached_tpl;  /* the same with the bar cache a sweep adds */
    char *results_tpl; /* sweep A recorded (from cached_tpl) */
    char *prices, *results, *keep, *report;
    char *csv_first;   /* what prices_tpl holds, to import into a new store */
    char *csv_more;    /* to import: a fourth asset, five more bars of A */
    char *sweep_a, *sweep_b;
    char *first_sweep_sql; /* sweep A's rows, in the columns it has before sweep B adds some */
} fault_case;

/* What a store must show after a pass: the query's rows as before the pass when it failed
 * (unless only_success), as the baseline pass left them when it succeeded. */
typedef struct fault_query {
    const char *const *sql;
    int only_success; /* a failed sweep keeps the rows it stored: --resume goes on from them */
} fault_query;

/* A store a stage must leave intact: a copy of tpl before each pass, or (tpl NULL) absent,
 * and then it may be absent after a failed pass too (it shows no rows). */
typedef struct fault_store {
    char *const *path, *const *tpl; /* in fault_the_case; tpl may be NULL */
    fault_query query[FAULT_QUERIES];
} fault_store;

typedef struct fault_stage {
    const char *name;
    /* What is counted, as the CLI does it; a success writes its output (what a recovered
     * failure must reproduce exactly) to out. */
    rb_status (*act)(const fault_case *c, FILE *out, rb_error *err);
    fault_store store[FAULT_STORES]; /* copied from their templates before each pass */
    char *const *empty_dir; /* emptied before each pass (may be NULL) */
} fault_stage;

extern fault_case fault_the_case;
extern const fault_stage fault_stages[];
extern const size_t fault_nstages;

/* Writes the case's files and templates into dir (fault_the_case); fault_free_case releases
 * its names. */
void fault_make_case(const char *dir);
void fault_free_case(void);

/* Fresh copies of the stage's stores from their templates; its output directory emptied. */
void fault_prepare(const fault_stage *st);

/* Every row the query gives, fields joined by '|' (malloc'ed); NULL when it fails. */
char *fault_dump(sqlite3 *db, const char *sql);

/* 1 when the file at path holds what tpl holds and has no write-ahead log with frames: a
 * store that nothing wrote to, intact without asking SQLite. */
int fault_untouched(const char *path, const char *tpl);

#endif /* RB_FAULT_STAGES_H */
