/* --gc-sections must not keep code alive just because debug info refers to
 * it: .debug_info, .debug_line, .debug_aranges and .debug_ranges have
 * relocations against every function, but they are not GC roots (GNU ld,
 * gold, lld and mold all drop unused_function here). Rust release builds
 * with debug info (ripgrep's profile has debug = 1) otherwise keep every
 * function of every object pulled from an rlib: ripgrep's .text grows from
 * 2.7 MB (GNU ld) to 3.6 MB.
 *
 *   gcc -g -O1 -ffunction-sections gc_debug_refs.c -Wl,--gc-sections -o t
 *   nm t | grep unused_function      # must print nothing
 */
#include <stdio.h>

int unused_function(int x) { return x * 3 + printf("unused\n"); }

int main(void) {
    puts("main");
    return 0;
}
