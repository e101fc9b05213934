/// A merge-string piece keyed by the hash computed at ingest (so layout
/// does not hash the strings again) and compared by contents.
#[derive(Clone, Copy)]
pub(super) struct PieceKey {
    pub(super) hash: u64,
    pub(super) bytes: &'static [u8],
}

impl std::hash::Hash for PieceKey {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        h.write_u64(self.hash);
    }
}

impl PartialEq for PieceKey {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.bytes == other.bytes
    }
}

impl Eq for PieceKey {}

/// Passes a precomputed hash through.
#[derive(Default)]
pub(super) struct PassHasher(u64);

impl std::hash::Hasher for PassHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ b as u64;
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}
