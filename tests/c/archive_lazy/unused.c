#include <stdio.h>
int unused_data = 42;
void unused_function(void) { puts("BUG: unused_function"); }
__attribute__((constructor)) static void unused_ctor(void) { puts("BUG: unused member constructor ran"); }
