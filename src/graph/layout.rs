//! The SVG layout: a layered (Sugiyama-style) layout, simplified to stay linear-ish.
//!
//! Each loop cluster is laid out on its own and then placed as one box in its parent (a
//! compound layout), so a loop's body stays inside its box. On each level:
//!
//! 1. **Cycles**: a depth-first search in declaration order marks the edges that close a
//!    cycle; they are left out of the layering (and drawn going up).
//! 2. **Layers**: longest-path layering over the remaining control edges (Kahn's order): an
//!    item sits one row below its lowest predecessor. Data edges do not shape the layout.
//! 3. **Long edges**: an edge that spans several rows gets a narrow placeholder in each row
//!    it crosses (the classic "dummy node"), so the rows make room for it and it is drawn
//!    through those gaps instead of across the nodes in between. The placeholders are
//!    bounded by a budget linear in the flow's size; past it, long edges are drawn straight.
//! 4. **Order and position**: rows are placed top-down; each item wants the mean x of its
//!    predecessors' centres (the barycenter), items are sorted by it (declaration order
//!    breaks ties), pushed apart left to right, and the row is shifted so its items sit
//!    on their wishes on average. Chains come out straight, forks spread under their node.
//!
//! Every step is O(items + edges + placeholders), except the sort per row: O(n log n)
//! overall.

use super::diagram::{Diagram, Item};

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn cx(&self) -> f64 {
        self.x + self.w / 2.0
    }
    pub fn cy(&self) -> f64 {
        self.y + self.h / 2.0
    }
    pub fn right(&self) -> f64 {
        self.x + self.w
    }
    pub fn bottom(&self) -> f64 {
        self.y + self.h
    }
}

/// Spacing of the layout.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// Between items of a row.
    pub gap_x: f64,
    /// Between rows.
    pub gap_y: f64,
    /// Inside a cluster's border.
    pub pad: f64,
    /// A cluster's title band.
    pub title_h: f64,
    /// Around the drawing.
    pub margin: f64,
}

/// A point a long edge passes through: the centre x of its lane in a row, and the row's top
/// and bottom.
pub type Waypoint = (f64, f64, f64);

#[derive(Debug, Clone)]
pub struct Layout {
    pub nodes: Vec<Rect>,
    pub clusters: Vec<Rect>,
    /// For each edge, the lanes it passes through (empty for most edges).
    pub waypoints: Vec<Vec<Waypoint>>,
    pub width: f64,
    pub height: f64,
}

/// Width of a long edge's lane.
const LANE_W: f64 = 16.0;

