//! Graph algorithms over the control graph: strongly connected components (iterative
//! Tarjan), a declaration-order Kahn topological sort, reachability and dominators.
//! Everything is iterative, so a 100,000-node chain cannot overflow the stack, and every
//! iteration order is by node index, so results are deterministic.

use crate::hash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// A directed graph over node indices `0..n`; each successor carries the edge index that
/// created it (for diagnostics). Held in compressed rows: a node's successors (and its
/// predecessors) are one slice of a list shared by all, in the order of their edges. (A
/// list of its own per node and direction was 20,000 heap blocks at 10,000 nodes, held
/// from analysis to emission; docs/performance.md, "Names inline, the graph in rows".)
#[derive(Debug, Clone, Default)]
pub struct Graph {
    succ: Rows,
    pred: Rows,
}

/// One list per node, in one allocation: row `v` is `items[start[v]..start[v + 1]]`.
#[derive(Debug, Clone, Default)]
struct Rows {
    start: Vec<usize>,
    items: Vec<(usize, usize)>,
}

impl Rows {
    /// The rows of `n` nodes from `(row, item)` pairs; each row keeps its items in the
    /// order given.
    fn build(n: usize, pairs: impl Iterator<Item = (usize, (usize, usize))> + Clone) -> Rows {
        let mut start = vec![0usize; n + 1];
        for (row, _) in pairs.clone() {
            start[row + 1] += 1;
        }
        for v in 0..n {
            start[v + 1] += start[v];
        }
        let mut next = start.clone();
        let mut items = vec![(0, 0); start[n]];
        for (row, item) in pairs {
            items[next[row]] = item;
            next[row] += 1;
        }
        Rows { start, items }
    }

    fn row(&self, v: usize) -> &[(usize, usize)] {
        &self.items[self.start[v]..self.start[v + 1]]
    }
}

impl Graph {
    /// The graph of `n` nodes and the given `(from, to, edge)` edges, in their order.
    pub fn from_edges(n: usize, edges: &[(usize, usize, usize)]) -> Self {
        let pairs = edges.iter();
        Graph {
            succ: Rows::build(n, pairs.clone().map(|&(from, to, e)| (from, (to, e)))),
            pred: Rows::build(n, pairs.map(|&(from, to, e)| (to, (from, e)))),
        }
    }

