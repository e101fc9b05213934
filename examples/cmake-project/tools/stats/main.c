#include <stdio.h>
#include "model.h"
#include "report.h"
#include "stats.h"

int main(void)
{
    uint64_t acc = 5;
    acc ^= stats_part_1(acc + 1);
    acc ^= stats_part_2(acc + 2);
    acc ^= stats_part_3(acc + 3);
    acc ^= stats_part_4(acc + 4);
    acc ^= stats_part_5(acc + 5);
    report_title("stats");
    report_u64("checksum", acc);
    report_f64("weight", model_total_weight(10));
    printf("lines %d\n", report_lines());
    return 0;
}
