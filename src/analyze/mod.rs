//! The analyze stage (spec §4), shared by every emitter. In order:
//! 1. schema-validate the flow JSON;
//! 2. build the `nodes_by_id` map (duplicate node / edge / port ids);
//! 3. detect dangling edges and missing ports;
//! 4. verify an entry point exists;
//! 5. detect control cycles (every strongly connected component, one witness path each);
//! 6. build a topological order over control edges (declaration order breaks ties);
//!
//! then the semantic checks (roles, loops, plugin signatures, queues, bindings, data-edge
//! ordering, reachability). All problems of a run are reported, not the first one. When the
//! schema rejects the document, the later steps still run if the typed model can be built
//! (see [`analyze_value`]); if it cannot, only the schema diagnostics are reported.

pub mod cron;
pub mod graph;

use std::collections::HashMap;

use serde_json::Value;

use crate::load::tape::{Tape, TapeRef};
use crate::load::view::{JsonView, Shape};

use crate::diagnostics::{
    Code, Diagnostic, Focus, JsonPath, PathSeg, SuggestBudget, listed, suggestion,
};
use crate::load::SourceFile;
use crate::model::{Edge, EdgeKind, Flow, LoopStyle, Node, NodeConfig, NodeKind};
use crate::plugins;
use graph::{Dominators, Graph};

/// The binding under which the trigger payload is visible to every step.
pub const INPUT_BINDING: &str = "input";

/// Whether the control edges leaving a node of `kind` are branches that all run (a
/// parallel fork) rather than arms of which one runs: out of a `logic_parallel`, and out of
/// any other node except a `logic_decision` when none of them is conditional. Out of a
/// `logic_decision`, or when some edge is conditional, they are a decision's arms (a
/// sequential edge among them is the fallthrough, like `"true"`). The analyze stage's
/// data-order rule and structured lowering both decide by this.
pub fn forks_in_parallel(kind: NodeKind, any_conditional: bool) -> bool {
    kind == NodeKind::LogicParallel || (kind != NodeKind::LogicDecision && !any_conditional)
}

/// A flow that passed analysis without errors: the model plus everything later stages need.
#[derive(Debug, Clone)]
pub struct AnalyzedFlow {
    pub flow: Flow,
    /// `nodes_by_id`: node id → index into `flow.nodes`.
    pub nodes_by_id: HashMap<String, usize>,
    /// Each node's typed config, by node index.
    pub configs: Vec<NodeConfig>,
    /// Entry node indices, in declaration order.
    pub entries: Vec<usize>,
    /// Topological order of all nodes over control edges (declaration order breaks ties).
    pub order: Vec<usize>,
    /// Whether each node is reachable from an entry over control edges.
    pub reachable: Vec<bool>,
    /// Each node's result binding (value-producing kinds only).
    pub bindings: Vec<Option<String>>,
    /// The control graph (sequential + conditional edges).
    pub control: Graph,
}

/// The result of analyzing one input: all diagnostics, and the analyzed flow when there
/// were no errors.
#[derive(Debug)]
pub struct Outcome {
    pub diagnostics: Vec<Diagnostic>,
    pub analyzed: Option<AnalyzedFlow>,
}

