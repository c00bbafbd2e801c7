//! The plugin methods whose signatures are documented upstream, and the built-in mapping of
//! node kinds onto plugin calls. Shared by the analyze stage (signature checks) and lowering.

use crate::model::NodeKind;

/// A documented plugin method: its name and required arguments (in order).
#[derive(Debug, Clone, Copy)]
pub struct Method {
    pub name: &'static str,
    pub required: &'static [&'static str],
    pub optional: &'static [&'static str],
}

/// A plugin with documented methods.
#[derive(Debug, Clone, Copy)]
pub struct Plugin {
    pub name: &'static str,
    /// Whether the documented method list is the plugin's whole API (unknown methods are
    /// then errors) or only part of it.
    pub closed: bool,
    pub methods: &'static [Method],
}

/// ScaiBunker: the sandbox behind the five compute_* nodes.
pub const SCAIBUNKER: Plugin = Plugin {
    name: "scaibunker",
    closed: true,
    methods: &[
        Method {
            name: "create",
            required: &[],
            // The flow bunker's documented key names, and the short names of the spec.
            optional: &[
                "image",
                "lifecycle",
                "cpu_millicores",
                "memory_mb",
                "disk_mb",
                "gpu_count",
                "network_profile",
                "cpu",
                "memory",
                "network",
            ],
        },
        Method {
            name: "exec",
            required: &["command"],
            optional: &["timeout_s"],
        },
        Method {
            name: "write_file",
            required: &["path", "content"],
            optional: &[],
        },
        Method {
            name: "read_file",
            required: &["path"],
            optional: &[],
        },
        Method {
            name: "destroy",
            required: &[],
            optional: &[],
        },
    ],
};

/// ScaiDrive: only `search(path, query)` is documented; other methods are not checked.
pub const SCAIDRIVE: Plugin = Plugin {
    name: "scaidrive",
    closed: false,
    methods: &[Method {
        name: "search",
        required: &["path", "query"],
        optional: &[],
    }],
};

pub const DOCUMENTED: &[Plugin] = &[SCAIBUNKER, SCAIDRIVE];

pub fn documented(name: &str) -> Option<&'static Plugin> {
    DOCUMENTED.iter().find(|p| p.name == name)
}

impl Plugin {
    pub fn method(&self, name: &str) -> Option<&'static Method> {
        self.methods.iter().find(|m| m.name == name)
    }
}

/// The scaibunker method a compute node compiles to.
pub fn compute_method(kind: NodeKind) -> Option<&'static Method> {
    let name = match kind {
        NodeKind::ComputeProvision => "create",
        NodeKind::ComputeExec => "exec",
        NodeKind::ComputeFileUpload => "write_file",
        NodeKind::ComputeFileDownload => "read_file",
        NodeKind::ComputeDestroy => "destroy",
        _ => return None,
    };
    SCAIBUNKER.method(name)
}
