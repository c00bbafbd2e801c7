#!/usr/bin/env python3
"""Peak memory of commands, the data and the code apart (Linux).

    scripts/peak-memory.py [-n RUNS] BIN [BIN ...] -- ARGS ...

Runs each BIN with ARGS, the binaries in turn, RUNS times each (default 3), and prints for
each binary the medians of three peaks, in MiB:

- anon:  the peak of RssAnon (heap, mapped blocks, stacks): what the program holds;
- files: the peak of RssFile (mostly the binary's own code as the kernel maps it, which
         moves by a MiB between builds of nearly the same source and as the page cache
         changes: docs/performance.md, "Fields at their size, and the allocator's
         threshold");
- hwm:   VmHWM, the peak of both together (what GNU time's %M reports).

RssAnon and RssFile are polled from /proc/PID/status as fast as a loop can (every few tens
of microseconds; the phases of a large compile last milliseconds); VmHWM is the kernel's own
high-water mark, read at the last poll. Compare a change by `anon`, quote targets by `hwm`.
"""
import os, statistics, subprocess, sys


def peaks(cmd):
    """(anon, files, hwm) peaks in KiB of one run of `cmd`."""
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    anon = files = hwm = 0
    status = f"/proc/{p.pid}/status"
    while p.poll() is None:
        try:
            with open(status) as f:
                text = f.read()
        except OSError:
            break
        for line in text.splitlines():
            key, _, value = line.partition(":")
            if key == "RssAnon":
                anon = max(anon, int(value.split()[0]))
            elif key == "RssFile":
                files = max(files, int(value.split()[0]))
            elif key == "VmHWM":
                hwm = max(hwm, int(value.split()[0]))
    p.wait()
    return anon, files, hwm


def main(argv):
    runs = 3
    if argv[:1] == ["-n"]:
        runs, argv = int(argv[1]), argv[2:]
    if "--" not in argv or argv.index("--") == 0:
        sys.exit(__doc__)
    cut = argv.index("--")
    bins, args = argv[:cut], argv[cut + 1 :]
    results = {b: [] for b in bins}
    for _ in range(runs):
        for b in bins:
            results[b].append(peaks([b] + args))
    print(f"{'binary':<40} {'anon':>8} {'files':>8} {'hwm':>8}   (MiB, medians of {runs})")
    for b in bins:
        med = [statistics.median(r[i] for r in results[b]) / 1024 for i in range(3)]
        print(f"{os.path.basename(b):<40} {med[0]:>8.1f} {med[1]:>8.1f} {med[2]:>8.1f}")


if __name__ == "__main__":
    main(sys.argv[1:])
