//! `egov`: the command-line face of the egov SDK.
//!
//! A thin surface: it converts arguments and files into library calls and prints the results.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod demo;
mod validate_cmd;
mod xml_check;
mod xrechnung_cmd;

/// mimalloc rather than the system allocator: a fresh process's first validation builds a few
/// megabytes of rules and schema on several threads, which glibc's allocator grows in small
/// steps (every step a system call that stalls the other threads' page faults). Measured on
/// the first validation of a process: −27 % (median); on warm validations: −8 %; for ~20 MB
/// more resident memory (transparent huge pages, off with `MIMALLOC_ALLOW_THP=0`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// egov — German/EU e-government building blocks.
#[derive(Debug, Parser)]
#[command(name = "egov", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Shows, step by step, what the SDK does, on sample documents built into the binary.
    Demo,
    /// The secure XML layer.
    Xml {
        #[command(subcommand)]
        command: XmlCommand,
    },
    /// EN 16931 / XRechnung invoices (UBL 2.1 and CII D16B).
    Xrechnung {
        #[command(subcommand)]
        command: xrechnung_cmd::XrechnungCommand,
    },
}

#[derive(Debug, Subcommand)]
enum XmlCommand {
    /// Parses each file under the hard limits and reports whether it is accepted.
    ///
    /// Exit code 0 when all files are accepted, 1 when any is rejected, 2 on usage or I/O errors.
    Check(xml_check::CheckArgs),
}

/// Output format of reporting commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo => demo::run(),
        Command::Xml {
            command: XmlCommand::Check(args),
        } => xml_check::run(&args),
        Command::Xrechnung { command } => xrechnung_cmd::run(&command),
    }
}
