//! `chorus`: what people use an AI assistant for, without reading anyone's conversation.
//!
//! The binary is thin: it parses flags into a configuration, calls the library and maps the
//! outcome to an exit code (see `docs/cli.md`).

mod args;
mod assign;
mod compare;
mod eval;
mod inspect;
mod models;
mod progress;
mod render;
mod report;
mod run;
mod synth;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

/// The run finished but rejected records under `--strict`.
const EXIT_REJECTED: u8 = 3;
/// `chorus eval` found a planted detail in an analyst file or a cluster below the thresholds.
const EXIT_PRIVACY: u8 = 4;
/// Something stopped the run: unreadable config, unwritable output, broken store.
const EXIT_ERROR: u8 = 1;

fn main() -> ExitCode {
    chorus_pipeline::enable_fault_injection();
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Assign(args) => assign::assign(args),
        Command::Compare(args) => compare::compare(args),
        Command::Inspect(args) => inspect::inspect(args),
        Command::Models(command) => models::models(command),
        Command::Synth(args) => synth::synth(args),
        Command::Eval(args) => eval::eval(args),
        Command::Report(args) => report::report(args),
        Command::Serve(args) => report::serve(args),
        Command::Config => {
            print!("{}", chorus_pipeline::DEFAULT_CONFIG_TOML);
            Ok(Finished::Clean)
        }
    };
    match outcome {
        Ok(Finished::Clean) => ExitCode::SUCCESS,
        Ok(Finished::Rejected) => ExitCode::from(EXIT_REJECTED),
        Ok(Finished::PrivacyFailed) => ExitCode::from(EXIT_PRIVACY),
        Err(error) => {
            eprintln!("chorus: error: {error:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// How a command that did not fail ended.
enum Finished {
    Clean,
    /// Records were rejected and `--strict` asked for that to show in the exit code.
    Rejected,
    /// An evaluation found a leak or a cluster below the thresholds.
    PrivacyFailed,
}
