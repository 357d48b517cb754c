//! The C ABI of the egov SDK, for C, C# (P/Invoke), Java (JNA, FFM) and Python (ctypes, cffi).
//!
//! The header is `include/egov.h`, generated from this crate by cbindgen (`cbindgen.toml`) and
//! committed; `tests/header.rs` fails when it drifts. The conventions every function follows are
//! at the top of the header and in `README.md`; in short (after rustls-ffi):
//!
//! - This is the only crate of the workspace with `unsafe`. Every `unsafe` block carries a
//!   `// SAFETY:` comment (clippy `undocumented_unsafe_blocks` is denied), unsafe operations in
//!   `unsafe fn` need their own block (`unsafe_op_in_unsafe_fn` is denied). The release profile
//!   keeps `panic = "unwind"` so that [`std::panic::catch_unwind`] works.
//! - Every fallible function returns an `EgovStatus` (`int32_t`): `EGOV_OK` or a code from the
//!   append-only table in `status.rs`; the message of the last failure on the calling thread is
//!   available from `egov_last_error_message`.
//! - Inputs are borrowed `(const uint8_t *ptr, size_t len)` for the duration of the call (NULL
//!   with `len` 0 is the empty input). Outputs allocated by the library are `EgovBuf`s released
//!   with `egov_buf_free`. Out-parameters are written only on success.
//! - Objects are opaque handles: `egov_<type>_new(..., T **out)` / `egov_<type>_free(T *)`
//!   (freeing NULL is a no-op). Compiled, immutable objects (the validator) are safe for
//!   concurrent use.
//! - Every entry point runs inside `catch_unwind`: a panic is `EGOV_PANIC` with the panic message
//!   as last error, never an unwind into foreign frames. Every pointer is checked for NULL.
//! - Findings of a validation are a successful result (the JSON report), not an error status.
//!
//! Later capabilities (egov-auth, egov-efile, egov-forms) add their functions and status codes in
//! their own module in the same style.

mod buf;
mod error;
mod status;
mod xrechnung;

/// The library's own allocations (rules, schemas, documents, reports) go to mimalloc, whatever
/// the host process uses: a first validation in a fresh process is about a quarter faster than
/// with glibc's allocator, warm validations 8 %, for ~20 MB more resident memory (transparent
/// huge pages; a host sets `MIMALLOC_ALLOW_THP=0` to trade half of the gain for the memory).
/// Buffers handed out are freed by `egov_buf_free`, i.e. by the same allocator. (Feature
/// `mimalloc`, on by default; without it the system allocator, which valgrind can follow.)
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::ffi::c_char;

pub use buf::{egov_buf_free, EgovBuf};
pub use error::egov_last_error_message;
pub use status::*;
pub use xrechnung::{
    egov_xrechnung_from_json, egov_xrechnung_to_json, egov_xrechnung_validator_free,
    egov_xrechnung_validator_new, egov_xrechnung_validator_validate, EgovXrechnungValidator,
    EGOV_SYNTAX_CII, EGOV_SYNTAX_UBL,
};

/// The version of the ABI this header describes; `egov_abi_version()` returns the version of the
/// library actually loaded. Increased with every change of the ABI. Changes are additive only (new
/// functions, new status codes, new constants), so a library whose version is greater than or
/// equal to the header's serves every caller compiled against that header.
pub const EGOV_ABI_VERSION: u32 = 1;

/// The ABI version of the loaded library (compare with `EGOV_ABI_VERSION` of your header).
#[no_mangle]
pub extern "C" fn egov_abi_version() -> u32 {
    EGOV_ABI_VERSION
}

/// The version string: crate version and the versions of the standards implemented.
const VERSION: &str = concat!(
    "egov ",
    env!("CARGO_PKG_VERSION"),
    " (XRechnung 3.0.2, CEN EN 16931 1.3.15, XRechnung schematron 2.5.0)\0"
);

/// The library version and the standards it implements, as a static NUL-terminated string, e.g.
/// `"egov 0.1.0 (XRechnung 3.0.2, CEN EN 16931 1.3.15, XRechnung schematron 2.5.0)"`. Never NULL;
/// must not be freed.
#[no_mangle]
pub extern "C" fn egov_version() -> *const c_char {
    VERSION.as_ptr().cast()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use std::ffi::CStr;

    #[test]
    fn version_string() {
        // SAFETY: `egov_version` returns a static NUL-terminated string.
        let v = unsafe { CStr::from_ptr(egov_version()) }.to_str().unwrap();
        assert!(v.starts_with(concat!("egov ", env!("CARGO_PKG_VERSION"), " (")));
        assert_eq!(v.len() + 1, VERSION.len(), "exactly one NUL, at the end");
        // The standards named here are the ones the validator applies.
        let rules = egov_xrechnung::validate::RULES_VERSION;
        for standard in ["XRechnung 3.0.2", "1.3.15", "schematron 2.5.0"] {
            assert!(
                v.contains(standard) && rules.contains(standard),
                "{standard}"
            );
        }
    }

    #[test]
    fn abi_version() {
        assert_eq!(egov_abi_version(), EGOV_ABI_VERSION);
    }
}
