//! The manifest as a borrowing view: the data the YAML manifest holds, built from the
//! analyzed flow and the lowered core without copying them, and serialised on demand.
//!
//! Each value serialises with exactly the calls `serde_json::Value` makes for the same
//! data (`serialize_map(Some(len))` + entries, `serialize_seq(Some(len))` + elements,
//! `serialize_str`, `serialize_bool`, numbers through `serde_json::Number`), so the YAML
//! text is byte for byte what serialising the equivalent `Value` tree gives — without
//! building, and then dropping, that tree (docs/performance.md).

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

use crate::lower::core::Fields;
use crate::model::{Edge, Endpoint, Port, Position};

/// One value of the manifest.
pub(super) enum V<'a> {
    Str(&'a str),
    Bool(bool),
    Num(&'a serde_json::Number),
    /// A value of the flow, verbatim.
    Json(&'a Value),
    /// A value made for the manifest (per flow, never per node).
    Owned(Value),
    Map(Obj<'a>),
    Seq(Vec<V<'a>>),
    /// A list of strings of the flow.
    Strs(Vec<&'a str>),
    /// A map of the flow, verbatim.
    JsonMap(&'a serde_json::Map<String, Value>),
    /// A lowered step's fields, written as the map they stand for.
    Fields(&'a Fields<'a>),
    /// A value serialised when the manifest is written (steps, node records): built one
    /// at a time, so the whole manifest never exists at once.
    Lazy(Box<dyn Fn() -> V<'a> + 'a>),
    /// A node's canvas position `{x, y}`.
    Position(&'a Position),
    /// A node's ports, each `{id, label?, type?}`.
    Ports(&'a [Port]),
    /// The edges at these indices, each `{id, type, source: {node, port}, target: {node,
    /// port}, condition?}`.
    Edges(&'a [usize], &'a [Edge]),
}

// The flow's records (positions, ports, edges) are written field by field with the calls
// the `Obj` of the same entries makes, without building it: they were most of the view's
// allocations, about ten per node (docs/performance.md, "Two cores for one flow, fewer
// allocations").

/// A map of the present `fields`, in order: `Obj`'s calls for the same entries.
fn record<S: Serializer, const N: usize>(
    s: S,
    fields: [Option<(&str, V<'_>)>; N],
) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(fields.iter().flatten().count()))?;
    for (k, v) in fields.iter().flatten() {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

/// A sequence of `items`: `serialize_seq` with the exact length, then each element.
fn seq<S: Serializer, T: Serialize>(
    s: S,
    items: impl ExactSizeIterator<Item = T>,
) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(Some(items.len()))?;
    for x in items {
        seq.serialize_element(&x)?;
    }
    seq.end()
}

struct PortRecord<'a>(&'a Port);

impl Serialize for PortRecord<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = self.0;
        record(
            s,
            [
                Some(("id", V::Str(&p.id))),
                p.label.as_deref().map(|l| ("label", V::Str(l))),
                p.ty.as_deref().map(|t| ("type", V::Str(t))),
            ],
        )
    }
}

struct EndpointRecord<'a>(&'a Endpoint);

impl Serialize for EndpointRecord<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let e = self.0;
        record(
            s,
            [
                Some(("node", V::Str(&e.node))),
                Some(("port", V::Str(&e.port))),
            ],
        )
    }
}

struct EdgeRecord<'a>(&'a Edge);

impl Serialize for EdgeRecord<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let e = self.0;
        let mut map = s.serialize_map(Some(4 + usize::from(e.condition.is_some())))?;
        map.serialize_entry("id", &V::Str(&e.id))?;
        map.serialize_entry("type", &V::Str(e.kind.as_str()))?;
        map.serialize_entry("source", &EndpointRecord(&e.source))?;
        map.serialize_entry("target", &EndpointRecord(&e.target))?;
        if let Some(c) = &e.condition {
            map.serialize_entry("condition", &V::Str(c))?;
        }
        map.end()
    }
}

/// A map with `serde_json::Map`'s insertion semantics: inserting an existing key replaces
/// its value in place (the key keeps its first position).
#[derive(Default)]
pub(super) struct Obj<'a> {
    entries: Vec<(&'a str, V<'a>)>,
}

impl<'a> Obj<'a> {
    pub(super) fn new() -> Self {
        Obj {
            entries: Vec::new(),
        }
    }

    /// An empty map with room for `n` entries (a per-node map of known size grows once
    /// instead of twice).
    pub(super) fn with_capacity(n: usize) -> Self {
        Obj {
            entries: Vec::with_capacity(n),
        }
    }

