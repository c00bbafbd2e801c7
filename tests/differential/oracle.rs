//! The oracle: how every condition and every loop turns out (docs/semantics.md §7).
//!
//! Deterministic from a seed: a condition is keyed by (node, trimmed condition text,
//! iteration path) and a loop count by (loop node, iteration path), so conditions with the
//! same text on the same node in the same iteration evaluate alike, in the graph and in the
//! manifest. Every answer given is logged so a mismatch report can show the relevant values.

use std::cell::RefCell;
use std::collections::BTreeMap;

/// The loop iterations around a run, outermost first: (loop node id, iteration index).
pub type IterPath = Vec<(String, usize)>;

pub fn show_path(path: &[(String, usize)]) -> String {
    if path.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = path.iter().map(|(l, i)| format!("{l}#{i}")).collect();
    format!("[{}]", parts.join(","))
}

#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// Each condition holds with probability `pct`%; loop counts in {0, 1, 2}.
    Random { seed: u64, pct: u64 },
    /// Every guard evaluates to `cond`; every loop runs `count` times.
    Fixed { cond: bool, count: usize },
}

pub struct Oracle {
    pub mode: Mode,
    log: RefCell<BTreeMap<String, String>>,
}

fn mix(mut h: u64) -> u64 {
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

fn hash(seed: u64, parts: &[&str], path: &[(String, usize)]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ mix(seed);
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    for p in parts {
        eat(p.as_bytes());
    }
    for (l, i) in path {
        eat(l.as_bytes());
        eat(&(*i as u64).to_le_bytes());
    }
    mix(h)
}

impl Oracle {
    pub fn new(mode: Mode) -> Oracle {
        Oracle {
            mode,
            log: RefCell::new(BTreeMap::new()),
        }
    }

    /// The oracles every flow is checked under: all-false, all-true, then `random` seeded ones.
    pub fn family(flow_seed: u64, random: usize) -> Vec<Oracle> {
        let mut v = vec![
            Oracle::new(Mode::Fixed {
                cond: false,
                count: 1,
            }),
            Oracle::new(Mode::Fixed {
                cond: true,
                count: 1,
            }),
        ];
        for i in 0..random as u64 {
            v.push(Oracle::new(Mode::Random {
                seed: mix(flow_seed ^ (i + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)),
                pct: 40,
            }));
        }
        v
    }

    /// Whether the guard `text` of decision `node` holds in iteration `path`. `"true"` (white
    /// space ignored) always holds.
    pub fn cond(&self, node: &str, text: &str, path: &[(String, usize)]) -> bool {
        let text = text.trim();
        if text == "true" {
            return true;
        }
        let v = match self.mode {
            Mode::Fixed { cond, .. } => cond,
            Mode::Random { seed, pct } => hash(seed, &["cond", node, text], path) % 100 < pct,
        };
        self.log
            .borrow_mut()
            .insert(format!("{node} {text:?}{}", show_path(path)), v.to_string());
        v
    }

    /// How many times loop `node` runs its body in iteration `path` of its enclosing loops.
    pub fn count(&self, node: &str, path: &[(String, usize)]) -> usize {
        let v = match self.mode {
            Mode::Fixed { count, .. } => count,
            Mode::Random { seed, .. } => (hash(seed, &["loop", node], path) % 3) as usize,
        };
        self.log
            .borrow_mut()
            .insert(format!("{node} loop{}", show_path(path)), format!("{v}x"));
        v
    }

    /// The values asked for so far, one per line.
    pub fn describe(&self) -> String {
        let mut s = format!("oracle {:?}:\n", self.mode);
        for (k, v) in self.log.borrow().iter() {
            s.push_str(&format!("  {k} = {v}\n"));
        }
        s
    }
}
