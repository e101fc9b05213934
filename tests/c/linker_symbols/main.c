/* linker_symbols: symbols the linker defines: __ehdr_start (the ELF header
 * is mapped and its program headers are the ones the kernel reported in
 * AT_PHDR), __executable_start, etext/edata/end/__bss_start ordering,
 * and __init_array_start/__init_array_end containing our constructor. */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

extern const Elf64_Ehdr __ehdr_start;
extern char __executable_start[], etext[], edata[], end[], __bss_start[];
extern void (*__init_array_start[])(void) __attribute__((visibility("hidden")));
extern void (*__init_array_end[])(void) __attribute__((visibility("hidden")));

int initialised_data = 42;
int zero_data;
static int ctor_ran;

static void my_ctor(void) { ctor_ran = 1; }
__attribute__((section(".init_array"), used)) static void (*my_ctor_entry)(void) = my_ctor;

int main(void)
{
    const unsigned char *ident = __ehdr_start.e_ident;
    printf("__ehdr_start has ELF magic: %s\n", memcmp(ident, ELFMAG, SELFMAG) == 0 ? "yes" : "no");
    printf("ELF class 64, machine x86-64: %s\n",
           ident[EI_CLASS] == ELFCLASS64 && __ehdr_start.e_machine == EM_X86_64 ? "yes" : "no");
    const Elf64_Phdr *phdr = (const Elf64_Phdr *)((const char *)&__ehdr_start + __ehdr_start.e_phoff);
    printf("program headers at AT_PHDR: %s\n", (uintptr_t)phdr == getauxval(AT_PHDR) ? "yes" : "no");
    printf("e_phnum matches AT_PHNUM: %s\n", __ehdr_start.e_phnum == getauxval(AT_PHNUM) ? "yes" : "no");
    int has_load = 0;
    for (int i = 0; i < __ehdr_start.e_phnum; i++)
        has_load |= phdr[i].p_type == PT_LOAD;
    printf("PT_LOAD among them: %s\n", has_load ? "yes" : "no");

    /* Compared as integers: these are distinct objects as far as C knows. */
    uintptr_t exec_start = (uintptr_t)__executable_start, text_end = (uintptr_t)etext;
    uintptr_t data_end = (uintptr_t)edata, bss_start = (uintptr_t)__bss_start;
    uintptr_t all_end = (uintptr_t)end, main_addr = (uintptr_t)main;
    uintptr_t data_addr = (uintptr_t)&initialised_data, bss_addr = (uintptr_t)&zero_data;
    printf("__executable_start <= main < etext: %s\n",
           exec_start <= main_addr && main_addr < text_end ? "yes" : "no");
    printf("etext <= &initialised_data < edata: %s\n",
           text_end <= data_addr && data_addr < data_end ? "yes" : "no");
    printf("edata <= __bss_start <= &zero_data < end: %s\n",
           data_end <= bss_start && bss_start <= bss_addr && bss_addr < all_end ? "yes" : "no");

    int found = 0;
    long n = __init_array_end - __init_array_start;
    for (long i = 0; i < n; i++)
        found |= __init_array_start[i] == my_ctor;
    printf("init_array contains our constructor: %s, constructor ran: %s\n", found ? "yes" : "no",
           ctor_ran ? "yes" : "no");
    return 0;
}
