#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod builder;
pub mod cii;
pub mod codes;
mod error;
pub mod html;
pub mod model;
pub mod read;
pub mod report;
pub mod rules;
pub mod schema;
mod summary;
mod syntax;
pub mod terms;
pub mod ubl;
pub mod validate;
mod write;

pub use error::{Error, Result};
pub use model::Invoice;
pub use read::Unmapped;
pub use summary::summary_text;
pub use syntax::{
    carried_by, convert, from_json, invoice_limits, not_carried, read, read_document, to_json,
    write, ReadOutcome, Syntax, CAC_NS, CBC_NS, EXT_NS, QDT_NS, RAM_NS, RSM_NS, UBL_CREDIT_NOTE_NS,
    UBL_INVOICE_NS, UDT_NS,
};
pub use validate::Validator;
