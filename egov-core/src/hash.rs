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

/// FxHash (rustc's hasher): a multiply-rotate hash over 8-byte words, much faster than FNV or
/// SipHash for integer keys and short names. Like [`Fnv`], not resistant to hash flooding: use
/// it for tables bounded by the data they index (a document's names, a schema's components,
/// interners with a size limit).
///
/// ```
/// use std::collections::HashMap;
/// use egov_core::hash::FxBuild;
///
/// let mut m: HashMap<(u32, u32), &str, FxBuild> = HashMap::default();
/// m.insert((1, 2), "shape");
/// assert_eq!(m.get(&(1, 2)), Some(&"shape"));
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct Fx {
    hash: u64,
}

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Fx {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for Fx {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            for (d, s) in w.iter_mut().zip(rest) {
                *d = *s;
            }
            self.add(u64::from_le_bytes(w));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// Builder of [`Fx`] hashers for `HashMap`/`HashSet`.
pub type FxBuild = std::hash::BuildHasherDefault<Fx>;
