/* relr_data_relocs: data_relocs' global data holding addresses of other
 * globals and functions (own objects and libc), across objects, linked with
 * -z pack-relative-relocs; and one pointer at an odd address. */
#include <stdio.h>
#include <string.h>

extern int x;
extern int arr[5];
extern const char *const names[];
extern int *const ptr_to_static;
void f(void);
int g(int);
extern char **environ;

extern int *px, *parr_mid, *parr_end, **ppx;
extern void (*fp)(void);
extern int (*gp)(int);
extern int (*pputs)(const char *);
extern size_t (*pstrlen)(const char *);
extern FILE **pstdout;
extern char ***penviron;
extern const char *const *pnames;
extern void *self_ref;
struct mixed {
    int tag;
    int *p;
    void (*fn)(void);
    const char *s;
    long n;
};
extern struct mixed mixed, mixed_arr[2];

int read_unaligned(void);

#define CHECK(cond) printf("%-40s %s\n", #cond, (cond) ? "ok" : "FAILED")

int main(void)
{
    CHECK(px == &x && *px == 10);
    CHECK(parr_mid == &arr[3] && *parr_mid == 4);
    CHECK(parr_end == &arr[5]);
    CHECK(ppx == &px && **ppx == 10);
    CHECK(fp == f);
    CHECK(gp == g && gp(5) == 15);
    CHECK(pputs == puts);
    CHECK(pstrlen == strlen && pstrlen("four") == 4);
    CHECK(pstdout == &stdout && *pstdout == stdout);
    CHECK(penviron == &environ && *penviron == environ);
    CHECK(pnames == &names[1] && strcmp(*pnames, "one") == 0);
    CHECK(self_ref == &self_ref);
    CHECK(*ptr_to_static == 99);
    CHECK(mixed.p == &arr[1] && mixed.fn == f && mixed.n == -5);
    CHECK(mixed_arr[0].p == &x && mixed_arr[1].p == arr && mixed_arr[1].fn == f);
    printf("names: %s %s %s, mixed.s: %s, mixed_arr[1].s: %s\n", names[0], names[1], names[2],
           mixed.s, mixed_arr[1].s);
    CHECK(read_unaligned() == 1234);
    x = 20;
    printf("*px after x = 20: %d\n", *px);
    fp();
    pputs("pputs called");
    mixed.fn();
    return 0;
}
