//! The format-neutral diagram: nodes, edges with their labels, loop clusters, cycle edges and
//! unreachable nodes, read leniently from the flow document.

use std::collections::{HashMap, VecDeque};

use serde_json::{Map, Value};

use crate::model::{Category, NodeKind, loop_body_port};

/// Loops nest as clusters at most this deep; a loop deeper than that is drawn with its
/// shape and `body` / `done` labels but without a box of its own.
pub const MAX_CLUSTER_DEPTH: usize = 32;

/// The work spent finding loop bodies is bounded by this many node visits plus the flow's
/// size; past it (thousands of loops nested in each other) no loop is boxed.
const CLUSTER_BUDGET: usize = 1_000_000;

/// How a node is drawn: one shape per category, with decisions, loops and parallels apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Entry,
    Llm,
    Decision,
    Loop,
    Parallel,
    Tool,
    Data,
    Hitl,
    Queue,
    Compute,
    Subflow,
    /// A `type` that is not one of the 24 kinds (or none).
    Unknown,
    /// Not declared: an edge names a node id that no node has.
    Missing,
}

impl Shape {
    pub const ALL: [Shape; 13] = [
        Shape::Entry,
        Shape::Llm,
        Shape::Decision,
        Shape::Loop,
        Shape::Parallel,
        Shape::Tool,
        Shape::Data,
        Shape::Hitl,
        Shape::Queue,
        Shape::Compute,
        Shape::Subflow,
        Shape::Unknown,
        Shape::Missing,
    ];

    fn of(kind: NodeKind) -> Shape {
        match kind {
            NodeKind::LogicDecision => Shape::Decision,
            NodeKind::LogicLoop => Shape::Loop,
            NodeKind::LogicParallel => Shape::Parallel,
            _ => match kind.category() {
                Category::Entry => Shape::Entry,
                Category::Llm => Shape::Llm,
                Category::Logic => Shape::Decision,
                Category::Tool => Shape::Tool,
                Category::Data => Shape::Data,
                Category::Hitl => Shape::Hitl,
                Category::Queue => Shape::Queue,
                Category::Compute => Shape::Compute,
                Category::Subflow => Shape::Subflow,
            },
        }
    }

    /// The class name used by every format (Mermaid `classDef`, SVG CSS class).
    pub fn class(self) -> &'static str {
        match self {
            Shape::Entry => "entry",
            Shape::Llm => "llm",
            Shape::Decision => "decision",
            Shape::Loop => "loop",
            Shape::Parallel => "parallel",
            Shape::Tool => "tool",
            Shape::Data => "data",
            Shape::Hitl => "hitl",
            Shape::Queue => "queue",
            Shape::Compute => "compute",
            Shape::Subflow => "subflow",
            Shape::Unknown => "unknown",
            Shape::Missing => "missing",
        }
    }

    /// (fill, stroke) colours, shared by the three formats.
    pub fn colors(self) -> (&'static str, &'static str) {
        match self {
            Shape::Entry => ("#e3f2fd", "#1565c0"),
            Shape::Llm => ("#ede7f6", "#5e35b1"),
            Shape::Decision => ("#fff8e1", "#ef6c00"),
            Shape::Loop => ("#fff3e0", "#e65100"),
            Shape::Parallel => ("#e0f7fa", "#00838f"),
            Shape::Tool => ("#e8f5e9", "#2e7d32"),
            Shape::Data => ("#f1f8e9", "#558b2f"),
            Shape::Hitl => ("#fce4ec", "#ad1457"),
            Shape::Queue => ("#e8eaf6", "#283593"),
            Shape::Compute => ("#efebe9", "#4e342e"),
            Shape::Subflow => ("#eceff1", "#37474f"),
            Shape::Unknown => ("#ffebee", "#c62828"),
            Shape::Missing => ("#ffffff", "#c62828"),
        }
    }
}

/// Colour of an edge that closes a control cycle, and of a missing node.
pub const ERROR_COLOR: &str = "#c62828";

#[derive(Debug, Clone)]
pub struct DNode {
    /// The node id as written (`""` when it is not a string).
    pub id: String,
    /// The label, or the id when the label is missing or blank.
    pub label: String,
    /// The kind as written (`llm_rigid`), or a note for an unknown / missing one.
    pub kind: String,
    pub shape: Shape,
    /// No entry reaches it over control edges (only set when the flow has an entry).
    pub unreachable: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeStyle {
    Sequential,
    Conditional,
    Data,
    /// An edge `type` that is not one of the three.
    Unknown,
}

impl EdgeStyle {
    pub fn is_control(self) -> bool {
        self != EdgeStyle::Data
    }
}

#[derive(Debug, Clone)]
pub struct DEdge {
    pub from: usize,
    pub to: usize,
    pub style: EdgeStyle,
    /// Ports that are not the default, the condition, `else` for a fallthrough.
    pub label: Option<String>,
    /// A control edge that closes a cycle (depth-first search in declaration order).
    pub cycle: bool,
}

/// A loop and its body, boxed.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// The `logic_loop` node.
    pub loop_node: usize,
    /// `foreach item in items`, `while cond (max n)`, or `loop`.
    pub title: String,
}

