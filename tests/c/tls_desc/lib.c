/* Compiled with -fPIC: global __thread uses the general-dynamic model
 * (__tls_get_addr or TLS descriptors), static __thread the local-dynamic
 * model; the linker relaxes or keeps them. */
static __thread int local_a = 11;      /* local-dynamic, .tdata */
static __thread int local_b;           /* local-dynamic, .tbss */
static __thread char local_name[24] = "local name";
__thread int global_counter = 1000;    /* general-dynamic */
__thread int global_zero;
__attribute__((tls_model("global-dynamic"))) __thread long forced_gd = 77;

int lib_local_sum(void) { return local_a + local_b; }
void lib_local_add(int v) { local_a += v; local_b += 2 * v; }
const char *lib_local_name(void) { return local_name; }
void lib_set_name(char c) { local_name[0] = c; }
int *lib_counter_addr(void) { return &global_counter; }
long lib_forced(void) { return forced_gd; }
