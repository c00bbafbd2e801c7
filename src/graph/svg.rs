//! Self-contained SVG output, laid out by [`layout`](super::layout) — no external tool.
//!
//! All user text is in XML character data or attribute values, escaped by
//! [`text::xml`](super::text::xml) after [`text::display`](super::text::display) made every
//! control character visible (XML 1.0 forbids most C0 characters). Styling is one fixed
//! `<style>` block with no user text; there is no script, no link and no external reference.

use std::fmt::Write;

use super::diagram::{Diagram, EdgeStyle, Shape};
use super::layout::{self, Params, Rect};
use super::text;

const LABEL_SIZE: f64 = 13.0;
const LABEL_LINE: f64 = 16.0;
const KIND_SIZE: f64 = 10.0;
const KIND_LINE: f64 = 13.0;
const EDGE_SIZE: f64 = 11.0;
const EDGE_LINE: f64 = 13.0;
const TITLE_BAND: f64 = 30.0;
/// Node labels are cut to this many lines of this many characters (the `<title>` tooltip
/// keeps the whole text); edge labels likewise.
const LABEL_LINES: usize = 3;
const LABEL_CHARS: usize = 36;
const EDGE_LABEL_LINES: usize = 3;
const EDGE_LABEL_CHARS: usize = 48;

const PARAMS: Params = Params {
    gap_x: 36.0,
    gap_y: 58.0,
    pad: 14.0,
    title_h: 18.0,
    margin: 20.0,
};

/// A number with at most one decimal, never `-0`.
fn num(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0 + 0.0;
    format!("{r}")
}

struct NodeText {
    label: Vec<String>,
    kind: String,
}

fn node_text(d: &Diagram, i: usize) -> NodeText {
    let n = &d.nodes[i];
    NodeText {
        label: text::clip(&text::display(&n.label), LABEL_LINES, LABEL_CHARS),
        kind: text::truncate(&text::one_line(&n.kind), LABEL_CHARS + 8),
    }
}

/// Width and height of a node: its text plus room for its shape.
fn node_size(t: &NodeText, shape: Shape) -> (f64, f64) {
    let text_w = t
        .label
        .iter()
        .map(|l| text::width(l, LABEL_SIZE))
        .fold(text::width(&t.kind, KIND_SIZE), f64::max);
    let text_h = LABEL_LINE * t.label.len() as f64 + KIND_LINE;
    let (w, h) = ((text_w + 24.0).max(110.0), text_h + 18.0);
    match shape {
        Shape::Decision => (w * 1.5 + 10.0, h * 1.6),
        Shape::Loop => (w + 28.0, h),
        Shape::Parallel | Shape::Hitl | Shape::Compute => (w + 28.0, h),
        Shape::Data => (w + 16.0, h),
        Shape::Queue => (w, h + 12.0),
        Shape::Entry => (w + h / 2.0, h),
        Shape::Subflow => (w + 16.0, h),
        _ => (w, h),
    }
}

/// The outline of a node.
fn shape_svg(shape: Shape, r: &Rect) -> String {
    let (x, y, w, h) = (r.x, r.y, r.w, r.h);
    let (rt, b, cx, cy) = (r.right(), r.bottom(), r.cx(), r.cy());
    let poly = |pts: &[(f64, f64)]| {
        let p: Vec<String> = pts
            .iter()
            .map(|(a, b)| format!("{},{}", num(*a), num(*b)))
            .collect();
        format!("<polygon class=\"shape\" points=\"{}\"/>", p.join(" "))
    };
    let rect = |rx: f64| {
        format!(
            "<rect class=\"shape\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"{}\"/>",
            num(x),
            num(y),
            num(w),
            num(h),
            num(rx)
        )
    };
    let s = 14.0f64.min(w / 4.0);
    match shape {
        Shape::Entry => rect(h / 2.0),
        Shape::Llm | Shape::Unknown | Shape::Missing => rect(3.0),
        Shape::Tool => rect(10.0),
        Shape::Decision => poly(&[(cx, y), (rt, cy), (cx, b), (x, cy)]),
        Shape::Loop => poly(&[
            (x + s, y),
            (rt - s, y),
            (rt, cy),
            (rt - s, b),
            (x + s, b),
            (x, cy),
        ]),
        Shape::Parallel => poly(&[(x + s, y), (rt, y), (rt - s, b), (x, b)]),
        Shape::Hitl => poly(&[(x + s, y), (rt - s, y), (rt, b), (x, b)]),
        Shape::Compute => poly(&[(x, y), (rt, y), (rt - s, b), (x + s, b)]),
        Shape::Data => poly(&[(x, y), (rt, y), (rt, b), (x, b), (x + s * 0.7, cy)]),
        Shape::Queue => {
            let (rx, ry) = (w / 2.0, 6.0);
            format!(
                "<path class=\"shape\" d=\"M{x0},{y0} A{rx},{ry} 0 0 1 {x1},{y0} V{y1} A{rx},{ry} 0 0 1 {x0},{y1} Z M{x0},{y0} A{rx},{ry} 0 0 0 {x1},{y0}\"/>",
                x0 = num(x),
                x1 = num(rt),
                y0 = num(y + ry),
                y1 = num(b - ry),
                rx = num(rx),
                ry = num(ry),
            )
        }
        Shape::Subflow => format!(
            "{}<path class=\"shape\" d=\"M{a},{t} V{bb} M{c},{t} V{bb}\"/>",
            rect(3.0),
            a = num(x + 8.0),
            c = num(rt - 8.0),
            t = num(y),
            bb = num(b),
        ),
    }
}

