//! `panicky [panic|ok] [DEPTH]`: with `panic`, recurses DEPTH (default 3)
//! times and panics; run with `RUST_BACKTRACE=1` the backtrace must show
//! `panicky::explode_now`, `panicky::descend` and `panicky::main`
//! (symbolized from the debug info / symbol table of the linked binary).

#[inline(never)]
fn explode_now(depth: u32) -> u32 {
    let values: Vec<u32> = (0..depth).collect();
    // Index out of bounds on purpose: a panic from inside std.
    let index = std::hint::black_box(values.len() + 5);
    values[index]
}

#[inline(never)]
fn descend(depth: u32, max: u32) -> u32 {
    if depth == max {
        explode_now(depth)
    } else {
        1 + descend(std::hint::black_box(depth + 1), max)
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "ok".into());
    let depth: u32 = args.next().and_then(|d| d.parse().ok()).unwrap_or(3);
    match mode.as_str() {
        "panic" => {
            let r = descend(0, depth);
            println!("unreachable: {r}");
        }
        "ok" => println!("panicky: no panic requested (depth {depth})"),
        other => {
            eprintln!("usage: panicky [panic|ok] [DEPTH] (got {other:?})");
            std::process::exit(2);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    #[should_panic(expected = "index out of bounds")]
    fn explodes() {
        super::descend(0, 2);
    }

    #[test]
    fn caught() {
        let r = std::panic::catch_unwind(|| super::explode_now(1));
        assert!(r.is_err());
    }
}
