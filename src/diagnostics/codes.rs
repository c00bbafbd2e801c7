//! The registry of diagnostic codes: one stable code per kind of problem.
//!
//! Codes are grouped by the stage that raises them (see `docs/diagnostics.md`):
//! `SF0xx` reading the input, `SF1xx` JSON syntax and schema, `SF2xx` graph structure,
//! `SF3xx` semantics, `SF5xx` import (YAML manifests), `SF6xx` artifacts on disk (`compile
//! --check`), `E4xx` the IR verifier (ScaiCore's own verifier codes where upstream
//! documents them: E400, E402, E405; ours from E410). A code never changes meaning once
//! published.

use super::Severity;

/// One entry of the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeInfo {
    pub code: Code,
    pub severity: Severity,
    pub title: &'static str,
    /// Long explanation shown by `scaiflow explain CODE`: why it is a problem, an example, the fix.
    pub explanation: &'static str,
}

macro_rules! codes {
    ($( $variant:ident = $code:literal, $sev:ident, $title:literal, $expl:literal; )*) => {
        /// A stable diagnostic code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $( $variant, )* }

        /// Every code, in registry order.
        pub const ALL: &[CodeInfo] = &[
            $( CodeInfo { code: Code::$variant, severity: Severity::$sev, title: $title, explanation: $expl }, )*
        ];

        impl Code {
            /// The code as printed, e.g. `SF204`.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $code, )* }
            }
        }
    };
}

codes! {
    Io = "SF001", Error, "the input could not be read",
"The file named on the command line could not be opened or read: it does not exist, it is a
directory, or permissions forbid reading it. scaiflow exits with status 2 (it could not run).

Fix: check the path. Use `-` to read the flow from standard input.";

    TooLarge = "SF002", Error, "the input is too large",
"Flow files larger than 16 MiB are refused before they are read into memory (manifests:
64 MiB). A canvas flow is normally a few kilobytes; a file this size is almost certainly
not a flow (or is a flow with embedded data that belongs elsewhere).

Fix: move large payloads (documents, examples, fixtures) out of the flow and reference them.
For a flow that really is this large, `--max-input-size 100MiB` (any command) raises the
limit, and the limits of what compile writes with it (docs/limits.md).";

    InvalidUtf8 = "SF003", Error, "the input is not valid UTF-8",
"JSON text must be UTF-8 encoded. The diagnostic points at the first byte that is not.

