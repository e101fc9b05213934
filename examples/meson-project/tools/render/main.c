#include <stdio.h>
#include "model.h"
#include "report.h"
#include "render.h"

int main(void)
{
    uint64_t acc = 6;
    acc ^= render_part_1(acc + 1);
    acc ^= render_part_2(acc + 2);
    acc ^= render_part_3(acc + 3);
    report_title("render");
    report_u64("checksum", acc);
    report_f64("weight", model_total_weight(20));
    printf("lines %d\n", report_lines());
    return 0;
}
