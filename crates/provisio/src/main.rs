//! The `provisio` binary.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    match provisio::cli::main() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("provisio: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
