//! Validation of 5-field cron expressions (`entry_schedule.cron`).

const FIELDS: [(&str, u32, u32); 5] = [
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
];

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

fn value(field: usize, s: &str) -> Result<u32, String> {
    let (name, lo, hi) = FIELDS[field];
    let v = if let Ok(v) = s.parse::<u32>() {
        v
    } else {
        let upper = s.to_ascii_uppercase();
        let names: &[&str] = match field {
            3 => &MONTHS,
            4 => &DAYS,
            _ => &[],
        };
        let base = if field == 3 { 1 } else { 0 };
        match names.iter().position(|n| *n == upper) {
            Some(i) => i as u32 + base,
            None => return Err(format!("{name} field: '{s}' is not a number")),
        }
    };
    if v < lo || v > hi {
        return Err(format!("{name} field: {v} is out of range {lo}-{hi}"));
    }
    Ok(v)
}

fn element(field: usize, s: &str) -> Result<(), String> {
    let name = FIELDS[field].0;
    let (range, step) = match s.split_once('/') {
        Some((r, st)) => (r, Some(st)),
        None => (s, None),
    };
    if let Some(st) = step {
        match st.parse::<u32>() {
            Ok(n) if n > 0 => {}
            _ => {
                return Err(format!(
                    "{name} field: step '{st}' must be a positive number"
                ));
            }
        }
    }
    if range == "*" {
        return Ok(());
    }
    match range.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (value(field, a)?, value(field, b)?);
            if a > b {
                return Err(format!("{name} field: range {a}-{b} runs backwards"));
            }
        }
        None => {
            value(field, range)?;
        }
    }
    Ok(())
}

/// Checks a standard 5-field cron expression; the error says which field is wrong.
pub fn validate(expr: &str) -> Result<(), String> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "expected 5 fields (minute hour day-of-month month day-of-week), found {}",
            fields.len()
        ));
    }
    for (i, f) in fields.iter().enumerate() {
        for el in f.split(',') {
            if el.is_empty() {
                return Err(format!("{} field: empty list element", FIELDS[i].0));
            }
            element(i, el)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn accepts_common_expressions() {
        for ok in [
            "0 * * * *",
            "0 2 * * *",
            "*/15 9-17 * * MON-FRI",
            "0 0 1,15 * *",
            "30 4 1 jan,jul sun",
            "0 0 * * 7",
            "0-30/10 * * * *",
        ] {
            assert_eq!(validate(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn rejects_with_reasons() {
        assert!(
            validate("0 25 * * *")
                .unwrap_err()
                .contains("hour field: 25")
        );
        assert!(validate("* * *").unwrap_err().contains("expected 5 fields"));
        assert!(validate("*/0 * * * *").unwrap_err().contains("step"));
        assert!(validate("0 0 0 * *").unwrap_err().contains("day of month"));
        assert!(validate("0 0 * FOO *").unwrap_err().contains("month field"));
        assert!(validate("5-1 * * * *").unwrap_err().contains("backwards"));
        assert!(validate("0 0 * * 1,,2").is_err());
    }
}
