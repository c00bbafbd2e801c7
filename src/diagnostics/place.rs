//! [`Place`]: a JSON path on a walker's stack, made into a [`JsonPath`] only when a
//! diagnostic needs one.

use std::fmt;

use super::{JsonPath, PathSeg, is_plain_key};

/// Where a walk over a JSON document is: a chain of borrowed segments, each on the stack
/// frame of the step that entered it. Extending a place allocates nothing (extending a
/// [`JsonPath`] copies all its segments and the key's text), so a checker can carry one
/// through every value it visits and pay for a path only when it reports.
#[derive(Debug, Clone, Copy)]
pub enum Place<'p> {
    /// The document itself.
    Root,
    /// The member `.1` of the object at `.0`.
    Key(&'p Place<'p>, &'p str),
    /// The item `.1` of the array at `.0`.
    Index(&'p Place<'p>, usize),
}

impl<'p> Place<'p> {
    /// This place extended by an object key.
    pub fn key<'q>(&'q self, k: &'q str) -> Place<'q> {
        Place::Key(self, k)
    }

    /// This place extended by an array index.
    pub fn index(&self, i: usize) -> Place<'_> {
        Place::Index(self, i)
    }

    /// The number of segments.
    fn depth(&self) -> usize {
        let mut n = 0;
        let mut cur = self;
        while let Place::Key(up, _) | Place::Index(up, _) = cur {
            n += 1;
            cur = up;
        }
        n
    }

    /// The same path as a [`JsonPath`].
    pub fn to_path(&self) -> JsonPath {
        let mut segs = Vec::with_capacity(self.depth());
        let mut cur = self;
        loop {
            match cur {
                Place::Root => break,
                Place::Key(up, k) => {
                    segs.push(PathSeg::Key((*k).to_string()));
                    cur = up;
                }
                Place::Index(up, i) => {
                    segs.push(PathSeg::Index(*i));
                    cur = up;
                }
            }
        }
        segs.reverse();
        JsonPath(segs)
    }

    /// Writes the segments, root first, as [`JsonPath`]'s `Display` does.
    fn write_segments(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Root => Ok(()),
            Place::Key(up, k) => {
                up.write_segments(f)?;
                if is_plain_key(k) {
                    if !matches!(up, Place::Root) {
                        f.write_str(".")?;
                    }
                    f.write_str(k)
                } else {
                    write!(f, "[{}]", serde_json::Value::from(*k))
                }
            }
            Place::Index(up, i) => {
                up.write_segments(f)?;
                write!(f, "[{i}]")
            }
        }
    }
}

/// The text of the same [`JsonPath`] (`$` for the root, `flows[0].body[2]`,
/// `config["two words"]`), written without building it.
impl fmt::Display for Place<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Root => f.write_str("$"),
            _ => self.write_segments(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every place gives the path (and the text) that extending a `JsonPath` the same way
    /// gives: plain and quoted keys, indexes, first segments of each kind, the root.
    #[test]
    fn a_place_is_the_path_built_step_by_step() {
        let keys = ["flows", "two words", "", "a.b", "x_1", "ünï", "\"q\""];
        let mut checked = 0;
        for first in 0..keys.len() + 1 {
            for second in 0..keys.len() + 1 {
                let root = Place::Root;
                let mut path = JsonPath::root();
                let a = match keys.get(first) {
                    Some(k) => {
                        path = path.key(k);
                        root.key(k)
                    }
                    None => {
                        path = path.index(first);
                        root.index(first)
                    }
                };
                let b = match keys.get(second) {
                    Some(k) => {
                        path = path.key(k);
                        a.key(k)
                    }
                    None => {
                        path = path.index(7);
                        a.index(7)
                    }
                };
                let c = b.index(0);
                let path = path.index(0);
                assert_eq!(c.to_path(), path);
                assert_eq!(c.to_string(), path.to_string());
                assert_eq!(b.depth(), 2);
                checked += 1;
            }
        }
        assert_eq!(checked, 64);
        assert_eq!(Place::Root.to_path(), JsonPath::root());
        assert_eq!(Place::Root.to_string(), "$");
        assert_eq!(Place::Root.to_string(), JsonPath::root().to_string());
        assert_eq!(Place::Root.depth(), 0);
    }
}
