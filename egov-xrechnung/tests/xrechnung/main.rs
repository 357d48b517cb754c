//! Integration tests of egov-xrechnung, one module per topic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod cii;
mod common;
mod convert;
mod rules;
mod schema;
mod ubl;
mod validate;
