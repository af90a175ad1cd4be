//! The machine a run happens on: cores, memory, kernel, filesystems, load, and the UTC date.

use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use tabvault_storage::civil_from_days;

/// What the report says about the machine.
#[derive(Clone, Debug, Default)]
pub struct Machine {
    /// Logical CPUs available to the process.
    pub cores: usize,
    /// CPU model from /proc/cpuinfo.
    pub cpu: String,
    /// MemTotal from /proc/meminfo.
    pub memory: String,
    /// Kernel release.
    pub kernel: String,
    /// The data directory.
    pub data_dir: String,
    /// Filesystem type of the data directory.
    pub data_fs: String,
    /// The other repository directory.
    pub other_dir: String,
    /// Filesystem type of the other repository directory, and whether it is another device.
    pub other_fs: String,
}

impl Machine {
    /// Looks the machine up; `other_is_other_fs` says whether `other_dir` is on another device.
    pub fn detect(data_dir: &Path, other_dir: &Path, other_is_other_fs: bool) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let cpu = read("/proc/cpuinfo")
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
            .unwrap_or_else(|| "unknown CPU".into());
        let memory = read("/proc/meminfo")
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|l| l.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or("unknown".into(), |kb| crate::size::format_bytes(kb * 1024));
        let kernel = read("/proc/sys/kernel/osrelease").trim().to_owned();
        Self {
            cores,
            cpu,
            memory,
            kernel,
            data_dir: data_dir.display().to_string(),
            data_fs: fs_type(data_dir),
            other_dir: other_dir.display().to_string(),
            other_fs: format!(
                "{} ({})",
                fs_type(other_dir),
                if other_is_other_fs {
                    "another filesystem"
                } else {
                    "the SAME filesystem: no other one was available"
                }
            ),
        }
    }
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Filesystem type of `path` as `stat -f -c %T` reports it (e.g. `ext2/ext3`, `tmpfs`).
pub fn fs_type(path: &Path) -> String {
    Command::new("stat")
        .args(["-f", "-c", "%T"])
        .arg(path)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".into())
}

/// The git revision of the work tree, and how many files of the engine's crates differ from it
/// (the benchmark measures the work tree as built).
pub fn revision() -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let Some(head) = git(&["rev-parse", "--short", "HEAD"]) else {
        return "unknown (not a git work tree)".into();
    };
    let changed = git(&["status", "--porcelain", "--", "storage", "snapshot"])
        .map_or(0, |s| s.lines().count());
    if changed == 0 {
        head
    } else {
        format!("{head} + {changed} uncommitted file(s) in storage/ and snapshot/")
    }
}

/// The first three fields of /proc/loadavg (1, 5, 15 minutes).
pub fn load_average() -> String {
    read("/proc/loadavg")
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The current time, UTC, as `YYYY-MM-DD HH:MM:SS`.
pub fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let (y, m, d) = civil_from_days(days);
    let rest = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_this_machine() {
        let dir = std::env::temp_dir();
        let m = Machine::detect(&dir, &dir, false);
        assert!(m.cores >= 1);
        assert!(m.other_fs.contains("SAME"));
        assert_eq!(utc_now().len(), 19);
    }
}