    /// Inserts or replaces `key` (a scan: the manifest's own maps have a handful of keys;
    /// a flow's maps come in through [`Obj::extend_json_filtered`] and [`Obj::extend_fields`]).
    pub(super) fn insert(&mut self, key: &'a str, value: V<'a>) {
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    /// Inserts the entries of a flow's map (whose keys are distinct) that `keep` accepts:
    /// each key is looked up among the entries that were here before, so a map of n keys
    /// costs O(n) scans of those few entries, never O(n²).
    pub(super) fn extend_json_filtered(
        &mut self,
        map: &'a serde_json::Map<String, Value>,
        keep: impl Fn(&str) -> bool,
    ) {
        self.entries.reserve(map.len());
        self.extend_entries(
            map.iter()
                .filter(|(k, _)| keep(k))
                .map(|(k, v)| (k.as_str(), v)),
        );
    }

    /// [`Obj::extend_json_filtered`] for all of a lowered step's fields (whose keys are
    /// distinct too).
    pub(super) fn extend_fields(&mut self, fields: &'a Fields<'a>) {
        self.extend_entries(fields.iter());
    }

    fn extend_entries(&mut self, entries: impl Iterator<Item = (&'a str, &'a Value)>) {
        let before = self.entries.len();
        self.entries.reserve(entries.size_hint().0);
        for (k, v) in entries {
            match self.entries[..before].iter_mut().find(|(key, _)| *key == k) {
                Some(slot) => slot.1 = V::Json(v),
                None => self.entries.push((k, V::Json(v))),
            }
        }
    }

    /// Keeps the entries whose key `keep` accepts.
    pub(super) fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.entries.retain(|(k, _)| keep(k));
    }
}

impl<'a> From<Obj<'a>> for V<'a> {
    fn from(o: Obj<'a>) -> Self {
        V::Map(o)
    }
}

impl<'a> From<&'a str> for V<'a> {
    fn from(s: &'a str) -> Self {
        V::Str(s)
    }
}

impl<'a> From<&'a String> for V<'a> {
    fn from(s: &'a String) -> Self {
        V::Str(s)
    }
}

impl<'a> From<&'a crate::model::Name> for V<'a> {
    fn from(s: &'a crate::model::Name) -> Self {
        V::Str(s)
    }
}

impl Serialize for V<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            V::Str(x) => s.serialize_str(x),
            V::Bool(b) => s.serialize_bool(*b),
            V::Num(n) => n.serialize(s),
            V::Json(v) => v.serialize(s),
            V::Owned(v) => v.serialize(s),
            V::JsonMap(m) => m.serialize(s),
            V::Fields(f) => f.serialize(s),
            V::Map(o) => o.serialize(s),
            V::Seq(xs) => seq(s, xs.iter()),
            V::Strs(xs) => seq(s, xs.iter()),
            V::Lazy(f) => f().serialize(s),
            V::Position(p) => record(s, [Some(("x", V::Num(&p.x))), Some(("y", V::Num(&p.y)))]),
            V::Ports(ps) => seq(s, ps.iter().map(PortRecord)),
            V::Edges(at, edges) => seq(s, at.iter().map(|&i| EdgeRecord(&edges[i]))),
        }
    }
}

