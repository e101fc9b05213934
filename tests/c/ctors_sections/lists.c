/* ctors_sections: old-style .ctors/.dtors lists, with and without
 * priorities, run among __attribute__((constructor)) functions in GNU ld's
 * order: .ctors.N is priority 65535-N, and a plain .ctors list runs
 * backwards (last entry first). */
#include <stdio.h>

static void ctor1(void) { printf("ctor1 "); }
static void ctor2(void) { printf("ctor2 "); }
static void ctor3(void) { printf("ctor3 "); }
static void ctor4(void) { printf("ctor4 "); }
static void dtor1(void) { printf("dtor1 "); }
static void dtor2(void) { printf("dtor2 "); }
static void dtor3(void) { printf("dtor3 "); }
static void dtor4(void) { printf("dtor4\n"); }

__attribute__((aligned(sizeof(void *)), section(".ctors.65435"))) void (*ctors65435[])(void) = {ctor1};
__attribute__((aligned(sizeof(void *)), section(".ctors.65433"))) void (*ctors65433[])(void) = {ctor2};
__attribute__((aligned(sizeof(void *)), section(".ctors"))) void (*ctors[])(void) = {ctor4, ctor3};
__attribute__((aligned(sizeof(void *)), section(".dtors"))) void (*dtors[])(void) = {dtor1, dtor2};
__attribute__((aligned(sizeof(void *)), section(".dtors.65433"))) void (*dtors65433[])(void) = {dtor3};
__attribute__((aligned(sizeof(void *)), section(".dtors.65435"))) void (*dtors65435[])(void) = {dtor4};
