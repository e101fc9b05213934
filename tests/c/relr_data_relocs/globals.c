#include <stdio.h>

int x = 10;
int arr[5] = { 1, 2, 3, 4, 5 };
const char *const names[] = { "zero", "one", "two" };   /* .data.rel.ro in PIC */
static int hidden_static = 99;
int *const ptr_to_static = &hidden_static;

void f(void) { puts("f() called"); }
int g(int v) { return v * 3; }
