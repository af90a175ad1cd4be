//! A pinned rowset file's byte ranges read in the task that asks for them. Rowset files are
//! local and mostly in the page cache, so a positioned read returns in microseconds; the object
//! store's local reader instead opens the file again and hands each read to a blocking thread and
//! back. A key lookup made about 64 such thread switches, and on this 2-core VM a switch to an
//! idle core is what made a single lookup after a pause take 7–9 ms against 5 ms back to back.
//! The footer and page index still come through DataFusion's reader, with its metadata cache.

use std::fs::File;
use std::ops::Range;
use std::os::unix::fs::FileExt;

use bytes::Bytes;
use datafusion::datasource::physical_plan::parquet::ParquetFileMetrics;
use datafusion::parquet::arrow::arrow_reader::ArrowReaderOptions;
use datafusion::parquet::arrow::async_reader::AsyncFileReader;
use datafusion::parquet::errors::{ParquetError, Result as ParquetResult};
use datafusion::parquet::file::metadata::ParquetMetaData;
use futures::future::{BoxFuture, FutureExt};
use std::sync::Arc;

/// Reads one open rowset file with positioned reads; its metadata through `metadata`.
pub(crate) struct LocalFileReader {
    file: File,
    size: u64,
    metadata: Box<dyn AsyncFileReader + Send>,
    metrics: ParquetFileMetrics,
}

impl LocalFileReader {
    /// A reader of `file` (`size` bytes long) whose footer and page index `metadata` reads,
    /// counting the bytes it reads in `metrics`.
    pub(crate) fn new(
        file: File,
        size: u64,
        metadata: Box<dyn AsyncFileReader + Send>,
        metrics: ParquetFileMetrics,
    ) -> Self {
        Self {
            file,
            size,
            metadata,
            metrics,
        }
    }

    fn read(&self, range: Range<u64>) -> ParquetResult<Bytes> {
        let len = usize::try_from(range.end.saturating_sub(range.start))
            .map_err(|e| ParquetError::External(Box::new(e)))?;
        let mut buffer = vec![0; len];
        self.file
            .read_exact_at(&mut buffer, range.start)
            .map_err(|e| ParquetError::External(Box::new(e)))?;
        self.metrics.bytes_scanned.add(len);
        Ok(Bytes::from(buffer))
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

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, ParquetResult<Arc<ParquetMetaData>>> {
        self.metadata.get_metadata(options)
    }
}

impl Drop for LocalFileReader {
    /// Records the share of the file read, as DataFusion's own reader does.
    fn drop(&mut self) {
        let read = self.metrics.bytes_scanned.value();
        self.metrics.scan_efficiency_ratio.add_part(read);
        self.metrics
            .scan_efficiency_ratio
            .set_total(usize::try_from(self.size).unwrap_or(usize::MAX));
    }
}
