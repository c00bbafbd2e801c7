fn main() -> std::process::ExitCode {
    tune_allocator();
    scaiflow::cli::main()
}

/// Turns glibc's fastbins off (`M_MXFAST` = 0) and fixes its mmap threshold at its
/// default, 128 KiB (`M_MMAP_THRESHOLD`).
///
/// A compile frees the parsed document (hundreds of thousands of small blocks) before
/// lowering; with fastbins those blocks wait in the bins until the next large allocation,
/// which then consolidates them all at once: 14 % of a 10,000-node compile in one
/// `malloc`. Without fastbins a freed block merges with its free neighbours as it is freed,
/// and the compile is 11 % faster with the same peak memory (docs/performance.md, "The
/// fast schema check and the allocator").
///
/// Left to itself, glibc raises the threshold to the size of a mapped block of up to
/// 32 MiB when it is freed, and its trim threshold to twice that (`man mallopt`); at
/// 10,000 nodes the first such block is the tape, 8 MB. From then on the later phases'
/// blocks up to that size come from the heap, and the heap's freed pages stay resident.
/// Fixed, a request of 128 KiB or more that the free lists cannot serve is mapped, and
/// unmapped when freed: the peak RSS of the 100,000-node compile is 17 MiB lower, at the
/// same speed (docs/performance.md, "Fields at their size, and the allocator's threshold").
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    /// glibc's default `M_MMAP_THRESHOLD`, set so that it stays.
    const MMAP_THRESHOLD: libc::c_int = 128 * 1024;
    // SAFETY: `mallopt` only sets parameters of glibc's allocator, here before any thread
    // of ours exists. If a call fails (it returns 0) the default stays, which is only
    // slower or bigger.
    unsafe {
        libc::mallopt(libc::M_MXFAST, 0);
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}

/// Other allocators keep their defaults.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}
