#include "report.h"
#include "state.h"

int report_count;

int report_lines(void)
{
    return report_count;
}
