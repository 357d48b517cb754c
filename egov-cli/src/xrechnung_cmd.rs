//! `egov xrechnung …`: show and convert EN 16931 invoices.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use egov_xrechnung::Syntax;

use crate::Format;

/// `egov xrechnung` subcommands.
#[derive(Debug, Subcommand)]
pub enum XrechnungCommand {
    /// Shows an invoice: a readable summary, or the model as JSON.
    Show(ShowArgs),
    /// Converts an invoice between UBL and CII through the EN 16931 model.
    ///
    /// Exit code 0 on success, 2 on unreadable input or I/O errors.
    Convert(ConvertArgs),
    /// Validates invoices exactly as KoSIT's XRechnung configuration does (XSD, CEN EN 16931
    /// rules, XRechnung rules, scenario overrides).
    ///
    /// Directories are walked for *.xml (any case). Exit code 0 when all are valid, 1 when any is
    /// invalid, 2 on usage or I/O errors.
    Validate(crate::validate_cmd::ValidateArgs),
}

/// Arguments of `egov xrechnung show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// `text` (summary) or `json` (the model only: equal models print equal JSON).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// The invoice (UBL 2.1 Invoice/CreditNote or CII D16B).
    file: PathBuf,
}

/// Target syntax of `convert`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Target {
    Ubl,
    Cii,
}

/// Arguments of `egov xrechnung convert`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// Target syntax.
    #[arg(long, value_enum)]
    to: Target,
    /// The invoice to convert.
    input: PathBuf,
    /// Where to write the result.
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
}

/// Runs a subcommand.
pub fn run(cmd: &XrechnungCommand) -> ExitCode {
    match cmd {
        XrechnungCommand::Show(a) => show(a),
        XrechnungCommand::Convert(a) => convert(a),
        XrechnungCommand::Validate(a) => crate::validate_cmd::run(a),
    }
}

fn fail(message: String) -> ExitCode {
    eprintln!("egov: {message}");
    ExitCode::from(2)
}

fn show(args: &ShowArgs) -> ExitCode {
    let bytes = match std::fs::read(&args.file) {
        Ok(b) => b,
        Err(e) => return fail(format!("{}: {e}", args.file.display())),
    };
    let read = match egov_xrechnung::read(&bytes) {
        Ok(r) => r,
        Err(e) => return fail(format!("{}: {e}", args.file.display())),
    };
    match args.format {
        Format::Json => println!("{}", egov_xrechnung::to_json(&read.invoice)),
        Format::Text => {
            println!("{} ({})", args.file.display(), read.syntax);
            print!("{}", egov_xrechnung::summary_text(&read.invoice));
            if !read.unmapped.is_empty() {
                println!("  Nicht abgebildet / not mapped: {}", read.unmapped.len());
                for u in &read.unmapped {
                    println!("    {} (line {}): {}", u.path, u.line, u.reason);
                }
            }
        }
    }
    ExitCode::SUCCESS
}

fn convert(args: &ConvertArgs) -> ExitCode {
    let bytes = match std::fs::read(&args.input) {
        Ok(b) => b,
        Err(e) => return fail(format!("{}: {e}", args.input.display())),
    };
    let to = match args.to {
        Target::Ubl => Syntax::Ubl,
        Target::Cii => Syntax::Cii,
    };
    let (xml, read) = match egov_xrechnung::convert(&bytes, to) {
        Ok(r) => r,
        Err(e) => return fail(format!("{}: {e}", args.input.display())),
    };
    if let Err(e) = std::fs::write(&args.output, xml) {
        return fail(format!("{}: {e}", args.output.display()));
    }
    eprintln!(
        "{} ({}) → {} ({to}); {} element(s) not carried by the EN 16931 model",
        args.input.display(),
        read.syntax,
        args.output.display(),
        read.unmapped.len()
    );
    for u in &read.unmapped {
        eprintln!(
            "  not converted: {} (line {}): {}",
            u.path, u.line, u.reason
        );
    }
    for reason in egov_xrechnung::not_carried(&read.invoice, to) {
        eprintln!("  not converted: {reason}");
    }
    ExitCode::SUCCESS
}
