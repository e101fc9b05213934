//! `Name`: a name borrowed for the link (`&'static [u8]`: the inputs are
//! mapped, and what the link makes of them lives as long) in 8 bytes
//! instead of a slice's 16, for the tables that hold one per input
//! symbol, input section or global symbol (100,000s each on a big link).

use std::fmt;

/// The address in the low 48 bits and the length in the high 16. A name
/// of 64 KiB or more, or at an address above 48 bits (x86-64 user space
/// has 47), is kept behind a pointer to its slice (`LONG`), made once
/// for it and never freed: no compiler writes such names, and the few a
/// link could have cost 16 bytes each.
///
/// Never zero (a slice's address is not null), so that an `Option<Name>`
/// takes 8 bytes too.
#[derive(Clone, Copy)]
pub struct Name(std::num::NonZeroU64);

const ADDR_BITS: u32 = 48;
const ADDR_MASK: u64 = (1 << ADDR_BITS) - 1;
/// In the length bits: the address is that of a `&'static [u8]`.
const LONG: u64 = 0xffff;

impl Name {
    pub fn new(s: &'static [u8]) -> Name {
        let addr = s.as_ptr() as u64;
        if (s.len() as u64) < LONG && addr <= ADDR_MASK && addr != 0 {
            return Name::packed(addr | (s.len() as u64) << ADDR_BITS);
        }
        let boxed: &'static &'static [u8] = Box::leak(Box::new(s));
        let addr = boxed as *const &'static [u8] as u64;
        assert!(addr <= ADDR_MASK, "heap address above 48 bits");
        Name::packed(addr | LONG << ADDR_BITS)
    }

    fn packed(v: u64) -> Name {
        Name(std::num::NonZeroU64::new(v).expect("a name's address is not null"))
    }

    /// The name.
    #[inline]
    pub fn get(self) -> &'static [u8] {
        let v = self.0.get();
        let (addr, len) = (v & ADDR_MASK, v >> ADDR_BITS);
        if len == LONG {
            // SAFETY: `new` put here the address of a leaked
            // `&'static [u8]`.
            return unsafe { *(addr as *const &'static [u8]) };
        }
        if len == 0 {
            return &[];
        }
        // SAFETY: `new` took the address and length from a `&'static
        // [u8]`, which stays valid for the rest of the process.
        unsafe { std::slice::from_raw_parts(addr as *const u8, len as usize) }
    }
}

impl From<&'static [u8]> for Name {
    fn from(s: &'static [u8]) -> Name {
        Name::new(s)
    }
}

impl std::ops::Deref for Name {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        self.get()
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.get() == other.get()
    }
}

impl Eq for Name {}

impl PartialEq<&[u8]> for Name {
    fn eq(&self, other: &&[u8]) -> bool {
        self.get() == *other
    }
}

impl<const N: usize> PartialEq<&[u8; N]> for Name {
    fn eq(&self, other: &&[u8; N]) -> bool {
        self.get() == *other
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.get()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gives_back_the_slice() {
        let long: &'static [u8] = vec![b'x'; 70_000].leak();
        let exact: &'static [u8] = vec![b'y'; 0xffff].leak();
        for s in [
            &b""[..],
            b"a",
            b"main",
            b"_ZN4core3fmt5write17h",
            long,
            exact,
        ] {
            let n = Name::new(s);
            assert_eq!(n.get(), s);
            // The slice itself, not a copy (an empty one has no address).
            if !s.is_empty() {
                assert_eq!(n.get().as_ptr(), s.as_ptr());
            }
            assert_eq!(&*n, s);
        }
        assert_eq!(Name::new(b"abc"), Name::new(b"xabc".split_at(1).1));
        assert_eq!(std::mem::size_of::<Name>(), 8);
        assert_eq!(std::mem::size_of::<Option<Name>>(), 8);
    }
}
