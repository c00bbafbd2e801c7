fn main() -> std::process::ExitCode {
    tune_allocator();
    scaiflow::cli::main()
}

/// Turns glibc's fastbins off (`M_MXFAST` = 0).
///
/// A compile frees the parsed document (hundreds of thousands of small blocks) before
/// lowering; with fastbins those blocks wait in the bins until the next large allocation,
/// which then consolidates them all at once: 14 % of a 10,000-node compile in one
/// `malloc`. Without fastbins a freed block merges with its free neighbours as it is freed,
/// and the compile is 11 % faster with the same peak memory (docs/performance.md, "The
/// fast schema check and the allocator").
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    // SAFETY: `mallopt` only sets a parameter of glibc's allocator, here before any thread
    // of ours exists. If it fails (it returns 0) the default stays, which is only slower.
    unsafe {
        libc::mallopt(libc::M_MXFAST, 0);
    }
}

/// Other allocators keep their defaults.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}