Fix: re-save the file as UTF-8 (most editors: \"Save with encoding\").";

    OutputTooLarge = "SF004", Error, "the output would be too large to read back",
"Whatever scaiflow writes, its own readers must read (`docs/limits.md`): a manifest is
refused when it would exceed what `scaiflow import` reads (64 MiB), an IR bundle when it
would hold more values than `scaiflow verify` / `inspect` decode (2,000,000, keys
included). A manifest grows with nesting (YAML indents each level), so a flow well under
the 16 MiB input limit can reach it. Nothing is written.

Fix: split the flow (sub-flows), or flatten deeply nested loops and decisions.";

    JsonSyntax = "SF100", Error, "invalid JSON syntax",
"The file is not well-formed JSON. The diagnostic points at the line and column where the JSON
parser gave up; the real mistake is often just before it (a missing comma, a trailing comma,
an unclosed string or bracket). Comments are not allowed in JSON.

Example:
    { \"id\": \"flow_1\", \"name\": \"Demo\", }     <- trailing comma

Fix: correct the syntax at or just before the reported position.";

    DuplicateKey = "SF101", Error, "duplicate key in a JSON object",
"The same key appears twice in one JSON object. JSON parsers disagree on which value wins
(the first, the last, or an error), so a flow with duplicate keys could mean different things
to the canvas, to scaiflow and to ScaiCore. scaiflow refuses it.

Example:
    { \"label\": \"Classify\", \"label\": \"Classify intent\" }

Fix: keep exactly one of the two entries.";

    TooDeep = "SF102", Error, "JSON nesting is too deep",
"The document nests arrays/objects more than 127 levels deep. No flow needs this; the limit
protects the compiler (and ScaiCore) from stack exhaustion on hostile input.

Fix: flatten the offending value.";

    NotAnObject = "SF103", Error, "the flow is not a JSON object",
"A flow document is a JSON object with `id`, `name`, `version`, `nodes`, `edges` and so on.
The file holds some other JSON value (an array, a string, a number, ...).

Fix: make the top level an object: { \"id\": ..., \"name\": ..., \"version\": \"1.0.0\", \"nodes\": [], \"edges\": [] }.";

    InexactInteger = "SF104", Error, "an integer is too large to be represented exactly",
"JSON numbers are read as 64-bit integers when they fit, and as 64-bit floats otherwise. An
integer literal beyond the 64-bit range whose digits a float cannot hold exactly would be
silently changed (123456789012345678901234567890 would become 123456789012345677877719597056),
so it is refused. Integers a float holds exactly (like 100000000000000000000, which is how
a JavaScript canvas writes 1e20) are accepted and kept as that float.

Example:
    \"account\": 123456789012345678901234567890

Fix: write the value as a string (\"123456789012345678901234567890\"), or as a float if the
precision does not matter.";

    MissingProperty = "SF110", Error, "a required property is missing",
"The v2 flow schema requires this property at this place. The diagnostic points at the object
that lacks it.

Example: a node without `position`:
    { \"id\": \"node_a\", \"type\": \"llm_rigid\", \"label\": \"A\" }

Fix: add the property (see schemas/flow.v2.schema.json for its shape).";

    WrongType = "SF111", Error, "a value has the wrong JSON type",
"The v2 flow schema expects a different JSON type here (for example a number where a string
was given, or an object where an array was given).

Example:
    \"temperature\": \"0.5\"     <- a string; the schema wants a number

Fix: write the value with the expected type.";

    NotAllowed = "SF112", Error, "a value is not one of the allowed values",
"This field takes one of a closed set of values (an enum), and the given value is not one of
them. The message lists the allowed values.

Example:
    \"lifecycle\": \"temporary\"   <- allowed: ephemeral, session, persistent, appliance

Fix: use one of the listed values.";

    UnknownNodeKind = "SF113", Error, "unknown node kind",
"The node kind list is closed: 24 kinds in 9 categories. Each kind maps to a specific ScaiCore
construct, and the compiler refuses to invent anything that does not exist upstream.

Example:
    \"type\": \"llm_flexibel\"    <- did you mean `llm_flexible`?

Fix: use one of the 24 kinds (see docs/flow-format.md).";

    OutOfRange = "SF114", Error, "a value is out of range",
"A number is below its minimum or above its maximum, or a string / array / object is shorter
or longer than allowed.

Example:
    \"temperature\": 3.0      <- temperature is 0.0 to 2.0

Fix: bring the value into the range the message gives.";

    PatternMismatch = "SF115", Error, "a string does not have the required form",
"The string must match a pattern: identifiers (`^[a-z_][a-zA-Z0-9_]*$`), model roles
(`^[a-z][a-z0-9_]*$`), semantic versions, durations (`30s`, `5m`, `1h`), entry paths
(`/...`), plugin packages (`vendor/name@version`) and queue slugs.

Example:
    \"role\": \"Primary\"   <- roles are lower case: `primary`

Fix: rewrite the string in the form the message gives.";

    UnknownProperty = "SF116", Warning, "unknown property",
"The flow schema does not know this property here. The upstream loader accepts unknown keys
(canvas versions add their own), so it is not an error; it is ignored — not carried to any
output — and reported, because a typo in a key (`lable` for `label`, `edgse` for `edges`)
would otherwise be silently ignored and the flow would behave differently from what the
canvas shows. A typo of a required key also surfaces as the missing key (SF110). Node
`config` objects and `metadata` carry extra keys verbatim and are not reported here.

Fix: correct the spelling (the diagnostic suggests the closest known key) or remove the key.";

    ConditionMissing = "SF117", Error, "a conditional edge has no condition",
"An edge of type `conditional` transfers control only when its `condition` is truthy in the
source's scope. Without a condition it means nothing.

Example:
    { \"id\": \"edge_3\", \"type\": \"conditional\", \"source\": {...}, \"target\": {...} }

Fix: add a condition (\"intent == 'refund'\"), use \"true\" for a fallthrough arm, or make the
edge `sequential`.";

    UnknownConfigKey = "SF118", Warning, "config key looks like a typo",
"A node's `config` has a key its kind does not document, close to one it does (`gaurd` for
`guard`, `timeout` for `compute_exec`'s `timeout_s`). Extra config keys are allowed and
carried verbatim, so a typo would otherwise be ignored silently and the documented key would
take its default. Keys that are not close to a documented key are not reported.

Fix: rename the key to the documented one.";

    SchemaViolation = "SF119", Error, "the flow violates the v2 schema",
"A schema rule not covered by a more specific code failed (for example `uniqueItems`). The
message says which rule.

Fix: see schemas/flow.v2.schema.json for the expected shape.";

    DuplicateNodeId = "SF200", Error, "duplicate node id",
"Two nodes have the same `id`. Edges, meta records and round-trips identify nodes by id, so
ids must be unique within a flow.

Fix: give one of the nodes a new id (and update the edges that meant it).";

    DuplicateEdgeId = "SF201", Error, "duplicate edge id",
"Two edges have the same `id`. Diagnostics and round-trips identify edges by id.

Fix: give one of the edges a new id.";

    DuplicatePortId = "SF202", Error, "duplicate port id",
"A node declares two input ports (or two output ports) with the same `id`; an edge naming
that port would be ambiguous.

Fix: rename one of the ports.";

    DanglingEdge = "SF203", Error, "an edge references a node that does not exist",
"The edge's `source.node` or `target.node` names no node of the flow. This usually follows a
node deletion or a typo in a hand-edited file.

Example:
    \"target\": { \"node\": \"node_reveiw\", \"port\": \"in\" }   <- did you mean `node_review`?

Fix: point the edge at an existing node, or delete the edge.";

    MissingOutputPort = "SF204", Error, "the source node has no such output port",
"The edge leaves from a port the source node does not have. When a node declares no
`outputs`, its kind's default output ports apply (`out`; `out_request`, `out_event`,
`out_tick` for entries; `body` and `done` for loops).

Example:
    edge 'edge_xyz': source node 'node_abc' has no output port 'out_typo'

Fix: use one of the node's output ports (the diagnostic lists them).";

    MissingInputPort = "SF205", Error, "the target node has no such input port",
"The edge arrives at a port the target node does not have. When a node declares no `inputs`,
its kind's default input port `in` applies; entry nodes have no inputs at all.

Example:
    edge 'edge_xyz': target node 'node_abc' has no input port 'in_typo'

Fix: use one of the node's input ports (the diagnostic lists them).";

    NoEntry = "SF206", Error, "the flow has no entry-point node",
"A flow starts at a trigger: at least one `entry_api`, `entry_webhook` or `entry_schedule`
node. Without one, nothing can ever run it.

Fix: add an entry node and connect it to the first step.";

    Cycle = "SF207", Error, "control cycle",
"Sequential and conditional edges must form a directed acyclic graph: ScaiCore flows are
structured programs, and repetition is expressed with a `logic_loop` node (`foreach` or
`while` with `max_iterations`), never with an edge back to an earlier node. The message gives
one witness path per cycle.

Example:
    cycle detected: node_a -> node_b -> node_a

Fix: replace the back edge with a logic_loop whose `body` port leads to the repeated steps.";

    SelfLoop = "SF208", Error, "an edge connects a node to itself",
"A node cannot be its own successor or its own data source.

Fix: delete the edge; to repeat a step, use a logic_loop.";

    EdgeIntoEntry = "SF209", Error, "an edge leads into an entry node",
"Entry nodes are triggers: the runtime starts them, nothing else does. They have no input
ports, and no edge may target them.

Fix: target the first step after the entry instead.";

    Unreachable = "SF210", Warning, "node is unreachable from every entry",
"No path of sequential or conditional edges leads from any entry node to this node, so it can
never run. It is kept in the flow (and in round-trips) but compiles to nothing.

Fix: connect it, or delete it.";

    UnusedOutputPort = "SF211", Warning, "unused output port",
"A node explicitly declares an output port that no edge leaves from, while other edges do
leave the node. Usually a branch was forgotten. Nodes with no outgoing edges at all are the
ends of the flow and are not reported, nor are a kind's default ports.

Example:
    node 'node_review' has an unused output port 'out_aux'

Fix: connect the port or remove it from `outputs`.";

    DataOrder = "SF212", Error, "a data edge's source does not run before its target",
"A `data` edge is a pure data dependency: the target reads the source's result. That is only
sound when the source has finished before the target starts on every execution. A source
inside one decision arm or a loop body is not guaranteed to have run after the merge or the
loop; a source inside one branch of a logic_parallel has run once all branches join (the
join waits for every branch), but not in a sibling branch.

Fix: move the source before the branch, or route the value through a flow variable
(data_variable_set) that every path sets.";

    Unstructured = "SF213", Error, "the graph has no structured form",
"scaiflow compiles a flow into structured ScaiCore blocks, placing every node once, under
exactly the decision arms that lead to it (docs/lowering.md). Some graphs have no such
program: a node reached from two decisions that are not nested (it would have to sit in an
arm of each), or a node reached after some arms of a decision but not after an arm tried
between them (arms are tried in declaration order, the fallthrough last), so that no
sequence of nested decisions runs it exactly when the graph does. scaiflow refuses such a
graph instead of compiling something that behaves differently; the message names the node,
the edges and the conditions involved.

Example: decision D -x-> A -> J, D -y-> B -> J, and also E -z-> J for a second decision E
beside D: J runs when D takes x or y, or when E takes z.

Fix: let the paths meet at one decision's join first (nest the second decision inside an arm
of the first), declare an arm that leads elsewhere before the arms that lead to the node, or
give each path its own node.";

    LoopBodyEscapes = "SF214", Error, "a loop body is not closed",
"A logic_loop's body is the region hanging from its `body` port; it runs once per item (or
per iteration) and must end inside the loop. An edge from the body to a step that comes after
the loop (reachable from the loop's `done` port) would leave the loop in the middle of an
iteration; an edge from outside into the body would run part of the body outside the loop.

Fix: end the body region without that edge, and connect the step after the loop to `done`;
lead into the body only through the loop's `body` port.";

    AmbiguousFallthrough = "SF215", Error, "a decision has several fallthrough arms",
"A decision's fallthrough (else) arm is its sequential edge, or its conditional edge with the
condition \"true\". With more than one, it is unclear which runs when no condition holds.

Fix: keep one fallthrough edge; give the others real conditions.";

    NestingTooDeep = "SF216", Error, "blocks are nested too deeply",
"Decisions, parallel blocks and loops may nest at most 200 levels deep. No flow drawn on a
canvas comes near this; the bound keeps the compiler (and ScaiCore's tree-walking evaluator)
safe from hostile input.

Fix: flatten the flow, e.g. a chain of decisions whose arms re-converge instead of nesting.";

    UnstructuredCondition = "SF217", Error, "a condition cannot be honoured here",
"An edge condition must decide whether its target runs. scaiflow refuses, rather than drop a
condition, where the structured program cannot express it:
- a conditional edge out of a logic_parallel (a branch always runs) or a logic_loop port;
- a decision without a fallthrough arm whose arms meet again: when no condition holds, the
  flow stops at the decision, but the step where the arms meet would run after any arm.

Fix: put a logic_decision at the start of the branch (or after the loop), or add a
fallthrough edge (a sequential edge, or the condition \"true\") to the decision.";

    LoweringMismatch = "SF290", Error, "internal error: the structured flow does not match the graph",
"After structuring, scaiflow re-derives from the structured program alone when and in which
order each node runs, and compares that with the graph (docs/semantics.md). A mismatch is a
bug in scaiflow, not in your flow: nothing is written, and scaiflow exits with status 2 so
that CI does not mistake it for a problem in the flow.

Fix: please report it with the flow attached; the message says which node or edge differs.";

    UndeclaredRole = "SF300", Error, "LLM role is not declared",
"`llm_role` (or its legacy alias `model`) on an LLM node must name a role declared in
`config.core_identity.models`.

Example:
    llm_role validation failed: node 'node_xyz': llm_role='fastt' is not declared

Fix: use a declared role, or declare it: { \"role\": \"fast\", \"ref\": \"scaigrid\", \"model\": \"openai/gpt-4o-mini\" }.";

    WhileWithoutBound = "SF301", Error, "while loop missing max_iterations",
"A `while` loop must be bounded: ScaiCore refuses unbounded loops, so a `logic_loop` with
style `while` needs `max_iterations` (an integer >= 1).

Fix: add \"max_iterations\": 10 (or another bound) to the loop's config.";

    MissingPluginArg = "SF302", Error, "plugin call is missing a required argument",
"The plugin method's documented signature requires this argument. Checked for the plugins
whose methods are documented: `scaibunker.create/exec/write_file/read_file/destroy` (the
compute_* nodes) and `scaidrive.search(path, query)`.

Example:
    plugin call 'scaidrive.search': missing required arg 'path'

Fix: add the argument to the node's `args` (tool_plugin) or config (compute_* nodes).";

    UnknownPluginMethod = "SF303", Error, "unknown method of a documented plugin",
"The plugin's method set is documented and closed, and this method is not in it.

Fix: use one of the methods the diagnostic lists.";

    HitlReviewWithoutQueue = "SF304", Error, "hitl_review without queue",
"A `hitl_review` node publishes the review to a ScaiQueue queue; `queue` is required.

Fix: set config.queue to the slug of a queue (declare it under config.scaiqueue.queues).";

    DuplicateModelRole = "SF305", Error, "duplicate model role",
"Each model registry entry must have a unique `role`; LLM nodes select a model by role.

Fix: rename one of the roles.";

    BadSubflowTarget = "SF306", Error, "sub-flow target is not a core:// URI",
"`subflow_call.target` names the core to call as `core://{tenant_slug}/{slug}`.

Example:
    \"target\": \"https://grid.example/acme/parser\"   <- expected core://acme/parser

Fix: write the target as core://<tenant>/<core slug>.";

    BadCron = "SF307", Error, "invalid cron expression",
"`entry_schedule.cron` is a standard 5-field cron expression: minute (0-59), hour (0-23),
day of month (1-31), month (1-12 or JAN-DEC), day of week (0-7 or SUN-SAT, 0 and 7 are
Sunday). Each field is `*`, a value, a range `a-b`, a step `*/n` or `a-b/n`, or a comma list.

Example:
    \"cron\": \"0 25 * * *\"   <- hour 25 is out of range

Fix: correct the field the message names.";

    BindingCollision = "SF308", Error, "two nodes bind their result under the same name",
"A value-producing node binds its result under a name derived from its id: the id without a
leading `node_` (node_classify -> classify), sanitised into a ScaiCore identifier. Two nodes
whose ids map to the same name (`node_classify` and `classify`) would overwrite each other.

Fix: rename one of the nodes.";

    MissingConfig = "SF309", Error, "a required config key is missing",
"This node kind cannot be compiled without the named config key (for example an llm_rigid
node's `template`, a tool_plugin's `plugin` and `method`, a foreach loop's `items`).

Fix: set the key in the node's config.";

    NoModels = "SF310", Error, "LLM node but no model declared",
"The flow has LLM nodes, but `config.core_identity.models` declares no model for them to use.

Fix: declare at least one model; the first entry is the implicit primary.";

    UndeclaredVariable = "SF311", Error, "variable is not declared",
"A data_variable_set node assigns a flow variable that is not declared in the flow's
`variables` list. Flow variables are named state slots and must be declared with a type.

Fix: declare it: { \"name\": \"total\", \"type\": \"int\", \"default\": 0 }.";

    DuplicateVariable = "SF312", Error, "duplicate variable name",
"Two flow variables have the same name.

Fix: rename or remove one.";

    RoleAliasConflict = "SF313", Warning, "llm_role and legacy model disagree",
"An LLM node sets both `llm_role` and its legacy alias `model`, to different roles.
`llm_role` wins.

Fix: remove the legacy `model` key.";

    MissingScope = "SF314", Warning, "queue scope missing",
"Queue and hitl_review nodes route through a ScaiQueue scope: their own `scope`, or the flow's
`config.scaiqueue.scope`, which the compiler back-fills. With neither, the compiler writes
`scope: null`, as upstream does (its troubleshooting page shows deployed IR with
`hitl_target.scope = null`); a null scope leaves routing to the runtime's default.

Fix: set config.scaiqueue.scope on the flow (or scope on the node).";

    ConfigDefaulted = "SF315", Warning, "a config key is not set; the compiler uses a default",
"The docs do not require this key, so the flow compiles, but the compiler has to write
something in its place: a `while` loop without `condition` runs until `max_iterations`
(it is compiled with the condition \"true\"); an LLM node without `goal` is compiled with an
empty goal.

Fix: set the key if the default is not what you mean.";

    YamlSyntax = "SF500", Error, "invalid YAML",
"`scaiflow import` reads a YAML deploy manifest; the text is not valid YAML (or holds a key
twice in one mapping). The diagnostic points at the line and column the parser stopped at.

Fix: correct the YAML there.";

    YamlBudget = "SF501", Error, "the manifest is too costly to load",
"The manifest asks for more work than any deploy manifest needs: too many aliases or
anchors, alias expansion that multiplies events (a \"billion laughs\" bomb), or nesting
deeper than 1024 levels. Loading stops before it can exhaust memory or time.

Fix: write the manifest without anchor/alias tricks (scaiflow never emits any).";

    ManifestShape = "SF502", Error, "the manifest does not have the deploy-manifest shape",
"A manifest is a mapping with a `core` mapping; `core.flows` is a list of flows, each with a
`steps` list; `scaiflow_meta`, and each step's `meta`, are mappings. Something here has
another type.

Fix: restore the shape (compare with a manifest scaiflow compile writes).";

    ManifestEdited = "SF503", Warning, "an emitted manifest was edited by hand",
"The manifest was written by scaiflow compile, then edited: a step no longer matches what
its `meta` compiles to (or `scaiflow_meta.models` no longer matches the registry copy in
`scaiflow_meta.config`). Import rebuilds nodes from `meta`, the lossless record, so the
edit is not imported; the warning names the step.

Fix: make the change on the canvas (or in the flow JSON) and compile again.";

    UnknownSteps = "SF504", Warning, "steps kept verbatim, not mapped to nodes",
"Steps without `meta` were written by hand; import does not guess which node kind a step
is (not even for keywords like llm_turn), so each one is kept verbatim in
metadata.unknown_steps. A hand-written manifest's triggers become entry nodes; when it has
none, the flow has no entry node yet.

Fix: rebuild those steps as nodes on the canvas.";

    ImportDiffers = "SF505", Warning, "the imported canvas does not run what the manifest runs",
"A canvas has one set of edges for all its flows: flows that share a node share its
edges. When the manifest's flows run a shared node differently (one orders two steps the
other runs side by side, or one runs a step after it that the other does not run), the
edges import rebuilds from one flow act in the other too, so the imported canvas runs
something the manifest does not. Each such edge is reported; the canvas is the nearest one
can draw (without scaiflow's own records, edges are rebuilt from the step structure).

Fix: review the named edge on the canvas before compiling the imported flow; where the
flows must differ, give them their own nodes instead of sharing one.";

    StaleArtifact = "SF601", Error, "the compiled artifact is out of date",
"`scaiflow compile --check` compiled the flow in memory and the artifact on disk differs:
the flow was edited after the artifact was written, the artifact was edited by hand, or it
was written by another scaiflow version. What is deployed is the artifact, so a stale one
deploys something other than what the canvas drew. The message gives the first line (or,
for a binary bundle, the byte) that differs; `--diff` prints every change.

Example:
    $ scaiflow compile --check my.flow.json --message-format short
    my.flow.json: error[SF601]: 'my.yaml' is stale: it differs from what
    'my.flow.json' compiles to, from line 12

Fix: run the command in the help line (`scaiflow compile my.flow.json`) and commit the
result. Never edit a compiled artifact by hand: edit the flow and recompile.";

    MissingArtifact = "SF602", Error, "the compiled artifact is missing",
"`scaiflow compile --check` found no artifact where the flow's output belongs (the flow's
name with `.flow.json` replaced by `.yaml`, `.scir` or `.scai`, or the `--out` path). A
flow whose artifact was never committed cannot be deployed from the repository.

Fix: run the command in the help line (`scaiflow compile my.flow.json`) and commit the
new file.";

    FlowErrorsSummarized = "SF603", Error, "the flow does not compile (its errors summarized)",
"With `--summarize-invalid` (what the pre-commit hooks use next to `scaiflow validate`),
`compile` and `compile --check` report a flow that does not compile once, with its error
count and its first error, instead of repeating every error `scaiflow validate` already
reports for it. Nothing is written, and no artifact can be compared, until the flow
compiles.

Fix: run the command in the help line (`scaiflow validate my.flow.json`) to see every
error, fix them, then recompile.";

    NonDeterministicRigid = "E400", Error, "a non-deterministic operation inside rigid",
"A rigid block must replay identically from a serialized scope when a flow resumes after a
checkpoint, so its statements may not read the clock or draw random values. The verifier
looks for calls to now(), today(), random(), randint(), uuid() and uuid4() (also as
methods, like datetime.now()) in rigid expressions, assigned values and plugin-call
arguments.

Example (an llm_rigid template):
    \"template\": \"Report of {{ now() }}\"

Fix: take the value from the trigger input or a variable, or compute it in a flexible or
guarded block.";

    EntityKeyUnused = "E402", Error, "the entity key appears in no flow's input",
"An entity-mode core routes each request to the instance named by its entity key, read from
the flow's input. When no flow takes a parameter of that name, no request can be routed.

Example:
    \"instance\": {\"mode\": \"entity\", \"entity_key\": \"customer_id\"}
    and no flow lists a param named customer_id

Fix: add the parameter to the flow that handles the entity, or correct entity_key.";

    LlmInRigid = "E405", Error, "an LLM call inside rigid",
"Rigid blocks are deterministic templates and statements; a model call inside one could not
be replayed on resume. model_call, flexible and guarded belong in their own blocks.

Fix: move the call out of the rigid block into a flexible, guarded or model_call block.";

    MalformedBundle = "E410", Error, "the bundle cannot be decoded",
"A SCIR bundle is the 4 bytes SCIR followed by exactly one MessagePack value, the IR dict
(docs/scir.md). The bytes are not that: wrong magic, truncated, trailing bytes, a length
that claims more bytes than the file has, a type an IR dict never holds (binary, extension),
invalid UTF-8, non-string map keys, or nesting deeper than 1024 levels. The message gives
the byte offset.

Fix: rebuild the bundle with scaiflow compile --format ir, or check how it was transferred
(a text-mode copy corrupts binary files).";

    UnsupportedSchemaVersion = "E411", Error, "unsupported IR schema_version",
"The IR dict's schema_version says which IR shape it follows. This verifier knows
schema_version 1 only; another value (or none) means it cannot check the dict.

Fix: rebuild the bundle with this version of scaiflow.";

    UnknownBlockKind = "E412", Error, "unknown block or statement kind",
"Every block has a kind among the 14 ScaiCore block kinds (rigid, flexible, guarded, parallel,
foreach, match, while, checkpoint, core_call, await_responses, try, budget, debug,
model_call), and every statement inside rigid a kind among expression, plugin_call, assign
and model_call.

Fix: use one of the known kinds.";

    IrShape = "E413", Error, "the IR dict does not match the IR schema",
"A field is missing, has the wrong type or an unknown name, according to
schemas/ir.schema.json (which docs/scir.md explains).

Fix: correct the field as the message says.";

    UnknownTargetFlow = "E414", Error, "a trigger targets a flow that does not exist",
"Every trigger names the flow it starts in target_flow; no flow of the module has that name.

Fix: name an existing flow.";

    IrUndeclaredRole = "E415", Error, "an llm_role is not a declared model role",
"flexible, guarded and model_call blocks pick their model by role; the role must be one of
the module's models.

Fix: declare the role in models, or use a declared one.";

    UndeclaredPlugin = "E416", Error, "a plugin call names an undeclared plugin",
"A plugin_call statement names its plugin by alias; the alias must be declared in plugins
(http, scaiqueue and scaibunker are built into the runtime and need no declaration).

Fix: declare the plugin, or correct the alias.";

    IrWhileWithoutBound = "E417", Error, "while loop missing max_iterations",
"A while block must say how many iterations it may run at most, so a condition that never
turns false cannot run forever.

Fix: set max_iterations.";

    HitlTargetIncomplete = "E418", Error, "hitl_target lacks scope or queue",
"A hitl_review checkpoint publishes to a ScaiQueue queue within a scope; a null or missing
scope or queue — or no hitl_target at all — breaks routing at run time.

Fix: set both (a compiled flow back-fills the scope from config.scaiqueue.scope).";

    CoreCallTarget = "E419", Error, "core_call target is not a core:// URI",
"A core_call block calls another core by URI, core://{tenant_slug}/{slug}.

Fix: write the target in that form.";

    BadBinding = "E420", Error, "result_binding is not a valid identifier",
"A result_binding names a variable in the flow's scope: an identifier [a-z_][A-Za-z0-9_]*
that is not a reserved word.

Fix: rename the binding.";

    DuplicateBinding = "E421", Error, "a result_binding is bound twice in a flow",
"Two blocks of one flow bind their results under the same name, or a block binds the name
of a flow parameter (input); the second would silently replace the first.

Fix: rename one binding.";

    DuplicateFlow = "E422", Error, "a name is declared twice",
"Flow names, model roles, plugin aliases and trigger names are how the rest of the module
refers to them, so each must be unique in its list.

Fix: rename or remove one of the two.";
}

impl Code {
    /// Looks a code up by its printed form (case-insensitive), e.g. for `scaiflow explain`.
    pub fn parse(s: &str) -> Option<Code> {
        ALL.iter()
            .find(|i| i.code.as_str().eq_ignore_ascii_case(s.trim()))
            .map(|i| i.code)
    }

    /// The registry entry for this code.
    pub fn info(self) -> &'static CodeInfo {
        // ALL lists every variant in declaration order.
        &ALL[self as usize]
    }

    pub fn default_severity(self) -> Severity {
        self.info().severity
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_ordered_and_unique() {
        for (i, info) in ALL.iter().enumerate() {
            assert_eq!(info.code as usize, i, "{} out of place", info.code);
        }
        let mut seen = std::collections::HashSet::new();
        for info in ALL {
            assert!(seen.insert(info.code.as_str()), "{} twice", info.code);
            assert!(Code::parse(info.code.as_str()) == Some(info.code));
            assert!(!info.explanation.is_empty());
        }
    }
}
