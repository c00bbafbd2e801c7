//! Hash maps and sets for what a flow names: node ids, ports, bindings, node indices.
//!
//! std's `HashMap` hashes with SipHash-1-3, which was a fifth of the analysis of a
//! 10,000-node flow (docs/performance.md, "Two cores for one flow"). foldhash is several
//! times faster on short keys and, like std's, is seeded randomly per process, so a flow
//! cannot be written to collide on every machine; no output depends on iteration order
//! (every emitted list is in declaration or topological order).

pub use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
