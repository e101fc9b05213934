#include <stdio.h>
__attribute__((constructor)) static void t3_ctor(void) { puts("BUG: unreferenced thin member linked"); }
int thin_three(void) { return 3; }
