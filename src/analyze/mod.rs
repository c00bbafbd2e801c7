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
mod edges;
pub mod graph;
mod lenient;
mod nodes;

pub use nodes::is_core_uri;

use crate::hash::{HashMap, HashMapExt};

use serde_json::Value;

use crate::load::tape::{Tape, TapeRef};
use crate::load::view::{JsonView, Shape};

use crate::diagnostics::{
    Code, Diagnostic, Focus, JsonPath, PathSeg, SuggestBudget, listed, suggestion,
};
use crate::load::SourceFile;
use crate::model::{Edge, EdgeKind, Flow, LoopStyle, Name, Node, NodeConfig, NodeKind};
use crate::plugins;
use graph::{Dominators, Graph};
use lenient::Lenient;

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
    pub nodes_by_id: HashMap<Name, usize>,
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

impl AnalyzedFlow {
    /// Once the flow is structured (`lower::structure`), frees what only analysis and
    /// structuring read: the topological order and the control graph. Lowering and
    /// emission read the model, `nodes_by_id`, `entries`, `reachable` and `bindings`
    /// (docs/performance.md, "What emission does not read").
    pub fn shed_structure_state(&mut self) {
        self.order = Vec::new();
        self.control = Graph::default();
    }
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
///
/// From [`PARALLEL_CHECK_MIN`] bytes on, the schema check and the model's deserialization
/// run side by side (both only read the tape); the model is used only if the check says
/// valid, so the outcome is the sequential one.
fn analyze_valid(text: &str) -> Option<Outcome> {
    let tape = Tape::parse(text)?;
    let root = tape.root();
    if !matches!(root.shape(), Shape::Object(..)) {
        return None;
    }
    let valid = || crate::schema::fast_verdict(root) == crate::schema::Verdict::Valid;
    let flow = if checks_side_by_side(text.len()) {
        // The check on a second thread, the model on this one: the model's memory then
        // comes from this thread's heap, where the later stages reuse it when it is freed
        // (built on a pool thread, import's peak grew by a tenth). No thread to be had: one
        // after the other; a panic of the check is re-raised here.
        let (flow, verdict) = crate::verify::beside(valid, || Flow::deserialize_from_tape(root));
        match (verdict, flow) {
            (true, Ok(flow)) => flow,
            _ => return None,
        }
    } else {
        if !valid() {
            return None;
        }
        Flow::deserialize_from_tape(root).ok()?
    };
    drop(tape);
    Some(analyze_flow(flow))
}

/// The text size from which [`analyze_valid`] checks the schema and builds the model on
/// two threads: below it, starting a thread costs more than the overlap saves
/// (docs/performance.md, "Two cores for one flow").
pub const PARALLEL_CHECK_MIN: usize = 256 * 1024;

/// Whether [`analyze_valid`] checks and deserializes a text of `len` bytes on two threads.
fn checks_side_by_side(len: usize) -> bool {
    len >= PARALLEL_CHECK_MIN
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

impl Flow {
    fn deserialize_from(doc: &Value) -> Result<Flow, serde_json::Error> {
        let mut flow: Flow = serde::Deserialize::deserialize(doc)?;
        flow.fit_lists();
        flow.source_keys = known_keys(
            doc.as_object()
                .into_iter()
                .flat_map(|o| o.keys().map(String::as_str)),
        );
        flow.source_config = doc.get("config").cloned();
        flow.source_variables = doc.get("variables").cloned();
        Ok(flow)
    }

    /// Gives the node and edge lists back the room serde's doubling left past their end
    /// (serde takes a size hint only up to 1 MiB of elements and doubles from there: the
    /// 11,432 edges of a 10,000-node flow sat in room for 13,796 until the process ended;
    /// docs/performance.md, "What emission does not read").
    fn fit_lists(&mut self) {
        self.nodes.shrink_to_fit();
        self.edges.shrink_to_fit();
    }

    /// [`Flow::deserialize_from`] for a document read through a tape.
    fn deserialize_from_tape(doc: TapeRef<'_>) -> Result<Flow, serde_json::Error> {
        let mut flow: Flow = serde::Deserialize::deserialize(doc)?;
        flow.fit_lists();
        flow.source_keys = known_keys(doc.members().map(|(k, _)| k));
        flow.source_config = doc.member("config").map(TapeRef::to_value);
        flow.source_variables = doc.member("variables").map(TapeRef::to_value);
        Ok(flow)
    }
}

/// The document's top-level keys the schema knows, in order (an unknown one is ignored,
/// SF116, and in no output).
fn known_keys<'k>(keys: impl Iterator<Item = &'k str>) -> Vec<String> {
    keys.filter(|k| crate::schema::is_flow_key(k))
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
    // parse gets no semantic checks: they would only restate the failure. Each is parsed
    // here to report the failures first, and again when its node is checked: held from
    // here to there, the typed configs of a 10,000-node flow were 3.7 MB of the analysis's
    // peak (docs/performance.md, "Fields at their size, and the allocator's threshold").
    for (i, node) in flow.nodes.iter().enumerate() {
        if let Err(e) = node.typed_config() {
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
    for (i, node) in flow.nodes.iter().enumerate() {
        if let Ok(cfg) = node.typed_config() {
            cx.check_node(i, &cfg);
        }
    }
    let bindings = cx.check_bindings();

    let Cx { diags, .. } = cx;
    // Nor are they kept past analysis: lowering parses each again when it lowers its node
    // (`lower::core`), so that they are never all held beside the structure and the core
    // (docs/performance.md, "What emission does not read").
    // (A config that does not parse is an error, SF119: an analyzed flow's configs all
    // parse, which lowering relies on.)
    let ok = !diags.iter().any(Diagnostic::is_error);
    let analyzed = ok.then(|| AnalyzedFlow {
        flow,
        nodes_by_id,
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
    port_sets: HashMap<(usize, bool), crate::hash::HashSet<Name>>,
    /// The declared model roles and flow variables, for O(1) lookups.
    roles: crate::hash::HashSet<&'a str>,
    variables: crate::hash::HashSet<&'a str>,
}

impl Cx<'_> {
    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
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
                "{:#?}\n{ids:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
                a.flow, a.entries, a.order, a.reachable, a.bindings, a.control
            );
        }
        out
    }

    /// Whether the fast path took `text` (the document `m`); when it did, its outcome is
    /// `analyze_value`'s, and when it declined, the schema has something to say of `m` or
    /// its model cannot be built.
    fn fast_path_agrees(text: &str, m: &Value, what: &str) -> bool {
        let slow = analyze_value(&crate::load::parse_json(text).unwrap());
        match analyze_valid(text) {
            Some(fast) => {
                assert_eq!(summary(&fast), summary(&slow), "{what}");
                true
            }
            None => {
                let valid = crate::schema::fast_verdict(m) == crate::schema::Verdict::Valid;
                assert!(
                    !valid
                        || slow
                            .diagnostics
                            .iter()
                            .any(|d| d.code == Code::SchemaViolation),
                    "{what}: declined a valid flow"
                );
                false
            }
        }
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
                match fast_path_agrees(&text, &m, &format!("{name}, round {round}")) {
                    true => taken += 1,
                    false => declined += 1,
                }
            }
        }
        eprintln!("fast path: {taken} taken, {declined} declined");
        assert!(
            taken > 1000 && declined > 1000,
            "{taken} taken, {declined} declined"
        );
    }

    /// The pre-commit case (one small flow per process) never starts a second thread; a
    /// flow of a few hundred nodes and up uses both cores.
    #[test]
    fn only_big_flows_are_checked_on_two_threads() {
        let biggest_example = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples"))
            .unwrap()
            .filter_map(|e| e.ok()?.metadata().ok())
            .map(|m| m.len() as usize)
            .max()
            .unwrap();
        assert!(biggest_example > 2_000, "{biggest_example}");
        assert!(!checks_side_by_side(biggest_example));
        assert!(!checks_side_by_side(PARALLEL_CHECK_MIN - 1));
        assert!(checks_side_by_side(PARALLEL_CHECK_MIN));
        // 400 nodes of gen_flow.py's shape (about 820 bytes a node).
        assert!(checks_side_by_side(400 * 820));
    }

    /// From [`PARALLEL_CHECK_MIN`] bytes on, the schema check and the model's
    /// deserialization run side by side: the outcome is still `analyze_value`'s, and a flow
    /// the check does not find valid is still declined even when its model builds. (The
    /// texts are padded with white space past the threshold.)
    #[test]
    fn the_two_threaded_fast_path_gives_the_value_paths_outcome() {
        use crate::schema::fast::tests::{corpus, kinds, mutate, palette};
        let (palette, kinds) = (palette(), kinds());
        let mut rng = crate::testing::Rng(0x2C0_4E5);
        let (mut taken, mut declined, mut model_but_invalid) = (0, 0, 0);
        let pad = " ".repeat(PARALLEL_CHECK_MIN);
        for (name, doc) in corpus() {
            for round in 0..4 {
                let mut m = doc.clone();
                if round > 0 {
                    mutate(&mut m, &mut rng, &palette, &kinds);
                }
                let text = serde_json::to_string(&m).unwrap() + &pad;
                assert!(text.len() >= PARALLEL_CHECK_MIN);
                if fast_path_agrees(&text, &m, &format!("{name}, round {round}")) {
                    taken += 1;
                } else {
                    declined += 1;
                    if serde_json::from_value::<Flow>(m.clone()).is_ok() {
                        model_but_invalid += 1;
                    }
                }
            }
        }
        assert!(
            taken > 50 && declined > 50 && model_but_invalid > 10,
            "{taken} taken, {declined} declined ({model_but_invalid} with a model)"
        );
    }

    /// A flow's top-level keys are kept in their order, the schema's only (an unknown one
    /// is in no output), on the tape path and on the `Value` path alike.
    #[test]
    fn the_known_top_level_keys_are_kept_in_the_documents_order() {
        let text = include_str!("../../examples/customer-support.flow.json");
        let doc: Value = serde_json::from_str(text).unwrap();
        let mut keys: Vec<String> = doc.as_object().unwrap().keys().cloned().collect();
        keys.reverse();
        let mut reordered = serde_json::Map::new();
        for k in &keys {
            reordered.insert(k.clone(), doc[k.as_str()].clone());
        }
        for (text, expected) in [
            (serde_json::to_string(&reordered).unwrap(), keys.clone()),
            (
                {
                    let mut with_unknown = reordered.clone();
                    with_unknown.insert("x-canvas".into(), serde_json::json!({"zoom": 2}));
                    serde_json::to_string(&with_unknown).unwrap()
                },
                keys.clone(),
            ),
        ] {
            let (fast, _) = analyze_text(&text);
            let slow = analyze_value(&crate::load::parse_json(&text).unwrap());
            for outcome in [fast, slow] {
                let flow = &outcome.analyzed.as_ref().expect("analyzed").flow;
                assert_eq!(flow.source_keys, expected);
            }
        }
        assert!(keys.len() >= 5 && keys.iter().any(|k| k == "nodes"));
    }

    /// A flow whose every config parses but that has an error is not analyzed: there is
    /// no `AnalyzedFlow` to lower (on the tape path and on the `Value` path alike).
    #[test]
    fn a_flow_with_an_error_is_not_analyzed_though_its_configs_parse() {
        let text = include_str!("../../examples/customer-support.flow.json");
        let mut doc: Value = serde_json::from_str(text).unwrap();
        let first = doc["nodes"][0]["id"].clone();
        doc["edges"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({
                "id": "e_dangling", "type": "sequential",
                "source": {"node": first, "port": "out"},
                "target": {"node": "no_such_node", "port": "in"}
            }));
        let text = serde_json::to_string(&doc).unwrap();
        let (fast, _) = analyze_text(&text);
        let slow = analyze_value(&doc);
        for outcome in [fast, slow] {
            assert!(outcome.has_errors(), "{:#?}", outcome.diagnostics);
            assert!(outcome.analyzed.is_none());
        }
        // The example itself is analyzed (what the edge changes is the error alone).
        assert!(
            analyze_text(include_str!("../../examples/customer-support.flow.json"))
                .0
                .analyzed
                .is_some()
        );
    }

    /// The model's short names (up to 24 bytes) are held inline, on the tape path and on
    /// the `Value` path: what the model's memory figures rest on (docs/performance.md,
    /// "Names inline, the graph in rows"). A conversion that kept a `String`'s buffer
    /// (`CompactString::from_string_buffer`) would put them back on the heap.
    #[test]
    fn short_names_take_no_heap_block() {
        let text = include_str!("../../examples/customer-support.flow.json");
        let doc = crate::load::parse_json(text).unwrap();
        let by_tape = analyze_valid(text).and_then(|o| o.analyzed).unwrap().flow;
        for flow in [by_tape, Flow::deserialize_from(&doc).unwrap()] {
            let mut names: Vec<&Name> = Vec::new();
            for n in &flow.nodes {
                names.extend([&n.id, &n.label]);
                for p in n.inputs.iter().chain(&n.outputs).flatten() {
                    names.push(&p.id);
                    names.extend(p.label.iter().chain(&p.ty));
                }
            }
            for e in &flow.edges {
                names.extend([&e.id, &e.source.node, &e.source.port]);
                names.extend([&e.target.node, &e.target.port]);
            }
            assert!(names.len() > 50, "{}", names.len());
            // (Up to 24 bytes fit: the size of a `String`.)
            let inline = std::mem::size_of::<Name>();
            let on_heap: Vec<_> = names
                .iter()
                .filter(|n| n.len() <= inline && n.is_heap_allocated())
                .collect();
            assert!(on_heap.is_empty(), "{on_heap:?}");
        }
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
