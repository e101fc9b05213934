/* tls_extern: TLS variables defined in one object and used through
 * `extern __thread` from another (initial-exec / general-dynamic access from
 * the compiler, relaxed or not by the linker), in several threads. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

extern __thread int shared_tls;
extern __thread char shared_buf[64];
extern __thread long shared_zero;

int def_get_tls(void);
const char *def_get_buf(void);
long def_get_zero(void);
int *def_addr_tls(void);
void def_store(int v);

#define NTHREADS 3
static char report[NTHREADS][128];

static void *worker(void *arg)
{
    int id = (int)(long)arg;
    int initial = shared_tls;
    shared_tls = 100 * (id + 1);
    snprintf(shared_buf, sizeof shared_buf, "buffer of thread %d", id);
    shared_zero += id;
    def_store(id);   /* the defining object adds id to shared_tls */
    snprintf(report[id], sizeof report[id],
             "thread %d: initial=%d now=%d/%d buf=\"%s\" zero=%ld same_addr=%s",
             id, initial, shared_tls, def_get_tls(), def_get_buf(), def_get_zero(),
             def_addr_tls() == &shared_tls ? "yes" : "no");
    return NULL;
}

int main(void)
{
    pthread_t th[NTHREADS];
    printf("main initial: %d \"%s\" %ld\n", shared_tls, shared_buf, shared_zero);
    strcpy(shared_buf, "main's buffer");
    shared_tls = -1;
    for (long i = 0; i < NTHREADS; i++)
        pthread_create(&th[i], NULL, worker, (void *)i);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < NTHREADS; i++)
        puts(report[i]);
    printf("main final: %d/%d \"%s\" same_addr=%s\n", shared_tls, def_get_tls(), def_get_buf(),
           def_addr_tls() == &shared_tls ? "yes" : "no");
    return 0;
}
