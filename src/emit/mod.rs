//! Emitters: the lowered core model → an artifact. They read the core model (and node
//! metadata by index for `meta` records); they never re-walk the graph.

pub mod ir;
pub mod scai;
pub mod yaml;
