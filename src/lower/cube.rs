//! Run conditions (`docs/semantics.md`, `docs/lowering.md`): when a node runs, as a
//! conjunction of decision outcomes.
//!
//! A decision node `d` with `k` guarded out-edges takes one of `k + 1` values: `0..k` for
//! the guarded edges in declaration order (the first whose condition holds), and `k` for
//! its fallthrough — or, when it has none, for "no edge is live". Each decision takes its
//! value independently of the others, so a run condition is a boolean function of these
//! values. The lowering handles the ones that a single place in a structured program can
//! express: a [`Cube`], one set of allowed values per decision.

/// `X_node ∈ vals`: `vals` is sorted, non-empty, and a strict subset of the decision's
/// values (a literal allowing every value is dropped from its cube).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Lit {
    pub node: usize,
    pub vals: Vec<u32>,
}

/// A conjunction of literals, sorted by node, at most one per node. The empty cube is
/// "always".
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Cube {
    lits: Vec<Lit>,
}

impl Cube {
    /// The condition that always holds.
    pub fn top() -> Cube {
        Cube::default()
    }

    pub fn lits(&self) -> &[Lit] {
        &self.lits
    }

    pub fn len(&self) -> usize {
        self.lits.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lits.is_empty()
    }

    /// The literal on `node`'s decision, if the cube constrains it.
    pub fn get(&self, node: usize) -> Option<&Lit> {
        self.lits
            .binary_search_by_key(&node, |l| l.node)
            .ok()
            .map(|i| &self.lits[i])
    }

    /// `self ∧ X_node ∈ vals` (`vals` sorted); `None` when that can never hold.
    pub fn and(&self, node: usize, vals: &[u32], domain: u32) -> Option<Cube> {
        let mut lits = self.lits.clone();
        match lits.binary_search_by_key(&node, |l| l.node) {
            Ok(i) => {
                let both = intersect(&lits[i].vals, vals);
                if both.is_empty() {
                    return None;
                }
                lits[i].vals = both;
            }
            Err(i) => {
                if vals.is_empty() {
                    return None;
                }
                if (vals.len() as u64) < u64::from(domain) {
                    lits.insert(
                        i,
                        Lit {
                            node,
                            vals: vals.to_vec(),
                        },
                    );
                }
            }
        }
        Some(Cube { lits })
    }

    /// Whether every outcome that satisfies `self` satisfies `other`.
    pub fn implies(&self, other: &Cube) -> bool {
        other.lits.iter().all(|o| {
            self.get(o.node)
                .is_some_and(|s| s.vals.iter().all(|v| o.vals.binary_search(v).is_ok()))
        })
    }

    /// `self ∨ other` when it is a cube: one implies the other, or they differ in the
    /// values of exactly one decision (whose literal then allows both sets).
    fn or(&self, other: &Cube, domain: &impl Fn(usize) -> u32) -> Option<Cube> {
        if self.implies(other) {
            return Some(other.clone());
        }
        if other.implies(self) {
            return Some(self.clone());
        }
        if self.lits.len() != other.lits.len() {
            return None;
        }
        let mut differ = None;
        for (i, (a, b)) in self.lits.iter().zip(&other.lits).enumerate() {
            if a.node != b.node {
                return None;
            }
            if a.vals != b.vals {
                if differ.is_some() {
                    return None;
                }
                differ = Some(i);
            }
        }
        let i = differ?;
        let mut lits = self.lits.clone();
        let merged = union(&lits[i].vals, &other.lits[i].vals);
        if merged.len() as u64 >= u64::from(domain(lits[i].node)) {
            lits.remove(i);
        } else {
            lits[i].vals = merged;
        }
        Some(Cube { lits })
    }
}

/// The most disjuncts kept apart while merging before the disjunction is given up as not
/// being a cube.
const MAX_DISJUNCTS: usize = 64;

