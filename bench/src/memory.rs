//! Peak resident memory of a piece of work in this process, from Linux's high-water mark
//! (`VmHWM`), which writing `5` to `/proc/self/clear_refs` resets to the current resident size.

use std::fs;

/// The resident size when the work started; the high-water mark was reset then.
#[derive(Debug, Clone, Copy)]
pub struct PeakWatch {
    before: u64,
}

/// The peak resident size during a piece of work, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Peak {
    /// The process's peak resident size.
    pub resident: u64,
    /// How far it rose above the resident size when the work started. Pages freed earlier and
    /// still resident may be reused without growth, so this is a lower bound of the work's own.
    pub growth: u64,
}

impl PeakWatch {
    /// Resets the high-water mark; `None` where `/proc` does not offer it.
    pub fn start() -> Option<Self> {
        let before = status_bytes("VmRSS")?;
        fs::write("/proc/self/clear_refs", "5").ok()?;
        Some(Self { before })
    }

    /// The peak since [`PeakWatch::start`].
    pub fn finish(self) -> Option<Peak> {
        let resident = status_bytes("VmHWM")?;
        Some(Peak {
            resident,
            growth: resident.saturating_sub(self.before),
        })
    }
}

/// A `kB` field of `/proc/self/status`, in bytes.
fn status_bytes(field: &str) -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status
        .lines()
        .find(|line| line.split(':').next() == Some(field))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_allocation_raises_the_peak() {
        let watch = PeakWatch::start().expect("Linux offers /proc/self/clear_refs");
        let block = vec![1_u8; 64 << 20];
        let peak = watch.finish().expect("the mark is readable once reset");
        assert!(block.iter().all(|&b| b == 1));
        assert!(peak.growth >= 60 << 20, "{peak:?}");
        assert!(peak.resident >= peak.growth);
    }
}
