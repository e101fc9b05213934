#ifndef REPORT_STATE_H
#define REPORT_STATE_H
extern int report_count;
#endif
