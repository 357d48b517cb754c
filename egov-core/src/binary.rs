//! The primitives of egov's compact binary forms (compiled schema sets, compiled XPath
//! expressions): unsigned LEB128 varints, flags and length-prefixed UTF-8 strings. The reader
//! checks every read against the input, so corrupt input gives an error, never a panic.

use crate::error::Error;

/// Appends primitives to a byte buffer.
#[derive(Default)]
pub(crate) struct Writer {
    pub out: Vec<u8>,
}

impl Writer {
    /// An unsigned integer as a LEB128 varint.
    pub fn u(&mut self, mut v: u32) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.out.push(byte);
                return;
            }
            self.out.push(byte | 0x80);
        }
    }

    /// A count or index (saturating at `u32::MAX`, which the reader rejects as too large).
    pub fn n(&mut self, v: usize) {
        self.u(u32::try_from(v).unwrap_or(u32::MAX));
    }

    /// A flag.
    pub fn b(&mut self, v: bool) {
        self.out.push(u8::from(v));
    }

    /// A string: its byte length, then its UTF-8 bytes.
    pub fn s(&mut self, v: &str) {
        self.n(v.len());
        self.out.extend_from_slice(v.as_bytes());
    }

    /// An optional integer (0 = none, else value + 1).
    pub fn opt_u(&mut self, v: Option<u32>) {
        match v {
            None => self.u(0),
            Some(x) => self.u(x.saturating_add(1)),
        }
    }

    /// An optional count or index.
    pub fn opt_n(&mut self, v: Option<usize>) {
        self.opt_u(v.map(|x| u32::try_from(x).unwrap_or(u32::MAX - 1)));
    }

    /// An optional string (a flag, then the string).
    pub fn opt_s(&mut self, v: Option<&str>) {
        match v {
            None => self.b(false),
            Some(s) => {
                self.b(true);
                self.s(s);
            }
        }
    }

    /// Eight raw bytes (little-endian), for hashes and floating-point bits.
    pub fn u64(&mut self, v: u64) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }
}

