//! Positions: byte offsets (what the library's spans are) to and from LSP positions (line
//! and column in the negotiated encoding: UTF-16 code units by default, UTF-8 bytes when
//! the client offers it), and incremental text changes.

use std::ops::Range;

use lsp_types::{Position, PositionEncodingKind, Range as LspRange};

/// How columns are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

impl Encoding {
    /// The encoding to use: UTF-8 when the client lists it (no conversion), else UTF-16
    /// (the protocol's default, which every client supports).
    pub fn negotiate(offered: Option<&[PositionEncodingKind]>) -> Encoding {
        match offered {
            Some(kinds) if kinds.contains(&PositionEncodingKind::UTF8) => Encoding::Utf8,
            _ => Encoding::Utf16,
        }
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }
    }

    fn width(self, c: char) -> u32 {
        match self {
            Encoding::Utf8 => c.len_utf8() as u32,
            Encoding::Utf16 => c.len_utf16() as u32,
        }
    }
}

/// Where each line of a text starts, for conversions in both directions.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
    pub encoding: Encoding,
}

impl LineIndex {
    pub fn new(text: &str, encoding: Encoding) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts, encoding }
    }

    /// The position of a byte offset (clamped to the text, moved down onto a character
    /// boundary).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = crate::diagnostics::floor_char_boundary(text, offset);
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let column = match self.encoding {
            Encoding::Utf8 => (offset - start) as u32,
            Encoding::Utf16 => text[start..offset]
                .chars()
                .map(char::len_utf16)
                .sum::<usize>() as u32,
        };
        Position::new(line as u32, column)
    }

    pub fn range(&self, text: &str, span: &Range<usize>) -> LspRange {
        LspRange::new(
            self.position(text, span.start),
            self.position(text, span.end),
        )
    }

    /// Ranges of many spans, with one forward sweep over each line they touch (a minified
    /// flow is one long line: converting each span alone would be quadratic).
    pub fn ranges(&self, text: &str, spans: &[Range<usize>]) -> Vec<LspRange> {
        let mut offsets: Vec<usize> = spans
            .iter()
            .flat_map(|s| [s.start, s.end])
            .map(|o| crate::diagnostics::floor_char_boundary(text, o))
            .collect();
        offsets.sort_unstable();
        offsets.dedup();
        let mut positions = Vec::with_capacity(offsets.len());
        let (mut line, mut at, mut column) = (usize::MAX, 0usize, 0u32);
        for &o in &offsets {
            let l = self.starts.partition_point(|&s| s <= o) - 1;
            if l != line {
                (line, at, column) = (l, self.starts[l], 0);
            }
            column += match self.encoding {
                Encoding::Utf8 => (o - at) as u32,
                Encoding::Utf16 => text[at..o].chars().map(char::len_utf16).sum::<usize>() as u32,
            };
            at = o;
            positions.push(Position::new(line as u32, column));
        }
        let at = |o: usize| {
            let o = crate::diagnostics::floor_char_boundary(text, o);
            positions[offsets.binary_search(&o).unwrap_or(0)]
        };
        spans
            .iter()
            .map(|s| LspRange::new(at(s.start), at(s.end)))
            .collect()
    }

    /// The byte offset of a position. A column past the end of its line means the line's
    /// end; a line past the last line means the end of the text (as the protocol asks).
    pub fn offset(&self, text: &str, pos: Position) -> usize {
        let Some(&start) = self.starts.get(pos.line as usize) else {
            return text.len();
        };
        let mut end = self
            .starts
            .get(pos.line as usize + 1)
            .map_or(text.len(), |&next| next - 1);
        // A line ending in `\r\n`: the `\r` is not part of the line's columns.
        if text[start..end].ends_with('\r') {
            end -= 1;
        }
        let mut units = 0u32;
        for (i, c) in text[start..end].char_indices() {
            if units >= pos.character {
                return start + i;
            }
            units += self.encoding.width(c);
        }
        end
    }
}

/// Applies one `didChange` content change (a range edit, or the whole text), keeping
/// `lines` the index of `text`. The index is updated, not rebuilt: a multi-cursor edit
/// sends thousands of changes at once.
pub fn apply_change(text: &mut String, lines: &mut LineIndex, range: Option<LspRange>, new: &str) {
    match range {
        None => {
            *text = new.to_string();
            *lines = LineIndex::new(text, lines.encoding);
        }
        Some(r) => {
            let start = lines.offset(text, r.start);
            let end = lines.offset(text, r.end).max(start);
            text.replace_range(start..end, new);
            lines.edit(start, end, new);
        }
    }
}

