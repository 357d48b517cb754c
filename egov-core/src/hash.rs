//! A small, fast, non-cryptographic hasher for in-process lookup tables.

use std::hash::Hasher;

/// FNV-1a (64-bit), for hash maps and sets with short keys that are not attacker-chosen in bulk
/// (name indexes, interned strings, rule tables). Not resistant to hash flooding; use the
/// standard library's default hasher for untrusted keys.
///
/// ```
/// use std::collections::HashMap;
/// use std::hash::BuildHasherDefault;
/// use egov_core::hash::Fnv;
///
/// let mut m: HashMap<&str, u32, BuildHasherDefault<Fnv>> = HashMap::default();
/// m.insert("BT-1", 1);
/// assert_eq!(m.get("BT-1"), Some(&1));
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}