/// Lines of text centred on `cx`, the block centred on `cy`.
fn text_block(out: &mut String, cx: f64, cy: f64, lines: &[(String, &str, f64)]) {
    let total: f64 = lines.iter().map(|l| l.2).sum();
    let mut y = cy - total / 2.0;
    for (line, class, height) in lines {
        // Baseline about 0.78 of the line height below its top.
        let _ = writeln!(
            out,
            "<text class=\"{class}\" x=\"{}\" y=\"{}\">{}</text>",
            num(cx),
            num(y + height * 0.78),
            text::xml(line)
        );
        y += height;
    }
}

type Pt = (f64, f64);

/// A cubic Bézier segment: start, two control points, end.
type Seg = [Pt; 4];

fn at(s: &Seg, t: f64) -> Pt {
    let u = 1.0 - t;
    let (a, b, c, d) = (u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t);
    (
        a * s[0].0 + b * s[1].0 + c * s[2].0 + d * s[3].0,
        a * s[0].1 + b * s[1].1 + c * s[2].1 + d * s[3].1,
    )
}

/// A downward segment, vertical at both ends.
fn down(p0: Pt, p3: Pt) -> Seg {
    let dy = (p3.1 - p0.1) / 2.0;
    [p0, (p0.0, p0.1 + dy), (p3.0, p3.1 - dy), p3]
}

/// A straight segment.
fn line(p0: Pt, p3: Pt) -> Seg {
    [p0, p0, p3, p3]
}

/// How an edge is drawn.
struct Route<'a> {
    from: &'a Rect,
    to: &'a Rect,
    /// A self-loop.
    same: bool,
    /// Along the side, whatever the geometry (a long data edge).
    side: bool,
    /// Lanes reserved for it by the layout.
    lanes: &'a [layout::Waypoint],
    /// The loop box it leaves from its loop node (a `done` edge): it goes round the box.
    exit: Option<&'a Rect>,
}

/// The segments of an edge, and the one its label prefers.
fn route(r: &Route) -> (Vec<Seg>, usize) {
    let (a, b) = (r.from, r.to);
    if r.same {
        // A self-loop on the right side.
        let (x, y) = (a.right(), a.cy());
        return (
            vec![[
                (x, y - 8.0),
                (x + 40.0, y - 26.0),
                (x + 40.0, y + 26.0),
                (x, y + 8.0),
            ]],
            0,
        );
    }
    let mut segs = Vec::new();
    let (mut cur, mut prefer) = match r.exit.filter(|c| b.y >= c.bottom()) {
        Some(c) => {
            // Out of the loop node's side, down along the box, then on as usual.
            let (xs, y0) = (c.right() + 12.0, a.cy());
            let corner = (xs, y0 + 12.0);
            segs.push([(a.right(), y0), (xs, y0), (xs, y0), corner]);
            segs.push(line(corner, (xs, c.bottom())));
            ((xs, c.bottom()), 1)
        }
        None if !r.side && b.y >= a.bottom() + 1.0 => ((a.cx(), a.bottom()), 0),
        None => {
            let overlap_y = b.y < a.bottom() && a.y < b.bottom();
            let seg = if overlap_y && b.x >= a.right() {
                let (p0, p3) = ((a.right(), a.cy()), (b.x, b.cy()));
                let dx = (p3.0 - p0.0) / 2.0;
                [p0, (p0.0 + dx, p0.1), (p3.0 - dx, p3.1), p3]
            } else if overlap_y && b.right() <= a.x {
                let (p0, p3) = ((a.x, a.cy()), (b.right(), b.cy()));
                let dx = (p0.0 - p3.0) / 2.0;
                [p0, (p0.0 - dx, p0.1), (p3.0 + dx, p3.1), p3]
            } else {
                // Up (a cycle) or along the side: out of the right side and back in.
                let (p0, p3) = ((a.right(), a.cy()), (b.right(), b.cy()));
                let bulge = 40.0 + ((p3.1 - p0.1).abs() * 0.15).min(120.0);
                let x = p0.0.max(p3.0) + bulge;
                [p0, (x, p0.1), (x, p3.1), p3]
            };
            return (vec![seg], 0);
        }
    };
    for &(x, top, bottom) in r.lanes {
        segs.push(down(cur, (x, top)));
        segs.push(line((x, top), (x, bottom)));
        cur = (x, bottom);
    }
    segs.push(down(cur, (b.cx(), b.y)));
    if prefer >= segs.len() {
        prefer = 0;
    }
    (segs, prefer)
}

