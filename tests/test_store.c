/* test_store.c - the SQLite price store: creation and schema, refusal (with the file left
 * untouched) of foreign, newer and corrupt files, read-only opens, the asset listing. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rebal.h"
#include "store.h"
#include "support.h"

static char *dir;

static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(store, .init = setup, .fini = teardown);

static int64_t query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", sql);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void exec_sql(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &msg), SQLITE_OK, "%s: %s", sql, msg ? msg : "");
}

/* Creates a store with a few bars committed through the store's own transaction helpers. */
static char *make_store_with_data(const char *name)
{
    char *path = rbt_path(dir, name);
    rb_store *s = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(path, 0, &s, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(rb_store_begin(s, &err), RB_OK, "%s", err.msg);
    exec_sql(s->db, "INSERT INTO assets(symbol) VALUES ('AAA'), ('BBB'), ('EMPTY');"
                    "INSERT INTO bars(asset_id, ts, close) VALUES "
                    "(1, 946684800, 10), (1, 946771200, 11), (1, 947116800, 12), (1, 947203200, 13),"
                    "(2, 946857600, 50);");
    cr_assert_eq(rb_store_commit(s, &err), RB_OK, "%s", err.msg);
    rb_store_free(s);
    return path;
}

/* Opens path expecting failure with code and a message containing needle; checks the file
 * still holds exactly the bytes it held before. */
static void expect_refused(const char *path, unsigned flags, rb_status code, const char *needle)
{
    char *before = rbt_path(dir, "before.copy");
    rbt_copy_file(path, before);
    rb_store *s = NULL;
    rb_error err = {0};
    rb_status rc = rb_store_open(path, flags, &s, &err);
    cr_assert_eq(rc, code, "expected status %d, got %d: %s", code, rc, err.msg);
    cr_assert_null(s);
    cr_assert_eq(err.code, code);
    cr_assert_not_null(strstr(err.msg, needle), "message '%s' lacks '%s'", err.msg, needle);
    cr_assert_not_null(strstr(err.msg, path), "message '%s' does not name the file", err.msg);
    cr_assert_null(strchr(err.msg, '\n'), "message is not one line: '%s'", err.msg);
    cr_assert(rbt_same_bytes(path, before), "the refused file was modified");
    unlink(before);
    free(before);
}

static char *journal_mode(sqlite3 *db)
{
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    char *mode = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return mode;
}

/* WAL while a writer has the store (readers never block it), rollback-journal mode at rest
 * (readers need no -shm: a store in a read-only directory reads, and no reader leaves a file
 * beside it). */
Test(store, creates_a_versioned_schema_in_wal_mode_and_rests_in_rollback_mode)
{
    char *path = rbt_path(dir, "new.db");
    rb_store *w = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(path, 0, &w, &err), RB_OK, "%s", err.msg);
    char *mode = journal_mode(w->db);
    cr_assert_str_eq(mode, "wal", "a writer's store is not in WAL mode");
    free(mode);
    rb_store_free(w);
    free(path);
    path = make_store_with_data("new.db");
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(query_int(db, "PRAGMA user_version"), rb_store_schema_version());
    cr_assert_eq(query_int(db, "PRAGMA application_id"), 0x7265626C);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN "
                               "('assets', 'bars', 'imports')"), 3);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'bars' AND sql LIKE '%WITHOUT ROWID%'"), 1);
    /* pages of 64 KiB: a sweep reads each asset's cached bars as one BLOB (store.c) */
    cr_assert_eq(query_int(db, "PRAGMA page_size"), 65536);
    mode = journal_mode(db);
    cr_assert_str_eq(mode, "delete", "the store at rest is not in rollback-journal mode");
    free(mode);
    sqlite3_close(db);
    free(path);
}

Test(store, enforces_foreign_keys_and_the_primary_key)
{
    char *path = make_store_with_data("fk.db");
    rb_store *s = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(path, 0, &s, &err), RB_OK, "%s", err.msg);
    cr_assert_neq(sqlite3_exec(s->db, "INSERT INTO bars(asset_id, ts, close) VALUES (99, 0, 1)", NULL, NULL, NULL),
                  SQLITE_OK, "a bar of a missing asset was accepted");
    cr_assert_neq(sqlite3_exec(s->db, "INSERT INTO bars(asset_id, ts, close) VALUES (1, 946684800, 1)", NULL, NULL, NULL),
                  SQLITE_OK, "a second bar at the same time was accepted");
    rb_store_free(s);
    free(path);
}

