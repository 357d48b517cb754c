//! The ABI exercised from Rust through the extern functions, as a C caller would use them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::ffi::CStr;
use std::ptr;

use egov_ffi::*;

const MINIMAL_UBL: &[u8] = include_bytes!("../../examples/ffi/fixtures/minimal-ubl.xml");
const NOT_WELL_FORMED: &[u8] =
    include_bytes!("../../examples/ffi/fixtures/broken-not-well-formed.xml");
const WITH_DOCTYPE: &[u8] = include_bytes!("../../examples/ffi/fixtures/broken-doctype.xml");

/// A buffer with recognisable garbage, to see that failing calls leave it alone.
fn sentinel() -> EgovBuf {
    EgovBuf {
        ptr: 0x5a5a_usize as *mut u8,
        len: 0xdead,
        cap: 0xbeef,
    }
}

fn is_sentinel(buf: &EgovBuf) -> bool {
    buf.ptr == 0x5a5a_usize as *mut u8 && buf.len == 0xdead && buf.cap == 0xbeef
}

fn last_error() -> String {
    // SAFETY: NULL with length 0 asks for the length only.
    let n = unsafe { egov_last_error_message(ptr::null_mut(), 0) };
    let mut buf = vec![0_u8; n + 1];
    // SAFETY: `buf` has `n + 1` writable bytes.
    let full = unsafe { egov_last_error_message(buf.as_mut_ptr().cast(), buf.len()) };
    assert_eq!(full, n);
    assert_eq!(buf[n], 0);
    String::from_utf8(buf[..n].to_vec()).unwrap()
}

/// Takes the text out of a library buffer and frees it.
fn take(buf: EgovBuf) -> String {
    // SAFETY: `buf` comes from a successful call and is freed right after.
    let text = String::from_utf8(unsafe { buf.as_bytes() }.to_vec()).unwrap();
    // SAFETY: the content plus one NUL byte are initialised.
    assert_eq!(unsafe { *buf.ptr.add(buf.len) }, 0, "NUL terminator");
    // SAFETY: freed once.
    unsafe { egov_buf_free(buf) };
    text
}

struct Validator(*mut EgovXrechnungValidator);

impl Validator {
    fn new() -> Self {
        let mut v = ptr::null_mut();
        // SAFETY: `v` is a valid out-pointer.
        assert_eq!(unsafe { egov_xrechnung_validator_new(&mut v) }, EGOV_OK);
        assert!(!v.is_null());
        Validator(v)
    }

    fn validate(&self, xml: &[u8]) -> serde_json::Value {
        let mut out = EgovBuf::default();
        // SAFETY: live validator, `xml` readable, `out` writable.
        let status =
            unsafe { egov_xrechnung_validator_validate(self.0, xml.as_ptr(), xml.len(), &mut out) };
        assert_eq!(status, EGOV_OK, "{}", last_error());
        serde_json::from_str(&take(out)).unwrap()
    }
}

impl Drop for Validator {
    fn drop(&mut self) {
        // SAFETY: created by `egov_xrechnung_validator_new`, freed once.
        unsafe { egov_xrechnung_validator_free(self.0) };
    }
}

// SAFETY: the validator is documented safe for concurrent use.
unsafe impl Send for Validator {}
// SAFETY: as above.
unsafe impl Sync for Validator {}

fn to_json(xml: &[u8]) -> Result<String, (EgovStatus, String)> {
    let mut out = EgovBuf::default();
    // SAFETY: `xml` readable, `out` writable.
    let status = unsafe { egov_xrechnung_to_json(xml.as_ptr(), xml.len(), &mut out) };
    if status == EGOV_OK {
        Ok(take(out))
    } else {
        Err((status, last_error()))
    }
}

fn from_json(json: &[u8], syntax: i32) -> Result<String, (EgovStatus, String)> {
    let mut out = EgovBuf::default();
    // SAFETY: `json` readable, `out` writable.
    let status = unsafe { egov_xrechnung_from_json(json.as_ptr(), json.len(), syntax, &mut out) };
    if status == EGOV_OK {
        Ok(take(out))
    } else {
        Err((status, last_error()))
    }
}

#[test]
fn report_has_the_keys_and_findings_are_success() {
    let v = Validator::new();
    let report = v.validate(MINIMAL_UBL);
    for key in [
        "schema",
        "verdict",
        "valid",
        "scenario",
        "syntax",
        "fatal",
        "warning",
        "information",
        "findings",
        "rules_version",
    ] {
        assert!(report.get(key).is_some(), "report lacks {key}: {report}");
    }
    assert_eq!(report["schema"], "egov.xrechnung.report/1");
    assert_eq!(report["syntax"], "ubl");

    for broken in [
        NOT_WELL_FORMED,
        WITH_DOCTYPE,
        b"\x00\xff garbage".as_slice(),
    ] {
        let report = v.validate(broken);
        assert_eq!(report["valid"], false);
        assert!(!report["fatal"].as_array().unwrap().is_empty());
    }
    // The empty input (NULL, 0) is a document that is not XML: findings, not an error.
    let mut out = EgovBuf::default();
    // SAFETY: NULL with length 0 is the empty input.
    let status = unsafe { egov_xrechnung_validator_validate(v.0, ptr::null(), 0, &mut out) };
    assert_eq!(status, EGOV_OK);
    assert!(take(out).contains("\"valid\":false"));
}

