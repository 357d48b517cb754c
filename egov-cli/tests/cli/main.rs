//! Integration tests of the `egov` binary, one module per command.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod demo;
mod xml_check;
mod xrechnung;
