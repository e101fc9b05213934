#include <stdio.h>
int value(void) { return 2; }
int use_value(void); int read_data(void);
int main(void) { printf("use_value=%d read=%d\n", use_value(), read_data()); return 0; }
