/*
 * A small SQLite program used by cld's real-code tests
 * (ld-core/tests/real_code.rs).
 *
 *   driver DBFILE
 *
 * Creates DBFILE (which must not exist), fills a few tables inside a
 * transaction with deterministic pseudo-random data, runs queries (GROUP BY,
 * JOIN, ORDER BY, aggregates, a prepared statement with bindings, a
 * recursive CTE, a window function), reads the database back from two
 * threads, and prints everything deterministically.  Exit status 0 on
 * success, 1 on any SQLite error (reported on stderr).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite3.h"

static sqlite3 *db;
static uint32_t rng_state = 12345;

static uint32_t rng(void) {
    rng_state = rng_state * 1103515245u + 12345u;
    return (rng_state >> 8) & 0xffffff;
}

static void die(const char *what, sqlite3 *handle) {
    fprintf(stderr, "driver: %s: %s\n", what, handle ? sqlite3_errmsg(handle) : "error");
    exit(1);
}

static void exec(const char *sql) {
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "driver: %s\n  in: %s\n", err ? err : "?", sql);
        sqlite3_free(err);
        exit(1);
    }
}

static sqlite3_stmt *prepare(sqlite3 *handle, const char *sql) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(handle, sql, -1, &st, NULL) != SQLITE_OK)
        die(sql, handle);
    return st;
}

/* Run a query and print every row, columns separated by " | ". */
static void query(const char *title, const char *sql) {
    sqlite3_stmt *st = prepare(db, sql);
    int cols = sqlite3_column_count(st);
    printf("-- %s\n", title);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < cols; i++) {
            if (i) fputs(" | ", stdout);
            switch (sqlite3_column_type(st, i)) {
            case SQLITE_INTEGER: printf("%lld", (long long)sqlite3_column_int64(st, i)); break;
            case SQLITE_FLOAT: printf("%.3f", sqlite3_column_double(st, i)); break;
            case SQLITE_NULL: fputs("NULL", stdout); break;
            default: fputs((const char *)sqlite3_column_text(st, i), stdout); break;
            }
        }
        putchar('\n');
    }
    if (rc != SQLITE_DONE) die(title, db);
    sqlite3_finalize(st);
}

static const char *const first_names[] = {
    "Ada", "Alan", "Barbara", "Charles", "Dennis", "Edsger", "Frances", "Grace",
    "Hedy", "John", "Ken", "Leslie", "Margaret", "Niklaus", "Radia", "Tony",
};
static const char *const last_names[] = {
    "Lovelace", "Turing", "Liskov", "Babbage", "Ritchie", "Dijkstra", "Allen",
    "Hopper", "Lamarr", "McCarthy", "Thompson", "Lamport", "Hamilton", "Wirth",
};

struct reader {
    const char *path;
    int department;
    long long total;
    int rows;
};

