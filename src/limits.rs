//! The input limit, and every limit derived from it (docs/limits.md).
//!
//! Whatever `compile` writes, its own readers must read: the manifest limit of `import`,
//! the value limit of `verify` / `inspect` and the YAML loading budget all grow with the
//! input limit, so raising it (`--max-input-size`) keeps the three in step.

/// The default input limit: 16 MiB.
pub const DEFAULT_MAX_INPUT: u64 = 16 * 1024 * 1024;

/// What a run may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    max_input: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input: DEFAULT_MAX_INPUT,
        }
    }
}

impl Limits {
    /// Limits for inputs of at most `max_input` bytes.
    pub fn with_max_input(max_input: u64) -> Self {
        Limits { max_input }
    }

    /// The largest flow (and bundle) read, in bytes.
    pub fn max_input(self) -> u64 {
        self.max_input
    }

    /// How many default input limits fit in this one (at least 1): the factor the derived
    /// limits grow by. A lower input limit keeps the defaults.
    fn scale(self) -> u64 {
        self.max_input.div_ceil(DEFAULT_MAX_INPUT).max(1)
    }

    /// The largest manifest `import` reads (and `compile` writes): 64 MiB per 16 MiB of input.
    pub fn max_manifest(self) -> u64 {
        crate::import::MAX_MANIFEST_BYTES.saturating_mul(self.scale())
    }

    /// The most values (keys included) a bundle may hold: 2,000,000 per 16 MiB of input.
    pub fn max_ir_values(self) -> usize {
        usize::try_from(self.scale())
            .unwrap_or(usize::MAX)
            .saturating_mul(crate::scir::MAX_VALUES)
    }

    /// The YAML loader's node and event budgets.
    pub fn max_yaml_nodes(self) -> usize {
        usize::try_from(self.scale())
            .unwrap_or(usize::MAX)
            .saturating_mul(4_000_000)
    }
}

/// A size as messages show it: `16 MiB` when it is a whole number of MiB, else bytes.
pub fn shown(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes}-byte")
    }
}

/// Parses a size: a number of bytes, optionally followed by `K`, `M`, `G` (powers of 1000)
/// or `KiB`, `MiB`, `GiB` (powers of 1024); `B` may follow; case is ignored.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a size (e.g. 64MiB, 100M, 83886080)"))?;
    let unit = unit.trim().to_ascii_lowercase();
    let factor: u64 = match unit.trim_end_matches('b') {
        "" => 1,
        "k" => 1000,
        "m" => 1000 * 1000,
        "g" => 1000 * 1000 * 1000,
        "ki" => 1024,
        "mi" => 1024 * 1024,
        "gi" => 1024 * 1024 * 1024,
        _ => {
            return Err(format!(
                "'{s}' has an unknown unit (use K, M, G, KiB, MiB or GiB)"
            ));
        }
    };
    let bytes = n
        .checked_mul(factor)
        .ok_or_else(|| format!("'{s}' is too large"))?;
    if bytes == 0 {
        return Err("the input limit must be at least one byte".to_string());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("83886080"), Ok(83_886_080));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("64 mib"), Ok(64 << 20));
        assert_eq!(parse_size("100M"), Ok(100_000_000));
        assert_eq!(parse_size("100MB"), Ok(100_000_000));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("1k"), Ok(1000));
        assert_eq!(parse_size("3KiB"), Ok(3072));
        assert!(parse_size("").is_err());
        assert!(parse_size("MiB").is_err());
        assert!(parse_size("1.5GiB").is_err());
        assert!(parse_size("10 parsecs").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("99999999999999999999").is_err());
        assert!(parse_size("99999999999GiB").is_err());
    }

    #[test]
    fn derived_limits_grow_with_the_input_limit() {
        let d = Limits::default();
        assert_eq!(d.max_input(), 16 << 20);
        assert_eq!(d.max_manifest(), 64 << 20);
        assert_eq!(d.max_ir_values(), 2_000_000);
        assert_eq!(d.max_yaml_nodes(), 4_000_000);
        let small = Limits::with_max_input(1 << 20);
        assert_eq!(
            small.max_manifest(),
            64 << 20,
            "a lower input limit keeps the rest"
        );
        let big = Limits::with_max_input(100_000_000);
        assert_eq!(
            big.max_manifest(),
            6 * (64 << 20),
            "100 MB is 5.96 times 16 MiB, rounded up"
        );
        assert_eq!(big.max_ir_values(), 12_000_000);
        let exact = Limits::with_max_input(32 << 20);
        assert_eq!(exact.max_manifest(), 128 << 20);
        let huge = Limits::with_max_input(u64::MAX);
        assert_eq!(huge.max_manifest(), u64::MAX);
    }
}
