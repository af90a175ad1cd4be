//! Writing one rowset file: `create → write* → finish`. The file is written under a temporary name,
//! hashed and measured as its bytes pass by, fsync'd and renamed into place by `finish`, which
//! returns the [`FileMeta`] to publish. Dropping a writer without a successful `finish` removes what
//! it wrote.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::UInt32Array;
use arrow::compute::take_record_batch;
use arrow::datatypes::{DataType, Field, SchemaRef};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression as ParquetCompression, Encoding, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use super::stats::{STRING_BOUND_LEN_MAX, file_stats};
use crate::catalog::FileMeta;
use crate::crash::{CrashHook, CrashPoint};
use crate::error::{IoContext, Result};
use crate::fs::temp_path;
use crate::io::{StorageFile, StorageIo};
use crate::schema::Compression;

/// The largest dictionary a column chunk builds before it falls back to plain encoding. The
/// parquet crate's default (1 MiB) dictionary-encodes a 128 Ki-row row group of any 8-byte
/// column, however many distinct values it holds: interning each value cost appends time, and
/// the dictionary plus its indices compressed worse than plain values. At 64 KiB low-cardinality
/// columns (flags, dates, small decimals, short repeated strings) keep their dictionary and the
/// rest fall back early. Measured on the bench's 6.1 M lineitem rows: appends 15% faster, files
/// 17% smaller, scans as fast or faster (bench/RESULTS.md, 2026-12-06).
const DICTIONARY_PAGE_BYTES_MAX: usize = 64 * 1024;

/// Rows copied into one batch by [`RowsetWriter::write_in_order`]: half a default row group,
/// a few MiB for typical rows.
const WRITE_CHUNK_ROWS: usize = 64 * 1024;

/// Parquet writer settings for a table's files. `sorted_by` is the column the file's rows are
/// sorted by first (a table's leading key column), if any. When it holds integers or dates it is
/// delta-encoded without a dictionary: its sorted values differ by little, so the deltas pack
/// into a few bits each, where a dictionary would hold the first 64 KiB of distinct values and
/// then give up. A key lookup then decompresses a few KiB of that column per file instead of a
/// 64 KiB dictionary and a 160 KiB page (bench/RESULTS.md, 2026-12-06, session 12).
pub fn writer_properties(
    compression: Compression,
    row_group_rows: usize,
    sorted_by: Option<&Field>,
) -> WriterProperties {
    let codec = match compression {
        Compression::Zstd => ParquetCompression::ZSTD(ZstdLevel::default()),
        Compression::Lz4 => ParquetCompression::LZ4_RAW,
        Compression::Snappy => ParquetCompression::SNAPPY,
        Compression::None => ParquetCompression::UNCOMPRESSED,
    };
    let mut builder = WriterProperties::builder()
        .set_compression(codec)
        .set_max_row_group_row_count(Some(row_group_rows))
        .set_dictionary_page_size_limit(DICTIONARY_PAGE_BYTES_MAX)
        .set_statistics_truncate_length(Some(STRING_BOUND_LEN_MAX));
    if let Some(field) = sorted_by.filter(|f| delta_encodable(f.data_type())) {
        let path = ColumnPath::from(field.name().as_str());
        builder = builder
            .set_column_dictionary_enabled(path.clone(), false)
            .set_column_encoding(path, Encoding::DELTA_BINARY_PACKED);
    }
    builder.build()
}

/// Whether a column of `data_type` is one of tabvault's integer, DATE or DATETIME columns, which
/// Parquet stores as INT32 or INT64, the physical types delta encoding takes.
fn delta_encodable(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::Date32
            | DataType::Timestamp(..)
    )
}

/// Passes bytes to a file while hashing and counting them.
struct HashingWriter {
    inner: BufWriter<Box<dyn StorageFile>>,
    hasher: blake3::Hasher,
    written: u64,
}

impl Write for HashingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes one rowset file. Call [`RowsetWriter::finish`] to publish it.
pub struct RowsetWriter {
    writer: Option<ArrowWriter<HashingWriter>>,
    relative_path: String,
    final_path: PathBuf,
    temp_path: PathBuf,
    schema: SchemaRef,
    /// NULLs written per column of `schema`.
    null_counts: Vec<u64>,
    rows: u64,
    hook: Option<CrashHook>,
    io: Arc<dyn StorageIo>,
    /// Set when `finish` returns the file's metadata; until then dropping removes what was written.
    finished: bool,
}

impl std::fmt::Debug for RowsetWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowsetWriter")
            .field("path", &self.relative_path)
            .field("rows", &self.rows)
            .finish()
    }
}

impl RowsetWriter {
    /// Starts `root/relative_path` (creating its directories durably) for rows of `schema`; every
    /// durable operation goes through `io`. `schema` is what the file records: the engine passes
    /// [`TableSchema::file_arrow_schema`](crate::TableSchema::file_arrow_schema) (or the key
    /// variant), whose columns carry their Parquet field ids; batches of the same columns without
    /// that metadata are written as they are.
    pub fn create(
        io: &Arc<dyn StorageIo>,
        root: &Path,
        relative_path: String,
        schema: SchemaRef,
        properties: WriterProperties,
        hook: Option<CrashHook>,
    ) -> Result<Self> {
        let final_path = root.join(&relative_path);
        if let Some(dir) = final_path.parent() {
            io.create_dir_durable(dir)?;
        }
        if let Some(hook) = &hook {
            hook(CrashPoint::BeforeTempWrite);
        }
        let temp_path = temp_path(&final_path);
        let file = io
            .create_file(&temp_path)
            .io_context(|| format!("creating {}", temp_path.display()))?;
        let sink = HashingWriter {
            inner: BufWriter::with_capacity(1 << 20, file),
            hasher: blake3::Hasher::new(),
            written: 0,
        };
        let null_counts = vec![0; schema.fields().len()];
        let writer = ArrowWriter::try_new(sink, schema.clone(), Some(properties))?;
        Ok(Self {
            writer: Some(writer),
            relative_path,
            final_path,
            temp_path,
            schema,
            null_counts,
            rows: 0,
            hook,
            io: io.clone(),
            finished: false,
        })
    }

