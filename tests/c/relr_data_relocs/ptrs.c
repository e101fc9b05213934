/* File-scope initialisers that need relocations: absolute R_X86_64_64 in
 * non-PIE outputs, RELATIVE (or symbolic, for libc symbols) dynamic
 * relocations in PIE outputs. */
#include <stdio.h>
#include <string.h>

extern int x;
extern int arr[5];
extern const char *const names[];
void f(void);
int g(int);
extern char **environ;

int *px = &x;
int *parr_mid = &arr[3];            /* addend */
int *parr_end = arr + 5;            /* one past the end */
int **ppx = &px;                    /* pointer to a pointer in .data */
void (*fp)(void) = f;
int (*gp)(int) = g;
int (*pputs)(const char *) = puts;  /* libc function */
size_t (*pstrlen)(const char *) = strlen;   /* libc IFUNC */
FILE **pstdout = &stdout;           /* libc data (copy relocation in non-PIE) */
char ***penviron = &environ;
const char *const *pnames = &names[1];
void *self_ref = &self_ref;
struct mixed {
    int tag;
    int *p;
    void (*fn)(void);
    const char *s;
    long n;
} mixed = { 7, &arr[1], f, "string in struct", -5 };
struct mixed mixed_arr[2] = { { 1, &x, 0, 0, 1 }, { 2, arr, f, "second", 2 } };
