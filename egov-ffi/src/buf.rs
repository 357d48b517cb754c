//! `EgovBuf`: bytes allocated by the library and handed to the caller.

use std::mem::ManuallyDrop;

use crate::error::guard_void;

/// Bytes the library allocated for the caller (a JSON report, invoice JSON, invoice XML).
///
/// `ptr[0..len]` is the content, UTF-8 text for every function of this version; `ptr[len]` is a
/// NUL byte not counted in `len`, so the content can also be used as a C string. `cap` is the size
/// of the allocation (for `egov_buf_free`; do not interpret it). Release it exactly once with
/// `egov_buf_free`, never with `free()`. A zeroed `EgovBuf` (`{NULL, 0, 0}`) owns nothing;
/// initialise out-parameters that way, since a failing call leaves them untouched.
#[repr(C)]
#[derive(Debug)]
pub struct EgovBuf {
    /// Start of the bytes; NULL in a zeroed buffer.
    pub ptr: *mut u8,
    /// Number of content bytes (without the trailing NUL).
    pub len: usize,
    /// Capacity of the allocation, for the library's allocator.
    pub cap: usize,
}

impl Default for EgovBuf {
    fn default() -> Self {
        EgovBuf {
            ptr: std::ptr::null_mut(),
            len: 0,
            cap: 0,
        }
    }
}

impl EgovBuf {
    /// Hands a string to the caller: its bytes plus a NUL terminator not counted in `len`.
    pub(crate) fn from_string(text: String) -> Self {
        let mut bytes = text.into_bytes();
        let len = bytes.len();
        bytes.reserve_exact(1);
        bytes.push(0);
        let mut bytes = ManuallyDrop::new(bytes);
        EgovBuf {
            ptr: bytes.as_mut_ptr(),
            len,
            cap: bytes.capacity(),
        }
    }

    /// The content as a slice (for Rust tests and examples).
    ///
    /// # Safety
    /// `self` must be zeroed or come from this library and not have been freed.
    pub unsafe fn as_bytes(&self) -> &[u8] {
        if self.ptr.is_null() {
            return &[];
        }
        // SAFETY: a non-NULL buffer from this library points to `len` initialised bytes
        // (`from_string`), alive until `egov_buf_free` (caller's contract).
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

/// Releases a buffer returned by the library. A zeroed buffer (`ptr` NULL) is a no-op.
///
/// # Safety
/// `buf` must be zeroed or a buffer returned by this library that has not been freed yet, with its
/// fields unchanged. After the call the bytes must not be used.
#[no_mangle]
pub unsafe extern "C" fn egov_buf_free(buf: EgovBuf) {
    guard_void("egov_buf_free", || {
        if buf.ptr.is_null() {
            return;
        }
        // SAFETY: the buffer comes from `EgovBuf::from_string` (caller's contract): `ptr` was
        // allocated by a `Vec<u8>` of capacity `cap` with the global allocator and is freed only
        // here, once. A length of 0 is within the capacity; `u8` needs no drop.
        drop(unsafe { Vec::from_raw_parts(buf.ptr, 0, buf.cap) });
    });
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    #[test]
    fn nul_terminated_and_freed() {
        let buf = EgovBuf::from_string("{}".to_owned());
        assert_eq!(buf.len, 2);
        assert!(buf.cap >= 3);
        // SAFETY: `buf` is live; `len + 1` bytes are initialised (content plus NUL).
        let with_nul = unsafe { std::slice::from_raw_parts(buf.ptr, buf.len + 1) };
        assert_eq!(with_nul, b"{}\0");
        // SAFETY: `buf` comes from this library and is freed once.
        unsafe { egov_buf_free(buf) };

        let empty = EgovBuf::from_string(String::new());
        assert!(!empty.ptr.is_null());
        assert_eq!(empty.len, 0);
        // SAFETY: as above.
        unsafe { egov_buf_free(empty) };
    }

    #[test]
    fn zeroed_is_noop() {
        // SAFETY: a zeroed buffer is allowed.
        unsafe { egov_buf_free(EgovBuf::default()) };
    }
}