#[test]
fn null_arguments() {
    let v = Validator::new();
    let mut out = sentinel();
    let xml = MINIMAL_UBL;

    // SAFETY: NULL pointers are checked before use.
    let status = unsafe {
        egov_xrechnung_validator_validate(ptr::null(), xml.as_ptr(), xml.len(), &mut out)
    };
    assert_eq!(status, EGOV_NULL_ARGUMENT);
    assert_eq!(
        last_error(),
        "egov_xrechnung_validator_validate: argument `v` is NULL"
    );
    // SAFETY: as above.
    let status =
        unsafe { egov_xrechnung_validator_validate(v.0, xml.as_ptr(), xml.len(), ptr::null_mut()) };
    assert_eq!(status, EGOV_NULL_ARGUMENT);
    // SAFETY: as above.
    let status = unsafe { egov_xrechnung_validator_validate(v.0, ptr::null(), 5, &mut out) };
    assert_eq!(status, EGOV_NULL_ARGUMENT);
    assert!(last_error().contains("`xml`"));
    // SAFETY: as above.
    let status = unsafe { egov_xrechnung_to_json(ptr::null(), 1, &mut out) };
    assert_eq!(status, EGOV_NULL_ARGUMENT);
    // SAFETY: as above.
    let status = unsafe { egov_xrechnung_to_json(xml.as_ptr(), xml.len(), ptr::null_mut()) };
    assert_eq!(status, EGOV_NULL_ARGUMENT);
    // SAFETY: as above.
    let status = unsafe { egov_xrechnung_from_json(ptr::null(), 2, 1, &mut out) };
    assert_eq!(status, EGOV_NULL_ARGUMENT);
    // SAFETY: as above.
    let status = unsafe { egov_xrechnung_from_json(b"{}".as_ptr(), 2, 1, ptr::null_mut()) };
    assert_eq!(status, EGOV_NULL_ARGUMENT);
    // SAFETY: as above.
    let status = unsafe { egov_xrechnung_validator_new(ptr::null_mut()) };
    assert_eq!(status, EGOV_NULL_ARGUMENT);
    assert!(is_sentinel(&out), "out-parameter written on failure");

    // Freeing NULL / a zeroed buffer is a no-op.
    // SAFETY: NULL and zeroed values are allowed.
    unsafe {
        egov_xrechnung_validator_free(ptr::null_mut());
        egov_buf_free(EgovBuf::default());
    }
}

#[test]
fn out_params_untouched_on_error() {
    let mut out = sentinel();
    let garbage = b"\x01\x02 this is not XML";
    // SAFETY: readable input, writable out.
    let status = unsafe { egov_xrechnung_to_json(garbage.as_ptr(), garbage.len(), &mut out) };
    assert!((1000..2000).contains(&status), "{status}");
    assert!(is_sentinel(&out));

    // A failing call with a valid out-parameter: NULL input with a length.
    let mut buf = sentinel();
    // SAFETY: NULL `xml` is checked before use.
    let status = unsafe { egov_xrechnung_from_json(ptr::null(), 7, EGOV_SYNTAX_UBL, &mut buf) };
    assert_eq!(status, EGOV_NULL_ARGUMENT);
    assert!(is_sentinel(&buf));

    // The handle out-parameter is written on success.
    let mut handle = 0x77_usize as *mut EgovXrechnungValidator;
    // SAFETY: `handle` is a valid out-pointer.
    let status = unsafe { egov_xrechnung_validator_new(&mut handle) };
    assert_eq!(status, EGOV_OK);
    assert_ne!(handle, 0x77_usize as *mut EgovXrechnungValidator);
    // SAFETY: created above, freed once.
    unsafe { egov_xrechnung_validator_free(handle) };
}

#[test]
fn xml_errors_map_to_their_kind() {
    let (status, message) = to_json(NOT_WELL_FORMED).unwrap_err();
    assert_eq!(status, EGOV_XML_MALFORMED, "{message}");
    assert!(message.starts_with("malformed at line "), "{message}");

    let (status, message) = to_json(WITH_DOCTYPE).unwrap_err();
    assert_eq!(status, EGOV_XML_DTD_FORBIDDEN, "{message}");

    let (status, _) = to_json(b"<a x='1' x='2'/>").unwrap_err();
    assert_eq!(status, EGOV_XML_DUPLICATE_ATTRIBUTE);
    let (status, _) = to_json(b"<p:a/>").unwrap_err();
    assert_eq!(status, EGOV_XML_UNDECLARED_PREFIX);
    let (status, _) = to_json(b"<a>\xff</a>").unwrap_err();
    assert_eq!(status, EGOV_XML_ENCODING);

    let (status, message) = to_json(b"<Order xmlns='urn:example'/>").unwrap_err();
    assert_eq!(status, EGOV_XRECHNUNG_UNKNOWN_SYNTAX);
    assert!(message.contains("Order"), "{message}");
}

