//! The two time formats users see: snapshot timestamps `yyyy-MM-dd-HH-mm-ss-SSS` and SHOW times
//! `yyyy-MM-dd HH:mm:ss`, both in UTC.

use tabvault_storage::civil_from_days;

const MS_PER_DAY: u64 = 86_400_000;

fn parts(ms: u64) -> (i64, u32, u32, u64, u64, u64, u64) {
    let days = i64::try_from(ms / MS_PER_DAY).unwrap_or(i64::MAX);
    let rest = ms % MS_PER_DAY;
    let (y, mo, d) = civil_from_days(days);
    (
        y,
        mo,
        d,
        rest / 3_600_000,
        rest / 60_000 % 60,
        rest / 1000 % 60,
        rest % 1000,
    )
}

/// `yyyy-MM-dd-HH-mm-ss-SSS`: the snapshot timestamp of a job submitted at `ms` (UTC).
pub fn snapshot_timestamp(ms: u64) -> String {
    let (y, mo, d, h, mi, s, milli) = parts(ms);
    format!("{y:04}-{mo:02}-{d:02}-{h:02}-{mi:02}-{s:02}-{milli:03}")
}

/// `yyyy-MM-dd HH:mm:ss` (UTC), as SHOW BACKUP / SHOW RESTORE / SHOW REPOSITORIES print times.
pub fn show_time(ms: u64) -> String {
    let (y, mo, d, h, mi, s, _) = parts(ms);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
}

/// Whether `text` has the shape of a snapshot timestamp (digits and dashes in the right places).
pub fn is_snapshot_timestamp(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 23
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 | 10 | 13 | 16 | 19 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_starrocks() {
        // 2024-12-09 10:25:58.842 UTC
        let ms = 1_733_739_958_842;
        assert_eq!(snapshot_timestamp(ms), "2024-12-09-10-25-58-842");
        assert_eq!(show_time(ms), "2024-12-09 10:25:58");
        assert!(is_snapshot_timestamp("2024-12-09-10-25-58-842"));
        assert!(!is_snapshot_timestamp("2024-12-09-10-25-58"));
        assert!(!is_snapshot_timestamp("../../../../etc/passwd!"));
    }
}