/// A node, or a cluster (by index into [`Diagram::clusters`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    Node(usize),
    Cluster(usize),
}

#[derive(Debug, Clone)]
pub struct Diagram {
    /// The flow's name (else its id).
    pub title: String,
    pub nodes: Vec<DNode>,
    pub edges: Vec<DEdge>,
    pub clusters: Vec<Cluster>,
    /// The drawing as a tree, in declaration order: `containers[0]` is the top level,
    /// `containers[c + 1]` the content of cluster `c`. A cluster appears where its first
    /// node (in declaration order) would.
    pub containers: Vec<Vec<Item>>,
    /// The innermost cluster of each node.
    pub node_cluster: Vec<Option<usize>>,
    /// The enclosing cluster of each cluster.
    pub cluster_parent: Vec<Option<usize>>,
}

fn str_of<'a>(o: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    o.get(key).and_then(Value::as_str)
}

/// A port list: `(id, label)` of each port object with a string id.
fn ports(v: Option<&Value>) -> Option<Vec<(String, Option<String>)>> {
    let items = v?.as_array()?;
    Some(
        items
            .iter()
            .filter_map(Value::as_object)
            .filter_map(|p| {
                let id = str_of(p, "id")?;
                Some((id.to_string(), str_of(p, "label").map(str::to_string)))
            })
            .collect(),
    )
}

fn default_ports(list: &[(&str, &str)]) -> Vec<(String, Option<String>)> {
    list.iter()
        .map(|(id, label)| (id.to_string(), Some(label.to_string())))
        .collect()
}

struct RawNode<'a> {
    kind: Option<NodeKind>,
    config: Option<&'a Map<String, Value>>,
    inputs: Vec<(String, Option<String>)>,
    outputs: Vec<(String, Option<String>)>,
}

struct RawEdge<'a> {
    from: usize,
    to: usize,
    style: EdgeStyle,
    type_text: Option<&'a str>,
    from_port: Option<&'a str>,
    to_port: Option<&'a str>,
    condition: Option<&'a str>,
}

