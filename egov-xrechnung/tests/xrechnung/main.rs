//! Integration tests of egov-xrechnung, one module per topic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

/// The probes (`rules::cold_start_probe`, `rules::timing_probe`) measure with the allocator of
/// the shipped binaries.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cii;
mod common;
mod convert;
mod rules;
mod schema;
mod ubl;
mod validate;
