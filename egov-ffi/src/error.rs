//! The failure path shared by every entry point: status + message, the thread-local last error,
//! `catch_unwind`, and the checks of pointer arguments.

use std::any::Any;
use std::cell::RefCell;
use std::ffi::c_char;
use std::panic::{self, AssertUnwindSafe};

use crate::status::{
    xml_status, EgovStatus, EGOV_INVALID_ARGUMENT, EGOV_NULL_ARGUMENT, EGOV_OK, EGOV_PANIC,
    EGOV_UNCLASSIFIED, EGOV_XRECHNUNG_INVALID_JSON, EGOV_XRECHNUNG_UNKNOWN_SYNTAX,
};

/// Why a call failed: the status it returns and the message stored as the thread's last error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) status: EgovStatus,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(status: EgovStatus, message: impl Into<String>) -> Self {
        Failure {
            status,
            message: message.into(),
        }
    }

    /// `EGOV_NULL_ARGUMENT` naming the function and the argument.
    pub(crate) fn null(function: &str, argument: &str) -> Self {
        Failure::new(
            EGOV_NULL_ARGUMENT,
            format!("{function}: argument `{argument}` is NULL"),
        )
    }
}

impl From<egov_xrechnung::Error> for Failure {
    fn from(e: egov_xrechnung::Error) -> Self {
        use egov_xrechnung::Error as E;
        let status = match &e {
            E::Xml(x) | E::Core(egov_core::Error::Xml(x)) => xml_status(x.kind()),
            E::UnknownSyntax { .. } => EGOV_XRECHNUNG_UNKNOWN_SYNTAX,
            E::Json { .. } => EGOV_XRECHNUNG_INVALID_JSON,
            _ => EGOV_UNCLASSIFIED,
        };
        Failure::new(status, e.to_string())
    }
}

thread_local! {
    /// The message of the last failure on this thread (empty before the first one).
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Stores `message` as this thread's last error. NUL bytes (which would cut the C string short)
/// are replaced by U+FFFD.
pub(crate) fn set_last_error(message: &str) {
    let message = message.replace('\0', "\u{FFFD}");
    // `try_with` fails only while the thread is being torn down; then there is nobody to ask.
    let _ = LAST_ERROR.try_with(|cell| {
        if let Ok(mut slot) = cell.try_borrow_mut() {
            *slot = message;
        }
    });
}

/// This thread's last error message (for tests and the Rust side).
pub(crate) fn last_error() -> String {
    LAST_ERROR
        .try_with(|cell| cell.try_borrow().map(|s| s.clone()).unwrap_or_default())
        .unwrap_or_default()
}

/// The text of a panic payload (`&str` or `String`; anything else gets a placeholder).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(panic payload is not a string)".to_owned()
    }
}

/// Runs the body of a fallible entry point: `EGOV_OK` on success; otherwise the failure's status,
/// with its message as the thread's last error; a panic becomes `EGOV_PANIC` with the panic
/// message. Nothing unwinds into the caller.
pub(crate) fn guard(function: &str, body: impl FnOnce() -> Result<(), Failure>) -> EgovStatus {
    let failure = match panic::catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return EGOV_OK,
        Ok(Err(failure)) => failure,
        Err(payload) => Failure::new(
            EGOV_PANIC,
            format!("panic in {function}: {}", panic_message(payload.as_ref())),
        ),
    };
    set_last_error(&failure.message);
    failure.status
}

/// Runs the body of an entry point without a status (the `_free` functions): a panic is caught
/// and stored as the last error.
pub(crate) fn guard_void(function: &str, body: impl FnOnce()) {
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(body)) {
        set_last_error(&format!(
            "panic in {function}: {}",
            panic_message(payload.as_ref())
        ));
    }
}

/// Borrows an input `(ptr, len)` as a slice: NULL with `len` 0 is the empty input, NULL with any
/// other length is `EGOV_NULL_ARGUMENT`, a length above `isize::MAX` is `EGOV_INVALID_ARGUMENT`.
///
/// # Safety
/// Unless `ptr` is NULL, it must be valid for reads of `len` bytes that stay unchanged for `'a`.
pub(crate) unsafe fn input<'a>(
    ptr: *const u8,
    len: usize,
    function: &str,
    argument: &str,
) -> Result<&'a [u8], Failure> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(Failure::null(function, argument))
        };
    }
    if len > isize::MAX as usize {
        return Err(Failure::new(
            EGOV_INVALID_ARGUMENT,
            format!("{function}: length of `{argument}` ({len}) is larger than PTRDIFF_MAX"),
        ));
    }
    // SAFETY: `ptr` is not NULL (checked) and the caller guarantees it is valid for reads of `len`
    // bytes, unchanged for `'a`; `len <= isize::MAX` (checked), as `from_raw_parts` requires.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Fails with `EGOV_NULL_ARGUMENT` when a required pointer is NULL.
pub(crate) fn non_null<T>(ptr: *const T, function: &str, argument: &str) -> Result<(), Failure> {
    if ptr.is_null() {
        Err(Failure::null(function, argument))
    } else {
        Ok(())
    }
}