static void *reader_thread(void *arg) {
    struct reader *r = arg;
    sqlite3 *h;
    if (sqlite3_open_v2(r->path, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        die("open (reader)", h);
    sqlite3_stmt *st = prepare(h, "SELECT salary FROM employees WHERE dept_id = ?1");
    sqlite3_bind_int(st, 1, r->department);
    while (sqlite3_step(st) == SQLITE_ROW) {
        r->total += sqlite3_column_int64(st, 0);
        r->rows++;
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s DBFILE\n", argv[0]);
        return 2;
    }
    printf("sqlite %s, threadsafe=%d\n", sqlite3_libversion(), sqlite3_threadsafe());
    if (sqlite3_open(argv[1], &db) != SQLITE_OK) die("open", db);

    exec("CREATE TABLE departments (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, floor INTEGER);"
         "CREATE TABLE employees (id INTEGER PRIMARY KEY, first TEXT, last TEXT,"
         "  dept_id INTEGER REFERENCES departments(id), salary INTEGER, rating REAL);"
         "CREATE TABLE projects (id INTEGER PRIMARY KEY, title TEXT, lead_id INTEGER REFERENCES employees(id),"
         "  budget REAL);"
         "CREATE INDEX employees_dept ON employees(dept_id);");

    static const char *const depts[] = {"Compilers", "Databases", "Kernels", "Linkers", "Networks", "Security"};
    exec("BEGIN");
    sqlite3_stmt *ins = prepare(db, "INSERT INTO departments (id, name, floor) VALUES (?1, ?2, ?3)");
    for (int i = 0; i < 6; i++) {
        sqlite3_bind_int(ins, 1, i + 1);
        sqlite3_bind_text(ins, 2, depts[i], -1, SQLITE_STATIC);
        sqlite3_bind_int(ins, 3, 1 + i % 3);
        if (sqlite3_step(ins) != SQLITE_DONE) die("insert department", db);
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);

    ins = prepare(db, "INSERT INTO employees (first, last, dept_id, salary, rating) VALUES (?, ?, ?, ?, ?)");
    for (int i = 0; i < 400; i++) {
        char first[32];
        snprintf(first, sizeof first, "%s%d", first_names[rng() % 16], i % 7);
        sqlite3_bind_text(ins, 1, first, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 2, last_names[rng() % 14], -1, SQLITE_STATIC);
        if (i % 50 == 49)
            sqlite3_bind_null(ins, 3);
        else
            sqlite3_bind_int(ins, 3, 1 + rng() % 6);
        sqlite3_bind_int64(ins, 4, 40000 + (long long)(rng() % 120) * 1000);
        sqlite3_bind_double(ins, 5, (rng() % 50) / 10.0);
        if (sqlite3_step(ins) != SQLITE_DONE) die("insert employee", db);
        sqlite3_reset(ins);
        sqlite3_clear_bindings(ins);
    }
    sqlite3_finalize(ins);

    ins = prepare(db, "INSERT INTO projects (title, lead_id, budget) VALUES (printf('project-%03d', ?1), ?2, ?3)");
    for (int i = 0; i < 60; i++) {
        sqlite3_bind_int(ins, 1, i);
        sqlite3_bind_int(ins, 2, 1 + rng() % 400);
        sqlite3_bind_double(ins, 3, (rng() % 100000) / 4.0);
        if (sqlite3_step(ins) != SQLITE_DONE) die("insert project", db);
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    exec("COMMIT");

    query("counts",
          "SELECT (SELECT count(*) FROM departments), (SELECT count(*) FROM employees),"
          " (SELECT count(*) FROM projects)");
    query("per department (GROUP BY, JOIN, ORDER BY)",
          "SELECT d.name, count(e.id), sum(e.salary), round(avg(e.salary), 2), min(e.salary), max(e.salary)"
          " FROM departments d LEFT JOIN employees e ON e.dept_id = d.id"
          " GROUP BY d.id ORDER BY sum(e.salary) DESC, d.name");
    query("no department",
          "SELECT count(*), total(salary) FROM employees WHERE dept_id IS NULL");
    query("top earners",
          "SELECT e.id, e.first || ' ' || e.last, coalesce(d.name, '-'), e.salary"
          " FROM employees e LEFT JOIN departments d ON d.id = e.dept_id"
          " ORDER BY e.salary DESC, e.id LIMIT 8");
    query("frequent surnames (HAVING)",
          "SELECT last, count(*) AS n FROM employees GROUP BY last HAVING n >= 30 ORDER BY n DESC, last");
    query("project leads per floor (3-way JOIN)",
          "SELECT d.floor, count(p.id), round(sum(p.budget), 2)"
          " FROM projects p JOIN employees e ON e.id = p.lead_id JOIN departments d ON d.id = e.dept_id"
          " GROUP BY d.floor ORDER BY d.floor");
    query("rank within department (window function)",
          "SELECT name, first, salary FROM ("
          "  SELECT d.name, e.first, e.salary, row_number() OVER (PARTITION BY d.id ORDER BY e.salary DESC, e.id) AS rn"
          "  FROM employees e JOIN departments d ON d.id = e.dept_id)"
          " WHERE rn = 1 ORDER BY name");
    query("recursive CTE",
          "WITH RECURSIVE fib(n, a, b) AS (SELECT 1, 0, 1 UNION ALL SELECT n + 1, b, a + b FROM fib WHERE n < 60)"
          " SELECT n, a FROM fib WHERE n % 15 = 0");
    query("strings and dates",
          "SELECT upper('linker'), length('concurrent'), substr('abcdef', 2, 3), replace('a-b-c', '-', '+'),"
          " date('2020-02-28', '+1 day'), strftime('%j', '2024-12-31'), hex('cld'), instr('hello', 'll')");

    /* A prepared statement reused with different bindings. */
    sqlite3_stmt *st = prepare(db,
        "SELECT count(*), coalesce(max(salary), 0), round(coalesce(avg(rating), 0), 3) FROM employees"
        " WHERE salary BETWEEN ?1 AND ?2 AND last LIKE ?3");
    printf("-- prepared statement with bindings\n");
    static const struct { int lo, hi; const char *pat; } params[] = {
        {40000, 60000, "L%"}, {60000, 100000, "%r%"}, {100000, 200000, "T%"}, {0, 1, "%"},
    };
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
        sqlite3_bind_int(st, 1, params[i].lo);
        sqlite3_bind_int(st, 2, params[i].hi);
        sqlite3_bind_text(st, 3, params[i].pat, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW) die("prepared", db);
        printf("%d..%d %s: %d rows, max %lld, avg rating %.3f\n", params[i].lo, params[i].hi, params[i].pat,
               sqlite3_column_int(st, 0), (long long)sqlite3_column_int64(st, 1), sqlite3_column_double(st, 2));
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);

    /* Update and delete inside a transaction that is rolled back, then one that commits. */
    exec("BEGIN; UPDATE employees SET salary = 0; ROLLBACK;");
    exec("BEGIN; UPDATE employees SET salary = salary + 500 WHERE dept_id = 4;"
         " DELETE FROM projects WHERE budget < 2500; COMMIT;");
    printf("-- changes: %d, total changes: %d\n", sqlite3_changes(db), sqlite3_total_changes(db));
    query("after update",
          "SELECT (SELECT sum(salary) FROM employees), (SELECT count(*) FROM projects)");
    query("integrity", "PRAGMA integrity_check");

    /* Read back from two threads with their own connections. */
    struct reader readers[2] = {{argv[1], 2, 0, 0}, {argv[1], 4, 0, 0}};
    pthread_t threads[2];
    for (int i = 0; i < 2; i++)
        if (pthread_create(&threads[i], NULL, reader_thread, &readers[i]) != 0) {
            fprintf(stderr, "driver: pthread_create failed\n");
            return 1;
        }
    for (int i = 0; i < 2; i++) pthread_join(threads[i], NULL);
    printf("-- threads\n");
    for (int i = 0; i < 2; i++)
        printf("department %d: %d rows, total %lld\n", readers[i].department, readers[i].rows, readers[i].total);

    /* An error must be reported, not crash. */
    sqlite3_stmt *bad = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT * FROM no_such_table", -1, &bad, NULL);
    printf("-- expected error: rc=%d %s\n", rc, sqlite3_errmsg(db));

    if (sqlite3_close(db) != SQLITE_OK) die("close", db);
    printf("done\n");
    return 0;
}
