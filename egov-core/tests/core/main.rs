//! Integration tests of egov-core, one module per topic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod codelist;
mod common;
mod period;
mod xml;
mod xpath;
mod xsd;
