#include <stdio.h>
int value(void) { return 2; }
int prot(void) { return 11; }
int hid(void) { return 21; }
int use_value(void);
int read_data(void);
int use_prot(void);
int use_hid(void);
int (*value_ptr(void))(void);
extern int shared_data;
int main(void) {
    shared_data = 6;
    printf("use_value=%d read_data=%d use_prot=%d use_hid=%d ptr_is_ours=%d\n", use_value(),
           read_data(), use_prot(), use_hid(), value_ptr() == value);
    return 0;
}
