#include <stdio.h>
#include <stdlib.h>

static void atexit_from_ctor(void) { puts("atexit handler registered by ctor 150"); }

__attribute__((constructor(150))) static void ctor_150(void)
{
    puts("ctor 150 (b.c)");
    atexit(atexit_from_ctor);
}
__attribute__((constructor)) static void ctor_default_b(void) { puts("ctor default (b.c)"); }

__attribute__((destructor(150))) static void dtor_150(void) { puts("dtor 150 (b.c)"); }
__attribute__((destructor)) static void dtor_default_b(void) { puts("dtor default (b.c)"); }