Test(store, reopens_and_opens_read_only)
{
    char *path = make_store_with_data("again.db");
    char *copy = rbt_path(dir, "again.copy");
    rbt_copy_file(path, copy);
    rb_store *s = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(path, RB_STORE_READONLY, &s, &err), RB_OK, "%s", err.msg);
    cr_assert_neq(sqlite3_exec(s->db, "INSERT INTO assets(symbol) VALUES ('X')", NULL, NULL, NULL), SQLITE_OK,
                  "a read-only store accepted a write");
    rb_store_free(s);
    cr_assert(rbt_same_bytes(path, copy), "a read-only open changed the file");
    cr_assert_eq(rb_store_open(path, 0, &s, &err), RB_OK, "%s", err.msg);
    rb_store_free(s);
    cr_assert(rbt_same_bytes(path, copy), "reopening an up-to-date store changed the file");
    free(copy);
    free(path);
}

Test(store, read_only_open_of_a_missing_file_creates_nothing)
{
    char *path = rbt_path(dir, "missing.db");
    rb_store *s = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(path, RB_STORE_READONLY, &s, &err), RB_ERR_NOT_FOUND);
    cr_assert_not_null(strstr(err.msg, "no such price store"), "%s", err.msg);
    cr_assert_neq(access(path, F_OK), 0, "the missing store was created");
    free(path);
}

