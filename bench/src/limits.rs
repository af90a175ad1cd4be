//! Reference rates measured in the same run, to say what limits each figure: `dd`-style
//! sequential write (1 MiB blocks, one fsync) and read-back of as many bytes as the data files
//! hold, on the data filesystem and the other one, and BLAKE3 over the data files.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use tabvault_storage::internal::hash_file;

use crate::Result;
use crate::report::Reference;
use crate::rng::XorShift;
use crate::stats::timed;

const BLOCK: usize = 1 << 20;

/// Measures the reference rates; `bytes` is how much to write (the data files' total).
pub fn measure(
    work: &Path,
    other: &Path,
    other_label: &str,
    data_files: &[PathBuf],
    bytes: u64,
) -> Result<Vec<Reference>> {
    let bytes = bytes.max(BLOCK as u64);
    let mut refs = Vec::new();
    for (dir, label) in [(work, "data fs"), (other, other_label)] {
        let path = dir.join("bench-dd.tmp");
        let (write_secs, ()) = timed(|| write_sequential(&path, bytes))?;
        let (read_secs, read) = timed(|| read_sequential(&path))?;
        std::fs::remove_file(&path)?;
        refs.push(Reference {
            name: format!("sequential write + fsync, {label}"),
            value: rate(bytes, write_secs),
            note: format!(
                "{} in 1 MiB blocks, one fsync at the end (dd conv=fsync)",
                crate::size::format_bytes(bytes)
            ),
        });
        refs.push(Reference {
            name: format!("sequential read, {label}"),
            value: rate(read, read_secs),
            note: "the file just written, from the page cache (like every read in this run)".into(),
        });
    }
    let total: u64 = data_files
        .iter()
        .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
        .sum();
    let (hash_secs, ()) = timed(|| {
        for f in data_files {
            hash_file(f)?;
        }
        Ok(())
    })?;
    refs.push(Reference {
        name: "BLAKE3 of the data files, 1 thread".into(),
        value: rate(total, hash_secs),
        note: format!(
            "tabvault_storage::internal::hash_file over {} files (warm cache); restore verifies with it",
            data_files.len()
        ),
    });
    Ok(refs)
}

fn rate(bytes: u64, secs: f64) -> String {
    format!("{:.0} MB/s", bytes as f64 / secs.max(1e-9) / 1e6)
}

fn write_sequential(path: &Path, bytes: u64) -> Result<()> {
    let mut rng = XorShift::new(bytes);
    let block: Vec<u8> = (0..BLOCK).map(|_| rng.next_u64() as u8).collect();
    let mut file = File::create(path)?;
    let mut left = bytes;
    while left > 0 {
        let n = usize::try_from(left).unwrap_or(BLOCK).min(BLOCK);
        file.write_all(&block[..n])?;
        left -= n as u64;
    }
    file.sync_all()?;
    Ok(())
}

fn read_sequential(path: &Path) -> Result<u64> {
    let mut file = File::open(path)?;
    let mut block = vec![0u8; BLOCK];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut block)?;
        if n == 0 {
            return Ok(total);
        }
        total += n as u64;
    }
}
