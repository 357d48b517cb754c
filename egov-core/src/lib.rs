#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod binary;
pub mod codelist;
pub mod error;
pub mod hash;
pub mod period;
pub mod xml;
pub mod xpath;
pub mod xsd;

/// `s.split_once(c)` for an ASCII separator, by a byte search: the standard library's search
/// for a `char` compares each candidate through `memcmp`, which costs more than the search in
/// the short names and numbers this is for (`prefix:local`, `12.50`).
#[inline]
pub(crate) fn split_once_ascii(s: &str, separator: u8) -> Option<(&str, &str)> {
    debug_assert!(separator.is_ascii(), "an ASCII byte is a whole character");
    let i = memchr::memchr(separator, s.as_bytes())?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

pub use error::{Error, Result};

#[cfg(test)]
mod tests {
    #[test]
    fn split_once_ascii_is_split_once() {
        for s in [
            "",
            ":",
            "a:",
            ":b",
            "ubl:Invoice",
            "a:b:c",
            "äö:ü€",
            "€",
            "12.50",
            "no",
        ] {
            for (c, b) in [(':', b':'), ('.', b'.')] {
                assert_eq!(
                    super::split_once_ascii(s, b),
                    s.split_once(c),
                    "{s:?} at {c:?}"
                );
            }
        }
    }
}
