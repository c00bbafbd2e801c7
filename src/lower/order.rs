//! Series–parallel ordering of the items of one level (`docs/lowering.md`, "Order").
//!
//! The items of a level (steps, decisions with their arms, loops) must run in an order that
//! keeps every graph edge between them. A structured program can only express
//! series–parallel orders, so the item DAG is decomposed: independent parts become the
//! branches of a parallel, a *cut item* — one that every item before it in the order
//! precedes and every item after it follows — splits a sequence. Where neither exists (an
//! "N": `a → c`, `b → c`, `b → d`), the items without predecessors run first, in
//! parallel, then the rest: that adds order the graph does not ask for (here `a` before
//! `d`), which is allowed (`docs/semantics.md` §7), and never removes any.

/// One element of an ordered level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Elem {
    Item(usize),
    /// Branches that run concurrently; the next element waits for all of them.
    Par(Vec<Vec<Elem>>),
}

use crate::analyze::graph::Graph;

/// How deeply parallels are nested before the rest of a part is simply sequenced (in
/// topological order, which is always allowed).
const MAX_DEPTH: usize = 64;

/// Orders items `0..n` (given in a topological order of the graph, which breaks ties)
/// under `edges` (`from` must run before `to`). `Err` holds an edge on a cycle.
pub fn series_parallel(n: usize, edges: &[(usize, usize)]) -> Result<Vec<Elem>, (usize, usize)> {
    let mut succ = vec![Vec::new(); n];
    for &(a, b) in edges {
        if a != b {
            succ[a].push(b);
        }
    }
    let mut edges = Vec::new();
    for (a, l) in succ.iter_mut().enumerate() {
        l.sort_unstable();
        l.dedup();
        edges.extend(l.iter().map(|&b| (a, b, 0)));
    }
    let graph = Graph::from_edges(n, &edges);
    let order = graph.topo_order();
    if order.len() < n {
        return Err(cycle_edge(&succ, &order));
    }
    let mut sp = Sp {
        succ,
        local: vec![usize::MAX; n],
    };
    Ok(sp.seq(&order, 0))
}

/// An edge on (or leading into) a cycle, among the items a topological order left out:
/// follow successors among them until one repeats.
fn cycle_edge(succ: &[Vec<usize>], order: &[usize]) -> (usize, usize) {
    let n = succ.len();
    let mut left = vec![true; n];
    for &v in order {
        left[v] = false;
    }
    let mut v = (0..n).find(|&i| left[i]).unwrap_or(0);
    let mut seen = vec![false; n];
    loop {
        seen[v] = true;
        let Some(&w) = succ[v].iter().find(|&&w| left[w]) else {
            return (v, v);
        };
        if seen[w] {
            return (v, w);
        }
        v = w;
    }
}

struct Sp {
    succ: Vec<Vec<usize>>,
    /// Position of each item in the part being decomposed (`usize::MAX`: not in it).
    local: Vec<usize>,
}