impl Outcome {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses and analyzes a source text.
pub fn analyze_source(source: &SourceFile) -> Outcome {
    analyze_source_with(source, crate::Reclaim::Free)
}

/// [`analyze_source`], freeing the document tree or leaving it to the process's exit.
pub fn analyze_source_with(source: &SourceFile, reclaim: crate::Reclaim) -> Outcome {
    let (outcome, doc) = analyze_text(&source.text);
    reclaim.release(doc);
    outcome
}

/// Parses and analyzes a flow's text; gives back the parsed document when the `Value` path
/// built one (for the caller to free or leave to the exit). A flow the schema accepts is
/// read through a tape and has no document ([`analyze_valid`]).
pub fn analyze_text(text: &str) -> (Outcome, Option<Value>) {
    if let Some(outcome) = analyze_valid(text) {
        return (outcome, None);
    }
    match crate::load::parse_json(text) {
        Ok(doc) => (analyze_value(&doc), Some(doc)),
        Err(d) => (
            Outcome {
                diagnostics: vec![d],
                analyzed: None,
            },
            None,
        ),
    }
}

/// The fast path for a flow the schema accepts: read through a [`Tape`] (no `Value` tree),
/// checked by the fast schema check, deserialized into the model from the tape. `None`
/// whenever any of the three declines or fails: [`analyze_value`] then reads the text as
/// before and reports every diagnostic. For a document this path reads, the outcome is the
/// one `analyze_value` gives (the tape reads what the strict parse reads, and a flow the
/// fast check finds valid has no schema diagnostic).
fn analyze_valid(text: &str) -> Option<Outcome> {
    let tape = Tape::parse(text)?;
    let root = tape.root();
    if !matches!(root.shape(), Shape::Object(..))
        || crate::schema::fast_verdict(root) != crate::schema::Verdict::Valid
    {
        return None;
    }
    let flow = Flow::deserialize_from_tape(root).ok()?;
    drop(tape);
    Some(analyze_flow(flow))
}

/// Analyzes a parsed flow document.
///
/// When the schema rejects the document, the later steps still run, so one run reports
/// every problem: on the document itself if the flow model can be built from it, else on a
/// lenient model made of the nodes and edges that are well-formed (see [`Lenient`]).
/// Diagnostics about a value the schema already rejected (same path or inside it) are
/// dropped, and so are those the missing elements would make misleading.
pub fn analyze_value(doc: &Value) -> Outcome {
    let schema_errors = crate::schema::validate(doc);
    // The schema's warnings (an unknown key, SF116) do not stop the flow.
    if !schema_errors.iter().any(Diagnostic::is_error) {
        let mut outcome = match Flow::deserialize_from(doc) {
            Ok(flow) => analyze_flow(flow),
            Err(e) => Outcome {
                diagnostics: vec![
                    Diagnostic::new(
                        Code::SchemaViolation,
                        format!("the flow does not match the flow model: {e}"),
                    )
                    .at(JsonPath::root()),
                ],
                analyzed: None,
            },
        };
        outcome.diagnostics.splice(0..0, schema_errors);
        return outcome;
    }
    let later = match Flow::deserialize_from(doc) {
        Ok(flow) => analyze_flow(flow).diagnostics,
        Err(_) => Lenient::build(doc).map(|l| l.analyze()).unwrap_or_default(),
    };
    // A missing property is reported on the object that lacks it; the object's other
    // values are not suspect, so that path does not count as rejected.
    let rejected: Vec<&JsonPath> = schema_errors
        .iter()
        .filter(|d| d.code != Code::MissingProperty)
        .filter_map(|d| d.path.as_ref())
        .collect();
    let later = later.into_iter().filter(|d| {
        let Some(p) = &d.path else { return true };
        // A typed-config failure restates a schema error inside that config.
        if d.code == Code::SchemaViolation {
            return false;
        }
        !rejected
            .iter()
            .any(|r| !r.is_root() && p.0.starts_with(&r.0))
    });
    let mut diagnostics = schema_errors.clone();
    diagnostics.extend(later);
    Outcome {
        diagnostics,
        analyzed: None,
    }
}

/// A node with a string id and a known kind, with a blank label / origin position where
/// those are missing or malformed; `None` when the node cannot be repaired that way.
fn repair_node(v: &Value) -> Option<Value> {
    use serde::Deserialize;
    let o = v.as_object()?;
    let id = o.get("id")?.as_str()?;
    let kind = o.get("type")?.as_str()?;
    NodeKind::parse(kind)?;
    let mut n = serde_json::Map::new();
    n.insert("id".into(), id.into());
    n.insert("type".into(), kind.into());
    let label = o.get("label").filter(|l| l.is_string()).cloned();
    n.insert("label".into(), label.unwrap_or_else(|| "".into()));
    let position = o
        .get("position")
        .filter(|p| crate::model::Position::deserialize(*p).is_ok())
        .cloned();
    n.insert(
        "position".into(),
        position.unwrap_or_else(|| serde_json::json!({"x": 0, "y": 0})),
    );
    for key in ["config", "inputs", "outputs"] {
        if let Some(x) = o.get(key) {
            n.insert(key.into(), x.clone());
        }
    }
    let n = Value::Object(n);
    Node::deserialize(&n).is_ok().then_some(n)
}

/// A flow model built from a document the schema rejected: the nodes and edges that are
/// well-formed, with the original index of each (so paths point into the real document),
/// and the ids of the nodes that had to be left out.
struct Lenient {
    flow: Flow,
    node_index: Vec<usize>,
    edge_index: Vec<usize>,
    dropped_ids: std::collections::HashSet<String>,
    dropped_any: bool,
    /// `config` / `variables` were malformed and left out.
    dropped_config: bool,
    dropped_variables: bool,
}

impl Lenient {
    fn build(doc: &Value) -> Option<Lenient> {
        use serde::Deserialize;
        let mut obj = doc.as_object()?.clone();
        let mut dropped_ids = std::collections::HashSet::new();
        let mut dropped_any = false;
        let mut keep =
            |key: &str, ok: &dyn Fn(&Value) -> bool, obj: &mut serde_json::Map<String, Value>| {
                let mut index = Vec::new();
                if let Some(Value::Array(items)) = obj.get_mut(key) {
                    let all = std::mem::take(items);
                    for (i, v) in all.into_iter().enumerate() {
                        if ok(&v) {
                            index.push(i);
                            items.push(v);
                        } else {
                            dropped_any = true;
                            if key == "nodes"
                                && let Some(id) = v.get("id").and_then(Value::as_str)
                            {
                                dropped_ids.insert(id.to_string());
                            }
                        }
                    }
                } else {
                    obj.remove(key);
                }
                index
            };
        // A node with a sound id and kind is repaired (blank label, origin position) so its
        // config and edges are still checked; anything else is left out.
        if let Some(Value::Array(nodes)) = obj.get_mut("nodes") {
            for v in nodes.iter_mut() {
                if Node::deserialize(&*v).is_err()
                    && let Some(fixed) = repair_node(v)
                {
                    *v = fixed;
                }
            }
        }
        let node_index = keep("nodes", &|v| Node::deserialize(v).is_ok(), &mut obj);
        let edge_index = keep("edges", &|v| Edge::deserialize(v).is_ok(), &mut obj);
        for key in ["id", "name", "version"] {
            if !obj.get(key).is_some_and(Value::is_string) {
                obj.insert(key.to_string(), Value::String(String::new()));
            }
        }
        let fits = |key: &str, v: &Value| match key {
            "config" => crate::model::FlowConfig::deserialize(v).is_ok(),
            "variables" => Vec::<crate::model::Variable>::deserialize(v).is_ok(),
            "metadata" => v.is_object(),
            "tests" => v.is_array(),
            _ => v.is_string(),
        };
        let mut dropped_config = false;
        let mut dropped_variables = false;
        for key in [
            "config",
            "variables",
            "metadata",
            "tests",
            "scaicore_target",
            "$schema",
        ] {
            if obj.get(key).is_some_and(|v| !fits(key, v)) {
                obj.remove(key);
                dropped_config |= key == "config";
                dropped_variables |= key == "variables";
            }
        }
        // Unknown top-level keys were reported by the schema; the model ignores them.
        let flow = Flow::deserialize_from(&Value::Object(obj)).ok()?;
        Some(Lenient {
            flow,
            node_index,
            edge_index,
            dropped_ids,
            dropped_any,
            dropped_config,
            dropped_variables,
        })
    }

