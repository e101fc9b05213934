/* The unwinder finds the personality routine through the CIE of .eh_frame:
 * with -fPIC/-fPIE, gcc (and rustc/LLVM) point it at an indirect word,
 * DW.ref.__gcc_personality_v0 (DW.ref.rust_eh_personality for Rust), that
 * lives in its own COMDAT section and is referenced only from .eh_frame.
 * --gc-sections must keep it (GNU ld marks what CIEs reference), or every
 * unwind calls address 0. pthread_exit unwinds the thread's stack through
 * the personality routine, which runs the cleanup handler.
 *
 *   gcc -fexceptions -O1 eh_personality_gc.c -Wl,--gc-sections -o t && ./t
 *
 * prints "cleanup ran (42)" and "joined". */
#include <pthread.h>
#include <stdio.h>

static void done(int *p) { printf("cleanup ran (%d)\n", *p); }

static void *worker(void *arg) {
    int x __attribute__((cleanup(done))) = 42;
    (void)arg;
    pthread_exit(NULL);
    return NULL;
}

int main(void) {
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL) != 0)
        return 1;
    pthread_join(t, NULL);
    puts("joined");
    return 0;
}
