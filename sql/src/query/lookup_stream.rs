//! A key lookup's files read in one stream, as [`parquet_scan`](super::parquet_scan) lays them
//! out.
//!
//! A lookup of one value of a DUPLICATE KEY table's leading key reads about one page per file.
//! In one stream a plain lookup's plan runs on the calling thread ([`gather`](crate::result)); split
//! over two, a worker thread must be woken, which after an idle spell cost a lookup on a 2-core VM
//! more than it saved (single lookups after a 0.3 s pause, 6 M rows over 7 files: median 4.3–4.6
//! ms in one stream against 5.0–5.3 ms in two). DataFusion's distribution rule splits a scan's
//! files into byte ranges whenever the table is large; [`LookupInOneStream`] runs after it and
//! puts a lookup's ranges back into one stream, whole files again.

use std::sync::Arc;

use datafusion::common::Result as DfResult;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::config::ConfigOptions;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfig, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;

/// The physical optimizer rule that reads each key lookup's Parquet scan (the only scans tabvault
/// plans with filters pushed into the decoder) in one stream.
#[derive(Debug, Default)]
pub struct LookupInOneStream;

impl PhysicalOptimizerRule for LookupInOneStream {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            let Some(scan) = lookup_scan(node.as_ref()) else {
                return Ok(Transformed::no(node));
            };
            if scan.file_groups.len() <= 1 {
                return Ok(Transformed::no(node));
            }
            let files = scan.file_groups.iter().flat_map(|g| g.iter().cloned());
            let mut single = scan.clone();
            single.file_groups = vec![FileGroup::new(whole_files(files))];
            let one_stream: Arc<dyn ExecutionPlan> = DataSourceExec::from_data_source(single);
            Ok(Transformed::yes(one_stream))
        })
        .data()
    }

    fn name(&self) -> &str {
        "lookup_in_one_stream"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// The file scan of `node` when it is a Parquet scan with filters pushed into the decoder.
fn lookup_scan(node: &dyn ExecutionPlan) -> Option<&FileScanConfig> {
    let exec = node.downcast_ref::<DataSourceExec>()?;
    let scan = exec.data_source().downcast_ref::<FileScanConfig>()?;
    let parquet = scan.file_source().downcast_ref::<ParquetSource>()?;
    parquet
        .table_parquet_options()
        .global
        .pushdown_filters
        .then_some(scan)
}

/// `files` with adjacent byte ranges of the same file joined again, a range covering a whole
/// file dropped.
fn whole_files(files: impl Iterator<Item = PartitionedFile>) -> Vec<PartitionedFile> {
    let mut joined: Vec<PartitionedFile> = Vec::new();
    for file in files {
        if let Some(last) = joined.last_mut()
            && last.object_meta.location == file.object_meta.location
            && let (Some(previous), Some(next)) = (&mut last.range, &file.range)
            && previous.end == next.start
        {
            previous.end = next.end;
            continue;
        }
        joined.push(file);
    }
    for file in &mut joined {
        let whole = file.range.as_ref().is_some_and(|r| {
            r.start == 0 && u64::try_from(r.end).is_ok_and(|end| end == file.object_meta.size)
        });
        if whole {
            file.range = None;
        }
    }
    joined
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, size: u64, range: Option<(i64, i64)>) -> PartitionedFile {
        let file = PartitionedFile::new(name, size);
        match range {
            Some((start, end)) => file.with_range(start, end),
            None => file,
        }
    }

    fn shape(files: &[PartitionedFile]) -> Vec<(String, Option<(i64, i64)>)> {
        files
            .iter()
            .map(|f| {
                let range = f.range.as_ref().map(|r| (r.start, r.end));
                (f.object_meta.location.to_string(), range)
            })
            .collect()
    }

    /// DataFusion's split of two files over two streams (`a` whole, `b` in two ranges) joins
    /// back into the two whole files; a file's part not followed by its next part stays a part.
    #[test]
    fn byte_ranges_join_back_into_whole_files() {
        let split = vec![
            file("a", 100, None),
            file("b", 300, Some((0, 120))),
            file("b", 300, Some((120, 300))),
            file("c", 50, Some((0, 20))),
            file("d", 10, None),
            file("c", 50, Some((20, 50))),
        ];
        let joined = whole_files(split.into_iter());
        assert_eq!(
            shape(&joined),
            vec![
                ("a".to_owned(), None),
                ("b".to_owned(), None),
                ("c".to_owned(), Some((0, 20))),
                ("d".to_owned(), None),
                ("c".to_owned(), Some((20, 50))),
            ]
        );
    }
}
