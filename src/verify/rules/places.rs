//! Where each block of an IR sits: the table a duplicate binding's message is written
//! from, built once, at the first duplicate.

use serde_json::Value;

use super::items;
use crate::diagnostics::JsonPath;
use crate::hash::{HashMap, HashMapExt};

/// The keys under which a block holds a list of blocks (the rules' walk follows these
/// too).
pub(super) const BODIES: [&str; 3] = ["body", "otherwise", "catch"];
/// The keys under which a block holds arms or branches, each with a `body` of blocks.
pub(super) const ARMS: [&str; 2] = ["arms", "branches"];

/// The step from a block's parent (or from the IR's root) to the block.
#[derive(Debug, Clone, Copy)]
enum Hop {
    /// `flows[flow].body[i]`.
    Top { flow: usize, i: usize },
    /// `.key[i]` of the parent.
    Body { key: &'static str, i: usize },
    /// `.key[arm].body[i]` of the parent.
    Arm {
        key: &'static str,
        arm: usize,
        i: usize,
    },
}

/// Every block that the rules' walk can reach, by address, each linked to its parent:
/// linear in the blocks, whatever their depth, and nothing for values that are not blocks
/// (user data may hold any key).
pub(super) struct BlockPlaces {
    by_address: HashMap<*const Value, usize>,
    /// Parent (an index here, `None` at the top) and the step from it.
    hops: Vec<(Option<usize>, Hop)>,
}

impl BlockPlaces {
    /// One walk over the blocks of `ir`'s flows and of every block's bodies and arms.
    pub(super) fn new(ir: &Value) -> Self {
        let mut t = BlockPlaces {
            by_address: HashMap::new(),
            hops: Vec::new(),
        };
        let mut todo: Vec<(&Value, usize)> = Vec::new();
        for (flow, f) in items(ir, "flows").enumerate() {
            if let Some(body) = f.get("body").and_then(Value::as_array) {
                for (i, b) in body.iter().enumerate() {
                    todo.push((b, t.add(b, None, Hop::Top { flow, i })));
                }
            }
        }
        while let Some((block, at)) = todo.pop() {
            for key in BODIES {
                for (i, b) in items(block, key).enumerate() {
                    todo.push((b, t.add(b, Some(at), Hop::Body { key, i })));
                }
            }
            for key in ARMS {
                for (arm, a) in items(block, key).enumerate() {
                    for (i, b) in items(a, "body").enumerate() {
                        todo.push((b, t.add(b, Some(at), Hop::Arm { key, arm, i })));
                    }
                }
            }
        }
        t
    }

    fn add(&mut self, block: &Value, parent: Option<usize>, hop: Hop) -> usize {
        let at = self.hops.len();
        self.hops.push((parent, hop));
        self.by_address.insert(std::ptr::from_ref(block), at);
        at
    }

    /// The path of `block`, if it is one of the IR's blocks.
    pub(super) fn path(&self, block: &Value) -> Option<JsonPath> {
        let mut at = Some(*self.by_address.get(&std::ptr::from_ref(block))?);
        let mut hops = Vec::new();
        while let Some(i) = at {
            let (parent, hop) = self.hops[i];
            hops.push(hop);
            at = parent;
        }
        let mut path = JsonPath::root();
        for hop in hops.into_iter().rev() {
            path = match hop {
                Hop::Top { flow, i } => path.key("flows").index(flow).key("body").index(i),
                Hop::Body { key, i } => path.key(key).index(i),
                Hop::Arm { key, arm, i } => path.key(key).index(arm).key("body").index(i),
            };
        }
        Some(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks under every kind of body and arm get their paths; a value in user data,
    /// whatever its keys, is no block.
    #[test]
    fn blocks_are_found_where_the_rules_walk_them() {
        let ir = serde_json::json!({"flows": [
            {"body": []},
            {"body": [
                {"kind": "rigid", "statements": [
                    {"kind": "plugin_call", "args": {"x": [{"result_binding": "a"}]}},
                ]},
                {"kind": "try", "body": [{"kind": "rigid"}], "catch": [
                    {"kind": "match", "arms": [{"body": []}, {"body": [
                        {"kind": "while", "otherwise": [{"kind": "rigid"}]},
                    ]}]},
                ]},
            ]},
        ]});
        let places = BlockPlaces::new(&ir);
        let at = |v: &Value| places.path(v).map(|p| p.to_string());
        let body = &ir["flows"][1]["body"];
        assert_eq!(at(&body[0]).as_deref(), Some("flows[1].body[0]"));
        assert_eq!(
            at(&body[1]["body"][0]).as_deref(),
            Some("flows[1].body[1].body[0]")
        );
        let inner = &body[1]["catch"][0]["arms"][1]["body"][0];
        assert_eq!(
            at(inner).as_deref(),
            Some("flows[1].body[1].catch[0].arms[1].body[0]")
        );
        assert_eq!(
            at(&inner["otherwise"][0]).as_deref(),
            Some("flows[1].body[1].catch[0].arms[1].body[0].otherwise[0]")
        );
        let user_data = &body[0]["statements"][0]["args"]["x"][0];
        assert_eq!(at(user_data), None);
        assert_eq!(at(&body[0]["statements"][0]), None);
        assert_eq!(places.hops.len(), 6);
    }
}