    pub fn len(&self) -> usize {
        self.succ.start.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The successors of `v`: `(node, edge)`, in edge order.
    pub fn succ(&self, v: usize) -> &[(usize, usize)] {
        self.succ.row(v)
    }

    /// The predecessors of `v`: `(node, edge)`, in edge order.
    pub fn pred(&self, v: usize) -> &[(usize, usize)] {
        self.pred.row(v)
    }

    /// Strongly connected components with more than one node (self-loops are excluded from
    /// control graphs before this is called). Each component is sorted by node index; the
    /// list is sorted by its smallest member.
    pub fn cyclic_components(&self) -> Vec<Vec<usize>> {
        let n = self.len();
        const UNVISITED: usize = usize::MAX;
        let mut index = vec![UNVISITED; n];
        let mut low = vec![0usize; n];
        let mut on_stack = vec![false; n];
        let mut stack: Vec<usize> = Vec::new();
        let mut next = 0usize;
        let mut out = Vec::new();
        // Explicit call stack: (node, position in its successor list).
        let mut call: Vec<(usize, usize)> = Vec::new();
        for root in 0..n {
            if index[root] != UNVISITED {
                continue;
            }
            call.push((root, 0));
            index[root] = next;
            low[root] = next;
            next += 1;
            stack.push(root);
            on_stack[root] = true;
            while let Some(&mut (v, ref mut i)) = call.last_mut() {
                if let Some(&(w, _)) = self.succ(v).get(*i) {
                    *i += 1;
                    if index[w] == UNVISITED {
                        index[w] = next;
                        low[w] = next;
                        next += 1;
                        stack.push(w);
                        on_stack[w] = true;
                        call.push((w, 0));
                    } else if on_stack[w] {
                        low[v] = low[v].min(index[w]);
                    }
                    continue;
                }
                call.pop();
                if let Some(&(parent, _)) = call.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    let mut comp = Vec::new();
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        comp.push(w);
                        if w == v {
                            break;
                        }
                    }
                    if comp.len() > 1 {
                        comp.sort_unstable();
                        out.push(comp);
                    }
                }
            }
        }
        out.sort();
        out
    }

    /// A shortest path from `from` to `to` using only nodes of `members` (sorted): the
    /// nodes (both ends included) and the edge indices along it.
    pub fn shortest_path(
        &self,
        from: usize,
        to: usize,
        members: &[usize],
    ) -> Option<(Vec<usize>, Vec<usize>)> {
        let mut prev: HashMap<usize, (usize, usize)> = HashMap::new();
        let mut queue = VecDeque::from([from]);
        let mut seen = HashSet::from_iter([from]);
        while let Some(v) = queue.pop_front() {
            if v == to {
                let (mut nodes, mut edges) = (vec![to], Vec::new());
                let mut cur = to;
                while cur != from {
                    let (p, e) = prev[&cur];
                    nodes.push(p);
                    edges.push(e);
                    cur = p;
                }
                nodes.reverse();
                edges.reverse();
                return Some((nodes, edges));
            }
            for &(w, e) in self.succ(v) {
                if members.binary_search(&w).is_ok() && seen.insert(w) {
                    prev.insert(w, (v, e));
                    queue.push_back(w);
                }
            }
        }
        None
    }

    /// Witness cycles of a cyclic component: one for each of its edges that no earlier
    /// witness passes through (edges taken by source node, then edge index), at most
    /// `limit`. Each is the node sequence (first == last) and its edge indices.
    pub fn witness_cycles(&self, members: &[usize], limit: usize) -> Vec<(Vec<usize>, Vec<usize>)> {
        let mut covered: HashSet<usize> = HashSet::new();
        let mut out = Vec::new();
        for &u in members {
            let mut succ: Vec<(usize, usize)> = self
                .succ(u)
                .iter()
                .copied()
                .filter(|(w, _)| members.binary_search(w).is_ok())
                .collect();
            succ.sort_by_key(|&(_, e)| e);
            for (v, e) in succ {
                if out.len() == limit {
                    return out;
                }
                if covered.contains(&e) {
                    continue;
                }
                if let Some((mut nodes, mut edges)) = self.shortest_path(v, u, members) {
                    nodes.insert(0, u);
                    edges.insert(0, e);
                    covered.extend(edges.iter().copied());
                    out.push((nodes, edges));
                }
            }
        }
        out
    }

    /// Kahn's topological sort, smallest index first among the ready nodes (declaration order
    /// breaks ties). Nodes on cycles are left out.
    pub fn topo_order(&self) -> Vec<usize> {
        let n = self.len();
        let mut indeg: Vec<usize> = (0..n).map(|v| self.pred(v).len()).collect();
        let mut ready: BinaryHeap<Reverse<usize>> =
            (0..n).filter(|&v| indeg[v] == 0).map(Reverse).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(Reverse(v)) = ready.pop() {
            order.push(v);
            for &(w, _) in self.succ(v) {
                indeg[w] -= 1;
                if indeg[w] == 0 {
                    ready.push(Reverse(w));
                }
            }
        }
        order
    }

    /// Which nodes are reachable from `roots`.
    pub fn reachable_from(&self, roots: &[usize]) -> Vec<bool> {
        let mut seen = vec![false; self.len()];
        let mut stack: Vec<usize> = roots.to_vec();
        for &r in roots {
            seen[r] = true;
        }
        while let Some(v) = stack.pop() {
            for &(w, _) in self.succ(v) {
                if !seen[w] {
                    seen[w] = true;
                    stack.push(w);
                }
            }
        }
        seen
    }
}

/// Immediate dominators of an acyclic graph whose roots are `roots` (joined under a virtual
/// root). `order` is a topological order. Unreachable nodes have no dominator.
#[derive(Debug, Clone)]
pub struct Dominators {
    /// `idom[v]`: `Some(Some(u))` dominated by u, `Some(None)` by the virtual root only,
    /// `None` unreachable.
    idom: Vec<Option<Option<usize>>>,
    /// Entry and exit numbers of each node in a depth-first walk of the dominator tree:
    /// `a` dominates `b` exactly when `b`'s interval lies inside `a`'s (O(1) queries).
    enter: Vec<u32>,
    exit: Vec<u32>,
    /// Each node's children in the dominator tree, in entry order.
    kids: Vec<Vec<usize>>,
}