    /// Runs the later steps; paths are mapped back to the document's indices.
    fn analyze(self) -> Vec<Diagnostic> {
        let Lenient {
            flow,
            node_index,
            edge_index,
            dropped_ids,
            dropped_any,
            dropped_config,
            dropped_variables,
        } = self;
        let refs_dropped = |d: &Diagnostic| {
            let id = d.path.as_ref().and_then(|p| {
                let [PathSeg::Key(e), PathSeg::Index(j), PathSeg::Key(end), ..] = p.0.as_slice()
                else {
                    return None;
                };
                let edge = flow.edges.get(*j).filter(|_| e == "edges")?;
                Some(if end == "source" {
                    &edge.source.node
                } else {
                    &edge.target.node
                })
            });
            id.is_some_and(|id| dropped_ids.contains(id))
        };
        let remap = |p: &mut JsonPath| {
            if let [PathSeg::Key(list), PathSeg::Index(i), ..] = p.0.as_mut_slice() {
                let map = match list.as_str() {
                    "nodes" => &node_index,
                    "edges" => &edge_index,
                    _ => return,
                };
                if let Some(&orig) = map.get(*i) {
                    *i = orig;
                }
            }
        };
        let mut out: Vec<Diagnostic> = analyze_flow(flow.clone())
            .diagnostics
            .into_iter()
            .filter(|d| match d.code {
                // An edge to a node the schema rejected is not dangling.
                Code::DanglingEdge => !refs_dropped(d),
                // A rejected node may be the entry, the link or the port user.
                Code::NoEntry | Code::Unreachable | Code::UnusedOutputPort => !dropped_any,
                // Checks against the flow config (models, plugins, queue scope).
                Code::NoModels
                | Code::UndeclaredRole
                | Code::MissingScope
                | Code::MissingPluginArg
                | Code::UnknownPluginMethod => !dropped_config,
                // Checks against the flow variables.
                Code::UndeclaredVariable | Code::BindingCollision => !dropped_variables,
                _ => true,
            })
            .collect();
        for d in &mut out {
            if let Some(p) = &mut d.path {
                remap(p);
            }
            for r in &mut d.related {
                remap(&mut r.path);
            }
        }
        out
    }
}

impl Flow {
    fn deserialize_from(doc: &Value) -> Result<Flow, serde_json::Error> {
        let mut flow: Flow = serde::Deserialize::deserialize(doc)?;
        flow.source_keys = known_keys(doc.as_object().into_iter().flat_map(|o| o.keys()));
        flow.source_config = doc.get("config").cloned();
        flow.source_variables = doc.get("variables").cloned();
        Ok(flow)
    }