/// The disjunction of `cubes` as one cube, merging pairs until one is left. `Err` holds
/// two disjuncts that did not merge (for the diagnostic). `cubes` must not be empty.
pub fn disjunction(
    cubes: impl IntoIterator<Item = Cube>,
    domain: impl Fn(usize) -> u32,
) -> Result<Cube, (Cube, Cube)> {
    let mut kept: Vec<Cube> = Vec::new();
    for c in cubes {
        let mut c = c;
        // Merge `c` into what is kept, as long as something merges with it.
        'merge: loop {
            for i in 0..kept.len() {
                if let Some(m) = kept[i].or(&c, &domain) {
                    kept.swap_remove(i);
                    c = m;
                    continue 'merge;
                }
            }
            break;
        }
        kept.push(c);
        if kept.len() > MAX_DISJUNCTS {
            break;
        }
    }
    match kept.len() {
        1 => Ok(kept.pop().unwrap_or_default()),
        _ => {
            let b = kept.pop().unwrap_or_default();
            let a = kept.pop().unwrap_or_default();
            Err((a, b))
        }
    }
}

fn intersect(a: &[u32], b: &[u32]) -> Vec<u32> {
    a.iter()
        .copied()
        .filter(|v| b.binary_search(v).is_ok())
        .collect()
}

fn union(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let next = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) if x == y => {
                i += 1;
                j += 1;
                x
            }
            (Some(&x), Some(&y)) if x < y => {
                i += 1;
                x
            }
            (Some(_), Some(&y)) => {
                j += 1;
                y
            }
            (Some(&x), None) => {
                i += 1;
                x
            }
            (None, Some(&y)) => {
                j += 1;
                y
            }
            (None, None) => break,
        };
        out.push(next);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dom(_: usize) -> u32 {
        3
    }

    fn c(lits: &[(usize, &[u32])]) -> Cube {
        let mut cube = Cube::top();
        for (n, v) in lits {
            cube = cube.and(*n, v, 3).unwrap();
        }
        cube
    }

    #[test]
    fn a_literal_allowing_every_value_is_dropped() {
        assert_eq!(c(&[(1, &[0, 1, 2])]), Cube::top());
        assert_eq!(c(&[(1, &[0, 1])]).len(), 1);
    }

    #[test]
    fn and_intersects_and_detects_the_impossible() {
        let x = c(&[(1, &[0, 1])]);
        assert_eq!(x.and(1, &[1, 2], 3), Some(c(&[(1, &[1])])));
        assert_eq!(x.and(1, &[2], 3), None);
        assert_eq!(Cube::top().and(4, &[], 3), None);
    }

    #[test]
    fn implication() {
        let a = c(&[(1, &[0]), (2, &[1])]);
        let b = c(&[(1, &[0, 1])]);
        assert!(a.implies(&b));
        assert!(!b.implies(&a));
        assert!(a.implies(&Cube::top()));
        assert!(!Cube::top().implies(&b));
    }

    #[test]
    fn disjunctions_merge_arms_of_one_decision() {
        let arms = [c(&[(1, &[0])]), c(&[(1, &[1])]), c(&[(1, &[2])])];
        assert_eq!(disjunction(arms[..2].to_vec(), dom), Ok(c(&[(1, &[0, 1])])));
        assert_eq!(disjunction(arms.to_vec(), dom), Ok(Cube::top()));
        // Absorption: the weaker disjunct wins.
        let strong = c(&[(1, &[0]), (2, &[0])]);
        assert_eq!(
            disjunction([strong, arms[0].clone()], dom),
            Ok(arms[0].clone())
        );
    }

    #[test]
    fn disjunctions_of_different_decisions_are_not_cubes() {
        let r = disjunction([c(&[(1, &[0])]), c(&[(2, &[0])])], dom);
        assert!(r.is_err());
        // ...until the other arms complete them: (1=0 ∧ 2=0) ∨ (1=0 ∧ 2∈{1,2}) ∨ 1∈{1,2}.
        let r = disjunction(
            [
                c(&[(1, &[0]), (2, &[0])]),
                c(&[(1, &[1, 2])]),
                c(&[(1, &[0]), (2, &[1, 2])]),
            ],
            dom,
        );
        assert_eq!(r, Ok(Cube::top()));
    }

    #[test]
    fn union_merges_sorted_sets() {
        assert_eq!(union(&[0, 2], &[1, 2, 5]), vec![0, 1, 2, 5]);
        assert_eq!(intersect(&[0, 2, 5], &[2, 5, 7]), vec![2, 5]);
    }
}