impl LineIndex {
    /// Follows the replacement of `start..end` by `new`: the lines that began inside the
    /// old text go, those after it move, those of the new text come.
    fn edit(&mut self, start: usize, end: usize, new: &str) {
        let lo = self.starts.partition_point(|&s| s <= start);
        let hi = self.starts.partition_point(|&s| s <= end);
        let (grow, shrink) = (new.len(), end - start);
        for s in &mut self.starts[hi..] {
            *s = *s + grow - shrink;
        }
        let inserted = new.match_indices('\n').map(|(i, _)| start + i + 1);
        self.starts.splice(lo..hi, inserted);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_count_surrogate_pairs() {
        let text = "{\"a\": \"é😀x\"}\n  \"b\"";
        let idx = LineIndex::new(text, Encoding::Utf16);
        let x = text.find('x').unwrap();
        // `{"a": "` is 7 units, é is 1, 😀 is 2.
        assert_eq!(idx.position(text, x), Position::new(0, 10));
        assert_eq!(idx.offset(text, Position::new(0, 10)), x);
        let b = text.find("\"b\"").unwrap();
        assert_eq!(idx.position(text, b), Position::new(1, 2));
        assert_eq!(idx.offset(text, Position::new(1, 2)), b);
        let utf8 = LineIndex::new(text, Encoding::Utf8);
        assert_eq!(utf8.position(text, x), Position::new(0, 13));
        assert_eq!(utf8.offset(text, Position::new(0, 13)), x);
    }

    #[test]
    fn offsets_clamp_to_lines_and_text() {
        let text = "ab\r\ncd";
        let idx = LineIndex::new(text, Encoding::Utf16);
        assert_eq!(idx.offset(text, Position::new(0, 99)), 2, "before the \\r");
        assert_eq!(idx.offset(text, Position::new(1, 1)), 5);
        assert_eq!(idx.offset(text, Position::new(1, 99)), 6);
        assert_eq!(idx.offset(text, Position::new(7, 0)), 6);
    }

    #[test]
    fn batch_ranges_match_single_conversions() {
        let text = "{\"é\": [1, \"😀\", 3], \"k\": {\"x\": null}}\n{\"y\": \"ü\"}";
        for enc in [Encoding::Utf8, Encoding::Utf16] {
            let idx = LineIndex::new(text, enc);
            let spans: Vec<Range<usize>> = vec![
                30..35,
                0..1,
                text.find('😀').unwrap()..text.find('😀').unwrap() + 4,
                2..text.len(),
                text.len() - 4..text.len() - 1,
            ];
            let batch = idx.ranges(text, &spans);
            for (s, r) in spans.iter().zip(batch) {
                assert_eq!(r, idx.range(text, s), "{s:?} in {enc:?}");
            }
        }
    }

    #[test]
    fn incremental_changes() {
        let mut text = String::from("{\n  \"a\": 1\n}");
        let mut lines = LineIndex::new(&text, Encoding::Utf16);
        apply_change(
            &mut text,
            &mut lines,
            Some(LspRange::new(Position::new(1, 7), Position::new(1, 8))),
            "22",
        );
        assert_eq!(text, "{\n  \"a\": 22\n}");
        apply_change(&mut text, &mut lines, None, "{}");
        assert_eq!(text, "{}");
        assert_eq!(lines.starts, vec![0]);
    }

    /// Many random edits keep the index equal to one built from scratch.
    #[test]
    fn the_index_follows_edits() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let pieces = ["", "a", "\n", "é\n😀", "\r\n", "xy\n\nz"];
        for enc in [Encoding::Utf8, Encoding::Utf16] {
            let mut text = String::from("ab\ncd\n\nef");
            let mut lines = LineIndex::new(&text, enc);
            for _ in 0..2000 {
                let line = next(lines.starts.len() + 1) as u32;
                let a = Position::new(line, next(5) as u32);
                let b = Position::new(line + next(3) as u32, next(5) as u32);
                let (a, b) = if lines.offset(&text, a) <= lines.offset(&text, b) {
                    (a, b)
                } else {
                    (b, a)
                };
                let piece = pieces[next(pieces.len())];
                apply_change(&mut text, &mut lines, Some(LspRange::new(a, b)), piece);
                assert_eq!(lines.starts, LineIndex::new(&text, enc).starts, "{text:?}");
            }
        }
    }
}
