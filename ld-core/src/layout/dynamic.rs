// DT_RELR* (the object crate, 0.36, does not name them).
pub(super) const DT_RELRSZ: i64 = 35;
pub(super) const DT_RELR: i64 = 36;
pub(super) const DT_RELRENT: i64 = 37;
