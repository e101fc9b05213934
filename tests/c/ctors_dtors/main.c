/* ctors_dtors: .preinit_array, prioritised .init_array.NNNNN /
 * .fini_array.NNNNN entries from several objects, default-priority ones in
 * link order (a.c, b.c, main.c), and atexit handlers interleaved with them.
 * Exits through exit() from a nested function. */
#include <stdio.h>
#include <stdlib.h>

int preinit_ran;

static void preinit_fn(void) { preinit_ran = 1; }
__attribute__((section(".preinit_array"), used)) static void (*preinit_entry)(void) = preinit_fn;

static void atexit_first(void) { puts("atexit first registered (runs last of the handlers)"); }
static void atexit_second(void) { puts("atexit second registered"); }

__attribute__((constructor)) static void ctor_default_main(void) { puts("ctor default (main.c)"); }
__attribute__((destructor)) static void dtor_default_main(void) { puts("dtor default (main.c)"); }

static void finish(void)
{
    puts("calling exit(3)");
    exit(3);
}

int main(void)
{
    puts("main");
    atexit(atexit_first);
    atexit(atexit_second);
    finish();
    puts("not reached");
    return 0;
}