/// Lays out `d` with the given node sizes and cluster minimum widths (their titles).
pub fn layout(d: &Diagram, node_size: &[(f64, f64)], cluster_min_w: &[f64], p: &Params) -> Layout {
    let nc = d.clusters.len();
    // Position of each node / cluster in its container.
    let mut node_slot = vec![0usize; d.nodes.len()];
    let mut cluster_slot = vec![0usize; nc];
    for items in &d.containers {
        for (k, item) in items.iter().enumerate() {
            match *item {
                Item::Node(i) => node_slot[i] = k,
                Item::Cluster(c) => cluster_slot[c] = k,
            }
        }
    }
    // Control edges, each on the level of the innermost container holding both ends.
    let mut level_edges: Vec<Vec<(usize, usize, usize)>> = vec![Vec::new(); nc + 1];
    for (id, e) in d.edges.iter().enumerate() {
        if !e.style.is_control() || e.from == e.to {
            continue;
        }
        let (cu, cv) = (d.cluster_chain(e.from), d.cluster_chain(e.to));
        let k = cu.iter().zip(&cv).take_while(|(a, b)| a == b).count();
        let container = if k == 0 { 0 } else { cu[k - 1] + 1 };
        let item = |chain: &[usize], node: usize| match chain.get(k) {
            Some(&c) => cluster_slot[c],
            None => node_slot[node],
        };
        let (a, b) = (item(&cu, e.from), item(&cv, e.to));
        if a != b {
            level_edges[container].push((a, b, id));
        }
    }
    // Levels bottom-up (deepest clusters first), so a cluster's size is known in its parent.
    // (Clusters are numbered outermost first: a parent's depth is known before its child's.)
    let mut depth: Vec<usize> = Vec::with_capacity(nc);
    for parent in &d.cluster_parent {
        let dp = parent
            .and_then(|p| depth.get(p).map(|x| x + 1))
            .unwrap_or(0);
        depth.push(dp);
    }
    let mut order: Vec<usize> = (0..nc).collect();
    order.sort_by_key(|&c| (std::cmp::Reverse(depth[c]), c));
    let mut cluster_size = vec![(0.0, 0.0); nc];
    // Per container: item positions relative to its content origin, and the content's
    // horizontal offset inside its box (content narrower than the title is centred).
    let mut rel: Vec<Vec<(f64, f64)>> = vec![Vec::new(); nc + 1];
    let mut inset = vec![0.0f64; nc + 1];
    let sizes_of = |items: &[Item], cluster_size: &[(f64, f64)]| -> Vec<(f64, f64)> {
        items
            .iter()
            .map(|item| match *item {
                Item::Node(i) => node_size[i],
                Item::Cluster(c) => cluster_size[c],
            })
            .collect()
    };
    let mut budget = 4 * (d.nodes.len() + d.edges.len()) + 10_000;
    let mut lanes: Vec<Vec<(usize, Vec<Waypoint>)>> = vec![Vec::new(); nc + 1];
    for &c in &order {
        let sizes = sizes_of(&d.containers[c + 1], &cluster_size);
        let (pos, w, h, l) = level(&sizes, &level_edges[c + 1], p, &mut budget);
        lanes[c + 1] = l;
        let inner = w.max(cluster_min_w.get(c).copied().unwrap_or(0.0));
        inset[c + 1] = (inner - w) / 2.0;
        cluster_size[c] = (inner + 2.0 * p.pad, h + 2.0 * p.pad + p.title_h);
        rel[c + 1] = pos;
    }
    let sizes = sizes_of(&d.containers[0], &cluster_size);
    let (pos, width, height, l) = level(&sizes, &level_edges[0], p, &mut budget);
    rel[0] = pos;
    lanes[0] = l;

    // Absolute positions, top-down.
    let mut nodes = vec![Rect::default(); d.nodes.len()];
    let mut clusters = vec![Rect::default(); nc];
    let mut waypoints = vec![Vec::new(); d.edges.len()];
    let mut origin = vec![(0.0, 0.0); nc + 1];
    origin[0] = (p.margin, p.margin);
    for container in std::iter::once(0).chain(order.iter().rev().map(|&c| c + 1)) {
        let (ox, oy) = origin[container];
        for (id, points) in std::mem::take(&mut lanes[container]) {
            waypoints[id] = points
                .into_iter()
                .map(|(x, top, bottom)| (ox + x, oy + top, oy + bottom))
                .collect();
        }
        for (k, item) in d.containers[container].iter().enumerate() {
            let (x, y) = rel[container][k];
            let (x, y) = (ox + x, oy + y);
            match *item {
                Item::Node(i) => {
                    let (w, h) = node_size[i];
                    nodes[i] = Rect { x, y, w, h };
                }
                Item::Cluster(c) => {
                    let (w, h) = cluster_size[c];
                    clusters[c] = Rect { x, y, w, h };
                    origin[c + 1] = (x + p.pad + inset[c + 1], y + p.pad + p.title_h);
                }
            }
        }
    }
    Layout {
        nodes,
        clusters,
        waypoints,
        width: width + 2.0 * p.margin,
        height: height + 2.0 * p.margin,
    }
}

/// The layout of one level.
type Level = (Vec<(f64, f64)>, f64, f64, Vec<(usize, Vec<Waypoint>)>);