/// The SVG path data of segments.
fn path_data(segs: &[Seg]) -> String {
    let mut d = String::new();
    if let Some(first) = segs.first() {
        d.push_str(&format!("M{},{}", num(first[0].0), num(first[0].1)));
    }
    for s in segs {
        d.push_str(&format!(
            " C{},{} {},{} {},{}",
            num(s[1].0),
            num(s[1].1),
            num(s[2].0),
            num(s[2].1),
            num(s[3].0),
            num(s[3].1)
        ));
    }
    d
}

/// Rectangles already placed (nodes, edge labels), in a grid of cells for near-constant
/// lookups.
struct Occupied {
    rects: Vec<Rect>,
    cells: std::collections::HashMap<(i64, i64), Vec<usize>>,
}

const CELL: f64 = 128.0;
const CROWDED: usize = 32;

impl Occupied {
    fn cells_of(r: &Rect) -> impl Iterator<Item = (i64, i64)> {
        let (x0, x1) = (
            (r.x / CELL).floor() as i64,
            (r.right() / CELL).floor() as i64,
        );
        let (y0, y1) = (
            (r.y / CELL).floor() as i64,
            (r.bottom() / CELL).floor() as i64,
        );
        (x0..=x1).flat_map(move |x| (y0..=y1).map(move |y| (x, y)))
    }

    fn add(&mut self, r: Rect) {
        let k = self.rects.len();
        for c in Self::cells_of(&r) {
            self.cells.entry(c).or_default().push(k);
        }
        self.rects.push(r);
    }

    fn free(&self, r: &Rect) -> bool {
        Self::cells_of(r).all(|c| {
            // A crowded cell counts as full: the check stays constant-time.
            self.cells.get(&c).is_none_or(|ks| {
                ks.len() <= CROWDED
                    && ks.iter().all(|&k| {
                        let o = &self.rects[k];
                        r.right() <= o.x
                            || o.right() <= r.x
                            || r.bottom() <= o.y
                            || o.bottom() <= r.y
                    })
            })
        })
    }
}

/// Where an edge label of size `w` × `h` goes: the first of a few points along the edge
/// (its preferred segment first) where it overlaps no node and no other label, else the
/// middle of the preferred segment.
fn place_label(segs: &[Seg], prefer: usize, w: f64, h: f64, occupied: &Occupied) -> Pt {
    let rect = |p: Pt| Rect {
        x: p.0 - w / 2.0,
        y: p.1 - h / 2.0,
        w,
        h,
    };
    let first = at(&segs[prefer], 0.5);
    let along = [0.5, 0.65, 0.35, 0.8, 0.2];
    let candidates = along.iter().map(|&t| at(&segs[prefer], t)).chain(
        segs.iter()
            .enumerate()
            .filter(|&(k, _)| k != prefer)
            .flat_map(|(_, s)| [0.5, 0.25, 0.75].map(|t| at(s, t))),
    );
    for p in candidates {
        if occupied.free(&rect(p)) {
            return p;
        }
    }
    first
}

