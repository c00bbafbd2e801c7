//! Per-kind typed configs. Every documented key is typed; unknown keys are ignored here (they
//! stay in the verbatim `Node::config`).

use super::*;

/// A duration: `"30s"` style string or whole seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Duration {
    Text(String),
    Seconds(#[serde(deserialize_with = "whole::required")] u64),
}

/// JSON Schema's `integer` accepts any number with a zero fractional part (`20.0`); the
/// typed model accepts exactly what the schema accepts.
mod whole {
    use serde::{Deserialize, Deserializer, de::Error};
    use serde_json::Number;

    fn to_u64<E: Error>(n: Number) -> Result<u64, E> {
        if let Some(v) = n.as_u64() {
            return Ok(v);
        }
        match n.as_f64() {
            Some(f) if f >= 0.0 && f.fract() == 0.0 && f <= u64::MAX as f64 => Ok(f as u64),
            _ => Err(E::custom(format!(
                "expected a whole non-negative number, found {n}"
            ))),
        }
    }

    pub fn required<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        to_u64(Number::deserialize(d)?)
    }

    pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        Option::<Number>::deserialize(d)?.map(to_u64).transpose()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct EntryApiConfig {
    pub method: Option<String>,
    pub path: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct EntryWebhookConfig {
    pub method: Option<String>,
    pub path: Option<String>,
    /// Reserved upstream; always null.
    pub auth: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct EntryScheduleConfig {
    pub cron: Option<String>,
    pub timezone: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct LlmRigidConfig {
    pub template: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct LlmGuardedConfig {
    pub goal: Option<String>,
    pub llm_role: Option<String>,
    /// Legacy alias of `llm_role`.
    pub model: Option<String>,
    pub guard: Option<String>,
    pub validate: Option<Value>,
    pub output_schema: Option<Map<String, Value>>,
    pub input_bindings: Option<Map<String, Value>>,
    pub context_bindings: Option<Value>,
    pub guidance: Option<String>,
    pub constraints: Option<Value>,
    pub on_validation_failure: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct LlmFlexibleConfig {
    pub goal: Option<String>,
    pub llm_role: Option<String>,
    /// Legacy alias of `llm_role`.
    pub model: Option<String>,
    pub output_schema: Option<Map<String, Value>>,
    pub input_bindings: Option<Map<String, Value>>,
    pub context_bindings: Option<Value>,
    pub guidance: Option<String>,
    pub identity_ref: Option<bool>,
    pub constraints: Option<Value>,
    pub examples: Option<Vec<Value>>,
    pub on_failure: Option<Value>,
    pub budget: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct LogicDecisionConfig {
    /// A hint for readers (`if` / `match` by convention), kept verbatim.
    pub style: Option<String>,
    pub subject: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoopStyle {
    Foreach,
    While,
}

/// The condition a `while` loop without one is compiled with (`docs/flow-format.md`): it
/// runs `max_iterations` times.
pub const WHILE_DEFAULT_CONDITION: &str = "true";

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct LogicLoopConfig {
    pub style: Option<LoopStyle>,
    pub items: Option<String>,
    pub item: Option<String>,
    pub condition: Option<String>,
    #[serde(deserialize_with = "whole::optional")]
    pub max_iterations: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct LogicParallelConfig {
    #[serde(deserialize_with = "whole::optional")]
    pub max_concurrent: Option<u64>,
    pub fail_fast: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ToolPluginConfig {
    pub plugin: Option<String>,
    pub method: Option<String>,
    pub args: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ToolHttpConfig {
    pub method: Option<String>,
    pub url: Option<String>,
    pub headers: Option<Map<String, Value>>,
    pub body: Option<Value>,
    pub timeout: Option<Duration>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct DataVariableSetConfig {
    pub variable: Option<String>,
    pub value: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct CheckpointConfig {
    #[serde(rename = "type")]
    pub ty: Option<String>,
    pub prompt: Option<String>,
    pub options: Option<Vec<String>>,
    pub timeout: Option<Duration>,
    pub on_timeout: Option<String>,
    pub breakpoint: Option<bool>,
    pub assignee: Option<String>,
    pub priority: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct HitlDecisionConfig {
    #[serde(rename = "type")]
    pub ty: Option<String>,
    pub prompt: Option<String>,
    pub timeout: Option<Duration>,
    pub on_timeout: Option<String>,
    pub options: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct HitlReviewConfig {
    pub scope: Option<String>,
    pub queue: Option<String>,
    /// ScaiQueue's list of typed sections, or an object keyed by section type.
    pub sections: Option<Value>,
    pub assignee: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct QueuePublishConfig {
    pub queue: Option<String>,
    pub message_type: Option<String>,
    pub payload: Option<Value>,
    pub scope: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct QueueConsumeConfig {
    pub queue: Option<String>,
    pub scope: Option<String>,
    pub timeout: Option<Duration>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct QueueEscalationConfig {
    pub queue: Option<String>,
    pub scope: Option<String>,
    pub reason: Option<String>,
    pub priority: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ComputeProvisionConfig {
    pub image: Option<String>,
    pub lifecycle: Option<String>,
    #[serde(deserialize_with = "whole::optional")]
    pub cpu: Option<u64>,
    #[serde(deserialize_with = "whole::optional")]
    pub memory: Option<u64>,
    pub network: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ComputeExecConfig {
    pub command: Option<Vec<String>>,
    pub timeout_s: Option<Number>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ComputeFileUploadConfig {
    pub path: Option<String>,
    pub content: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ComputeFileDownloadConfig {
    pub path: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ComputeDestroyConfig {}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct SubflowCallConfig {
    pub target: Option<String>,
    pub flow_name: Option<String>,
    pub input_bindings: Option<Map<String, Value>>,
    pub instance_key: Option<String>,
    pub version: Option<String>,
    pub timeout: Option<Duration>,
    pub is_async: Option<bool>,
}

/// A node's config, typed by its kind.
///
/// Each payload is boxed: the typed configs differ in size from 0 to 560 bytes (the LLM
/// kinds' optional `Value`s), and unboxed every node's entry of a list of typed configs
/// took the largest size: 5.6 MB of a 10,000-node flow, every page of it touched, when
/// analysis kept that list (docs/performance.md, "Two cores for one flow").
#[derive(Debug, Clone, PartialEq)]
pub enum NodeConfig {
    EntryApi(Box<EntryApiConfig>),
    EntryWebhook(Box<EntryWebhookConfig>),
    EntrySchedule(Box<EntryScheduleConfig>),
    LlmRigid(Box<LlmRigidConfig>),
    LlmGuarded(Box<LlmGuardedConfig>),
    LlmFlexible(Box<LlmFlexibleConfig>),
    LogicDecision(Box<LogicDecisionConfig>),
    LogicLoop(Box<LogicLoopConfig>),
    LogicParallel(Box<LogicParallelConfig>),
    ToolPlugin(Box<ToolPluginConfig>),
    ToolHttp(Box<ToolHttpConfig>),
    DataVariableSet(Box<DataVariableSetConfig>),
    Checkpoint(Box<CheckpointConfig>),
    HitlDecision(Box<HitlDecisionConfig>),
    HitlReview(Box<HitlReviewConfig>),
    QueuePublish(Box<QueuePublishConfig>),
    QueueConsume(Box<QueueConsumeConfig>),
    QueueEscalation(Box<QueueEscalationConfig>),
    ComputeProvision(Box<ComputeProvisionConfig>),
    ComputeExec(Box<ComputeExecConfig>),
    ComputeFileUpload(Box<ComputeFileUploadConfig>),
    ComputeFileDownload(Box<ComputeFileDownloadConfig>),
    ComputeDestroy(Box<ComputeDestroyConfig>),
    SubflowCall(Box<SubflowCallConfig>),
}

impl NodeConfig {
    /// Parses a raw config map as the given kind's config.
    pub fn parse(
        kind: NodeKind,
        raw: &Map<String, Value>,
    ) -> Result<NodeConfig, serde_json::Error> {
        // (From the borrowed map: `from_value` would need an owned copy of it.)
        fn de<T: serde::de::DeserializeOwned>(
            raw: &Map<String, Value>,
        ) -> Result<T, serde_json::Error> {
            T::deserialize(raw)
        }
        Ok(match kind {
            NodeKind::EntryApi => NodeConfig::EntryApi(de(raw)?),
            NodeKind::EntryWebhook => NodeConfig::EntryWebhook(de(raw)?),
            NodeKind::EntrySchedule => NodeConfig::EntrySchedule(de(raw)?),
            NodeKind::LlmRigid => NodeConfig::LlmRigid(de(raw)?),
            NodeKind::LlmGuarded => NodeConfig::LlmGuarded(de(raw)?),
            NodeKind::LlmFlexible => NodeConfig::LlmFlexible(de(raw)?),
            NodeKind::LogicDecision => NodeConfig::LogicDecision(de(raw)?),
            NodeKind::LogicLoop => NodeConfig::LogicLoop(de(raw)?),
            NodeKind::LogicParallel => NodeConfig::LogicParallel(de(raw)?),
            NodeKind::ToolPlugin => NodeConfig::ToolPlugin(de(raw)?),
            NodeKind::ToolHttp => NodeConfig::ToolHttp(de(raw)?),
            NodeKind::DataVariableSet => NodeConfig::DataVariableSet(de(raw)?),
            NodeKind::Checkpoint => NodeConfig::Checkpoint(de(raw)?),
            NodeKind::HitlDecision => NodeConfig::HitlDecision(de(raw)?),
            NodeKind::HitlReview => NodeConfig::HitlReview(de(raw)?),
            NodeKind::QueuePublish => NodeConfig::QueuePublish(de(raw)?),
            NodeKind::QueueConsume => NodeConfig::QueueConsume(de(raw)?),
            NodeKind::QueueEscalation => NodeConfig::QueueEscalation(de(raw)?),
            NodeKind::ComputeProvision => NodeConfig::ComputeProvision(de(raw)?),
            NodeKind::ComputeExec => NodeConfig::ComputeExec(de(raw)?),
            NodeKind::ComputeFileUpload => NodeConfig::ComputeFileUpload(de(raw)?),
            NodeKind::ComputeFileDownload => NodeConfig::ComputeFileDownload(de(raw)?),
            NodeKind::ComputeDestroy => {
                NodeConfig::ComputeDestroy(Box::new(ComputeDestroyConfig {}))
            }
            NodeKind::SubflowCall => NodeConfig::SubflowCall(de(raw)?),
        })
    }
}
