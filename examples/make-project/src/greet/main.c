#include <stdio.h>
#include "../common.h"

int main(void) {
    static const int hours[] = {7, 13, 21};
    for (int i = 0; i < name_count(); i++)
        printf("%s, %s!\n", greeting_for(hours[i % 3]), name_at(i));
    return 0;
}
