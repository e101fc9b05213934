#include <stdio.h>
int chained_function(int x);
int used_function(int x) { return chained_function(x) + 1; }
__attribute__((constructor)) static void used_ctor(void) { puts("used member constructor"); }