impl Dominators {
    pub fn compute(g: &Graph, roots: &[usize], order: &[usize], reachable: &[bool]) -> Self {
        let n = g.len();
        let mut pos = vec![usize::MAX; n];
        for (i, &v) in order.iter().enumerate() {
            pos[v] = i;
        }
        let mut idom: Vec<Option<Option<usize>>> = vec![None; n];
        for &r in roots {
            idom[r] = Some(None);
        }
        for &v in order {
            // (A root already has its `Some(None)`.)
            if !reachable[v] || idom[v].is_some() {
                continue;
            }
            let mut acc: Option<Option<usize>> = None;
            for &(p, _) in g.pred(v) {
                if idom[p].is_none() {
                    continue;
                }
                acc = Some(match acc {
                    None => Some(p),
                    Some(cur) => Self::intersect(&idom, &pos, cur, Some(p)),
                });
            }
            idom[v] = acc;
        }
        // The dominator tree's intervals (an explicit stack: trees can be 10^5 deep).
        let mut kids: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut tops = Vec::new();
        for &v in order {
            match idom[v] {
                Some(Some(p)) => kids[p].push(v),
                Some(None) => tops.push(v),
                None => {}
            }
        }
        let (mut enter, mut exit) = (vec![0u32; n], vec![0u32; n]);
        let mut clock = 0u32;
        let mut stack: Vec<(usize, usize)> = Vec::new();
        for &t in &tops {
            enter[t] = clock;
            clock += 1;
            stack.push((t, 0));
            while let Some((v, i)) = stack.pop() {
                if let Some(&k) = kids[v].get(i) {
                    stack.push((v, i + 1));
                    enter[k] = clock;
                    clock += 1;
                    stack.push((k, 0));
                } else {
                    exit[v] = clock;
                    clock += 1;
                }
            }
        }
        Dominators {
            idom,
            enter,
            exit,
            kids,
        }
    }

    fn intersect(
        idom: &[Option<Option<usize>>],
        pos: &[usize],
        mut a: Option<usize>,
        mut b: Option<usize>,
    ) -> Option<usize> {
        let p = |x: Option<usize>| x.map_or(0, |v| pos[v] + 1);
        while a != b {
            while p(a) > p(b) {
                a = a.and_then(|v| idom[v].flatten());
            }
            while p(b) > p(a) {
                b = b.and_then(|v| idom[v].flatten());
            }
        }
        a
    }

    /// Whether `v` is reachable from a root.
    pub fn is_reachable(&self, v: usize) -> bool {
        self.idom[v].is_some()
    }

    /// The immediate dominator of `v` (`None` for roots and unreachable nodes).
    pub fn idom(&self, v: usize) -> Option<usize> {
        self.idom[v].flatten()
    }

    /// The child of `d` in the dominator tree on the way to `v` (`v` itself when `d` is
    /// its immediate dominator; `d` when `v == d`). `d` must dominate `v`; otherwise the
    /// topmost dominator of `v`. O(log children).
    pub fn branch_head(&self, d: usize, v: usize) -> usize {
        if v == d {
            return d;
        }
        if self.dominates(d, v) {
            let kids = &self.kids[d];
            let i = kids.partition_point(|&k| self.enter[k] <= self.enter[v]);
            if let Some(&k) = i.checked_sub(1).and_then(|i| kids.get(i)) {
                return k;
            }
        }
        let mut x = v;
        while let Some(p) = self.idom(x) {
            x = p;
        }
        x
    }

