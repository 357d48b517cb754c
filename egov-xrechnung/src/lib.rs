//! EN 16931 / XRechnung (work in progress).
#![forbid(unsafe_code)]
#![warn(missing_docs)]
pub mod model;
pub mod codes;
