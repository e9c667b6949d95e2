fn main() -> std::process::ExitCode {
    kplan::cli::main().into()
}