Test(store, a_created_store_that_never_received_data_is_removed)
{
    char *path = rbt_path(dir, "unused.db");
    rb_store *s = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(path, 0, &s, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(access(path, F_OK), 0);
    rb_store_free(s);
    cr_assert_neq(access(path, F_OK), 0, "an unused new store was left behind");
    char *wal = rbt_path(dir, "unused.db-wal");
    cr_assert_neq(access(wal, F_OK), 0);
    free(wal);
    free(path);
}

Test(store, refuses_a_file_that_is_not_sqlite)
{
    char *path = rbt_write_file(dir, "prices.csv", "symbol,date,price\nAAA,2000-01-01,1\n");
    expect_refused(path, 0, RB_ERR_SCHEMA, "not a SQLite database");
    expect_refused(path, RB_STORE_READONLY, RB_ERR_SCHEMA, "not a SQLite database");
    free(path);
}

Test(store, refuses_a_short_file)
{
    char *path = rbt_write_file(dir, "short.db", "SQLite");
    expect_refused(path, 0, RB_ERR_SCHEMA, "not a SQLite database");
    free(path);
}

Test(store, adopts_an_empty_file_and_an_empty_sqlite_database)
{
    char *empty = rbt_write_file(dir, "empty.db", "");
    rb_store *s = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(empty, 0, &s, &err), RB_OK, "%s", err.msg);
    rb_store_free(s);

    char *blank = rbt_path(dir, "blank.db");
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(blank, &db), SQLITE_OK);
    exec_sql(db, "PRAGMA user_version = 0; VACUUM;");
    sqlite3_close(db);
    cr_assert_eq(rb_store_open(blank, 0, &s, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(query_int(s->db, "PRAGMA user_version"), rb_store_schema_version());
    /* a file SQLite wrote before keeps its pages (SQLite's default here) */
    cr_assert_eq(query_int(s->db, "PRAGMA page_size"), 4096);
    rb_store_free(s);
    free(empty);
    free(blank);
}

Test(store, refuses_another_applications_database)
{
    char *path = rbt_path(dir, "other.db");
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    exec_sql(db, "CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers VALUES (1, 'x');");
    sqlite3_close(db);
    expect_refused(path, 0, RB_ERR_SCHEMA, "not a rebal price store");
    expect_refused(path, RB_STORE_READONLY, RB_ERR_SCHEMA, "not a rebal price store");
    free(path);
}

Test(store, refuses_a_newer_schema)
{
    char *path = make_store_with_data("newer.db");
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    exec_sql(db, "PRAGMA user_version = 99");
    sqlite3_close(db);
    expect_refused(path, 0, RB_ERR_SCHEMA, "newer rebal (schema version 99");
    expect_refused(path, RB_STORE_READONLY, RB_ERR_SCHEMA, "upgrade rebal");
    free(path);
}

/* Overwrites len bytes at offset with garbage. */
static void damage(const char *path, long offset, size_t len)
{
    FILE *f = fopen(path, "r+b");
    cr_assert_not_null(f);
    cr_assert_eq(fseek(f, offset, SEEK_SET), 0);
    for (size_t i = 0; i < len; i++) fputc((int)(0xA5 ^ (i * 37)), f);
    fclose(f);
}

Test(store, refuses_a_corrupt_header)
{
    char *path = make_store_with_data("corrupt-header.db");
    damage(path, 16, 8); /* page size, format versions, reserved space */
    expect_refused(path, 0, RB_ERR_SCHEMA, "corrupt");
    free(path);
}

Test(store, refuses_a_corrupt_schema_page)
{
    char *path = make_store_with_data("corrupt-schema.db");
    damage(path, 100, 400); /* the b-tree page header and cells of sqlite_schema */
    expect_refused(path, 0, RB_ERR_SCHEMA, "corrupt");
    free(path);
}

Test(store, names_unknown_symbols)
{
    char *path = make_store_with_data("lookup.db");
    rb_store *s = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(path, RB_STORE_READONLY, &s, &err), RB_OK, "%s", err.msg);
    int64_t id = -1;
    cr_assert_eq(rb_store_asset_id(s, "BBB", &id, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(id, 2);
    id = -1;
    cr_assert_eq(rb_store_asset_id(s, "ZZZ", &id, &err), RB_ERR_NOT_FOUND);
    cr_assert_eq(id, -1, "the out-parameter was written on failure");
    cr_assert_not_null(strstr(err.msg, "unknown symbol 'ZZZ'"), "%s", err.msg);
    rb_store_free(s);
    free(path);
}

Test(store, lists_assets_with_their_largest_gap)
{
    char *path = make_store_with_data("list.db");
    rb_store *s = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(path, RB_STORE_READONLY, &s, &err), RB_OK, "%s", err.msg);
    rb_asset_info *list = NULL;
    size_t n = 0;
    cr_assert_eq(rb_store_list_assets(s, &list, &n, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(n, 3);
    /* AAA: 2000-01-01, 01-02, 01-06, 01-07: the largest gap is 01-02 to 01-06 (4 days). */
    cr_assert_str_eq(list[0].symbol, "AAA");
    cr_assert_eq(list[0].bars, 4);
    cr_assert_eq(list[0].first, 946684800);
    cr_assert_eq(list[0].last, 947203200);
    cr_assert_eq(list[0].gap_from, 946771200);
    cr_assert_eq(list[0].gap_to, 947116800);
    /* BBB: one bar, no gap. */
    cr_assert_str_eq(list[1].symbol, "BBB");
    cr_assert_eq(list[1].bars, 1);
    cr_assert_eq(list[1].first, 946857600);
    cr_assert_eq(list[1].last, 946857600);
    cr_assert_eq(list[1].gap_to - list[1].gap_from, 0);
    /* EMPTY: listed with no bars. */
    cr_assert_str_eq(list[2].symbol, "EMPTY");
    cr_assert_eq(list[2].bars, 0);
    free(list);
    rb_store_free(s);
    free(path);
}

Test(store, memory_store_works_and_leaves_no_file)
{
    rb_store *s = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(":memory:", 0, &s, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(query_int(s->db, "PRAGMA user_version"), rb_store_schema_version());
    rb_store_free(s);
    cr_assert_neq(access(":memory:", F_OK), 0);
}

Test(store, rollback_keeps_the_file_byte_for_byte)
{
    char *path = make_store_with_data("rollback.db");
    char *copy = rbt_path(dir, "rollback.copy");
    rbt_copy_file(path, copy);
    rb_store *s = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(path, 0, &s, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(rb_store_begin(s, &err), RB_OK, "%s", err.msg);
    exec_sql(s->db, "INSERT INTO assets(symbol) VALUES ('NEW'); DELETE FROM bars;");
    rb_store_rollback(s);
    rb_store_free(s);
    cr_assert(rbt_same_store(path, copy), "a rolled-back transaction changed the file");
    free(copy);
    free(path);
}

Test(store, rejects_an_empty_path)
{
    rb_store *s = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open("", 0, &s, &err), RB_ERR_USAGE);
    cr_assert_eq(rb_store_open(NULL, 0, &s, &err), RB_ERR_USAGE);
    cr_assert_null(s);
}