const STYLE: &str = "\
.bg{fill:#ffffff}
.ftitle{font-size:15px;font-weight:bold;fill:#1a1a1a}
.shape{stroke-width:1.5}
.label{font-size:13px;font-weight:600;fill:#1a1a1a;text-anchor:middle}
.kind{font-size:10px;fill:#555555;text-anchor:middle}
.unreachable .shape{stroke-dasharray:5 4;opacity:0.6}
.missing .shape{stroke-dasharray:4 3}
.edge{fill:none;stroke:#444444;stroke-width:1.3}
.edge.data{stroke:#888888;stroke-dasharray:6 4}
.edge.unknown{stroke-dasharray:2 3}
.edge.cycle{stroke:#c62828;stroke-width:2}
.elabel{font-size:11px;fill:#263238;text-anchor:middle}
.elabel-bg{fill:#ffffff;fill-opacity:0.92}
.cluster{fill:#fffaf3;stroke:#e65100;stroke-dasharray:6 3}
.ctitle{font-size:11px;font-style:italic;fill:#8a3a00}
";

pub fn render(d: &Diagram) -> String {
    let texts: Vec<NodeText> = (0..d.nodes.len()).map(|i| node_text(d, i)).collect();
    let sizes: Vec<(f64, f64)> = texts
        .iter()
        .zip(&d.nodes)
        .map(|(t, n)| node_size(t, n.shape))
        .collect();
    let titles: Vec<String> = d
        .clusters
        .iter()
        .map(|c| text::truncate(&text::one_line(&c.title), EDGE_LABEL_CHARS))
        .collect();
    let min_w: Vec<f64> = titles.iter().map(|t| text::width(t, 11.0) + 8.0).collect();
    let lay = layout::layout(d, &sizes, &min_w, &PARAMS);
    let title = text::truncate(&text::one_line(&d.title), 80);
    let width = lay
        .width
        .max(text::width(&title, 15.0) + 2.0 * PARAMS.margin);
    let height = lay.height + TITLE_BAND;

    let shift = |r: &Rect| Rect {
        y: r.y + TITLE_BAND,
        ..*r
    };
    let node_rects: Vec<Rect> = lay.nodes.iter().map(shift).collect();
    let mut labels = String::new();
    let mut edges_svg = String::new();
    let mut max_x: f64 = 0.0;
    let cluster_rects: Vec<Rect> = lay.clusters.iter().map(shift).collect();
    // The box each loop node heads.
    let mut loop_box = vec![None; d.nodes.len()];
    for (c, cl) in d.clusters.iter().enumerate() {
        loop_box[cl.loop_node] = Some(c);
    }
    let lanes_of = |k: usize| {
        lay.waypoints[k]
            .iter()
            .map(|&(x, t, b)| (x, t + TITLE_BAND, b + TITLE_BAND))
            .collect::<Vec<_>>()
    };
    let mut occupied = Occupied {
        rects: Vec::new(),
        cells: Default::default(),
    };
    for r in &node_rects {
        occupied.add(*r);
    }
    for (k, e) in d.edges.iter().enumerate() {
        let (a, b) = (&node_rects[e.from], &node_rects[e.to]);
        let long_data = e.style == EdgeStyle::Data && b.y > a.bottom() + PARAMS.gap_y + 1.0;
        let exit = loop_box[e.from].filter(|&c| !d.cluster_chain(e.to).contains(&c));
        let lanes = lanes_of(k);
        let (segs, prefer) = route(&Route {
            from: a,
            to: b,
            same: e.from == e.to,
            side: long_data,
            lanes: &lanes,
            exit: exit.map(|c| &cluster_rects[c]),
        });
        // A curve stays within its control points.
        for s in &segs {
            max_x = s.iter().map(|p| p.0).fold(max_x, f64::max);
        }
        let (class, marker) = match (e.cycle, e.style) {
            (true, _) => ("edge cycle", "arrow-cycle"),
            (_, EdgeStyle::Data) => ("edge data", "arrow-data"),
            (_, EdgeStyle::Unknown) => ("edge unknown", "arrow"),
            _ => ("edge", "arrow"),
        };
        let tip = format!(
            "{} → {}{}",
            text::one_line(&d.nodes[e.from].id),
            text::one_line(&d.nodes[e.to].id),
            e.label
                .as_deref()
                .map(|l| format!(": {}", text::one_line(l)))
                .unwrap_or_default()
        );
        let _ = writeln!(
            edges_svg,
            "<path class=\"{class}\" d=\"{}\" marker-end=\"url(#{marker})\"><title>{}</title></path>",
            path_data(&segs),
            text::xml(&tip)
        );
        if let Some(label) = &e.label {
            let lines = text::clip(&text::display(label), EDGE_LABEL_LINES, EDGE_LABEL_CHARS);
            let w = lines
                .iter()
                .map(|l| text::width(l, EDGE_SIZE))
                .fold(0.0, f64::max)
                + 8.0;
            let h = EDGE_LINE * lines.len() as f64 + 4.0;
            let mid = place_label(&segs, prefer, w, h, &occupied);
            // Never past the left edge of the image.
            let mid = (mid.0.max(w / 2.0 + 4.0), mid.1);
            let r = Rect {
                x: mid.0 - w / 2.0,
                y: mid.1 - h / 2.0,
                w,
                h,
            };
            max_x = max_x.max(r.right());
            occupied.add(r);
            let _ = writeln!(
                labels,
                "<rect class=\"elabel-bg\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"3\"/>",
                num(r.x),
                num(r.y),
                num(w),
                num(h)
            );
            let block: Vec<(String, &str, f64)> = lines
                .into_iter()
                .map(|l| (l, "elabel", EDGE_LINE))
                .collect();
            text_block(&mut labels, mid.0, mid.1, &block);
        }
    }
    let width = width.max(max_x + PARAMS.margin);
    let mut out = String::with_capacity(600 * (d.nodes.len() + d.edges.len()) + 2000);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"Helvetica, Arial, sans-serif\">",
        w = num(width),
        h = num(height)
    );
    let _ = writeln!(out, "<title>{}</title>", text::xml(&title));
    let _ = writeln!(out, "<style>\n{STYLE}</style>");
    out.push_str("<defs>\n");
    for (id, color) in [
        ("arrow", "#444444"),
        ("arrow-data", "#888888"),
        ("arrow-cycle", "#c62828"),
    ] {
        let _ = writeln!(
            out,
            "<marker id=\"{id}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"9\" markerHeight=\"9\" markerUnits=\"userSpaceOnUse\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"{color}\"/></marker>"
        );
    }
    out.push_str("</defs>\n");
    let _ = writeln!(
        out,
        "<rect class=\"bg\" width=\"{}\" height=\"{}\"/>",
        num(width),
        num(height)
    );
    let _ = writeln!(
        out,
        "<text class=\"ftitle\" x=\"{}\" y=\"{}\">{}</text>",
        num(PARAMS.margin),
        num(PARAMS.margin + 6.0),
        text::xml(&title)
    );

    out.push_str("<g class=\"clusters\">\n");
    for (c, r) in cluster_rects.iter().enumerate() {
        let _ = writeln!(
            out,
            "<rect class=\"cluster\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"8\"/>",
            num(r.x),
            num(r.y),
            num(r.w),
            num(r.h)
        );
        let _ = writeln!(
            out,
            "<text class=\"ctitle\" x=\"{}\" y=\"{}\">{}</text>",
            num(r.x + 8.0),
            num(r.y + 14.0),
            text::xml(&titles[c])
        );
    }
    out.push_str("</g>\n<g class=\"edges\">\n");
    out.push_str(&edges_svg);
    out.push_str("</g>\n<g class=\"nodes\">\n");
    for (i, n) in d.nodes.iter().enumerate() {
        let r = &node_rects[i];
        let unreachable = if n.unreachable { " unreachable" } else { "" };
        let (fill, stroke) = n.shape.colors();
        let _ = writeln!(
            out,
            "<g class=\"node {}{unreachable}\" fill=\"{fill}\" stroke=\"{stroke}\"><title>{}</title>",
            n.shape.class(),
            text::xml(&text::one_line(&format!("{} ({})", n.id, n.kind)))
        );
        out.push_str(&shape_svg(n.shape, r));
        out.push('\n');
        let t = &texts[i];
        let mut block: Vec<(String, &str, f64)> = t
            .label
            .iter()
            .map(|l| (l.clone(), "label", LABEL_LINE))
            .collect();
        block.push((t.kind.clone(), "kind", KIND_LINE));
        // Text is not stroked.
        out.push_str("<g stroke=\"none\">\n");
        text_block(&mut out, r.cx(), r.cy(), &block);
        out.push_str("</g>\n</g>\n");
    }
    out.push_str("</g>\n");
    out.push_str("<g class=\"labels\">\n");
    out.push_str(&labels);
    out.push_str("</g>\n</svg>\n");
    out
}
