//! Constants generated at build time by `build.rs`, and helpers using them.

include!(concat!(env!("OUT_DIR"), "/generated.rs"));

/// CRC-32 (IEEE) of `data`, with the table the build script computed.
///
/// ```
/// // A doctest: rustdoc links it with the same linker settings.
/// assert_eq!(codegen::crc32(b"123456789"), 0xCBF4_3926);
/// ```
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc = CRC32_TABLE[((crc ^ b as u32) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

/// Whether `n` is one of the generated primes.
pub fn is_known_prime(n: u32) -> bool {
    PRIMES.binary_search(&n).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primes_are_generated() {
        assert_eq!(&PRIMES[..6], &[2, 3, 5, 7, 11, 13]);
        assert_eq!(PRIMES[31], 131);
        assert!(is_known_prime(97));
        assert!(!is_known_prime(91));
    }

    #[test]
    fn crc32_matches_reference_values() {
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(
            crc32(b"The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
    }

    #[test]
    fn greeting_names_the_profile() {
        assert!(GREETING.starts_with("hello from a build script"));
    }
}