/// One level: items of the given sizes and edges `(from, to, edge id)` between them → the
/// top-left corner of each item (the bounding box starts at 0, 0), the level's width and
/// height, and the lanes of its long edges by edge id. Placeholders are taken from
/// `budget`.
fn level(
    sizes: &[(f64, f64)],
    edges: &[(usize, usize, usize)],
    p: &Params,
    budget: &mut usize,
) -> Level {
    let n = sizes.len();
    if n == 0 {
        return (Vec::new(), 0.0, 0.0, Vec::new());
    }
    let mut succ: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    let mut indeg = vec![0usize; n];
    for &(a, b, id) in edges {
        succ[a].push((b, id));
        indeg[b] += 1;
    }
    // 1. Edges closing a cycle (DFS from the sources, then from every item, in order).
    let roots = (0..n).filter(|&i| indeg[i] == 0).chain(0..n);
    const NEW: u8 = 0;
    const ON_STACK: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![NEW; n];
    let mut forward: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for r in roots {
        if state[r] != NEW {
            continue;
        }
        state[r] = ON_STACK;
        stack.push((r, 0));
        while let Some(&mut (v, ref mut i)) = stack.last_mut() {
            if let Some(&(w, id)) = succ[v].get(*i) {
                *i += 1;
                match state[w] {
                    NEW => {
                        forward[v].push((w, id));
                        state[w] = ON_STACK;
                        stack.push((w, 0));
                    }
                    ON_STACK => {} // closes a cycle: not used for layering
                    _ => forward[v].push((w, id)),
                }
            } else {
                state[v] = DONE;
                stack.pop();
            }
        }
    }
    // 2. Longest-path layering (Kahn's order over the forward edges).
    let mut remaining = vec![0usize; n];
    for ws in &forward {
        for &(w, _) in ws {
            remaining[w] += 1;
        }
    }
    let mut layer = vec![0usize; n];
    let mut queue: Vec<usize> = (0..n).filter(|&i| remaining[i] == 0).collect();
    let mut next = 0;
    while let Some(&v) = queue.get(next) {
        next += 1;
        for &(w, _) in &forward[v] {
            layer[w] = layer[w].max(layer[v] + 1);
            remaining[w] -= 1;
            if remaining[w] == 0 {
                queue.push(w);
            }
        }
    }
    // 3. Placeholders: items n.. are lanes of long edges; `pred` links each item to the
    //    items right above it on its edges (an edge's last lane for its target).
    let mut sizes: Vec<(f64, f64)> = sizes.to_vec();
    let mut pred: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut lane_of: Vec<(usize, Vec<usize>)> = Vec::new();
    for (v, ws) in forward.iter().enumerate() {
        for &(w, id) in ws {
            let span = layer[w] - layer[v];
            if span <= 1 || span - 1 > *budget {
                pred[w].push(v);
                continue;
            }
            *budget -= span - 1;
            let mut chain = Vec::with_capacity(span - 1);
            let mut above = v;
            for l in layer[v] + 1..layer[w] {
                let k = sizes.len();
                sizes.push((LANE_W, 0.0));
                layer.push(l);
                pred.push(vec![above]);
                chain.push(k);
                above = k;
            }
            pred[w].push(above);
            lane_of.push((id, chain));
        }
    }
    let total = sizes.len();
    let rows_n = layer.iter().max().map_or(0, |m| m + 1);
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); rows_n];
    for (i, &l) in layer.iter().enumerate() {
        rows[l].push(i);
    }
    // 4. Rows top-down: order by barycenter, push apart, centre on the wishes.
    let mut pos = vec![(0.0f64, 0.0f64); total];
    let mut row_span = vec![(0.0f64, 0.0f64); rows_n];
    let mut y = 0.0;
    for (r, row) in rows.iter().enumerate() {
        let row_h = row.iter().map(|&i| sizes[i].1).fold(0.0, f64::max);
        let mut keyed: Vec<(f64, usize, Option<f64>)> = row
            .iter()
            .map(|&i| {
                let ps = &pred[i];
                let wish = (!ps.is_empty()).then(|| {
                    ps.iter().map(|&q| pos[q].0 + sizes[q].0 / 2.0).sum::<f64>() / ps.len() as f64
                });
                (wish.unwrap_or(f64::NEG_INFINITY), i, wish)
            })
            .collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut right = f64::NEG_INFINITY;
        let (mut shift, mut wished) = (0.0, 0usize);
        for &(_, i, w) in &keyed {
            let width = sizes[i].0;
            let earliest = if right.is_finite() {
                right + p.gap_x
            } else {
                f64::NEG_INFINITY
            };
            let x = match w {
                Some(c) => (c - width / 2.0).max(earliest),
                None if right.is_finite() => earliest,
                None => 0.0,
            };
            if let Some(c) = w {
                shift += c - (x + width / 2.0);
                wished += 1;
            }
            pos[i] = (x, y);
            right = x + width;
        }
        if wished > 0 {
            let s = shift / wished as f64;
            for &(_, i, _) in &keyed {
                pos[i].0 += s;
            }
        }
        row_span[r] = (y, y + row_h);
        y += row_h + p.gap_y;
    }
    let min_x = pos.iter().map(|q| q.0).fold(f64::INFINITY, f64::min);
    let mut width: f64 = 0.0;
    for (i, q) in pos.iter_mut().enumerate() {
        q.0 -= min_x;
        width = width.max(q.0 + sizes[i].0);
    }
    let lanes = lane_of
        .into_iter()
        .map(|(id, chain)| {
            let points = chain
                .into_iter()
                .map(|k| {
                    let (top, bottom) = row_span[layer[k]];
                    (pos[k].0 + LANE_W / 2.0, top, bottom)
                })
                .collect();
            (id, points)
        })
        .collect();
    pos.truncate(n);
    (pos, width, (y - p.gap_y).max(0.0), lanes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Params = Params {
        gap_x: 10.0,
        gap_y: 20.0,
        pad: 5.0,
        title_h: 10.0,
        margin: 0.0,
    };

    #[test]
    fn chain_is_a_straight_column() {
        let sizes = vec![(100.0, 40.0); 3];
        let (pos, w, h, _) = level(&sizes, &[(0, 1, 0), (1, 2, 1)], &P, &mut 100);
        assert_eq!(pos, vec![(0.0, 0.0), (0.0, 60.0), (0.0, 120.0)]);
        assert_eq!((w, h), (100.0, 160.0));
    }

    #[test]
    fn fork_spreads_and_cycle_does_not_loop() {
        let sizes = vec![(100.0, 40.0); 4];
        // 0 → 1, 0 → 2, 1 → 3, 2 → 3, 3 → 0 (a cycle)
        let edges = [(0, 1, 0), (0, 2, 1), (1, 3, 2), (2, 3, 3), (3, 0, 4)];
        let (pos, _, _, _) = level(&sizes, &edges, &P, &mut 100);
        assert_eq!(pos[1].1, pos[2].1);
        assert!(pos[1].0 + 100.0 <= pos[2].0);
        assert_eq!(pos[3].1, 120.0);
        // the join sits under the middle of the fork, the fork's node above it
        assert_eq!(pos[3].0, pos[0].0);
    }

    #[test]
    fn long_edges_get_lanes() {
        // 0 → 1 → 2 → 3 and 0 → 3: the long edge passes rows 1 and 2 in a lane of its own.
        let sizes = vec![(100.0, 40.0); 4];
        let edges = [(0, 1, 0), (1, 2, 1), (2, 3, 2), (0, 3, 3)];
        let (pos, _, _, lanes) = level(&sizes, &edges, &P, &mut 100);
        assert_eq!(lanes.len(), 1);
        let (id, points) = &lanes[0];
        assert_eq!((*id, points.len()), (3, 2));
        for (k, &(x, top, bottom)) in points.iter().enumerate() {
            let node = pos[k + 1];
            assert_eq!((top, bottom), (node.1, node.1 + 40.0));
            assert!(x - LANE_W / 2.0 >= node.0 + 100.0 || x + LANE_W / 2.0 <= node.0);
        }
        // Without budget, no lane.
        let (_, _, _, lanes) = level(&sizes, &edges, &P, &mut 0);
        assert!(lanes.is_empty());
    }
}
