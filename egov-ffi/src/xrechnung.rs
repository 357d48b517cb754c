//! XRechnung / EN 16931: the validator handle, and conversion between invoice XML (UBL, CII) and
//! the invoice model's JSON form.

use egov_xrechnung::{Syntax, Validator};

use crate::buf::EgovBuf;
use crate::error::{guard, guard_void, input, non_null, Failure};
use crate::status::{EgovStatus, EGOV_INVALID_ARGUMENT, EGOV_INVALID_UTF8};

/// `syntax` argument of `egov_xrechnung_from_json`: OASIS UBL 2.1 (Invoice or CreditNote by BT-3).
pub const EGOV_SYNTAX_UBL: i32 = 1;
/// `syntax` argument of `egov_xrechnung_from_json`: UN/CEFACT CII D16B CrossIndustryInvoice.
pub const EGOV_SYNTAX_CII: i32 = 2;

/// A compiled XRechnung 3.0.2 validator (the KoSIT pipeline: scenario, XML Schema, CEN EN 16931
/// and XRechnung rules). Opaque.
///
/// Immutable after creation and safe for concurrent use: one validator may be used by any number
/// of threads at the same time. Create it once (compiling the rules is the expensive part) and
/// reuse it; free it only when no call with it is running.
pub struct EgovXrechnungValidator {
    inner: Validator,
}

// The concurrency promise above rests on this: the validator is `Send + Sync`.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Validator>();
};

/// Creates the XRechnung validator and stores it in `*out`; free it with
/// `egov_xrechnung_validator_free`.
///
/// Errors: `EGOV_NULL_ARGUMENT` (`out` is NULL). `*out` is written only on success.
///
/// # Safety
/// `out` must be NULL or valid for writing one pointer.
#[no_mangle]
pub unsafe extern "C" fn egov_xrechnung_validator_new(
    out: *mut *mut EgovXrechnungValidator,
) -> EgovStatus {
    const F: &str = "egov_xrechnung_validator_new";
    guard(F, || {
        non_null(out, F, "out")?;
        let validator = Box::new(EgovXrechnungValidator {
            inner: Validator::xrechnung(),
        });
        // SAFETY: `out` is not NULL (checked) and valid for writes (caller's contract).
        unsafe { out.write(Box::into_raw(validator)) };
        Ok(())
    })
}

/// Validates one invoice (UBL 2.1 or CII D16B XML) and stores the JSON report in `*out_json`.
///
/// The report is `{"schema": "egov.xrechnung.report/1", "verdict": "accept"|"reject", "valid":
/// bool, "scenario": string|null, "syntax": "ubl"|"cii"|null, "fatal": [ids], "warning": [ids],
/// "information": [ids], "findings": [{"id", "flag", "message", "location"?, "bt"?}],
/// "rules_version": string}`. Findings — including an input that is not XML at all — are a
/// successful result (`EGOV_OK`, `"valid": false`), not an error status.
///
/// Errors: `EGOV_NULL_ARGUMENT` (`v` or `out_json` NULL, or `xml` NULL with `len` > 0).
/// `*out_json` is written only on success; release it with `egov_buf_free`.
///
/// # Safety
/// `v` must be NULL or a live validator from `egov_xrechnung_validator_new`; `xml` must be NULL
/// or valid for reads of `len` bytes during the call; `out_json` must be NULL or valid for
/// writing one `EgovBuf`.
#[no_mangle]
pub unsafe extern "C" fn egov_xrechnung_validator_validate(
    v: *const EgovXrechnungValidator,
    xml: *const u8,
    len: usize,
    out_json: *mut EgovBuf,
) -> EgovStatus {
    const F: &str = "egov_xrechnung_validator_validate";
    guard(F, || {
        non_null(v, F, "v")?;
        non_null(out_json, F, "out_json")?;
        // SAFETY: forwarded from this function's contract for `xml`/`len`.
        let xml = unsafe { input(xml, len, F, "xml") }?;
        // SAFETY: `v` is not NULL (checked) and a live validator (caller's contract); the
        // validator is `Sync`, so a shared reference may coexist with other threads' calls.
        let validator = unsafe { &(*v).inner };
        let report = validator.validate(xml);
        let buf = EgovBuf::from_string(report.to_json());
        // SAFETY: `out_json` is not NULL (checked) and valid for writes (caller's contract).
        unsafe { out_json.write(buf) };
        Ok(())
    })
}

