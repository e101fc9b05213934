/* unwind_backtrace: _Unwind_Backtrace (libgcc_s or libgcc_eh) walks the
 * stack through mutually recursive functions in two objects using .eh_frame
 * (found via PT_GNU_EH_FRAME / .eh_frame_hdr), and
 * _Unwind_FindEnclosingFunction maps each return address to its function. */
#include <stdio.h>
#include <unwind.h>

int level_a(int n);
int level_b(int n);
int main(void);

struct state {
    int a_frames, b_frames, main_frames, total;
};

static _Unwind_Reason_Code trace_fn(struct _Unwind_Context *ctx, void *arg)
{
    struct state *st = arg;
    void *ip = (void *)_Unwind_GetIP(ctx);
    if (!ip)
        return _URC_END_OF_STACK;
    void *fn = _Unwind_FindEnclosingFunction(ip);
    st->total++;
    if (fn == (void *)level_a)
        st->a_frames++;
    else if (fn == (void *)level_b)
        st->b_frames++;
    else if (fn == (void *)main)
        st->main_frames++;
    return _URC_NO_REASON;
}

int take_backtrace(void)
{
    struct state st = { 0, 0, 0, 0 };
    _Unwind_Backtrace(trace_fn, &st);
    printf("frames in level_a: %d, in level_b: %d, in main: %d, more than 7 in total: %s\n",
           st.a_frames, st.b_frames, st.main_frames, st.total > 7 ? "yes" : "no");
    return st.a_frames + st.b_frames;
}

int main(void)
{
    int r = level_a(3);
    printf("level_a(3) returned %d\n", r);
    return r;
}
