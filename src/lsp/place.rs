//! What the cursor is on, in a flow's terms: the one classification hover, go to
//! definition and completion share.

use std::ops::Range;

use super::index::{End, FlowIndex};
use super::syntax::{Id, Kind, Spot, Step};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// The `type` of node `node`.
    NodeKind { node: usize },
    /// The `id` of node `node`.
    NodeId { node: usize },
    /// The `type` of an edge.
    EdgeKind,
    /// The `node` of an edge's end.
    EdgeNode { edge: usize, end: End },
    /// The `port` of an edge's end.
    EdgePort { edge: usize, end: End },
    /// A key of node `node`'s config object `object`.
    ConfigKey {
        node: usize,
        object: Id,
        key: String,
    },
    /// Inside node `node`'s config object `object`, between its members.
    ConfigBody { node: usize, object: Id },
    /// A node's `llm_role` (`legacy`: its older name, `model`).
    Role { node: usize, legacy: bool },
    /// Any other string.
    Text,
}

/// A place, the span of the key or value it is, and the string there.
#[derive(Debug, Clone)]
pub struct At {
    pub place: Place,
    pub span: Range<usize>,
    pub value: String,
}

pub fn place_at(idx: &FlowIndex, text: &str, offset: usize) -> Option<At> {
    let tree = &idx.tree;
    let key = |s: &Step, want: &str| matches!(s, Step::Key(k) if k == want);
    match tree.spot(text, offset)? {
        Spot::Key { path, object, span } => match path.as_slice() {
            [n, Step::Index(i), c, Step::Key(k)] if key(n, "nodes") && key(c, "config") => {
                Some(At {
                    place: Place::ConfigKey {
                        node: *i,
                        object,
                        key: k.clone(),
                    },
                    value: k.clone(),
                    span,
                })
            }
            _ => None,
        },
        Spot::Value { path, id } => {
            let v = tree.get(id);
            let span = v.span.clone();
            if let Kind::Object(_) = v.kind {
                return match path.as_slice() {
                    [n, Step::Index(i), c] if key(n, "nodes") && key(c, "config") => {
                        // On the opening brace the cursor is before the object, not in it.
                        (offset > span.start).then(|| At {
                            place: Place::ConfigBody {
                                node: *i,
                                object: id,
                            },
                            span,
                            value: String::new(),
                        })
                    }
                    _ => None,
                };
            }
            let value = tree.string(text, id)?.into_owned();
            let place = match path.as_slice() {
                [n, Step::Index(i), t] if key(n, "nodes") && key(t, "type") => {
                    Place::NodeKind { node: *i }
                }
                [n, Step::Index(i), t] if key(n, "nodes") && key(t, "id") => {
                    Place::NodeId { node: *i }
                }
                [e, Step::Index(_), t] if key(e, "edges") && key(t, "type") => Place::EdgeKind,
                [e, Step::Index(i), end, what] if key(e, "edges") => {
                    let end = if key(end, "source") {
                        End::Source
                    } else if key(end, "target") {
                        End::Target
                    } else {
                        return Some(At {
                            place: Place::Text,
                            span,
                            value,
                        });
                    };
                    if key(what, "node") {
                        Place::EdgeNode { edge: *i, end }
                    } else if key(what, "port") {
                        Place::EdgePort { edge: *i, end }
                    } else {
                        Place::Text
                    }
                }
                [n, Step::Index(i), c, r]
                    if key(n, "nodes")
                        && key(c, "config")
                        && (key(r, "llm_role") || key(r, "model")) =>
                {
                    Place::Role {
                        node: *i,
                        legacy: key(r, "model"),
                    }
                }
                _ => Place::Text,
            };
            Some(At { place, span, value })
        }
    }
}
