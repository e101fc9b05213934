/* A plugin loaded with dlopen: constructors/destructors, its own data,
   calls back into the program (exported with --export-dynamic), and a
   symbol it leaves undefined for the program to provide. */
#include <stdio.h>
extern int host_api(int);
static int calls;
static const char *names[] = {"zero", "one", "two", "three"};
__attribute__((constructor)) static void up(void) { printf("plugin: loaded\n"); }
__attribute__((destructor)) static void down(void) { printf("plugin: unloaded after %d calls\n", calls); }
const char *plugin_name(int i) { calls++; return names[i & 3]; }
int plugin_compute(int x) { calls++; return host_api(x) * 2; }
