//! The checks of each node and of the flow's declarations: the model registry,
//! variables, config keys, per-kind rules, plugin signatures, roles, queues, scopes and
//! result bindings.

use super::*;

impl Cx<'_> {
    pub(super) fn check_models(&mut self) {
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

    pub(super) fn check_variables(&mut self) {
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

    pub(super) fn check_node(&mut self, i: usize, cfg: &NodeConfig) {
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
                    let plugin_name = Self::plugin_identity(self.flow, alias);
                    let args: Vec<&str> = c
                        .args
                        .as_ref()
                        .map(|a| a.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    let has_args = c.args.is_some();
                    // (The paths are built only for a diagnostic: this runs for every
                    // plugin call of the flow.)
                    self.check_signature(
                        i,
                        plugin_name,
                        method,
                        &args,
                        || {
                            let at = config_path(i);
                            (if has_args { at.key("args") } else { at }, Focus::Key)
                        },
                        || config_path(i).key("method"),
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
                    // (Compute nodes are few: their anchor is built up front.)
                    let args_at = self.config_anchor(i);
                    let method_at = args_at.0.clone();
                    self.check_signature(
                        i,
                        plugins::SCAIBUNKER.name,
                        m.name,
                        &args,
                        || args_at.clone(),
                        || method_at,
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
    fn plugin_identity<'s>(flow: &'s Flow, alias: &'s str) -> &'s str {
        flow.config
            .as_ref()
            .and_then(|c| c.plugins.as_ref())
            .and_then(|ps| ps.iter().find(|p| p.alias == alias))
            .and_then(|p| p.package_name())
            .unwrap_or(alias)
    }

    /// A plugin call's method and required args against the documented signature;
    /// `args_at` and `method_at` give where a diagnostic points.
    fn check_signature(
        &mut self,
        i: usize,
        plugin: &str,
        method: &str,
        args: &[&str],
        args_at: impl Fn() -> (JsonPath, Focus),
        method_at: impl FnOnce() -> JsonPath,
    ) {
        let Some(p) = plugins::documented(plugin) else {
            return;
        };
        let flow = self.flow;
        let node_id = &flow.nodes[i].id;
        match p.method(method) {
            Some(m) => {
                let mut anchor = None;
                for req in m.required {
                    if !args.contains(req) {
                        let (at, focus) = anchor.get_or_insert_with(&args_at).clone();
                        self.push(
                            Diagnostic::new(
                                Code::MissingPluginArg,
                                format!(
                                    "plugin call '{plugin}.{method}': missing required arg '{req}'"
                                ),
                            )
                            .at(at)
                            .focus(focus)
                            .node(node_id)
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
                    .at(method_at())
                    .node(node_id)
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
    pub(super) fn check_bindings(&mut self) -> Vec<Option<String>> {
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