    /// [`Flow::deserialize_from`] for a document read through a tape.
    fn deserialize_from_tape(doc: TapeRef<'_>) -> Result<Flow, serde_json::Error> {
        let mut flow: Flow = serde::Deserialize::deserialize(doc)?;
        flow.source_keys = known_keys(doc.members().map(|(k, _)| k));
        flow.source_config = doc.member("config").map(TapeRef::to_value);
        flow.source_variables = doc.member("variables").map(TapeRef::to_value);
        Ok(flow)
    }
}

/// The document's top-level keys the schema knows, in order (an unknown one is ignored,
/// SF116, and in no output).
fn known_keys<'k>(keys: impl Iterator<Item = &'k (impl AsRef<str> + ?Sized + 'k)>) -> Vec<String> {
    let known = crate::schema::flow_schema()["properties"].as_object();
    keys.map(AsRef::as_ref)
        .filter(|k| known.is_some_and(|p| p.contains_key(*k)))
        .map(str::to_string)
        .collect()
}

fn node_path(i: usize) -> JsonPath {
    JsonPath::root().key("nodes").index(i)
}

fn edge_path(i: usize) -> JsonPath {
    JsonPath::root().key("edges").index(i)
}

fn config_path(i: usize) -> JsonPath {
    node_path(i).key("config")
}

/// Runs steps 2–6 and the semantic checks on a schema-valid flow.
pub fn analyze_flow(flow: Flow) -> Outcome {
    let mut cx = Cx {
        flow: &flow,
        diags: Vec::new(),
        shadowed: vec![false; flow.nodes.len()],
        suggestions: SuggestBudget::default(),
        port_sets: HashMap::new(),
        roles: flow.models().iter().map(|m| m.role.as_str()).collect(),
        variables: flow.variables().iter().map(|v| v.name.as_str()).collect(),
    };

    // Typed configs (the schema has checked their shapes already). A config that does not
    // parse gets no semantic checks: they would only restate the failure.
    let mut configs: Vec<Option<NodeConfig>> = Vec::with_capacity(flow.nodes.len());
    for (i, node) in flow.nodes.iter().enumerate() {
        match node.typed_config() {
            Ok(c) => configs.push(Some(c)),
            Err(e) => {
                cx.push(
                    Diagnostic::new(
                        Code::SchemaViolation,
                        format!(
                            "node '{}': config does not fit a {} node: {e}",
                            node.id, node.kind
                        ),
                    )
                    .at(config_path(i))
                    .node(&node.id),
                );
                configs.push(None);
            }
        }
    }

    // Step 2: nodes_by_id, duplicate ids.
    let nodes_by_id = cx.index_nodes();
    cx.check_edge_ids();

    // Step 3: dangling edges and ports; the control graph from the edges that hold.
    let (control, data_edges) = cx.check_edges(&nodes_by_id);

    // Step 4: entry points.
    let entries: Vec<usize> = (0..flow.nodes.len())
        .filter(|&i| flow.nodes[i].kind.is_entry())
        .collect();
    if entries.is_empty() {
        cx.push(
            Diagnostic::new(Code::NoEntry, "flow has no entry-point node")
                .at(JsonPath::root().key("nodes"))
                .focus(Focus::Key)
                .help("add an entry_api, entry_webhook or entry_schedule node and connect it to the first step"),
        );
    }

    // Step 5: cycles.
    let cyclic = cx.check_cycles(&control);

    // Step 6: topological order.
    let order = control.topo_order();
    let reachable = control.reachable_from(&entries);

    // A dangling edge cuts the graph; the nodes it meant to connect would all be reported
    // as unreachable, burying the real error. Reachability is judged once edges resolve.
    let dangling = cx.diags.iter().any(|d| d.code == Code::DanglingEdge);
    if !entries.is_empty() && !dangling {
        cx.check_reachability(&reachable);
    }
    cx.check_unused_ports();
    if !cyclic {
        let doms = Dominators::compute(&control, &entries, &order, &reachable);
        cx.check_data_edges(&control, &order, &data_edges, &doms);
    }
    cx.check_models();
    cx.check_variables();
    for (i, cfg) in configs.iter().enumerate() {
        if let Some(cfg) = cfg {
            cx.check_node(i, cfg);
        }
    }
    let bindings = cx.check_bindings();

    let Cx { diags, .. } = cx;
    let configs: Option<Vec<NodeConfig>> = configs.into_iter().collect();
    let ok = !diags.iter().any(Diagnostic::is_error);
    let analyzed = configs.filter(|_| ok).map(|configs| AnalyzedFlow {
        flow,
        nodes_by_id,
        configs,
        entries,
        order,
        reachable,
        bindings,
        control,
    });
    Outcome {
        diagnostics: diags,
        analyzed,
    }
}

struct Cx<'a> {
    flow: &'a Flow,
    diags: Vec<Diagnostic>,
    /// Nodes whose id repeats an earlier node's: edges resolve to the first one, so the
    /// later ones are left out of reachability and binding checks (one problem, one report).
    shadowed: Vec<bool>,
    /// "Did you mean" answers left to work out in this run: each compares against up to
    /// 1,000 candidates, so N problems among N names stay linear (`docs/limits.md`).
    suggestions: SuggestBudget,
    /// Port ids of nodes with many ports, by (node, whether outputs), built when needed.
    port_sets: HashMap<(usize, bool), std::collections::HashSet<String>>,
    /// The declared model roles and flow variables, for O(1) lookups.
    roles: std::collections::HashSet<&'a str>,
    variables: std::collections::HashSet<&'a str>,
}