impl Serialize for Obj<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.entries.len()))?;
        for (k, v) in &self.entries {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn insert_replaces_in_place_like_serde_json_map() {
        let flow = json!({"b": 1, "a": 2, "c": 3});
        let map = flow.as_object().unwrap();
        let fields = Fields::of(map);
        let mut o = Obj::new();
        o.insert("a", V::Str("first"));
        o.insert("z", V::Str("zz"));
        o.extend_fields(&fields);
        o.insert("z", V::Bool(true));
        let mut want = serde_json::Map::new();
        want.insert("a".into(), "first".into());
        want.insert("z".into(), "zz".into());
        want.extend(map.clone());
        want.insert("z".into(), true.into());
        assert_eq!(serde_json::to_value(&o).unwrap(), Value::Object(want));
        assert_eq!(
            serde_json::to_string(&o).unwrap(),
            r#"{"a":2,"z":true,"b":1,"c":3}"#
        );
    }

    #[test]
    fn filtered_extend_and_retain() {
        let flow = json!({"type": "x", "cron": "* * * * *", "tz": "UTC"});
        let mut o = Obj::new();
        o.insert("type", V::Str("schedule"));
        o.extend_json_filtered(flow.as_object().unwrap(), |k| k != "type");
        assert_eq!(
            serde_json::to_string(&o).unwrap(),
            r#"{"type":"schedule","cron":"* * * * *","tz":"UTC"}"#
        );
        o.retain(|k| k != "cron");
        assert_eq!(
            serde_json::to_string(&o).unwrap(),
            r#"{"type":"schedule","tz":"UTC"}"#
        );
    }

    // The `Obj`s the record variants stand for (what `emit::yaml` built before them).
    fn position_obj(p: &Position) -> V<'_> {
        let mut m = Obj::new();
        m.insert("x", V::Num(&p.x));
        m.insert("y", V::Num(&p.y));
        m.into()
    }

    fn ports_obj(ps: &[Port]) -> V<'_> {
        V::Seq(
            ps.iter()
                .map(|p| {
                    let mut m = Obj::new();
                    m.insert("id", (&p.id).into());
                    if let Some(l) = &p.label {
                        m.insert("label", l.into());
                    }
                    if let Some(t) = &p.ty {
                        m.insert("type", t.into());
                    }
                    m.into()
                })
                .collect(),
        )
    }

    fn endpoint_obj(e: &Endpoint) -> V<'_> {
        let mut m = Obj::new();
        m.insert("node", (&e.node).into());
        m.insert("port", (&e.port).into());
        m.into()
    }

    fn edge_obj(e: &Edge) -> V<'_> {
        let mut m = Obj::new();
        m.insert("id", (&e.id).into());
        m.insert("type", e.kind.as_str().into());
        m.insert("source", endpoint_obj(&e.source));
        m.insert("target", endpoint_obj(&e.target));
        if let Some(c) = &e.condition {
            m.insert("condition", c.into());
        }
        m.into()
    }

    /// Each record variant writes what its `Obj` writes, through serde_json and through
    /// the YAML writer: labels and types present or not, conditions present or not,
    /// strings the writer quotes, float and negative positions, no ports at all.
    #[test]
    fn records_serialise_as_their_objs() {
        use crate::emit::yaml::writer;
        let flow: crate::model::Flow = serde_json::from_value(json!({
            "id": "f", "name": "F", "version": "1",
            "nodes": [
                {"id": "a", "type": "entry_api", "label": "A", "position": {"x": -1.5, "y": 1e3},
                 "inputs": [], "outputs": [{"id": "out"}, {"id": "yes", "label": "no: maybe",
                 "type": "object"}, {"id": "#x", "type": "[list]"}]},
                {"id": "b", "type": "llm_rigid", "label": "B", "position": {"x": 0, "y": 18446744073709551615u64},
                 "inputs": [{"id": "in", "label": "In"}]}
            ],
            "edges": [
                {"id": "e1", "type": "sequential", "source": {"node": "a", "port": "out"},
                 "target": {"node": "b", "port": "in"}},
                {"id": "e: 2", "type": "conditional", "source": {"node": "a", "port": "yes"},
                 "target": {"node": "b", "port": "in"}, "condition": "x > 1 # not a comment"},
                {"id": "e3", "type": "data", "source": {"node": "a", "port": "#x"},
                 "target": {"node": "b", "port": "null"}}
            ]
        }))
        .unwrap();
        fn doc(v: V<'_>) -> Obj<'_> {
            let mut m = Obj::new();
            m.insert("k", v);
            m
        }
        let same = |new: V<'_>, old: V<'_>| {
            let (new, old) = (doc(new), doc(old));
            assert_eq!(
                serde_json::to_string(&new).unwrap(),
                serde_json::to_string(&old).unwrap()
            );
            let text = writer::to_string(&old).unwrap();
            assert_eq!(writer::to_string(&new).unwrap(), text);
            text
        };
        for n in &flow.nodes {
            same(V::Position(&n.position), position_obj(&n.position));
            for ports in [&n.inputs, &n.outputs].into_iter().flatten() {
                same(V::Ports(ports), ports_obj(ports));
            }
        }
        let all: Vec<usize> = (0..flow.edges.len()).collect();
        for at in [&all[..], &all[1..2], &all[2..], &[]] {
            let text = same(
                V::Edges(at, &flow.edges),
                V::Seq(at.iter().map(|&i| edge_obj(&flow.edges[i])).collect()),
            );
            assert_eq!(text.matches("id:").count(), at.len(), "{text}");
        }
    }

    #[test]
    fn every_variant_serialises_as_its_value() {
        let j = json!({"k": [1, -2, 2.5, null]});
        let m = j.as_object().unwrap();
        let lazy = V::Lazy(Box::new(|| V::Seq(vec![V::Bool(false), V::Str("s")])));
        let mut o = Obj::new();
        o.insert("json", V::Json(&j));
        o.insert("owned", V::Owned(json!({"o": 1})));
        o.insert("map", V::JsonMap(m));
        o.insert("strs", V::Strs(vec!["a", "b"]));
        o.insert("lazy", lazy);
        assert_eq!(
            serde_json::to_value(&o).unwrap(),
            json!({"json": j, "owned": {"o": 1}, "map": j, "strs": ["a", "b"],
                "lazy": [false, "s"]})
        );
    }
}
