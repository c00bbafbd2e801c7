//! Node positions: the record's `node_position` (scaiflow's refinement) when it is
//! `{x: number, y: number}`, else auto-layout — one column at `x = 0`, from `y = 0` down,
//! `LAYOUT_STEP` apart, by the node's place in step order (entries first, then the steps
//! as the manifest lists them, depth-first, then detached nodes).

use std::borrow::Cow;

use serde_json::{Value, json};

use super::LAYOUT_STEP;
use super::meta::NodeRec;

/// Whether a value is a position the v2 schema accepts.
fn is_position(v: &Value) -> bool {
    v.as_object().is_some_and(|m| {
        m.len() == 2
            && m.get("x").is_some_and(Value::is_number)
            && m.get("y").is_some_and(Value::is_number)
    })
}

/// The position of the node found `index`-th in step order.
pub(super) fn position<'v>(node: &NodeRec<'v>, index: usize) -> Cow<'v, Value> {
    match node.position {
        Some(p) if is_position(p) => Cow::Borrowed(p),
        _ => Cow::Owned(json!({"x": 0, "y": LAYOUT_STEP * index as u64})),
    }
}