/// Reads primitives from a byte slice; errors are made by `bad` (which names the format).
pub(crate) struct Reader<'a> {
    pub b: &'a [u8],
    pub p: usize,
    pub bad: fn(String) -> Error,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `b`.
    pub fn new(b: &'a [u8], bad: fn(String) -> Error) -> Self {
        Reader { b, p: 0, bad }
    }

    /// An error of this format.
    #[cold]
    pub fn err(&self, message: impl Into<String>) -> Error {
        (self.bad)(message.into())
    }

    /// True when all input has been read.
    pub fn at_end(&self) -> bool {
        self.p == self.b.len()
    }

    /// An unsigned LEB128 varint (one- and two-byte forms inline).
    #[inline(always)]
    pub fn u(&mut self) -> Result<u32, Error> {
        if let Some(&byte) = self.b.get(self.p) {
            if byte < 0x80 {
                self.p += 1;
                return Ok(u32::from(byte));
            }
            if let Some(&second) = self.b.get(self.p + 1) {
                if second < 0x80 {
                    self.p += 2;
                    return Ok(u32::from(byte & 0x7f) | (u32::from(second) << 7));
                }
            }
        }
        self.u_slow()
    }

    fn u_slow(&mut self) -> Result<u32, Error> {
        let mut v: u32 = 0;
        for shift in [0u32, 7, 14, 21, 28] {
            let byte = *self.b.get(self.p).ok_or_else(|| self.err("truncated"))?;
            self.p += 1;
            v |= u32::from(byte & 0x7f)
                .checked_shl(shift)
                .ok_or_else(|| self.err("integer overflow"))?;
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.err("integer too long"))
    }

    /// A count, bounded by the remaining input (every element takes at least one byte).
    #[inline(always)]
    pub fn count(&mut self) -> Result<usize, Error> {
        let n = self.u()? as usize;
        if n > self.b.len().saturating_sub(self.p) {
            return Err(self.err("count larger than the input"));
        }
        Ok(n)
    }

    /// An index below `bound`.
    #[inline(always)]
    pub fn idx(&mut self, bound: u32, what: &str) -> Result<u32, Error> {
        let v = self.u()?;
        if v >= bound {
            return Err(self.out_of_range(what, v));
        }
        Ok(v)
    }

    #[cold]
    #[inline(never)]
    fn out_of_range(&self, what: &str, v: u32) -> Error {
        self.err(format!("{what} index {v} out of range"))
    }

    /// A flag (0 or 1).
    #[inline(always)]
    pub fn b(&mut self) -> Result<bool, Error> {
        match self.b.get(self.p) {
            Some(0) => {
                self.p += 1;
                Ok(false)
            }
            Some(1) => {
                self.p += 1;
                Ok(true)
            }
            _ => Err(self.err("invalid flag")),
        }
    }

    /// A string.
    pub fn s(&mut self) -> Result<&'a str, Error> {
        let n = self.count()?;
        let bytes = self
            .b
            .get(self.p..self.p + n)
            .ok_or_else(|| self.err("truncated string"))?;
        self.p += n;
        std::str::from_utf8(bytes).map_err(|_| self.err("invalid UTF-8"))
    }

    /// An optional index below `bound`.
    #[inline(always)]
    pub fn opt_idx(&mut self, bound: u32, what: &str) -> Result<Option<u32>, Error> {
        match self.u()? {
            0 => Ok(None),
            v if v - 1 < bound => Ok(Some(v - 1)),
            v => Err(self.err(format!("{what} index {} out of range", v - 1))),
        }
    }

    /// An optional integer.
    #[inline(always)]
    pub fn opt_u(&mut self) -> Result<Option<u32>, Error> {
        Ok(self.u()?.checked_sub(1))
    }

    /// An optional count or index.
    pub fn opt_n(&mut self) -> Result<Option<usize>, Error> {
        Ok(self.opt_u()?.map(|v| v as usize))
    }

    /// An optional string.
    pub fn opt_s(&mut self) -> Result<Option<Box<str>>, Error> {
        Ok(if self.b()? {
            Some(Box::from(self.s()?))
        } else {
            None
        })
    }

    /// Eight raw bytes (little-endian).
    pub fn u64(&mut self) -> Result<u64, Error> {
        let bytes = self
            .b
            .get(self.p..self.p + 8)
            .and_then(|s| <[u8; 8]>::try_from(s).ok())
            .ok_or_else(|| self.err("truncated"))?;
        self.p += 8;
        Ok(u64::from_le_bytes(bytes))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn bad(m: String) -> Error {
        Error::DateOutOfRange(m)
    }

    #[test]
    fn primitives_round_trip() {
        let mut w = Writer::default();
        for v in [0, 1, 127, 128, 16_383, 16_384, u32::MAX] {
            w.u(v);
        }
        w.s("grüß");
        w.opt_s(None);
        w.opt_n(Some(7));
        w.b(true);
        w.u64(0x0102_0304_0506_0708);
        let mut r = Reader::new(&w.out, bad);
        for v in [0, 1, 127, 128, 16_383, 16_384, u32::MAX] {
            assert_eq!(r.u().unwrap(), v);
        }
        assert_eq!(r.s().unwrap(), "grüß");
        assert_eq!(r.opt_s().unwrap(), None);
        assert_eq!(r.opt_n().unwrap(), Some(7));
        assert!(r.b().unwrap());
        assert_eq!(r.u64().unwrap(), 0x0102_0304_0506_0708);
        assert!(r.at_end());
        assert!(r.u().is_err());
    }

    #[test]
    fn corrupt_input_is_an_error() {
        for bytes in [
            &[0x80u8][..],
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
            &[5, b'a'],
            &[2],
        ] {
            let mut r = Reader::new(bytes, bad);
            assert!(r.u().and_then(|_| r.s()).is_err() || r.s().is_err());
        }
    }
}