    /// Whether `a` dominates `b` (every path from a root to `b` passes through `a`). O(1).
    pub fn dominates(&self, a: usize, b: usize) -> bool {
        self.idom[a].is_some()
            && self.idom[b].is_some()
            && self.enter[a] <= self.enter[b]
            && self.exit[b] <= self.exit[a]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each node's row holds its edges in the order given; a node without edges has an
    /// empty row; the default graph has no nodes.
    #[test]
    fn rows_keep_the_order_of_the_edges() {
        let g = Graph::from_edges(5, &[(0, 2, 7), (1, 2, 8), (0, 1, 9), (0, 3, 4), (3, 0, 5)]);
        assert_eq!((g.len(), g.is_empty()), (5, false));
        assert_eq!(g.succ(0), [(2, 7), (1, 9), (3, 4)]);
        assert_eq!(g.succ(1), [(2, 8)]);
        assert_eq!(g.succ(3), [(0, 5)]);
        assert_eq!(g.pred(2), [(0, 7), (1, 8)]);
        assert_eq!(g.pred(0), [(3, 5)]);
        assert!(g.succ(2).is_empty() && g.succ(4).is_empty() && g.pred(4).is_empty());
        let none = Graph::default();
        assert_eq!((none.len(), none.is_empty()), (0, true));
        let lone = Graph::from_edges(3, &[]);
        assert_eq!((lone.len(), lone.is_empty()), (3, false));
        assert!((0..3).all(|v| lone.succ(v).is_empty() && lone.pred(v).is_empty()));
    }

    fn graph(n: usize, edges: &[(usize, usize)]) -> Graph {
        let edges: Vec<_> = edges
            .iter()
            .enumerate()
            .map(|(i, &(a, b))| (a, b, i))
            .collect();
        Graph::from_edges(n, &edges)
    }

    #[test]
    fn finds_every_cycle_with_a_witness() {
        // 0 -> 1 -> 2 -> 0 and 3 <-> 4, 5 alone
        let g = graph(6, &[(0, 1), (1, 2), (2, 0), (3, 4), (4, 3), (2, 5)]);
        let comps = g.cyclic_components();
        assert_eq!(comps, vec![vec![0, 1, 2], vec![3, 4]]);
        let w = g.witness_cycles(&comps[0], 16);
        assert_eq!(w, vec![(vec![0, 1, 2, 0], vec![0, 1, 2])]);
    }

    #[test]
    fn one_witness_per_uncovered_edge() {
        // a <-> b and a <-> c: two cycles through a.
        let g = graph(3, &[(0, 1), (1, 0), (0, 2), (2, 0)]);
        let comps = g.cyclic_components();
        assert_eq!(comps, vec![vec![0, 1, 2]]);
        let w = g.witness_cycles(&comps[0], 16);
        assert_eq!(
            w,
            vec![(vec![0, 1, 0], vec![0, 1]), (vec![0, 2, 0], vec![2, 3])]
        );
        assert_eq!(g.witness_cycles(&comps[0], 1).len(), 1);
    }

    #[test]
    fn topo_is_stable() {
        let g = graph(4, &[(3, 1), (0, 2)]);
        assert_eq!(g.topo_order(), vec![0, 2, 3, 1]);
    }

    #[test]
    fn long_chain_does_not_overflow() {
        let n = 200_000;
        let edges: Vec<_> = (0..n - 1).map(|i| (i, i + 1)).collect();
        let g = graph(n, &edges);
        assert!(g.cyclic_components().is_empty());
        assert_eq!(g.topo_order().len(), n);
    }

    #[test]
    fn dominators_of_a_diamond() {
        // 0 -> 1 -> {2, 3} -> 4
        let g = graph(5, &[(0, 1), (1, 2), (1, 3), (2, 4), (3, 4)]);
        let order = g.topo_order();
        let reach = g.reachable_from(&[0]);
        let d = Dominators::compute(&g, &[0], &order, &reach);
        assert!(d.dominates(1, 4));
        assert!(!d.dominates(2, 4));
        assert!(d.dominates(0, 3));
        assert!(d.dominates(4, 4));
        assert!(!d.dominates(4, 1));
        assert!(!d.dominates(2, 3));
        assert_eq!(d.branch_head(1, 4), 4, "the join's idom is the fork");
        assert_eq!(d.branch_head(1, 2), 2);
        assert_eq!(d.branch_head(0, 4), 1);
        assert_eq!(d.branch_head(0, 3), 1);
        assert_eq!(d.branch_head(3, 3), 3);
        assert_eq!(
            d.branch_head(2, 4),
            0,
            "not dominated: the topmost dominator"
        );
    }

    #[test]
    fn a_join_is_dominated_by_the_fork_only() {
        // 0 -> {1, 2} -> 3: the join's immediate dominator is the fork, not a branch.
        let g = graph(4, &[(0, 1), (0, 2), (1, 3), (2, 3)]);
        let order = g.topo_order();
        let d = Dominators::compute(&g, &[0], &order, &g.reachable_from(&[0]));
        assert_eq!(d.idom(3), Some(0));
        assert!(!d.dominates(1, 3) && !d.dominates(2, 3) && d.dominates(0, 3));
    }

    #[test]
    fn deep_dominator_trees_answer_in_constant_time() {
        let n = 200_000;
        let edges: Vec<(usize, usize)> = (1..n).map(|i| (i - 1, i)).collect();
        let g = graph(n, &edges);
        let order = g.topo_order();
        let d = Dominators::compute(&g, &[0], &order, &g.reachable_from(&[0]));
        for i in 0..n {
            assert!(d.dominates(i / 2, i) && (i == 0 || !d.dominates(i, i - 1)));
        }
        assert_eq!(d.branch_head(0, n - 1), 1);
    }

    #[test]
    fn two_roots() {
        // 0 -> 2, 1 -> 2 -> 3
        let g = graph(4, &[(0, 2), (1, 2), (2, 3)]);
        let order = g.topo_order();
        let reach = g.reachable_from(&[0, 1]);
        let d = Dominators::compute(&g, &[0, 1], &order, &reach);
        assert!(!d.dominates(0, 2));
        assert!(d.dominates(2, 3));
    }
}
