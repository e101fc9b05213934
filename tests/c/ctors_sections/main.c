#include <stdio.h>
__attribute__((constructor(101))) static void init1(void) { printf("init1 "); }
__attribute__((constructor)) static void init2(void) { printf("init2 "); }
__attribute__((destructor(101))) static void fini1(void) { printf("fini1 "); }
__attribute__((destructor)) static void fini2(void) { printf("fini2 "); }
int main(void) { printf("main "); fflush(stdout); return 0; }