/// Frees a validator. NULL is a no-op.
///
/// # Safety
/// `v` must be NULL or a validator from `egov_xrechnung_validator_new` that has not been freed and
/// that no other thread is using.
#[no_mangle]
pub unsafe extern "C" fn egov_xrechnung_validator_free(v: *mut EgovXrechnungValidator) {
    guard_void("egov_xrechnung_validator_free", || {
        if v.is_null() {
            return;
        }
        // SAFETY: `v` came from `Box::into_raw` in `egov_xrechnung_validator_new` and is freed
        // only here, once, while unused (caller's contract).
        drop(unsafe { Box::from_raw(v) });
    });
}

/// Reads an invoice (UBL 2.1 Invoice/CreditNote or CII D16B XML) and stores the invoice model as
/// JSON in `*out_json` (the same JSON `egov_xrechnung_from_json` reads).
///
/// Errors: `EGOV_NULL_ARGUMENT`; `EGOV_XML_…` when the bytes are not acceptable XML (message with
/// line and column); `EGOV_XRECHNUNG_UNKNOWN_SYNTAX` when the root element is not an invoice.
/// `*out_json` is written only on success; release it with `egov_buf_free`.
///
/// # Safety
/// `xml` must be NULL or valid for reads of `len` bytes during the call; `out_json` must be NULL
/// or valid for writing one `EgovBuf`.
#[no_mangle]
pub unsafe extern "C" fn egov_xrechnung_to_json(
    xml: *const u8,
    len: usize,
    out_json: *mut EgovBuf,
) -> EgovStatus {
    const F: &str = "egov_xrechnung_to_json";
    guard(F, || {
        non_null(out_json, F, "out_json")?;
        // SAFETY: forwarded from this function's contract for `xml`/`len`.
        let xml = unsafe { input(xml, len, F, "xml") }?;
        let read = egov_xrechnung::read(xml)?;
        let buf = EgovBuf::from_string(egov_xrechnung::to_json(&read.invoice));
        // SAFETY: `out_json` is not NULL (checked) and valid for writes (caller's contract).
        unsafe { out_json.write(buf) };
        Ok(())
    })
}

/// Reads the invoice model from JSON (as written by `egov_xrechnung_to_json`) and stores the
/// invoice as XML in `*out_xml`: `syntax` 1 (`EGOV_SYNTAX_UBL`) writes a UBL 2.1 Invoice or
/// CreditNote, 2 (`EGOV_SYNTAX_CII`) a CII D16B CrossIndustryInvoice.
///
/// Errors: `EGOV_NULL_ARGUMENT`; `EGOV_INVALID_ARGUMENT` (unknown `syntax`); `EGOV_INVALID_UTF8`
/// (the JSON is not UTF-8); `EGOV_XRECHNUNG_INVALID_JSON` (not JSON, or not an invoice model).
/// `*out_xml` is written only on success; release it with `egov_buf_free`.
///
/// # Safety
/// `json` must be NULL or valid for reads of `len` bytes during the call; `out_xml` must be NULL
/// or valid for writing one `EgovBuf`.
#[no_mangle]
pub unsafe extern "C" fn egov_xrechnung_from_json(
    json: *const u8,
    len: usize,
    syntax: i32,
    out_xml: *mut EgovBuf,
) -> EgovStatus {
    const F: &str = "egov_xrechnung_from_json";
    guard(F, || {
        non_null(out_xml, F, "out_xml")?;
        // SAFETY: forwarded from this function's contract for `json`/`len`.
        let json = unsafe { input(json, len, F, "json") }?;
        let syntax = match syntax {
            EGOV_SYNTAX_UBL => Syntax::Ubl,
            EGOV_SYNTAX_CII => Syntax::Cii,
            other => {
                return Err(Failure::new(
                    EGOV_INVALID_ARGUMENT,
                    format!("{F}: unknown syntax {other} (1 = UBL, 2 = CII)"),
                ))
            }
        };
        if let Err(e) = std::str::from_utf8(json) {
            return Err(Failure::new(
                EGOV_INVALID_UTF8,
                format!(
                    "{F}: the JSON is not valid UTF-8 (invalid byte at offset {})",
                    e.valid_up_to()
                ),
            ));
        }
        let invoice = egov_xrechnung::from_json(json)?;
        let buf = EgovBuf::from_string(egov_xrechnung::write(&invoice, syntax));
        // SAFETY: `out_xml` is not NULL (checked) and valid for writes (caller's contract).
        unsafe { out_xml.write(buf) };
        Ok(())
    })
}
