//! The `provisio` binary.
#![forbid(unsafe_code)]

/// mimalloc instead of the system allocator: a list page allocates thousands of small values on
/// two or more threads at once, and glibc's malloc spent much of the server's CPU on its locks
/// in a profile of the list workload (figures in docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    match provisio::cli::main() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("provisio: {e:#}");
            // The client commands' documented exit codes; 1 for everything else.
            std::process::ExitCode::from(provisio::client::exit_code(&e))
        }
    }
}