impl Cx<'_> {
    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn index_nodes(&mut self) -> HashMap<String, usize> {
        let mut by_id: HashMap<String, usize> = HashMap::with_capacity(self.flow.nodes.len());
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

    fn check_edge_ids(&mut self) {
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
    fn check_edges(
        &mut self,
        by_id: &HashMap<String, usize>,
    ) -> (Graph, Vec<(usize, usize, usize)>) {
        let mut control = Graph::new(self.flow.nodes.len());
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
                control.add(s, t, i);
            } else {
                data.push((i, s, t));
            }
        }
        (control, data)
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
            ports.iter().any(|p| &p.id == port)
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
        by_id: &HashMap<String, usize>,
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
    fn check_cycles(&mut self, control: &Graph) -> bool {
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

    fn check_reachability(&mut self, reachable: &[bool]) {
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

    fn check_unused_ports(&mut self) {
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
    fn check_data_edges(
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
    ) -> std::collections::HashSet<usize> {
        // The nodes reachable from `s` within the window, in topological order.
        let mut window = Vec::new();
        let mut seen = std::collections::HashSet::from([s]);
        let mut stack = vec![s];
        while let Some(u) = stack.pop() {
            for &(w, _) in &control.succ[u] {
                if pos[w] <= until && seen.insert(w) {
                    window.push(w);
                    stack.push(w);
                }
            }
        }
        window.sort_unstable_by_key(|&v| pos[v]);
        let mut done = std::collections::HashSet::new();
        for &v in &window {
            if !doms.is_reachable(v) {
                continue;
            }
            let preds = || {
                control.pred[v]
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
                        control.succ[d]
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

    fn check_models(&mut self) {
        let models = self.flow.models();
        let base = JsonPath::root()
            .key("config")
            .key("core_identity")
            .key("models");
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (j, m) in models.iter().enumerate() {
            if let Some(&first) = seen.get(m.role.as_str()) {
                self.push(
                    Diagnostic::new(
                        Code::DuplicateModelRole,
                        format!(
                            "duplicate model role '{}' (models[{first}] and models[{j}])",
                            m.role
                        ),
                    )
                    .at(base.index(j).key("role"))
                    .related(base.index(first).key("role"), "first declared here"),
                );
            } else {
                seen.insert(&m.role, j);
            }
        }
    }

    fn check_variables(&mut self) {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (j, v) in self.flow.variables().iter().enumerate() {
            if let Some(&first) = seen.get(v.name.as_str()) {
                self.push(
                    Diagnostic::new(
                        Code::DuplicateVariable,
                        format!(
                            "duplicate variable '{}' (variables[{first}] and variables[{j}])",
                            v.name
                        ),
                    )
                    .at(JsonPath::root().key("variables").index(j).key("name"))
                    .related(
                        JsonPath::root().key("variables").index(first).key("name"),
                        "first declared here",
                    ),
                );
            } else {
                seen.insert(&v.name, j);
            }
        }
    }

    /// Where a problem with a node's config as a whole points: the `config` key, or the
    /// node's kind when it has no config at all.
    fn config_anchor(&self, i: usize) -> (JsonPath, Focus) {
        if self.flow.nodes[i].config.is_some() {
            (config_path(i), Focus::Key)
        } else {
            (node_path(i).key("type"), Focus::Auto)
        }
    }

    fn missing(&mut self, i: usize, key: &str, what: &str) {
        let node = &self.flow.nodes[i];
        let msg = format!(
            "node '{}': {} requires config.{key} ({what})",
            node.id, node.kind
        );
        self.config_key(i, Code::MissingConfig, msg);
    }

    /// SF315: a key the docs do not require is not set; `what` says what is compiled
    /// instead.
    fn defaulted(&mut self, i: usize, key: &str, what: String) {
        let node = &self.flow.nodes[i];
        let msg = format!(
            "node '{}': {} has no config.{key}; {what}",
            node.id, node.kind
        );
        self.config_key(i, Code::ConfigDefaulted, msg);
    }

    /// A problem with a config key that is absent: located at the node's config.
    fn config_key(&mut self, i: usize, code: Code, message: String) {
        let (at, focus) = self.config_anchor(i);
        let id = self.flow.nodes[i].id.clone();
        self.push(Diagnostic::new(code, message).at(at).focus(focus).node(id));
    }

    /// SF118: a config key the kind does not document, close to one it does.
    fn check_config_keys(&mut self, i: usize) {
        let node = &self.flow.nodes[i];
        let Some(config) = &node.config else { return };
        let known = crate::schema::config_keys(node.kind);
        for key in config.keys() {
            if known.contains(&key.as_str()) {
                continue;
            }
            // (The kind's documented keys: a fixed list, so no budget; SF118 is reported
            // only with a suggestion, and a budget would drop the warning itself.)
            if let Some(help) = suggestion(key, known.iter().copied()) {
                self.push(
                    Diagnostic::new(
                        Code::UnknownConfigKey,
                        format!(
                            "node '{}': unknown config key '{key}' for {}",
                            node.id, node.kind
                        ),
                    )
                    .at(config_path(i).key(key))
                    .focus(Focus::Key)
                    .node(&node.id)
                    .help(help),
                );
            }
        }
    }

    fn check_node(&mut self, i: usize, cfg: &NodeConfig) {
        self.check_config_keys(i);
        let node: &Node = &self.flow.nodes[i];
        match cfg {
            NodeConfig::EntrySchedule(c) => {
                if let Some(expr) = &c.cron
                    && let Err(why) = cron::validate(expr)
                {
                    self.push(
                        Diagnostic::new(
                            Code::BadCron,
                            format!(
                                "node '{}': invalid cron expression '{expr}': {why}",
                                node.id
                            ),
                        )
                        .at(config_path(i).key("cron"))
                        .node(&node.id),
                    );
                }
            }
            NodeConfig::LlmRigid(c) if c.template.is_none() => {
                self.missing(i, "template", "the expression template the step evaluates");
            }
            NodeConfig::LlmGuarded(c) => {
                self.check_role(i, c.llm_role.as_deref(), c.model.as_deref());
                if c.goal.is_none() {
                    self.defaulted(
                        i,
                        "goal",
                        "the LLM turn is compiled with an empty goal".into(),
                    );
                }
            }
            NodeConfig::LlmFlexible(c) => {
                self.check_role(i, c.llm_role.as_deref(), c.model.as_deref());
                if c.goal.is_none() {
                    self.defaulted(
                        i,
                        "goal",
                        "the LLM turn is compiled with an empty goal".into(),
                    );
                }
            }
            NodeConfig::LogicLoop(c) => match c.style {
                None => self.missing(i, "style", "\"foreach\" or \"while\""),
                Some(LoopStyle::Foreach) => {
                    if c.items.is_none() {
                        self.missing(i, "items", "the expression of the collection to iterate");
                    }
                }
                Some(LoopStyle::While) => {
                    if c.condition.is_none() && c.max_iterations.is_some() {
                        self.defaulted(
                            i,
                            "condition",
                            format!(
                                "it runs until max_iterations (compiled with the condition \"{}\")",
                                crate::model::WHILE_DEFAULT_CONDITION
                            ),
                        );
                    }
                    if c.max_iterations.is_none() {
                        self.push(
                            Diagnostic::new(
                                Code::WhileWithoutBound,
                                "while loop missing max_iterations",
                            )
                            .at(config_path(i).key("style"))
                            .node(&node.id)
                            .label(format!("node '{}' is a while loop", node.id))
                            .help("add \"max_iterations\": <n> to bound the loop"),
                        );
                    }
                }
            },
            NodeConfig::ToolPlugin(c) => match (&c.plugin, &c.method) {
                (None, _) => self.missing(i, "plugin", "the alias of the plugin to call"),
                (_, None) => self.missing(i, "method", "the plugin method to call"),
                (Some(alias), Some(method)) => {
                    let plugin_name = self.plugin_identity(alias);
                    let args: Vec<&str> = c
                        .args
                        .as_ref()
                        .map(|a| a.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    let args_path = if c.args.is_some() {
                        config_path(i).key("args")
                    } else {
                        config_path(i)
                    };
                    self.check_signature(
                        i,
                        &plugin_name,
                        method,
                        &args,
                        (args_path, Focus::Key),
                        config_path(i).key("method"),
                    );
                }
            },
            NodeConfig::ToolHttp(c) if c.url.is_none() => {
                self.missing(i, "url", "the URL to request");
            }
            NodeConfig::DataVariableSet(c) => match &c.variable {
                None => self.missing(i, "variable", "the flow variable to set"),
                Some(var) => {
                    if !self.variables.contains(var.as_str()) {
                        let declared = self.flow.variables().iter().map(|v| v.name.as_str());
                        let help = self.suggestions.suggest(var, declared).unwrap_or_else(|| {
                            format!("declare it in the flow's variables: {{\"name\": \"{var}\", \"type\": \"...\"}}")
                        });
                        self.push(
                            Diagnostic::new(
                                Code::UndeclaredVariable,
                                format!("node '{}': variable '{var}' is not declared", node.id),
                            )
                            .at(config_path(i).key("variable"))
                            .node(&node.id)
                            .help(help),
                        );
                    }
                    if c.value.is_none() {
                        self.missing(i, "value", "the expression to assign");
                    }
                }
            },
            NodeConfig::HitlReview(c) => {
                if c.queue.is_none() {
                    let (at, focus) = self.config_anchor(i);
                    self.push(
                        Diagnostic::new(
                            Code::HitlReviewWithoutQueue,
                            format!(
                                "node '{}': hitl_review requires a queue (config.queue)",
                                node.id
                            ),
                        )
                        .at(at)
                        .focus(focus)
                        .node(&node.id),
                    );
                }
                self.check_scope(i, c.scope.as_deref());
            }
            NodeConfig::QueuePublish(c) => {
                self.check_queue(i, c.queue.as_deref(), c.scope.as_deref());
            }
            NodeConfig::QueueConsume(c) => {
                self.check_queue(i, c.queue.as_deref(), c.scope.as_deref());
            }
            NodeConfig::QueueEscalation(c) => {
                self.check_queue(i, c.queue.as_deref(), c.scope.as_deref());
            }
            NodeConfig::ComputeProvision(_)
            | NodeConfig::ComputeExec(_)
            | NodeConfig::ComputeFileUpload(_)
            | NodeConfig::ComputeFileDownload(_)
            | NodeConfig::ComputeDestroy(_) => {
                if let Some(m) = plugins::compute_method(node.kind) {
                    let cfg = node.config();
                    let args: Vec<&str> = cfg.keys().map(String::as_str).collect();
                    let anchor = self.config_anchor(i);
                    self.check_signature(
                        i,
                        plugins::SCAIBUNKER.name,
                        m.name,
                        &args,
                        anchor.clone(),
                        anchor.0,
                    );
                }
            }
            NodeConfig::SubflowCall(c) => match &c.target {
                None => self.missing(i, "target", "the core to call, core://{tenant_slug}/{slug}"),
                Some(t) if !is_core_uri(t) => {
                    self.push(
                        Diagnostic::new(
                            Code::BadSubflowTarget,
                            format!(
                                "node '{}': subflow target '{t}' is not a core:// URI (expected core://{{tenant_slug}}/{{slug}})",
                                node.id
                            ),
                        )
                        .at(config_path(i).key("target"))
                        .node(&node.id),
                    );
                }
                Some(_) => {}
            },
            _ => {}
        }
    }

    /// The plugin name behind an alias: the declared package's name, else the alias itself.
    fn plugin_identity(&self, alias: &str) -> String {
        self.flow
            .config
            .as_ref()
            .and_then(|c| c.plugins.as_ref())
            .and_then(|ps| ps.iter().find(|p| p.alias == alias))
            .and_then(|p| p.package_name())
            .unwrap_or(alias)
            .to_string()
    }

    fn check_signature(
        &mut self,
        i: usize,
        plugin: &str,
        method: &str,
        args: &[&str],
        (args_path, args_focus): (JsonPath, Focus),
        method_path: JsonPath,
    ) {
        let Some(p) = plugins::documented(plugin) else {
            return;
        };
        let node_id = self.flow.nodes[i].id.clone();
        match p.method(method) {
            Some(m) => {
                for req in m.required {
                    if !args.contains(req) {
                        self.push(
                            Diagnostic::new(
                                Code::MissingPluginArg,
                                format!(
                                    "plugin call '{plugin}.{method}': missing required arg '{req}'"
                                ),
                            )
                            .at(args_path.clone())
                            .focus(args_focus)
                            .node(&node_id)
                            .label(format!("node '{node_id}'")),
                        );
                    }
                }
            }
            None if p.closed => {
                let names: Vec<&str> = p.methods.iter().map(|m| m.name).collect();
                // (A fixed list: no budget.)
                let help = suggestion(method, names.iter().copied())
                    .unwrap_or_else(|| format!("{plugin} methods: {}", listed(names.into_iter())));
                self.push(
                    Diagnostic::new(
                        Code::UnknownPluginMethod,
                        format!(
                            "plugin call '{plugin}.{method}': '{plugin}' has no method '{method}'"
                        ),
                    )
                    .at(method_path)
                    .node(&node_id)
                    .help(help),
                );
            }
            None => {}
        }
    }

    fn check_role(&mut self, i: usize, role: Option<&str>, legacy: Option<&str>) {
        let node = &self.flow.nodes[i];
        if let (Some(r), Some(l)) = (role, legacy)
            && r != l
        {
            self.push(
                Diagnostic::new(
                    Code::RoleAliasConflict,
                    format!(
                        "node '{}': llm_role='{r}' and legacy model='{l}' disagree; llm_role wins",
                        node.id
                    ),
                )
                .at(config_path(i).key("model"))
                .node(&node.id),
            );
        }
        if self.roles.is_empty() {
            self.push(
                Diagnostic::new(
                    Code::NoModels,
                    format!(
                        "node '{}' ({}) needs a model, but config.core_identity.models declares none",
                        node.id, node.kind
                    ),
                )
                .at(node_path(i).key("type"))
                .node(&node.id),
            );
            return;
        }
        let (value, key) = match (role, legacy) {
            (Some(r), _) => (r, "llm_role"),
            (None, Some(l)) => (l, "model"),
            (None, None) => return,
        };
        if !self.roles.contains(value) {
            let roles = self.flow.models().iter().map(|m| m.role.as_str());
            let help = self
                .suggestions
                .suggest(value, roles.clone())
                .unwrap_or_else(|| format!("declared roles: {}", listed(roles)));
            self.push(
                Diagnostic::new(
                    Code::UndeclaredRole,
                    format!(
                        "llm_role validation failed: node '{}': llm_role='{value}' is not declared",
                        node.id
                    ),
                )
                .at(config_path(i).key(key))
                .node(&node.id)
                .help(help),
            );
        }
    }

    fn check_queue(&mut self, i: usize, queue: Option<&str>, scope: Option<&str>) {
        if queue.is_none() {
            self.missing(i, "queue", "the slug of the queue");
        }
        self.check_scope(i, scope);
    }

    fn check_scope(&mut self, i: usize, scope: Option<&str>) {
        let flow_scope = self
            .flow
            .config
            .as_ref()
            .and_then(|c| c.scaiqueue.as_ref())
            .and_then(|q| q.scope.as_deref());
        if scope.is_none() && flow_scope.is_none() {
            let node = &self.flow.nodes[i];
            self.push(
                Diagnostic::new(
                    Code::MissingScope,
                    format!(
                        "node '{}': no queue scope, so it is compiled with scope: null (set config.scaiqueue.scope on the flow or config.scope on the node)",
                        node.id
                    ),
                )
                .at(node_path(i).key("type"))
                .node(&node.id),
            );
        }
    }

    /// Result bindings: derived per node, collisions reported. Returns them by node index.
    fn check_bindings(&mut self) -> Vec<Option<String>> {
        let mut out = Vec::with_capacity(self.flow.nodes.len());
        let mut owner: HashMap<String, usize> = HashMap::new();
        let variables: Vec<&str> = self
            .flow
            .variables()
            .iter()
            .map(|v| v.name.as_str())
            .collect();
        for (i, node) in self.flow.nodes.iter().enumerate() {
            let Some(name) = node.binding() else {
                out.push(None);
                continue;
            };
            if self.shadowed[i] {
                out.push(Some(name));
                continue;
            }
            let clash = if name == INPUT_BINDING {
                Some("the trigger payload `input`".to_string())
            } else if variables.contains(&name.as_str()) {
                Some(format!("flow variable '{name}'"))
            } else if let Some(&first) = owner.get(&name) {
                Some(format!("node '{}'", self.flow.nodes[first].id))
            } else {
                None
            };
            match clash {
                Some(other) => self.push(
                    Diagnostic::new(
                        Code::BindingCollision,
                        format!(
                            "node '{}' binds its result as '{name}', which is already taken by {other}",
                            node.id
                        ),
                    )
                    .at(node_path(i).key("id"))
                    .node(&node.id)
                    .help("rename the node id; results bind under the id without its `node_` prefix"),
                ),
                None => {
                    owner.insert(name.clone(), i);
                }
            }
            out.push(Some(name));
        }
        out
    }
}

/// The two ends of an edge.
#[derive(Debug, Clone, Copy)]
enum End {
    Source,
    Target,
}

/// `core://{tenant_slug}/{slug}`.
pub fn is_core_uri(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("core://") else {
        return false;
    };
    let seg_ok = |seg: &str| {
        !seg.is_empty()
            && seg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    match rest.split_once('/') {
        Some((tenant, slug)) => seg_ok(tenant) && seg_ok(slug),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What an outcome says, comparably (`nodes_by_id` sorted: a `HashMap` prints in a
    /// random order).
    fn summary(o: &Outcome) -> String {
        let mut out = format!("{:#?}\n", o.diagnostics);
        if let Some(a) = &o.analyzed {
            let mut ids: Vec<_> = a.nodes_by_id.iter().collect();
            ids.sort();
            out += &format!(
                "{:#?}\n{ids:?}\n{:#?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
                a.flow, a.configs, a.entries, a.order, a.reachable, a.bindings, a.control
            );
        }
        out
    }

    /// The fast path (tape, fast schema check, model from the tape) gives `analyze_value`'s
    /// outcome whenever it answers: on every flow in the repository, pretty and minified,
    /// and on seeded mutations of them (most of which the schema refuses: then the fast
    /// path must decline).
    #[test]
    fn the_fast_path_gives_the_value_paths_outcome() {
        use crate::schema::fast::tests::{corpus, kinds, mutate, palette};
        let (palette, kinds) = (palette(), kinds());
        let mut rng = crate::testing::Rng(0x7A9E_5EED);
        let (mut taken, mut declined) = (0, 0);
        for (name, doc) in corpus() {
            for round in 0..40 {
                let mut m = doc.clone();
                if round > 0 {
                    for _ in 0..=rng.below(2) {
                        mutate(&mut m, &mut rng, &palette, &kinds);
                    }
                }
                let text = if round % 2 == 0 {
                    serde_json::to_string_pretty(&m).unwrap()
                } else {
                    serde_json::to_string(&m).unwrap()
                };
                let slow = analyze_value(&crate::load::parse_json(&text).unwrap());
                match analyze_valid(&text) {
                    Some(fast) => {
                        taken += 1;
                        assert_eq!(summary(&fast), summary(&slow), "{name}, round {round}");
                    }
                    None => {
                        declined += 1;
                        // Declined: only where the schema has something to say or the
                        // model cannot be built.
                        let valid =
                            crate::schema::fast_verdict(&m) == crate::schema::Verdict::Valid;
                        assert!(
                            !valid
                                || slow
                                    .diagnostics
                                    .iter()
                                    .any(|d| d.code == Code::SchemaViolation),
                            "{name}, round {round}: declined a valid flow"
                        );
                    }
                }
            }
        }
        eprintln!("fast path: {taken} taken, {declined} declined");
        assert!(
            taken > 1000 && declined > 1000,
            "{taken} taken, {declined} declined"
        );
    }

    #[test]
    fn core_uris() {
        assert!(is_core_uri("core://acme/invoice-parser"));
        assert!(!is_core_uri("core://acme"));
        assert!(!is_core_uri("core:///x"));
        assert!(!is_core_uri("https://acme/x"));
        assert!(!is_core_uri("core://a/b/c"));
    }
}
