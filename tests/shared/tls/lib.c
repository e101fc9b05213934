/* TLS in a shared library: global and static variables, initialized and
   zero, an extern one defined by the program, accessed with whatever model
   the build flags select (general/local dynamic, initial exec, descriptors). */
static __thread int counter;
static __thread int base = 3;
__thread int lib_tls = 4;
__thread char lib_buf[64];
extern __thread int prog_tls;

int step(void) {
    counter++;
    base++;
    lib_tls++;
    lib_buf[counter % 64] = (char)counter;
    return counter + base + lib_tls + lib_buf[counter % 64];
}
int read_prog_tls(void) { return prog_tls; }
int *lib_tls_addr(void) { return &lib_tls; }
