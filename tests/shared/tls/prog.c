#include <pthread.h>
#include <stdio.h>
int step(void);
int read_prog_tls(void);
int *lib_tls_addr(void);
extern __thread int lib_tls;
__thread int prog_tls = 40;

static void *worker(void *arg) {
    prog_tls = (int)(long)arg;
    int a = step(), b = step();
    printf("thread %ld: step %d %d prog_tls %d lib_tls %d same %d\n", (long)arg, a, b,
           read_prog_tls(), lib_tls, lib_tls_addr() == &lib_tls);
    return 0;
}

int main(void) {
    int a = step(), b = step(), c = step();
    printf("main: step %d %d %d prog_tls %d lib_tls %d same %d\n", a, b, c, read_prog_tls(),
           lib_tls, lib_tls_addr() == &lib_tls);
    for (long i = 1; i <= 3; i++) {
        pthread_t t;
        pthread_create(&t, 0, worker, (void *)i);
        pthread_join(t, 0);
    }
    return 0;
}
