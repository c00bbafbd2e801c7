#!/usr/bin/env python3
"""Side by side: scaiflow against the upstream-style Python pipeline (../shared/bench).

    scripts/bench-vs-python.py [SIZE ...]        default: 50 1000 10000

Generates a flow of each size with the peer's gen_flow.py, then runs scaiflow and the peer
alternately (RUNS times each, default 5) and prints the median wall time, the median peak
memory (each process's own, from GNU time) and the ratios. The machines are shared and noisy:
quote ratios from one run, never compare absolute figures across runs (docs/performance.md).

Needs a release build (made here), and for the peer: python3 -m pip install jsonschema
networkx pyyaml msgpack. BENCH_DIR: the peer's folder (default ../shared/bench beside the
repository); SCAIFLOW_BIN: another scaiflow binary to measure.
"""
import os, platform, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.environ.get("BENCH_DIR", os.path.join(ROOT, "..", "shared", "bench"))
RUNS = int(os.environ.get("RUNS", "5"))


def run(cmd):
    """Wall seconds and peak resident KiB of one process.

    The peak comes from GNU time (`/usr/bin/time -f %M`) when it is there: a child's
    `ru_maxrss` as `wait4` reports it keeps the high-water mark of the forked Python
    process it started as (Linux carries it across exec), tens of MiB that are not the
    measured program's."""
    gnu_time = os.path.exists("/usr/bin/time")
    with tempfile.NamedTemporaryFile("r") as rss:
        full = (["/usr/bin/time", "-f", "%M", "-o", rss.name] if gnu_time else []) + cmd
        start = time.perf_counter()
        proc = subprocess.Popen(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        err = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"failed: {' '.join(cmd)}\n{err}")
        peak = int(rss.read().split()[-1]) if gnu_time else usage.ru_maxrss
    return wall, peak


def main(sizes):
    for f in ("gen_flow.py", "python_baseline.py"):
        if not os.path.exists(os.path.join(BENCH, f)):
            sys.exit(f"missing {BENCH}/{f} (set BENCH_DIR)")
    try:
        import jsonschema, networkx, yaml, msgpack  # noqa: F401
    except ImportError:
        sys.exit("needs: python3 -m pip install jsonschema networkx pyyaml msgpack")
    subprocess.run(["cargo", "build", "--release", "--quiet", "--manifest-path",
                    os.path.join(ROOT, "Cargo.toml")], check=True)
    exe = os.environ.get("SCAIFLOW_BIN", os.path.join(ROOT, "target", "release", "scaiflow"))
    schema = os.path.join(ROOT, "schemas", "flow.v2.schema.json")
    peer = [sys.executable, os.path.join(BENCH, "python_baseline.py"), schema]
    print(f"{'nodes':>6} {'job':<9} {'scaiflow':>10} {'python':>10} {'ratio':>7} {'ours MiB':>9} {'py MiB':>8}")
    with tempfile.TemporaryDirectory() as work:
        for n in sizes:
            flow = os.path.join(work, f"f{n}.flow.json")
            subprocess.run([sys.executable, os.path.join(BENCH, "gen_flow.py"), str(n), flow], check=True)
            o = lambda ext: os.path.join(work, "out." + ext)
            jobs = {
                "yaml": ([exe, "compile", flow, "--out", o("yaml"), "-q"], peer + [flow, o("p.yaml"), "yaml"]),
                "ir": ([exe, "compile", "--format", "ir", flow, "--out", o("scir"), "-q"], peer + [flow, o("p.scir"), "ir"]),
                # The peer has no validate-only mode: its yaml pipeline is the closest.
                "validate": ([exe, "validate", flow, "-q"], peer + [flow, o("p.yaml"), "yaml"]),
            }
            for job, (ours_cmd, py_cmd) in jobs.items():
                ours, py = [], []
                for _ in range(RUNS):
                    ours.append(run(ours_cmd))
                    py.append(run(py_cmd))
                t_o = statistics.median(w for w, _ in ours)
                t_p = statistics.median(w for w, _ in py)
                m_o = statistics.median(m for _, m in ours) / 1024
                m_p = statistics.median(m for _, m in py) / 1024
                print(f"{n:>6} {job:<9} {t_o * 1000:>8.1f}ms {t_p * 1000:>8.1f}ms {t_p / t_o:>6.0f}x {m_o:>9.1f} {m_p:>8.1f}")
            print(f"{'':>6} (flow: {os.path.getsize(flow) / 1e6:.2f} MB; medians of {RUNS} alternating runs)")
    print(f"machine: {os.cpu_count()} cores, {platform.system()} {platform.release()}; "
          f"{time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime())}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [50, 1000, 10000])
