#include <stdio.h>

extern int preinit_ran;

__attribute__((constructor(101))) static void ctor_101(void)
{
    printf("ctor 101 (a.c), preinit ran before: %s\n", preinit_ran ? "yes" : "no");
}
__attribute__((constructor(202))) static void ctor_202(void) { puts("ctor 202 (a.c)"); }
__attribute__((constructor)) static void ctor_default_a(void) { puts("ctor default (a.c)"); }

__attribute__((destructor(101))) static void dtor_101(void) { puts("dtor 101 (a.c)"); }
__attribute__((destructor(202))) static void dtor_202(void) { puts("dtor 202 (a.c)"); }
__attribute__((destructor)) static void dtor_default_a(void) { puts("dtor default (a.c)"); }
