/* report_oos.c - the out-of-sample test of a sweep in its report (report_oos.h), read through
 * the results reader: oos_windows.csv (each window's winner, its in-sample and out-of-sample
 * ranks), oos_curve.csv (the stitched curve against the in-sample winner's), the two charts
 * (charts/oos_curve, charts/oos_ranks) and the page's section. A sweep without a test gets
 * none of them, and an earlier report's are removed. */
#include "report_oos.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "charts.h"
#include "csv_write.h"
#include "error.h"
#include "gnuplot.h"
#include "report_files.h"
#include "report_finish.h"

static const char *const files[] = {"oos_windows.csv", "oos_curve.csv"};
static const char *const chart_names[] = {"oos_curve", "oos_ranks"};

/* An earlier report's test, when this sweep has none. */
static void remove_old(const char *dir)
{
    char path[4200];
    static const char *const ext[] = {".png", ".svg", ".gp", ".dat", ".err"};
    for (size_t k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[k]);
        remove(path);
        for (size_t e = 0; e < 5; e++) {
            snprintf(path, sizeof path, "%s/charts/%s%s", dir, chart_names[k], ext[e]);
            remove(path);
        }
    }
}

static void csv_rank(FILE *f, uint64_t v)
{
    if (v) fprintf(f, "%llu", (unsigned long long)v);
}

static int in_decile(uint64_t rank, uint64_t ranked) { return rank >= 1 && rank <= (ranked + 9) / 10; }

static rb_status write_windows(const rb_oos_result *o, rb_report *r, const char *dir, rb_error *err)
{
    FILE *f = rb_report_open(dir, files[0], err);
    if (!f) return err ? err->code : RB_ERR_IO;
    fprintf(f, "window,train_start,train_end,test_start,test_end,train_bars,test_bars,winner_config_id,"
               "winner_section,train_%s,test_%s,test_rank,ranked,in_top_decile,in_sample_test_rank,"
               "in_sample_in_top_decile,start_value,end_value\n", o->by, o->by);
    for (size_t i = 0; i < o->nwindows; i++) {
        const rb_oos_window *w = &o->windows[i];
        char a[32], b[32], c[32], d[32];
        fprintf(f, "%zu,%s,%s,%s,%s,%zu,%zu,%lld,", i + 1, rb_time_format(w->train_start, a),
                rb_time_format(w->train_end, b), rb_time_format(w->test_start, c), rb_time_format(w->test_end, d),
                w->train_bars, w->test_bars, (long long)w->winner_id);
        rb_csv_safe_text(f, w->winner_section);
        fputc(',', f);
        rb_csv_number(f, w->train_metric);
        fputc(',', f);
        rb_csv_number(f, w->test_metric);
        fputc(',', f);
        csv_rank(f, w->test_rank);
        fprintf(f, ",%llu,%d,", (unsigned long long)w->ranked, in_decile(w->test_rank, w->ranked));
        csv_rank(f, w->is_test_rank);
        fprintf(f, ",%d,", in_decile(w->is_test_rank, w->ranked));
        rb_csv_number(f, w->start_value);
        fputc(',', f);
        rb_csv_number(f, w->end_value);
        fputc('\n', f);
    }
    rb_status rc = rb_report_close(f, dir, files[0], RB_OK, err);
    return rc == RB_OK ? rb_report_add_file(r, files[0], err) : rc;
}

static rb_status write_curve(const rb_oos_result *o, rb_report *r, const char *dir, rb_error *err)
{
    FILE *f = rb_report_open(dir, files[1], err);
    if (!f) return err ? err->code : RB_ERR_IO;
    fputs("date,window,oos_value,in_sample_value\n", f);
    for (size_t t = 0; t < o->npoints; t++) {
        const rb_oos_point *p = &o->curve[t];
        char d[32];
        fprintf(f, "%s,%zu,", rb_time_format(p->time, d), p->window + 1);
        rb_csv_number(f, p->oos_value);
        fputc(',', f);
        rb_csv_number(f, p->is_value);
        fputc('\n', f);
    }
    rb_status rc = rb_report_close(f, dir, files[1], RB_OK, err);
    return rc == RB_OK ? rb_report_add_file(r, files[1], err) : rc;
}

/* The two charts' files, drawn by gnuplot when it is there; out[k] for chart_names[k]. */
static rb_status draw(const rb_oos_result *o, const rb_report *r, const char *dir, rb_chart_outcome out[2],
                      rb_error *err)
{
    char cdir[4096];
    snprintf(cdir, sizeof cdir, "%s/charts", dir);
    if (mkdir(cdir, 0777) != 0 && errno != EEXIST)
        return rb_fail(err, RB_ERR_IO, "%s: cannot create the charts folder: %s", cdir, strerror(errno));
    int ready[2] = {0, 0};
    rb_status rc = rb_chart_oos_curve(o, r->subtitle, cdir, &ready[0], err);
    if (rc == RB_OK) rc = rb_chart_oos_ranks(o, r->subtitle, cdir, &ready[1], err);
    if (rc != RB_OK) return rc;
    for (size_t k = 0; k < 2; k++) out[k] = (rb_chart_outcome){RB_CHART_NOT_APPLICABLE, "nothing to draw"};
    rb_gnuplot_run_ready(cdir, chart_names, ready, 2, out);
    return RB_OK;
}

rb_status rb_report_oos(rb_results_reader *reader, int64_t sweep_id, rb_report *r, const char *dir, int no_charts,
                        rb_report_summary *sum, rb_error *err)
{
    rb_oos_result *o = NULL;
    rb_status rc = rb_results_reader_oos(reader, sweep_id, &o, err);
    if (rc != RB_OK || !o) {
        if (rc == RB_OK) remove_old(dir);
        return rc;
    }
    rb_chart_outcome charts[2];
    for (size_t k = 0; k < 2; k++)
        charts[k] = (rb_chart_outcome){RB_CHART_NOT_APPLICABLE, "charts were not requested (--no-charts)"};
    rc = write_windows(o, r, dir, err);
    if (rc == RB_OK) rc = write_curve(o, r, dir, err);
    if (rc == RB_OK && !no_charts) rc = draw(o, r, dir, charts, err);
    if (rc == RB_OK) rc = rb_report_oos_html(o, dir, chart_names, charts, &r->extra_html, err);
    /* Beside the nine numbered charts: a failure or a missing gnuplot is said as theirs. */
    for (size_t k = 0; rc == RB_OK && k < 2; k++) rb_report_note_chart(sum, chart_names[k], &charts[k]);
    rb_oos_free(o);
    return rc;
}