impl Sp {
    /// Orders one part, given in topological order.
    fn seq(&mut self, part: &[usize], depth: usize) -> Vec<Elem> {
        if part.len() <= 1 || depth > MAX_DEPTH {
            return part.iter().map(|&i| Elem::Item(i)).collect();
        }
        for (k, &i) in part.iter().enumerate() {
            self.local[i] = k;
        }
        let m = part.len();
        let inside = |local: &[usize], j: usize| local[j] != usize::MAX;
        // Weakly connected components (union-find over the part's positions).
        let mut parent: Vec<usize> = (0..m).collect();
        fn find(p: &mut [usize], mut x: usize) -> usize {
            while p[x] != x {
                p[x] = p[p[x]];
                x = p[x];
            }
            x
        }
        let mut indeg = vec![0usize; m];
        let mut outdeg = vec![0usize; m];
        let mut reach = vec![0usize; m]; // furthest successor position
        for (k, &i) in part.iter().enumerate() {
            for &j in &self.succ[i] {
                if inside(&self.local, j) {
                    let l = self.local[j];
                    outdeg[k] += 1;
                    indeg[l] += 1;
                    reach[k] = reach[k].max(l);
                    let (a, b) = (find(&mut parent, k), find(&mut parent, l));
                    if a != b {
                        parent[a.max(b)] = a.min(b);
                    }
                }
            }
        }
        let roots: Vec<usize> = (0..m).map(|k| find(&mut parent, k)).collect();
        for &i in part {
            self.local[i] = usize::MAX;
        }
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut group_of = vec![usize::MAX; m];
        for (k, &r) in roots.iter().enumerate() {
            if group_of[r] == usize::MAX {
                group_of[r] = groups.len();
                groups.push(Vec::new());
            }
            groups[group_of[r]].push(part[k]);
        }
        if groups.len() > 1 {
            let branches = groups.iter().map(|g| self.seq(g, depth + 1)).collect();
            return vec![Elem::Par(branches)];
        }
        // Cut items: nothing before jumps past it, everything before leads on (has a
        // successor), everything after is led to (has a predecessor).
        let mut suffix_sources = vec![0usize; m + 1];
        for k in (0..m).rev() {
            suffix_sources[k] = suffix_sources[k + 1] + usize::from(indeg[k] == 0);
        }
        let mut cuts = Vec::new();
        let (mut furthest, mut sinks_before) = (0usize, 0usize);
        for k in 0..m {
            if furthest <= k && sinks_before == 0 && suffix_sources[k + 1] == 0 {
                cuts.push(k);
            }
            furthest = furthest.max(reach[k]);
            sinks_before += usize::from(outdeg[k] == 0);
        }
        let mut out = Vec::new();
        if cuts.is_empty() {
            // No series split without adding order: the items without predecessors first.
            let (first, rest): (Vec<usize>, Vec<usize>) = (0..m).partition(|&k| indeg[k] == 0);
            let first: Vec<usize> = first.into_iter().map(|k| part[k]).collect();
            let rest: Vec<usize> = rest.into_iter().map(|k| part[k]).collect();
            out.extend(self.seq(&first, depth + 1));
            out.extend(self.seq(&rest, depth + 1));
            return out;
        }
        let mut start = 0;
        for &k in &cuts {
            if start < k {
                out.extend(self.seq(&part[start..k], depth + 1));
            }
            out.push(Elem::Item(part[k]));
            start = k + 1;
        }
        if start < m {
            out.extend(self.seq(&part[start..], depth + 1));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Elem::{Item, Par};

    fn sp(n: usize, edges: &[(usize, usize)]) -> Vec<Elem> {
        series_parallel(n, edges).unwrap()
    }

    #[test]
    fn a_chain_is_a_sequence() {
        assert_eq!(sp(3, &[(0, 1), (1, 2)]), vec![Item(0), Item(1), Item(2)]);
    }

    #[test]
    fn a_fork_and_join_is_a_parallel_between_cuts() {
        // 0 → {1, 2} → 3
        let got = sp(4, &[(0, 1), (0, 2), (1, 3), (2, 3)]);
        assert_eq!(
            got,
            vec![Item(0), Par(vec![vec![Item(1)], vec![Item(2)]]), Item(3)]
        );
    }

    #[test]
    fn two_of_three_branches_meeting_first_nest() {
        // 0 → {1, 2, 3}; 1, 2 → 4; 4, 3 → 5
        let got = sp(6, &[(0, 1), (0, 2), (0, 3), (1, 4), (2, 4), (4, 5), (3, 5)]);
        assert_eq!(
            got,
            vec![
                Item(0),
                Par(vec![
                    vec![Par(vec![vec![Item(1)], vec![Item(2)]]), Item(4)],
                    vec![Item(3)]
                ]),
                Item(5)
            ]
        );
    }

    #[test]
    fn a_branch_that_stops_runs_beside_the_rest() {
        // 0 → {1, 2}; 1 → 3 (2 stops)
        let got = sp(4, &[(0, 1), (0, 2), (1, 3)]);
        assert_eq!(
            got,
            vec![Item(0), Par(vec![vec![Item(1), Item(3)], vec![Item(2)]])]
        );
    }

    #[test]
    fn an_n_runs_its_sources_first() {
        // 0 → 2, 1 → 2, 1 → 3
        let got = sp(4, &[(0, 2), (1, 2), (1, 3)]);
        assert_eq!(
            got,
            vec![
                Par(vec![vec![Item(0)], vec![Item(1)]]),
                Par(vec![vec![Item(2)], vec![Item(3)]])
            ]
        );
    }

    #[test]
    fn a_complete_bipartite_order_is_two_parallels_in_series() {
        // 0, 1 → 2, 3 (every pair): no cut item, the sources run first.
        let got = sp(4, &[(0, 2), (0, 3), (1, 2), (1, 3)]);
        assert_eq!(
            got,
            vec![
                Par(vec![vec![Item(0)], vec![Item(1)]]),
                Par(vec![vec![Item(2)], vec![Item(3)]])
            ]
        );
    }

    #[test]
    fn an_item_after_a_sink_or_before_a_source_is_no_cut() {
        // 0 → 1 → 3, 0 → 2 (2 is a sink before 3): 3 is not a cut; 1 → 3 is a branch.
        let got = sp(4, &[(0, 1), (1, 3), (0, 2)]);
        assert_eq!(
            got,
            vec![Item(0), Par(vec![vec![Item(1), Item(3)], vec![Item(2)]])]
        );
        // 0 → 2, 1 → 2, 2 → 3: 2 and 3 are cuts, 0 and 1 run side by side first.
        let got = sp(4, &[(0, 2), (1, 2), (2, 3)]);
        assert_eq!(
            got,
            vec![Par(vec![vec![Item(0)], vec![Item(1)]]), Item(2), Item(3)]
        );
    }

    #[test]
    fn parallels_nested_past_the_bound_are_sequenced() {
        // A ladder of nested forks deeper than MAX_DEPTH: the result still keeps every
        // edge (checked structurally) and nests at most MAX_DEPTH + 1 parallels.
        let n = 2 * (MAX_DEPTH + 10);
        let mut edges = Vec::new();
        for i in 0..n / 2 - 1 {
            // i → i+1 (spine), i → side(i) where side(i) = n/2 + i, side(i) a sink
            edges.push((i, i + 1));
            edges.push((i, n / 2 + i));
        }
        let got = sp(n, &edges);
        fn depth(es: &[Elem]) -> usize {
            es.iter()
                .map(|e| match e {
                    Elem::Item(_) => 0,
                    Elem::Par(bs) => 1 + bs.iter().map(|b| depth(b)).max().unwrap_or(0),
                })
                .max()
                .unwrap_or(0)
        }
        assert!(depth(&got) <= MAX_DEPTH + 2, "{}", depth(&got));
        assert!(
            depth(&got) >= MAX_DEPTH / 2,
            "the ladder does nest: {}",
            depth(&got)
        );
    }

    #[test]
    fn a_cycle_is_reported() {
        assert!(series_parallel(3, &[(0, 1), (1, 2), (2, 1)]).is_err());
    }

    #[test]
    fn every_edge_is_kept_in_generated_dags() {
        // Small exhaustive-ish check: random DAGs, every edge ordered in the result.
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..500 {
            let n = (next() % 9 + 1) as usize;
            let mut edges = Vec::new();
            for a in 0..n {
                for b in a + 1..n {
                    if next() % 3 == 0 {
                        edges.push((a, b));
                    }
                }
            }
            let got = sp(n, &edges);
            let mut path: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
            fn walk(es: &[Elem], pre: &mut Vec<(usize, usize)>, path: &mut [Vec<(usize, usize)>]) {
                for (i, e) in es.iter().enumerate() {
                    match e {
                        Elem::Item(x) => {
                            let mut p = pre.clone();
                            p.push((i, 0));
                            path[*x] = p;
                        }
                        Elem::Par(bs) => {
                            for (b, br) in bs.iter().enumerate() {
                                pre.push((i, b + 1));
                                walk(br, pre, path);
                                pre.pop();
                            }
                        }
                    }
                }
            }
            walk(&got, &mut Vec::new(), &mut path);
            for &(a, b) in &edges {
                let (pa, pb) = (&path[a], &path[b]);
                let k = pa.iter().zip(pb).take_while(|(x, y)| x == y).count();
                assert!(
                    pa[k].0 < pb[k].0,
                    "edge {a}->{b} not ordered in {got:?} ({edges:?})"
                );
            }
            let mut placed: Vec<usize> = Vec::new();
            fn items(es: &[Elem], out: &mut Vec<usize>) {
                for e in es {
                    match e {
                        Elem::Item(x) => out.push(*x),
                        Elem::Par(bs) => bs.iter().for_each(|b| items(b, out)),
                    }
                }
            }
            items(&got, &mut placed);
            placed.sort_unstable();
            assert_eq!(placed, (0..n).collect::<Vec<_>>());
        }
    }
}
