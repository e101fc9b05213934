/* exit_status: main's return value (computed in another object) becomes the
 * process exit status. */
#include <stdio.h>

int compute_status(int base);

int main(void)
{
    int status = compute_status(40);
    printf("returning %d from main\n", status);
    return status;
}
