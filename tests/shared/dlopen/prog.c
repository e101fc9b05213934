#include <dlfcn.h>
#include <stdio.h>
int host_api(int x) { return x + 100; }
int main(int argc, char **argv) {
    (void)argc;
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) { printf("dlopen failed: %s\n", dlerror()); return 1; }
    const char *(*name)(int) = (const char *(*)(int))dlsym(h, "plugin_name");
    int (*compute)(int) = (int (*)(int))dlsym(h, "plugin_compute");
    if (!name || !compute) { printf("dlsym failed\n"); return 1; }
    printf("%s %s %d\n", name(1), name(6), compute(5));
    printf("hidden lookup: %s\n", dlsym(h, "calls") ? "found" : "absent");
    dlclose(h);
    printf("done\n");
    return 3;
}