#[test]
fn from_json_errors() {
    let (status, message) =
        from_json(b"{\"invoice_number\": \"\xff\"}", EGOV_SYNTAX_UBL).unwrap_err();
    assert_eq!(status, EGOV_INVALID_UTF8);
    assert!(message.contains("offset 20"), "{message}");

    let (status, message) = from_json(b"{not json", EGOV_SYNTAX_UBL).unwrap_err();
    assert_eq!(status, EGOV_XRECHNUNG_INVALID_JSON);
    assert!(message.contains("line 1"), "{message}");

    let (status, _) = from_json(b"[1, 2]", EGOV_SYNTAX_CII).unwrap_err();
    assert_eq!(status, EGOV_XRECHNUNG_INVALID_JSON);

    for syntax in [0, 3, -1] {
        let (status, message) = from_json(b"{}", syntax).unwrap_err();
        assert_eq!(status, EGOV_INVALID_ARGUMENT);
        assert!(message.contains("unknown syntax"), "{message}");
    }
}

/// XML → JSON → XML (UBL and CII) → JSON gives the same JSON, and BT-1 survives. Depends on the
/// UBL/CII readers and writers of egov-xrechnung.
#[test]
fn round_trip_through_json() {
    let json = to_json(MINIMAL_UBL).unwrap();
    let model: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(model["invoice_number"], "R-2026-1", "BT-1");
    for syntax in [EGOV_SYNTAX_UBL, EGOV_SYNTAX_CII] {
        let xml = from_json(json.as_bytes(), syntax).unwrap();
        assert_eq!(to_json(xml.as_bytes()).unwrap(), json, "syntax {syntax}");
    }
}

#[test]
fn last_error_buffer_semantics() {
    let _ = to_json(b"garbage");
    // SAFETY: NULL with length 0.
    let full = unsafe { egov_last_error_message(ptr::null_mut(), 0) };
    assert!(full > 10);
    let message = last_error();
    assert_eq!(message.len(), full);

    // A small buffer gets a NUL-terminated prefix and the full length back.
    let mut small = [0x55_u8; 8];
    // SAFETY: 8 writable bytes.
    let n = unsafe { egov_last_error_message(small.as_mut_ptr().cast(), small.len()) };
    assert_eq!(n, full);
    assert_eq!(&small[..7], &message.as_bytes()[..7]);
    assert_eq!(small[7], 0);

    // Length 1: only the NUL.
    let mut one = [0x55_u8; 2];
    // SAFETY: 1 writable byte announced (of 2).
    let n = unsafe { egov_last_error_message(one.as_mut_ptr().cast(), 1) };
    assert_eq!(n, full);
    assert_eq!(one, [0, 0x55]);

    // A non-NULL buffer with length 0 is not written.
    let mut none = [0x55_u8; 1];
    // SAFETY: length 0: nothing is written.
    let n = unsafe { egov_last_error_message(none.as_mut_ptr().cast(), 0) };
    assert_eq!(n, full);
    assert_eq!(none, [0x55]);

    // Success does not clear it.
    let v = Validator::new();
    let _ = v.validate(MINIMAL_UBL);
    assert_eq!(last_error(), message);
}

#[test]
fn status_names_and_version() {
    let name = |s| {
        // SAFETY: static NUL-terminated strings.
        unsafe { CStr::from_ptr(egov_status_name(s)) }
            .to_str()
            .unwrap()
    };
    assert_eq!(name(EGOV_OK), "EGOV_OK");
    assert_eq!(name(EGOV_XML_MALFORMED), "EGOV_XML_MALFORMED");
    assert_eq!(
        name(EGOV_XRECHNUNG_INVALID_JSON),
        "EGOV_XRECHNUNG_INVALID_JSON"
    );
    assert_eq!(name(12345), "unknown");
    // SAFETY: static NUL-terminated string.
    let version = unsafe { CStr::from_ptr(egov_version()) }.to_str().unwrap();
    assert!(version.starts_with("egov 0."), "{version}");
    assert!(version.contains("XRechnung 3.0.2"), "{version}");
}

#[test]
fn one_validator_many_threads() {
    let v = Validator::new();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..10 {
                    let report = v.validate(MINIMAL_UBL);
                    assert_eq!(report["syntax"], "ubl");
                }
            });
        }
    });
}
