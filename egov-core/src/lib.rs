#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod binary;
pub mod codelist;
pub mod error;
pub mod hash;
pub mod period;
pub mod xml;
pub mod xpath;
pub mod xsd;

pub use error::{Error, Result};
