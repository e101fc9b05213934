/* Symbols the program may interpose, and ones it cannot: hidden and
   protected definitions, and everything under -Bsymbolic. */
int value(void) { return 1; }
int use_value(void) { return value(); }
int shared_data = 5;
int read_data(void) { return shared_data; }
__attribute__((visibility("protected"))) int prot(void) { return 10; }
int use_prot(void) { return prot(); }
__attribute__((visibility("hidden"))) int hid(void) { return 20; }
int use_hid(void) { return hid(); }
int (*value_ptr(void))(void) { return value; }
