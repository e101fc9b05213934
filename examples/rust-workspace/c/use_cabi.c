/* Uses libcabi.so, linked against it (-lcabi) or, with -DUSE_DLOPEN, loaded
 * with dlopen(3) at run time. Prints one line per call; both ways must print
 * the same thing.
 *
 *   cc -Icabi/include c/use_cabi.c -Ltarget/debug -lcabi -Wl,-rpath,... -o use_cabi
 *   cc -DUSE_DLOPEN -Icabi/include c/use_cabi.c -ldl -lpthread -o use_cabi_dl
 *   ./use_cabi_dl path/to/libcabi.so
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef USE_DLOPEN
#include <dlfcn.h>
static const char *const *p_CABI_VERSION;
static int32_t (*cabi_add)(int32_t, int32_t);
static int64_t (*cabi_sum)(const int64_t *, size_t);
static uint32_t (*cabi_crc32)(const uint8_t *, size_t);
static double (*cabi_json_sum)(const char *);
static char *(*cabi_greet)(const char *);
static void (*cabi_free_string)(char *);
static uint32_t (*cabi_thread_counter)(void);
static int32_t (*cabi_checked_div)(int32_t);
static uint64_t (*cabi_calls)(void);
#define CABI_VERSION (*p_CABI_VERSION)

static void *must(void *lib, const char *name) {
    void *p = dlsym(lib, name);
    if (!p) {
        fprintf(stderr, "dlsym %s: %s\n", name, dlerror());
        exit(1);
    }
    return p;
}

static void load(const char *path) {
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        exit(1);
    }
    p_CABI_VERSION = must(lib, "CABI_VERSION");
    *(void **)&cabi_add = must(lib, "cabi_add");
    *(void **)&cabi_sum = must(lib, "cabi_sum");
    *(void **)&cabi_crc32 = must(lib, "cabi_crc32");
    *(void **)&cabi_json_sum = must(lib, "cabi_json_sum");
    *(void **)&cabi_greet = must(lib, "cabi_greet");
    *(void **)&cabi_free_string = must(lib, "cabi_free_string");
    *(void **)&cabi_thread_counter = must(lib, "cabi_thread_counter");
    *(void **)&cabi_checked_div = must(lib, "cabi_checked_div");
    *(void **)&cabi_calls = must(lib, "cabi_calls");
    /* Internal Rust symbols must not be exported (version script). */
    dlerror();
    if (dlsym(lib, "rust_begin_unwind") || dlsym(lib, "__rust_alloc"))
        printf("warning: internal Rust symbols are exported\n");
}
#else
#include "cabi.h"
#endif

static void *thread_main(void *arg) {
    (void)arg;
    uint32_t last = 0;
    for (int i = 0; i < 5; i++)
        last = cabi_thread_counter();
    return (void *)(uintptr_t)last;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0); /* keep what was printed if we crash */
#ifdef USE_DLOPEN
    if (argc < 2) {
        fprintf(stderr, "usage: %s path/to/libcabi.so\n", argv[0]);
        return 2;
    }
    load(argv[1]);
#else
    (void)argc;
    (void)argv;
#endif
    printf("version: %s\n", CABI_VERSION);
    printf("add: %" PRId32 "\n", cabi_add(40, 2));
    int64_t values[] = {1, 2, 3, 4, 5, 1000000000000};
    printf("sum: %" PRId64 "\n", cabi_sum(values, sizeof values / sizeof values[0]));
    const char *text = "123456789";
    printf("crc32: %08" PRIx32 "\n", cabi_crc32((const uint8_t *)text, strlen(text)));
    printf("json_sum: %g\n", cabi_json_sum("{\"a\": [1, 2.5, {\"b\": 3}], \"n\": null}"));
    printf("json_sum(bad): %g\n", cabi_json_sum("[1,"));
    char *greeting = cabi_greet("C");
    printf("greet: %s\n", greeting);
    cabi_free_string(greeting);
    printf("div: %" PRId32 " %" PRId32 "\n", cabi_checked_div(7), cabi_checked_div(0));
    uint32_t main_count = 0;
    for (int i = 0; i < 3; i++)
        main_count = cabi_thread_counter();
    pthread_t t;
    void *thread_count = NULL;
    if (pthread_create(&t, NULL, thread_main, NULL) != 0 || pthread_join(t, &thread_count) != 0) {
        fprintf(stderr, "pthread failed\n");
        return 1;
    }
    printf("thread counters: main %" PRIu32 ", thread %" PRIuPTR "\n", main_count,
           (uintptr_t)thread_count);
    printf("calls: %" PRIu64 "\n", cabi_calls());
    return 0;
}