fn scalar(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn loop_title(config: Option<&Map<String, Value>>) -> String {
    let get = |k: &str| scalar(config.and_then(|c| c.get(k)));
    match get("style").as_deref() {
        Some("foreach") => {
            let item = get("item").unwrap_or_else(|| "item".to_string());
            match get("items") {
                Some(items) => format!("foreach {item} in {items}"),
                None => format!("foreach {item}"),
            }
        }
        Some("while") => {
            let cond = get("condition").unwrap_or_else(|| "true".to_string());
            match get("max_iterations") {
                Some(n) => format!("while {cond} (max {n})"),
                None => format!("while {cond}"),
            }
        }
        _ => "loop".to_string(),
    }
}

impl Diagram {
    /// Reads the drawing from a flow document; `None` when it has no flow shape.
    pub fn from_document(doc: &Value) -> Option<Diagram> {
        let obj = doc.as_object()?;
        let empty = Vec::new();
        let list = |key: &str| match obj.get(key) {
            None | Some(Value::Null) => Some(&empty),
            Some(Value::Array(a)) => Some(a),
            Some(_) => None,
        };
        let raw_nodes = list("nodes")?;
        let raw_edges = list("edges")?;
        let title = str_of(obj, "name")
            .filter(|s| !s.trim().is_empty())
            .or_else(|| str_of(obj, "id"))
            .unwrap_or("flow")
            .to_string();

        let mut nodes = Vec::new();
        let mut raw = Vec::new();
        let mut by_id: HashMap<&str, usize> = HashMap::new();
        for v in raw_nodes {
            let Some(o) = v.as_object() else { continue };
            let Some(id) = str_of(o, "id") else { continue };
            let type_text = str_of(o, "type");
            let kind = type_text.and_then(NodeKind::parse);
            let label = str_of(o, "label")
                .filter(|l| !l.trim().is_empty())
                .unwrap_or(id);
            let (shape, kind_text) = match (kind, type_text) {
                (Some(k), _) => (Shape::of(k), k.as_str().to_string()),
                (None, Some(t)) => (Shape::Unknown, format!("unknown kind {t}")),
                (None, None) => (Shape::Unknown, "no kind".to_string()),
            };
            by_id.entry(id).or_insert(nodes.len());
            let inputs = ports(o.get("inputs")).unwrap_or_else(|| match kind {
                Some(k) => default_ports(k.default_inputs()),
                None => Vec::new(),
            });
            let outputs = ports(o.get("outputs")).unwrap_or_else(|| match kind {
                Some(k) => default_ports(k.default_outputs()),
                None => Vec::new(),
            });
            nodes.push(DNode {
                id: id.to_string(),
                label: label.to_string(),
                kind: kind_text,
                shape,
                unreachable: false,
            });
            raw.push(RawNode {
                kind,
                config: o.get("config").and_then(Value::as_object),
                inputs,
                outputs,
            });
        }

        // Edges; an id no node has becomes a "missing" node, so the edge is still drawn.
        let mut edges_raw = Vec::new();
        for v in raw_edges {
            let Some(o) = v.as_object() else { continue };
            let end = |key: &str| o.get(key).and_then(Value::as_object);
            let (Some(src), Some(tgt)) = (end("source"), end("target")) else {
                continue;
            };
            let (Some(src_id), Some(tgt_id)) = (str_of(src, "node"), str_of(tgt, "node")) else {
                continue;
            };
            let from = resolve(src_id, &mut by_id, &mut nodes, &mut raw);
            let to = resolve(tgt_id, &mut by_id, &mut nodes, &mut raw);
            let type_text = str_of(o, "type");
            let style = match type_text {
                Some("sequential") => EdgeStyle::Sequential,
                Some("conditional") => EdgeStyle::Conditional,
                Some("data") => EdgeStyle::Data,
                _ => EdgeStyle::Unknown,
            };
            edges_raw.push(RawEdge {
                from,
                to,
                style,
                type_text,
                from_port: str_of(src, "port"),
                to_port: str_of(tgt, "port"),
                condition: str_of(o, "condition"),
            });
        }

        let n = nodes.len();
        // Decision nodes (docs/semantics.md §1): their sequential out-edge is the fallthrough.
        let mut has_conditional = vec![false; n];
        for e in &edges_raw {
            if e.style == EdgeStyle::Conditional {
                has_conditional[e.from] = true;
            }
        }
        let is_decision = |i: usize| match raw[i].kind {
            Some(NodeKind::LogicDecision) => true,
            Some(NodeKind::LogicParallel | NodeKind::LogicLoop) => false,
            _ => has_conditional[i],
        };
        // (The port lowering runs the body from: `model::loop_body_port`.)
        let loop_bodies: Vec<Option<&str>> = raw
            .iter()
            .map(|r| {
                (r.kind == Some(NodeKind::LogicLoop)).then(|| {
                    loop_body_port(r.outputs.iter().map(|(id, l)| (id.as_str(), l.as_deref())))
                })
            })
            .collect();

        let mut edges: Vec<DEdge> = edges_raw
            .iter()
            .map(|e| {
                // A port is shown unless it is the node's only one; the ports of a node
                // whose kind is unknown (or that is missing) are unknown: not shown.
                let shown = |port: Option<&str>, node: &RawNode, outputs: bool| {
                    let p = port?;
                    let list = if outputs { &node.outputs } else { &node.inputs };
                    let default = list.len() == 1 && list[0].0 == p;
                    let unknown = node.kind.is_none() && list.is_empty();
                    let always = outputs && node.kind == Some(NodeKind::LogicLoop);
                    (always || !(default || unknown)).then(|| p.to_string())
                };
                let from_port = shown(e.from_port, &raw[e.from], true);
                let to_port = shown(e.to_port, &raw[e.to], false);
                let mut parts = Vec::new();
                match (from_port, to_port) {
                    (Some(f), Some(t)) => parts.push(format!("{f} → {t}")),
                    (Some(f), None) => parts.push(f),
                    (None, Some(t)) => parts.push(format!("→ {t}")),
                    (None, None) => {}
                }
                match e.style {
                    EdgeStyle::Conditional => parts.push(
                        e.condition
                            .filter(|c| !c.trim().is_empty())
                            .unwrap_or("(no condition)")
                            .to_string(),
                    ),
                    EdgeStyle::Sequential if is_decision(e.from) => parts.push("else".into()),
                    EdgeStyle::Unknown => parts.push(match e.type_text {
                        Some(t) => format!("unknown edge type {t}"),
                        None => "no edge type".to_string(),
                    }),
                    _ => {}
                }
                DEdge {
                    from: e.from,
                    to: e.to,
                    style: e.style,
                    label: (!parts.is_empty()).then(|| parts.join("\n")),
                    cycle: false,
                }
            })
            .collect();

        // Control successors, in declaration order.
        let mut succ: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
        for (k, e) in edges.iter().enumerate() {
            if e.style.is_control() {
                succ[e.from].push((e.to, k));
            }
        }
        for k in cycle_edges(&succ, &raw_roots(&raw)) {
            edges[k].cycle = true;
        }

        // Reachability from the entries (only meaningful when there is one).
        let entries: Vec<usize> = (0..n)
            .filter(|&i| raw[i].kind.is_some_and(NodeKind::is_entry))
            .collect();
        if !entries.is_empty() {
            let seen = reach(&succ, &entries, None);
            for (i, node) in nodes.iter_mut().enumerate() {
                node.unreachable = !seen[i];
            }
        }

        // Loop clusters: each loop's body region (docs/semantics.md §3), found with one
        // search per loop over a shared visit stamp, within the budget.
        let mut clusters = Vec::new();
        let mut cluster_parent = Vec::new();
        let mut node_cluster: Vec<Option<usize>> = vec![None; n];
        let mut bodies: Vec<(usize, Vec<usize>)> = Vec::new();
        let mut budget = CLUSTER_BUDGET + n + edges.len();
        let mut within_budget = true;
        let mut stamp = vec![usize::MAX; n];
        for (l, body) in loop_bodies.iter().enumerate() {
            let Some(body) = *body else { continue };
            let starts: Vec<usize> = succ[l]
                .iter()
                .filter(|&&(to, k)| to != l && edges_raw[k].from_port == Some(body))
                .map(|&(to, _)| to)
                .collect();
            if starts.is_empty() {
                continue;
            }
            let Some(region) = region(&succ, &starts, l, &mut stamp, &mut budget) else {
                within_budget = false;
                break;
            };
            let mut members = region;
            members.push(l);
            bodies.push((l, members));
        }
        if within_budget {
            // Largest first; a body is boxed only if it nests in, or is apart from, every
            // box already taken (every member has the same innermost box so far).
            let mut order: Vec<usize> = (0..bodies.len()).collect();
            order.sort_by_key(|&b| (std::cmp::Reverse(bodies[b].1.len()), bodies[b].0));
            let mut depth: Vec<usize> = Vec::new();
            for b in order {
                let (l, members) = &bodies[b];
                let owner = node_cluster[members[0]];
                if members.iter().any(|&m| node_cluster[m] != owner) {
                    continue;
                }
                let d = owner.map_or(1, |o| depth[o] + 1);
                if d > MAX_CLUSTER_DEPTH {
                    continue;
                }
                let c = clusters.len();
                clusters.push(Cluster {
                    loop_node: *l,
                    title: loop_title(raw[*l].config),
                });
                cluster_parent.push(owner);
                depth.push(d);
                for &m in members {
                    node_cluster[m] = Some(c);
                }
            }
        }

        // Number the boxes in drawing order (the order their first node is declared in).
        let mut renumber = vec![usize::MAX; clusters.len()];
        let mut next = 0;
        for &c in &node_cluster {
            let mut chain = Vec::new();
            let mut x = c;
            while let Some(cl) = x {
                chain.push(cl);
                x = cluster_parent[cl];
            }
            for &cl in chain.iter().rev() {
                if renumber[cl] == usize::MAX {
                    renumber[cl] = next;
                    next += 1;
                }
            }
        }
        let mut ordered: Vec<(usize, Cluster, Option<usize>)> = clusters
            .into_iter()
            .zip(cluster_parent)
            .enumerate()
            .map(|(c, (cl, parent))| (renumber[c], cl, parent.map(|p| renumber[p])))
            .collect();
        ordered.sort_by_key(|x| x.0);
        let (clusters, cluster_parent): (Vec<Cluster>, Vec<Option<usize>>) =
            ordered.into_iter().map(|(_, cl, p)| (cl, p)).unzip();
        for c in node_cluster.iter_mut().flatten() {
            *c = renumber[*c];
        }
        let containers = containers(&node_cluster, &cluster_parent);
        Some(Diagram {
            title,
            nodes,
            edges,
            clusters,
            containers,
            node_cluster,
            cluster_parent,
        })
    }

    /// The chain of clusters around node `i`, outermost first.
    pub fn cluster_chain(&self, i: usize) -> Vec<usize> {
        let mut chain = Vec::new();
        let mut c = self.node_cluster[i];
        while let Some(x) = c {
            chain.push(x);
            c = self.cluster_parent[x];
        }
        chain.reverse();
        chain
    }
}

/// DFS roots: entries first, then every node, in declaration order.
fn raw_roots(raw: &[RawNode]) -> Vec<usize> {
    let mut roots: Vec<usize> = (0..raw.len())
        .filter(|&i| raw[i].kind.is_some_and(NodeKind::is_entry))
        .collect();
    roots.extend(0..raw.len());
    roots
}

/// The edges that close a cycle in an iterative depth-first search from `roots` (edges to a
/// node on the search stack, self-loops included).
pub fn cycle_edges(succ: &[Vec<(usize, usize)>], roots: &[usize]) -> Vec<usize> {
    const NEW: u8 = 0;
    const ON_STACK: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![NEW; succ.len()];
    let mut out = Vec::new();
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for &r in roots {
        if state[r] != NEW {
            continue;
        }
        state[r] = ON_STACK;
        stack.push((r, 0));
        while let Some(&mut (v, ref mut i)) = stack.last_mut() {
            if let Some(&(w, k)) = succ[v].get(*i) {
                *i += 1;
                match state[w] {
                    NEW => {
                        state[w] = ON_STACK;
                        stack.push((w, 0));
                    }
                    ON_STACK => out.push(k),
                    _ => {}
                }
            } else {
                state[v] = DONE;
                stack.pop();
            }
        }
    }
    out.sort_unstable();
    out
}

/// Nodes reachable from `starts` over `succ`, never entering `avoid`.
fn reach(succ: &[Vec<(usize, usize)>], starts: &[usize], avoid: Option<usize>) -> Vec<bool> {
    let mut seen = vec![false; succ.len()];
    let mut queue = VecDeque::new();
    for &s in starts {
        if Some(s) != avoid && !seen[s] {
            seen[s] = true;
            queue.push_back(s);
        }
    }
    while let Some(v) = queue.pop_front() {
        for &(w, _) in &succ[v] {
            if Some(w) != avoid && !seen[w] {
                seen[w] = true;
                queue.push_back(w);
            }
        }
    }
    seen
}

/// The body region of loop `l`: the nodes reachable from `starts` without entering `l`.
/// `stamp` marks visits with `l` (so it is shared by every loop without clearing); each
/// node and edge visited is taken from `budget`, and `None` means the budget ran out.
fn region(
    succ: &[Vec<(usize, usize)>],
    starts: &[usize],
    l: usize,
    stamp: &mut [usize],
    budget: &mut usize,
) -> Option<Vec<usize>> {
    let mut out = Vec::new();
    for &s in starts {
        if stamp[s] != l {
            stamp[s] = l;
            out.push(s);
        }
    }
    let mut next = 0;
    while let Some(&v) = out.get(next) {
        next += 1;
        *budget = budget.checked_sub(1 + succ[v].len())?;
        for &(w, _) in &succ[v] {
            if w != l && stamp[w] != l {
                stamp[w] = l;
                out.push(w);
            }
        }
    }
    Some(out)
}

/// The node with id `id`, or a new "missing" node for it.
fn resolve<'a>(
    id: &'a str,
    by_id: &mut HashMap<&'a str, usize>,
    nodes: &mut Vec<DNode>,
    raw: &mut Vec<RawNode>,
) -> usize {
    if let Some(&i) = by_id.get(id) {
        return i;
    }
    let i = nodes.len();
    by_id.insert(id, i);
    nodes.push(DNode {
        id: id.to_string(),
        label: id.to_string(),
        kind: "missing node".to_string(),
        shape: Shape::Missing,
        unreachable: false,
    });
    raw.push(RawNode {
        kind: None,
        config: None,
        inputs: Vec::new(),
        outputs: Vec::new(),
    });
    i
}

/// The drawing tree (see [`Diagram::containers`]).
fn containers(node_cluster: &[Option<usize>], parent: &[Option<usize>]) -> Vec<Vec<Item>> {
    let mut out: Vec<Vec<Item>> = vec![Vec::new(); parent.len() + 1];
    let mut placed = vec![false; parent.len()];
    for (i, &c) in node_cluster.iter().enumerate() {
        // Place every not-yet-placed cluster on the chain, outermost first.
        let mut chain = Vec::new();
        let mut x = c;
        while let Some(cl) = x {
            chain.push(cl);
            x = parent[cl];
        }
        for &cl in chain.iter().rev() {
            if !placed[cl] {
                placed[cl] = true;
                let at = parent[cl].map_or(0, |p| p + 1);
                out[at].push(Item::Cluster(cl));
            }
        }
        out[c.map_or(0, |cl| cl + 1)].push(Item::Node(i));
    }
    out
}
