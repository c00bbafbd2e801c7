//! The checks of the graph: node, edge and port ids, edge ends, control cycles,
//! reachability, unused ports and the order of data edges.

use super::*;

impl Cx<'_> {
    pub(super) fn index_nodes(&mut self) -> HashMap<Name, usize> {
        let mut by_id: HashMap<Name, usize> = HashMap::with_capacity(self.flow.nodes.len());
        for (i, node) in self.flow.nodes.iter().enumerate() {
            if let Some(&first) = by_id.get(&node.id) {
                self.shadowed[i] = true;
                self.push(
                    Diagnostic::new(
                        Code::DuplicateNodeId,
                        format!("duplicate node id '{}' (also nodes[{first}])", node.id),
                    )
                    .at(node_path(i).key("id"))
                    .node(&node.id)
                    .label("second node with this id")
                    .related(node_path(first).key("id"), "first defined here"),
                );
            } else {
                by_id.insert(node.id.clone(), i);
            }
            for (list, ports) in [("inputs", &node.inputs), ("outputs", &node.outputs)] {
                let Some(ports) = ports else { continue };
                let mut seen: HashMap<&str, usize> = HashMap::new();
                for (j, port) in ports.iter().enumerate() {
                    if let Some(&first) = seen.get(port.id.as_str()) {
                        self.push(
                            Diagnostic::new(
                                Code::DuplicatePortId,
                                format!(
                                    "node '{}': duplicate {} port id '{}'",
                                    node.id,
                                    if list == "inputs" { "input" } else { "output" },
                                    port.id
                                ),
                            )
                            .at(node_path(i).key(list).index(j).key("id"))
                            .node(&node.id)
                            .related(
                                node_path(i).key(list).index(first).key("id"),
                                "first defined here",
                            ),
                        );
                    } else {
                        seen.insert(&port.id, j);
                    }
                }
            }
        }
        by_id
    }

    pub(super) fn check_edge_ids(&mut self) {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, edge) in self.flow.edges.iter().enumerate() {
            if let Some(&first) = seen.get(edge.id.as_str()) {
                self.push(
                    Diagnostic::new(
                        Code::DuplicateEdgeId,
                        format!("duplicate edge id '{}' (also edges[{first}])", edge.id),
                    )
                    .at(edge_path(i).key("id"))
                    .edge(&edge.id)
                    .related(edge_path(first).key("id"), "first defined here"),
                );
            } else {
                seen.insert(&edge.id, i);
            }
        }
    }

    /// Step 3. Returns the control graph and the data edges whose ends exist, as
    /// `(edge index, source node, target node)`.
    pub(super) fn check_edges(
        &mut self,
        by_id: &HashMap<Name, usize>,
    ) -> (Graph, Vec<(usize, usize, usize)>) {
        let mut control = Vec::new();
        let mut data = Vec::new();
        for (i, edge) in self.flow.edges.iter().enumerate() {
            let src = self.resolve_end(i, edge, End::Source, by_id);
            let dst = self.resolve_end(i, edge, End::Target, by_id);
            let (Some(s), Some(t)) = (src, dst) else {
                continue;
            };
            let (sn, tn) = (&self.flow.nodes[s], &self.flow.nodes[t]);
            let mut usable = true;
            if s == t {
                self.push(
                    Diagnostic::new(
                        Code::SelfLoop,
                        format!("edge '{}': connects node '{}' to itself", edge.id, sn.id),
                    )
                    .at(edge_path(i))
                    .edge(&edge.id)
                    .node(&sn.id)
                    .help("to repeat steps, use a logic_loop node"),
                );
                usable = false;
            }
            self.check_port(i, edge, s, End::Source);
            if tn.kind.is_entry() {
                self.push(
                    Diagnostic::new(
                        Code::EdgeIntoEntry,
                        format!(
                            "edge '{}': target node '{}' is an entry node ({}); entries have no inputs",
                            edge.id, tn.id, tn.kind
                        ),
                    )
                    .at(edge_path(i).key("target").key("node"))
                    .edge(&edge.id)
                    .node(&tn.id),
                );
                usable = false;
            } else {
                self.check_port(i, edge, t, End::Target);
            }
            if edge.kind == EdgeKind::Conditional
                && edge
                    .condition
                    .as_deref()
                    .is_some_and(|c| c.trim().is_empty())
            {
                self.push(
                    Diagnostic::new(
                        Code::ConditionMissing,
                        format!("edge '{}': conditional edge has no condition", edge.id),
                    )
                    .at(edge_path(i).key("condition"))
                    .edge(&edge.id)
                    .label("blank")
                    .help("write the condition (use \"true\" for a fallthrough arm), or make the edge \"sequential\""),
                );
            }
            if !usable {
                continue;
            }
            if edge.kind.is_control() {
                control.push((s, t, i));
            } else {
                data.push((i, s, t));
            }
        }
        (Graph::from_edges(self.flow.nodes.len(), &control), data)
    }

    /// SF204 / SF205: the port an edge names exists on its node.
    fn check_port(&mut self, i: usize, edge: &Edge, n: usize, end: End) {
        let flow = self.flow;
        let node = &flow.nodes[n];
        let (ports, code, dir, port, key) = match end {
            End::Source => (
                node.outputs(),
                Code::MissingOutputPort,
                "output",
                &edge.source.port,
                "source",
            ),
            End::Target => (
                node.inputs(),
                Code::MissingInputPort,
                "input",
                &edge.target.port,
                "target",
            ),
        };
        // (A node with many ports gets a set, built once: N edges to a node with N ports
        // stay linear.)
        let source = matches!(end, End::Source);
        let known = if ports.len() <= 16 {
            ports.iter().any(|p| p.id == *port)
        } else {
            self.port_sets
                .entry((n, source))
                .or_insert_with(|| ports.iter().map(|p| p.id.clone()).collect())
                .contains(port.as_str())
        };
        if known {
            return;
        }
        let ids = || ports.iter().map(|p| p.id.as_str());
        let help = if ports.is_empty() {
            format!("the node has no {dir} ports")
        } else {
            self.suggestions
                .suggest(port, ids())
                .unwrap_or_else(|| format!("{dir} ports: {}", listed(ids())))
        };
        self.push(
            Diagnostic::new(
                code,
                format!(
                    "edge '{}': {key} node '{}' has no {dir} port '{port}'",
                    edge.id, node.id
                ),
            )
            .at(edge_path(i).key(key).key("port"))
            .edge(&edge.id)
            .node(&node.id)
            .help(help),
        );
    }

    fn resolve_end(
        &mut self,
        i: usize,
        edge: &Edge,
        end: End,
        by_id: &HashMap<Name, usize>,
    ) -> Option<usize> {
        let (id, end) = match end {
            End::Source => (&edge.source.node, "source"),
            End::Target => (&edge.target.node, "target"),
        };
        if let Some(&n) = by_id.get(id) {
            return Some(n);
        }
        let ids = self.flow.nodes.iter().map(|n| n.id.as_str());
        let help = self.suggestions.suggest(id, ids);
        self.push(
            Diagnostic::new(
                Code::DanglingEdge,
                format!("edge '{}': {end} node '{id}' does not exist", edge.id),
            )
            .at(edge_path(i).key(end).key("node"))
            .edge(&edge.id)
            .label("no node with this id")
            .maybe_help(help),
        );
        None
    }

    /// Step 5: one diagnostic per witness cycle (every edge on a cycle lies on a reported
    /// witness, up to 16 per strongly connected component). Returns whether any cycle exists.
    pub(super) fn check_cycles(&mut self, control: &Graph) -> bool {
        const PER_COMPONENT: usize = 16;
        let comps = control.cyclic_components();
        for comp in &comps {
            for (nodes, edges) in control.witness_cycles(comp, PER_COMPONENT) {
                let names: Vec<&str> = nodes
                    .iter()
                    .map(|&n| self.flow.nodes[n].id.as_str())
                    .collect();
                let closing = *edges.last().unwrap_or(&0);
                let edge = &self.flow.edges[closing];
                let through_loop = nodes
                    .iter()
                    .any(|&n| self.flow.nodes[n].kind == NodeKind::LogicLoop);
                let help = if through_loop {
                    "a logic_loop repeats its body by itself: end the body region without an edge back to the loop or to a step before it"
                } else {
                    "loops must use a logic_loop node: route the repeated steps from its `body` port"
                };
                self.push(
                    Diagnostic::new(
                        Code::Cycle,
                        format!("cycle detected: {}", names.join(" -> ")),
                    )
                    .at(edge_path(closing).key("id"))
                    .edge(&edge.id)
                    .node(&self.flow.nodes[nodes[0]].id)
                    .label("this edge closes the cycle")
                    .help(help),
                );
            }
        }
        !comps.is_empty()
    }

    pub(super) fn check_reachability(&mut self, reachable: &[bool]) {
        for (i, node) in self.flow.nodes.iter().enumerate() {
            if !reachable[i] && !node.kind.is_entry() && !self.shadowed[i] {
                self.push(
                    Diagnostic::new(
                        Code::Unreachable,
                        format!("node '{}' is unreachable from every entry point", node.id),
                    )
                    .at(node_path(i).key("id"))
                    .node(&node.id),
                );
            }
        }
    }

    pub(super) fn check_unused_ports(&mut self) {
        let mut used: HashMap<&str, Vec<&str>> = HashMap::new();
        for e in &self.flow.edges {
            used.entry(e.source.node.as_str())
                .or_default()
                .push(e.source.port.as_str());
        }
        for (i, node) in self.flow.nodes.iter().enumerate() {
            let Some(outputs) = &node.outputs else {
                continue;
            };
            // A node without outgoing edges ends the flow; its ports are not "unused".
            let Some(used) = used.get(node.id.as_str()) else {
                continue;
            };
            for (j, port) in outputs.iter().enumerate() {
                if !used.contains(&port.id.as_str()) {
                    self.push(
                        Diagnostic::new(
                            Code::UnusedOutputPort,
                            format!("node '{}' has an unused output port '{}'", node.id, port.id),
                        )
                        .at(node_path(i).key("outputs").index(j).key("id"))
                        .node(&node.id),
                    );
                }
            }
        }
    }

    /// SF212: a data edge's source must have finished before its target starts, on every
    /// execution. Edges are grouped by source; each source costs one sweep over the
    /// topological window between it and its furthest target.
    pub(super) fn check_data_edges(
        &mut self,
        control: &Graph,
        order: &[usize],
        data: &[(usize, usize, usize)],
        doms: &Dominators,
    ) {
        let mut pos = vec![0usize; control.len()];
        for (i, &v) in order.iter().enumerate() {
            pos[v] = i;
        }
        let mut by_source: std::collections::BTreeMap<usize, Vec<(usize, usize)>> =
            Default::default();
        for &(e, s, t) in data {
            // Unreachable ends are reported as such; ordering is meaningless for them.
            if doms.is_reachable(s) && doms.is_reachable(t) {
                by_source.entry(s).or_default().push((e, t));
            }
        }
        for (s, mut uses) in by_source {
            // A source that dominates its target has run before it on every path; the
            // others need the walk (docs/limits.md: linear on chains and forks).
            uses.retain(|&(_, t)| !doms.dominates(s, t));
            let Some(until) = uses.iter().map(|&(_, t)| pos[t]).max() else {
                continue;
            };
            let done = self.finished_before(control, &pos, until, doms, s);
            for (e, t) in uses {
                if done.contains(&t) {
                    continue;
                }
                let edge = &self.flow.edges[e];
                self.push(
                    Diagnostic::new(
                        Code::DataOrder,
                        format!(
                            "edge '{}': data source '{}' does not run before its target '{}' on every path",
                            edge.id, edge.source.node, edge.target.node
                        ),
                    )
                    .at(edge_path(e).key("id"))
                    .edge(&edge.id)
                    .node(&edge.target.node),
                );
            }
        }
    }

    /// The nodes up to position `until` of the topological order (`pos`: each node's
    /// position) that node `s` has always finished before they start. Only nodes reachable
    /// from `s` can qualify, so only those are visited, in topological order. Along a
    /// sequence and at a decision's merge every predecessor must guarantee it; at the join
    /// of a parallel fork (see [`forks_in_parallel`]; the join is the node whose immediate
    /// dominator is the fork) all branches have run, so one branch guaranteeing it suffices
    /// — predecessors are grouped by branch, and within a branch every predecessor must
    /// guarantee it. Nodes before `s` in the order never qualify.
    fn finished_before(
        &self,
        control: &Graph,
        pos: &[usize],
        until: usize,
        doms: &Dominators,
        s: usize,
    ) -> crate::hash::HashSet<usize> {
        // The nodes reachable from `s` within the window, in topological order.
        let mut window = Vec::new();
        let mut seen = crate::hash::HashSet::from_iter([s]);
        let mut stack = vec![s];
        while let Some(u) = stack.pop() {
            for &(w, _) in control.succ(u) {
                if pos[w] <= until && seen.insert(w) {
                    window.push(w);
                    stack.push(w);
                }
            }
        }
        window.sort_unstable_by_key(|&v| pos[v]);
        let mut done = crate::hash::HashSet::default();
        for &v in &window {
            if !doms.is_reachable(v) {
                continue;
            }
            let preds = || {
                control
                    .pred(v)
                    .iter()
                    .map(|&(p, _)| p)
                    .filter(|&p| doms.is_reachable(p))
            };
            let count = preds().count();
            if count == 0 {
                continue;
            }
            let ok = |p: usize| p == s || done.contains(&p);
            let parallel_join = doms.idom(v).filter(|&d| {
                count > 1
                    && forks_in_parallel(
                        self.flow.nodes[d].kind,
                        control
                            .succ(d)
                            .iter()
                            .any(|&(_, e)| self.flow.edges[e].kind == EdgeKind::Conditional),
                    )
            });
            let holds = match parallel_join {
                Some(d) => {
                    let mut branches: HashMap<usize, bool> = HashMap::new();
                    for p in preds() {
                        let head = doms.branch_head(d, p);
                        let e = branches.entry(head).or_insert(true);
                        *e = *e && ok(p);
                    }
                    branches.values().any(|&b| b)
                }
                None => preds().all(ok),
            };
            if holds {
                done.insert(v);
            }
        }
        done
    }
}

/// The two ends of an edge.
#[derive(Debug, Clone, Copy)]
enum End {
    Source,
    Target,
}
