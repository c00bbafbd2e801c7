fn main() -> std::process::ExitCode {
    scaiflow::cli::main()
}
