__thread int shared_tls = 5;
__thread char shared_buf[64] = "initial buffer";
__thread long shared_zero;

int def_get_tls(void) { return shared_tls; }
const char *def_get_buf(void) { return shared_buf; }
long def_get_zero(void) { return shared_zero; }
int *def_addr_tls(void) { return &shared_tls; }
void def_store(int v) { shared_tls += v; }
