#include <stdio.h>
#include "report.h"
#include "state.h"

void report_title(const char *name)
{
    printf("== %s ==\n", name);
    report_count++;
}