/// Copies this thread's last error message into `buf` (see `egov_last_error_message`).
///
/// # Safety
/// `buf` must be NULL or valid for writes of `len` bytes.
unsafe fn copy_last_error(buf: *mut c_char, len: usize) -> usize {
    let message = last_error();
    let full = message.len();
    if buf.is_null() || len == 0 {
        return full;
    }
    // As many bytes as fit before the NUL, cut back to a character boundary so that the copy is
    // valid UTF-8 as well.
    let mut n = full.min(len - 1);
    while !message.is_char_boundary(n) {
        n -= 1;
    }
    // SAFETY: `buf` is not NULL (checked) and valid for writes of `len` bytes (caller); we write
    // `n + 1 <= len` bytes. The source is our own String of at least `n` bytes; Rust-owned memory
    // cannot overlap the caller's buffer.
    unsafe {
        std::ptr::copy_nonoverlapping(message.as_ptr(), buf.cast::<u8>(), n);
        buf.add(n).write(0);
    }
    full
}

/// The message of the last failure on the calling thread (a successful call leaves it as it was).
///
/// Copies as much of the message as fits into `buf` — at most `len - 1` bytes, cut at a UTF-8
/// character boundary — followed by a NUL byte, and returns the length of the whole message in
/// bytes (without the NUL). When the return value is `>= len`, the copy was truncated: call again
/// with a buffer of at least return value + 1 bytes. `buf` may be NULL when `len` is 0 (to ask
/// for the length); then nothing is written. Returns 0 when no call on this thread has failed.
///
/// # Safety
/// `buf` must be NULL or point to `len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn egov_last_error_message(buf: *mut c_char, len: usize) -> usize {
    panic::catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: forwarded from this function's contract.
        unsafe { copy_last_error(buf, len) }
    }))
    .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

    use super::*;
    use crate::status::EGOV_XML_MALFORMED;

    #[test]
    fn guard_maps_ok_err_and_panic() {
        assert_eq!(guard("f", || Ok(())), EGOV_OK);

        let status = guard("f", || Err(Failure::new(EGOV_XML_MALFORMED, "bad")));
        assert_eq!(status, EGOV_XML_MALFORMED);
        assert_eq!(last_error(), "bad");

        let status = guard("egov_test", || panic!("boom {}", 42));
        assert_eq!(status, EGOV_PANIC);
        assert_eq!(last_error(), "panic in egov_test: boom 42");

        let status = guard("egov_test", || std::panic::panic_any(7_u8));
        assert_eq!(status, EGOV_PANIC);
        assert!(last_error().contains("not a string"));

        // Success leaves the last error as it was.
        assert_eq!(guard("f", || Ok(())), EGOV_OK);
        assert!(last_error().contains("not a string"));
    }

    #[test]
    fn guard_void_catches() {
        guard_void("egov_free_test", || panic!("in free"));
        assert_eq!(last_error(), "panic in egov_free_test: in free");
    }

    #[test]
    fn nul_bytes_are_replaced() {
        set_last_error("a\0b");
        assert_eq!(last_error(), "a\u{FFFD}b");
    }

    #[test]
    fn last_error_is_per_thread() {
        set_last_error("main thread");
        std::thread::spawn(|| {
            assert_eq!(last_error(), "");
            set_last_error("other thread");
        })
        .join()
        .unwrap();
        assert_eq!(last_error(), "main thread");
    }

    #[test]
    fn truncation_keeps_utf8() {
        set_last_error("äöü");
        let mut buf = [0x55_u8; 5];
        // SAFETY: `buf` is 5 writable bytes.
        let full = unsafe { egov_last_error_message(buf.as_mut_ptr().cast(), buf.len()) };
        assert_eq!(full, 6);
        // 4 bytes fit: "äö", then NUL; the byte after stays untouched.
        assert_eq!(&buf, &[0xC3, 0xA4, 0xC3, 0xB6, 0]);
        let mut buf = [0x55_u8; 4];
        // SAFETY: `buf` is 4 writable bytes.
        let full = unsafe { egov_last_error_message(buf.as_mut_ptr().cast(), buf.len()) };
        assert_eq!(full, 6);
        assert_eq!(&buf, &[0xC3, 0xA4, 0, 0x55]);
    }

    #[test]
    fn inputs() {
        // SAFETY: NULL inputs are allowed.
        let empty = unsafe { input(std::ptr::null(), 0, "f", "xml") }.unwrap();
        assert!(empty.is_empty());
        // SAFETY: as above.
        let err = unsafe { input(std::ptr::null(), 3, "f", "xml") }.unwrap_err();
        assert_eq!(err.status, EGOV_NULL_ARGUMENT);
        assert_eq!(err.message, "f: argument `xml` is NULL");
        let data = [1_u8];
        // SAFETY: the length check fails before the pointer is read.
        let err = unsafe { input(data.as_ptr(), usize::MAX, "f", "xml") }.unwrap_err();
        assert_eq!(err.status, EGOV_INVALID_ARGUMENT);
    }
}