    /// Appends a batch (of the schema given to `create`).
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        for (nulls, column) in self.null_counts.iter_mut().zip(batch.columns()) {
            *nulls += column.null_count() as u64;
        }
        self.rows += batch.num_rows() as u64;
        if let Some(writer) = self.writer.as_mut() {
            writer.write(batch)?;
        }
        Ok(())
    }

    /// Appends the rows `order` of `batch` (indices into it), in that order, or the whole batch
    /// when `order` is `None`. The rows are copied a chunk at a time, so writing never holds a
    /// second copy of the batch: the chunks' memory is reused instead of newly mapped.
    pub fn write_in_order(
        &mut self,
        batch: &RecordBatch,
        order: Option<&UInt32Array>,
    ) -> Result<()> {
        let Some(order) = order else {
            return self.write(batch);
        };
        let mut start = 0;
        while start < order.len() {
            let len = WRITE_CHUNK_ROWS.min(order.len() - start);
            self.write(&take_record_batch(batch, &order.slice(start, len))?)?;
            start += len;
        }
        Ok(())
    }

    /// Completes the file: Parquet footer, fsync, rename into place, fsync of the directory.
    pub fn finish(mut self) -> Result<FileMeta> {
        let Some(mut writer) = self.writer.take() else {
            return Err(crate::error::StorageError::Unsupported(
                "rowset writer already finished".into(),
            ));
        };
        writer.flush()?;
        let columns = file_stats(&self.schema, writer.flushed_row_groups(), &self.null_counts)?;
        let mut sink = writer.into_inner()?;
        sink.flush()
            .io_context(|| format!("writing {}", self.temp_path.display()))?;
        let HashingWriter {
            inner,
            hasher,
            written,
        } = sink;
        let mut file = inner
            .into_inner()
            .map_err(|e| e.into_error())
            .io_context(|| format!("writing {}", self.temp_path.display()))?;
        file.sync_all()
            .io_context(|| format!("syncing {}", self.temp_path.display()))?;
        drop(file);
        if let Some(hook) = &self.hook {
            hook(CrashPoint::AfterTempWrite);
        }
        self.io.rename_durable(&self.temp_path, &self.final_path)?;
        if let Some(hook) = &self.hook {
            hook(CrashPoint::AfterRename);
        }
        self.finished = true;
        Ok(FileMeta {
            path: self.relative_path.clone(),
            size_bytes: written,
            checksum: hasher.finalize().to_hex().to_string(),
            rows: self.rows,
            columns,
        })
    }
}

impl Drop for RowsetWriter {
    fn drop(&mut self) {
        if !self.finished {
            drop(self.writer.take());
            // Both names are this writer's own: the rowset id in them was allocated for it.
            let _ = self.io.remove_file_if_exists(&self.temp_path);
            let _ = self.io.remove_file_if_exists(&self.final_path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};
    use bytes::Bytes;
    use parquet::basic::{Encoding, PageType};
    use parquet::file::reader::{FileReader, SerializedFileReader};

    /// Data-page encodings of each column of a file written with the table settings.
    fn data_page_encodings(columns: Vec<(&str, Vec<i64>)>) -> Vec<Vec<Encoding>> {
        let fields: Vec<Field> = columns
            .iter()
            .map(|(name, _)| Field::new(*name, DataType::Int64, false))
            .collect();
        let schema = Arc::new(Schema::new(fields));
        let arrays = columns
            .into_iter()
            .map(|(_, values)| Arc::new(Int64Array::from(values)) as _)
            .collect();
        let batch = RecordBatch::try_new(schema.clone(), arrays).expect("batch");
        let props = writer_properties(Compression::Zstd, 128 * 1024, None);
        let mut bytes = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut bytes, schema, Some(props)).expect("writer");
        writer.write(&batch).expect("write");
        writer.close().expect("close");
        let reader = SerializedFileReader::new(Bytes::from(bytes)).expect("reader");
        let row_group = reader.get_row_group(0).expect("row group");
        (0..row_group.num_columns())
            .map(|i| {
                let pages = row_group.get_column_page_reader(i).expect("pages");
                pages
                    .map(|page| page.expect("page"))
                    .filter(|page| page.page_type() != PageType::DICTIONARY_PAGE)
                    .map(|page| page.encoding())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn few_distinct_values_keep_their_dictionary_and_many_fall_back_to_plain() {
        let rows = 100_000i64;
        let encodings = data_page_encodings(vec![
            ("flags", (0..rows).map(|i| i % 10).collect()),
            ("keys", (0..rows).map(|i| i * 7919).collect()),
        ]);
        assert!(
            encodings[0].iter().all(|e| *e == Encoding::RLE_DICTIONARY),
            "{encodings:?}"
        );
        assert!(encodings[1].contains(&Encoding::PLAIN), "{encodings:?}");
    }
}
