//! Byte sizes as the command line spells them: `64MiB`, `100MiB`, `1GiB`, `4GiB`, `512KiB`,
//! `1000000` (bytes), also `MB`/`GB` (decimal) and fractions like `0.1GiB`.

use crate::Result;

const UNITS: [(&str, f64); 10] = [
    ("KIB", 1024.0),
    ("MIB", 1024.0 * 1024.0),
    ("GIB", 1024.0 * 1024.0 * 1024.0),
    ("TIB", 1024.0 * 1024.0 * 1024.0 * 1024.0),
    ("KB", 1e3),
    ("MB", 1e6),
    ("GB", 1e9),
    ("TB", 1e12),
    ("B", 1.0),
    ("", 1.0),
];

/// Parses a size such as `1GiB` into bytes.
pub fn parse_size(text: &str) -> Result<u64> {
    let upper = text.trim().to_ascii_uppercase();
    for (suffix, factor) in UNITS {
        if let Some(number) = upper.strip_suffix(suffix) {
            let Ok(value) = number.trim().parse::<f64>() else {
                continue;
            };
            if !value.is_finite() || value <= 0.0 {
                return Err(format!("size must be positive: {text}").into());
            }
            return Ok((value * factor).round() as u64);
        }
    }
    Err(format!("not a size: {text} (try 64MiB, 1GiB)").into())
}

/// Formats bytes with a binary unit, e.g. `1.00 GiB`.
pub fn format_bytes(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2} GiB", b / (1024.0 * 1024.0 * 1024.0))
    } else if b >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", b / (1024.0 * 1024.0))
    } else if b >= 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_spellings() {
        assert_eq!(parse_size("64MiB").expect("size"), 64 << 20);
        assert_eq!(parse_size("1GiB").expect("size"), 1 << 30);
        assert_eq!(parse_size("4gib").expect("size"), 4 << 30);
        assert_eq!(parse_size("100MB").expect("size"), 100_000_000);
        assert_eq!(parse_size("0.1GiB").expect("size"), 107_374_182);
        assert_eq!(parse_size("4096").expect("size"), 4096);
        assert!(parse_size("lots").is_err());
        assert!(parse_size("-1MiB").is_err());
    }

    #[test]
    fn formats_with_binary_units() {
        assert_eq!(format_bytes(1 << 30), "1.00 GiB");
        assert_eq!(format_bytes(3 << 20), "3.0 MiB");
        assert_eq!(format_bytes(12), "12 B");
    }
}
