/* ifunc: __attribute__((ifunc)) functions defined in another object, called
 * directly, through pointers taken in code and in static data, and the
 * pointers taken in one object compare equal. */
#include <stdio.h>

int add(int a, int b);
int mul(int a, int b);
int (*impl_add_ptr(void))(int, int);
int call_add_here(int a, int b);

static int (*data_add_ptr)(int, int) = add;
static int (*const table[])(int, int) = { add, mul };

int main(void)
{
    int (*volatile code_ptr)(int, int) = add;
    printf("add(2, 3) = %d\n", add(2, 3));
    printf("mul(6, 7) = %d\n", mul(6, 7));
    printf("call_add_here(1, 1) = %d\n", call_add_here(1, 1));
    printf("via data pointer: %d\n", data_add_ptr(10, 20));
    printf("via code pointer: %d\n", code_ptr(4, 4));
    printf("via table: %d %d\n", table[0](5, 5), table[1](5, 5));
    printf("pointer equality data/code: %s\n", data_add_ptr == code_ptr ? "yes" : "no");
    /* Not compared with code_ptr: for a PIE, GNU ld gives the defining object
     * the PLT address and others the resolved one. */
    printf("pointer from the defining object: %d\n", impl_add_ptr()(3, 4));
    printf("pointer equality table/data: %s\n", table[0] == data_add_ptr ? "yes" : "no");
    return 0;
}
