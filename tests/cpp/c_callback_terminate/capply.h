#ifndef CAPPLY_H
#define CAPPLY_H
#ifdef __cplusplus
extern "C" {
#endif

/* Calls fn(v[i], ctx) for each element. Compiled as C with -fexceptions,
 * so C++ exceptions thrown by fn unwind through it and run its cleanups. */
int c_each(const int *v, int n, void (*fn)(int, void *), void *ctx);
extern int c_cleanups_run;

#ifdef __cplusplus
}
#endif
#endif
