#include "capply.h"

int c_cleanups_run = 0;

static void count_cleanup(int *visited) {
    (void)visited;
    c_cleanups_run++;
}

int c_each(const int *v, int n, void (*fn)(int, void *), void *ctx) {
    /* The cleanup attribute runs on normal return and when an exception
     * unwinds through this C frame. */
    int visited __attribute__((cleanup(count_cleanup))) = 0;
    for (int i = 0; i < n; i++) {
        fn(v[i], ctx);
        visited++;
    }
    return visited;
}
