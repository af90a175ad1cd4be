//! A pinned rowset file's byte ranges, served from its memory mapping in the task that asks for
//! them. Rowset files are local and mostly in the page cache: a range is a slice of the mapping,
//! with nothing allocated or copied. The object store's local reader instead opens the file again
//! and hands each read to a blocking thread and back (a key lookup made about 64 such thread
//! switches, each a wake of an idle core on a small machine). The footer and page index still
//! come through DataFusion's reader, with its metadata cache.

use std::ops::Range;

use bytes::Bytes;
use datafusion::datasource::physical_plan::parquet::ParquetFileMetrics;
use datafusion::parquet::arrow::arrow_reader::ArrowReaderOptions;
use datafusion::parquet::arrow::async_reader::AsyncFileReader;
use datafusion::parquet::errors::{ParquetError, Result as ParquetResult};
use datafusion::parquet::file::metadata::{PageIndexPolicy, ParquetMetaData};
use futures::future::{BoxFuture, FutureExt};
use std::sync::Arc;

/// Reads one mapped rowset file; its metadata through `metadata`.
pub(crate) struct LocalFileReader {
    /// The whole file, mapped.
    file: Bytes,
    metadata: Box<dyn AsyncFileReader + Send>,
    metrics: ParquetFileMetrics,
}

impl LocalFileReader {
    /// A reader of the mapped `file` whose footer and page index `metadata` reads, counting the
    /// bytes it reads in `metrics`.
    pub(crate) fn new(
        file: Bytes,
        metadata: Box<dyn AsyncFileReader + Send>,
        metrics: ParquetFileMetrics,
    ) -> Self {
        Self {
            file,
            metadata,
            metrics,
        }
    }

    fn read(&self, range: Range<u64>) -> ParquetResult<Bytes> {
        let start = usize::try_from(range.start).unwrap_or(usize::MAX);
        let end = usize::try_from(range.end).unwrap_or(usize::MAX);
        if start > end || end > self.file.len() {
            return Err(ParquetError::EOF(format!(
                "bytes {}..{} asked of a file of {} bytes",
                range.start,
                range.end,
                self.file.len()
            )));
        }
        self.metrics.bytes_scanned.add(end - start);
        Ok(self.file.slice(start..end))
    }
}

impl AsyncFileReader for LocalFileReader {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, ParquetResult<Bytes>> {
        let bytes = self.read(range);
        async move { bytes }.boxed()
    }

    fn get_byte_ranges(
        &mut self,
        ranges: Vec<Range<u64>>,
    ) -> BoxFuture<'_, ParquetResult<Vec<Bytes>>> {
        let bytes = ranges.into_iter().map(|r| self.read(r)).collect();
        async move { bytes }.boxed()
    }

    /// The footer with the page index, whatever `options` ask: DataFusion's opener asks for the
    /// footer alone and then reads and decodes the page index itself, every time a query opens
    /// the file, while the metadata cache keeps what this returns, index included.
    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, ParquetResult<Arc<ParquetMetaData>>> {
        let with_index = options
            .cloned()
            .unwrap_or_default()
            .with_page_index_policy(PageIndexPolicy::Optional);
        async move { self.metadata.get_metadata(Some(&with_index)).await }.boxed()
    }
}

impl Drop for LocalFileReader {
    /// Records the share of the file read, as DataFusion's own reader does.
    fn drop(&mut self) {
        let read = self.metrics.bytes_scanned.value();
        self.metrics.scan_efficiency_ratio.add_part(read);
        self.metrics
            .scan_efficiency_ratio
            .set_total(self.file.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{ArrayRef, Int64Array, RecordBatch};
    use datafusion::datasource::listing::PartitionedFile;
    use datafusion::datasource::physical_plan::ParquetFileReaderFactory;
    use datafusion::datasource::physical_plan::parquet::CachedParquetFileReaderFactory;
    use datafusion::execution::runtime_env::RuntimeEnv;
    use datafusion::object_store::local::LocalFileSystem;
    use datafusion::object_store::path::Path as StorePath;
    use datafusion::parquet::arrow::ArrowWriter;
    use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
    use std::fs::File;

    /// A file's metadata comes with its page index even when the opener asks for the footer
    /// alone, so the metadata cache keeps the index and no query decodes it again.
    #[tokio::test]
    async fn metadata_includes_the_page_index_whatever_is_asked() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("rows.parquet");
        let values: ArrayRef = Arc::new(Int64Array::from_iter_values(0..10_000));
        let batch = RecordBatch::try_from_iter([("k", values)]).expect("batch");
        let mut writer =
            ArrowWriter::try_new(File::create(&path).expect("create"), batch.schema(), None)
                .expect("writer");
        writer.write(&batch).expect("write");
        writer.close().expect("close");

        let size = std::fs::metadata(&path).expect("size").len();
        let mut listed = PartitionedFile::new(path.to_string_lossy(), size);
        listed.object_meta.location = StorePath::from_absolute_path(&path).expect("location");
        let cache = RuntimeEnv::default()
            .cache_manager
            .get_file_metadata_cache();
        let factory =
            CachedParquetFileReaderFactory::new(Arc::new(LocalFileSystem::new()), cache.clone());
        let metrics = ExecutionPlanMetricsSet::new();
        for _ in 0..2 {
            let metadata = factory
                .create_reader(0, listed.clone(), None, &metrics)
                .expect("metadata reader");
            let mut reader = LocalFileReader::new(
                tabvault_storage::internal::map_rowset_file(&path, size).expect("mapped"),
                metadata,
                ParquetFileMetrics::new(0, "rows.parquet", &metrics),
            );
            let footer_only =
                ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Skip);
            let metadata = reader
                .get_metadata(Some(&footer_only))
                .await
                .expect("metadata");
            assert!(metadata.column_index().is_some(), "column index");
            assert!(metadata.offset_index().is_some(), "offset index");
        }
        let cached = cache.get(&listed.object_meta.location).expect("cached");
        assert!(cached.is_valid_for(&listed.object_meta));
    }
}
