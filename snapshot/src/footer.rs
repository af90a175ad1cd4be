//! Checking a downloaded rowset file against what the manifest says about it, before RESTORE
//! installs it.
//!
//! The manifest's row count and column statistics become the restored rowset's `FileMeta`, which
//! scans trust without opening the file: `rows` and `null_count` decide `IS [NOT] NULL` pruning,
//! `min` and `max` decide range pruning. The BLAKE3 check proves only that the file is the one the
//! manifest names, not that the manifest describes it truthfully: whoever can write to a
//! repository can re-sign a manifest whose statistics are narrower than the data, and the restored
//! table would then silently skip rows a query matches. So every manifest entry that uses a file
//! is checked against the file's own Parquet footer, read as scans read it
//! (`StatisticsConverter`, then [`Value::from_array`]):
//!
//! - the footer's row count (declared, and summed over its row groups) equals the entry's `rows`;
//! - the file's Arrow schema has every column the rowset needs (all the table's columns for a
//!   data rowset, its key columns for a delete rowset) with the column type's Arrow type, and a
//!   NOT NULL column holds no NULLs;
//! - each recorded `null_count` equals the footer's; a recorded `min` is at or below the footer's
//!   smallest value and a recorded `max` at or above its largest (wider bounds only cost pruning,
//!   narrower ones hide rows); a floating-point column carries no bounds, as tabvault never
//!   records them (Parquet's bounds leave NaN out, so pruning on them could drop NaN rows).
//!
//! The footer itself is trusted, as scans trust it for row-group pruning: it is part of the bytes
//! the checksum vouches for.

use std::cmp::Ordering;
use std::fs::File;
use std::path::Path;

use arrow::array::Array;
use arrow::datatypes::Schema;
use parquet::arrow::arrow_reader::statistics::StatisticsConverter;
use parquet::arrow::parquet_to_arrow_schema;
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};
use tabvault_storage::{ColumnStats, ColumnType, RowsetKind, TableSchema, Value};

use crate::error::{Result, SnapshotError};
use crate::manifest::RowsetEntry;

/// One manifest entry that a downloaded file backs: where it is restored and what it records.
#[derive(Debug)]
pub(crate) struct RowsetUse<'a> {
    /// The table's name in the snapshot.
    pub table: &'a str,
    /// The partition's name in the snapshot.
    pub partition: &'a str,
    /// The manifest's entry: kind, row count, column statistics.
    pub rowset: &'a RowsetEntry,
    /// The schema the rowset is installed under.
    pub schema: &'a TableSchema,
}

/// Checks the downloaded file at `path` (`what` names it in the repository) against every
/// manifest entry in `uses`. Any difference is a corruption error naming the file, the entry and
/// what differs.
pub(crate) fn check_rowset_file(path: &Path, what: &str, uses: &[RowsetUse<'_>]) -> Result<()> {
    let footer = Footer::read(path).map_err(|detail| SnapshotError::corrupted(what, detail))?;
    for used in uses {
        footer.check(used).map_err(|detail| {
            SnapshotError::corrupted(
                what,
                format!(
                    "the manifest's {} rowset of version {} in partition {} of table {} does \
                     not match the file's Parquet footer: {detail}",
                    kind_name(used.rowset.kind),
                    used.rowset.version,
                    used.partition,
                    used.table
                ),
            )
        })?;
    }
    Ok(())
}

fn kind_name(kind: RowsetKind) -> &'static str {
    match kind {
        RowsetKind::Data => "data",
        RowsetKind::Delete => "delete",
    }
}

/// A file's Parquet footer and the Arrow schema it describes.
struct Footer {
    metadata: ParquetMetaData,
    schema: Schema,
}

/// What a footer says about one column over the whole file.
struct ColumnFooter {
    /// NULLs in the file; `None` when a row group records no statistics for the column.
    null_count: Option<u64>,
    /// Smallest and largest non-NULL value; `None` when a row group that may hold values records
    /// no bound (or one that cannot be compared).
    bounds: Option<(Value, Value)>,
    /// Whether some row group may hold a non-NULL value.
    has_values: bool,
}

impl Footer {
    fn read(path: &Path) -> std::result::Result<Self, String> {
        let file = File::open(path).map_err(|e| format!("cannot open the downloaded file: {e}"))?;
        let metadata = ParquetMetaDataReader::new()
            .parse_and_finish(&file)
            .map_err(|e| format!("unreadable Parquet footer: {e}"))?;
        let file_metadata = metadata.file_metadata();
        let schema = parquet_to_arrow_schema(
            file_metadata.schema_descr(),
            file_metadata.key_value_metadata(),
        )
        .map_err(|e| format!("Parquet schema without an Arrow equivalent: {e}"))?;
        Ok(Self { metadata, schema })
    }

    fn check(&self, used: &RowsetUse<'_>) -> std::result::Result<(), String> {
        self.check_rows(used.rowset.rows)?;
        let needed = match used.rowset.kind {
            RowsetKind::Data => used.schema.arrow_schema(),
            RowsetKind::Delete => used.schema.key_arrow_schema(),
        };
        for field in needed.fields() {
            let name = field.name();
            let found = self
                .schema
                .field_with_name(name)
                .map_err(|_| format!("the file has no column {name}"))?;
            if found.data_type() != field.data_type() {
                return Err(format!(
                    "column {name} is {} in the file, the table needs {}",
                    found.data_type(),
                    field.data_type()
                ));
            }
            if !field.is_nullable() {
                match self.column(name)?.null_count {
                    Some(0) => {}
                    Some(n) => return Err(format!("NOT NULL column {name} holds {n} NULLs")),
                    None => {
                        return Err(format!(
                            "the footer records no NULL count for NOT NULL column {name}"
                        ));
                    }
                }
            }
        }
        for stats in &used.rowset.columns {
            if needed.field_with_name(&stats.name).is_err() {
                return Err(format!(
                    "the manifest records statistics for column {}, which the rowset does not hold",
                    stats.name
                ));
            }
            let ty = used
                .schema
                .column(&stats.name)
                .map(|c| &c.ty)
                .ok_or_else(|| format!("no column {} in the table", stats.name))?;
            self.check_stats(stats, ty)?;
        }
        Ok(())
    }

    fn check_rows(&self, rows: u64) -> std::result::Result<(), String> {
        let declared = self.metadata.file_metadata().num_rows();
        let groups = self.metadata.row_groups();
        if let Some(group) = groups.iter().find(|g| g.num_rows() < 0) {
            return Err(format!(
                "a row group of the footer declares {} rows",
                group.num_rows()
            ));
        }
        let in_groups: i128 = groups.iter().map(|g| i128::from(g.num_rows())).sum();
        if i128::from(declared) != in_groups {
            return Err(format!(
                "the footer declares {declared} rows, its row groups hold {in_groups}"
            ));
        }
        if in_groups != i128::from(rows) {
            return Err(format!(
                "the manifest records {rows} rows, the file's footer {in_groups}"
            ));
        }
        Ok(())
    }

    /// Checks one column's recorded statistics: the NULL count must be the footer's, the bounds
    /// must contain the footer's.
    fn check_stats(&self, stats: &ColumnStats, ty: &ColumnType) -> std::result::Result<(), String> {
        let name = &stats.name;
        let has_bounds = stats.min.is_some() || stats.max.is_some();
        if has_bounds && matches!(ty, ColumnType::Float | ColumnType::Double) {
            return Err(format!(
                "the manifest records bounds for floating-point column {name}, which tabvault \
                 never records"
            ));
        }
        let footer = self.column(name)?;
        match footer.null_count {
            Some(n) if n == stats.null_count => {}
            Some(n) => {
                return Err(format!(
                    "column {name}: the manifest records {} NULLs, the file's footer {n}",
                    stats.null_count
                ));
            }
            None => {
                return Err(format!(
                    "column {name}: the footer records no NULL count to check the manifest's {} \
                     against",
                    stats.null_count
                ));
            }
        }
        if !has_bounds {
            return Ok(());
        }
        if !footer.has_values {
            return Err(format!(
                "column {name}: the manifest records bounds but the file holds no non-NULL value"
            ));
        }
        let Some((lowest, highest)) = footer.bounds else {
            return Err(format!(
                "column {name}: the footer records no bounds to check the manifest's against"
            ));
        };
        if let Some(min) = &stats.min
            && !matches!(min.compare(&lowest), Some(Ordering::Less | Ordering::Equal))
        {
            return Err(format!(
                "column {name}: the manifest's minimum {min:?} is not at or below the file's \
                 minimum {lowest:?}, which would hide rows from scans"
            ));
        }
        if let Some(max) = &stats.max
            && !matches!(
                max.compare(&highest),
                Some(Ordering::Greater | Ordering::Equal)
            )
        {
            return Err(format!(
                "column {name}: the manifest's maximum {max:?} is not at or above the file's \
                 maximum {highest:?}, which would hide rows from scans"
            ));
        }
        Ok(())
    }

    /// Folds the row groups' statistics of column `name` (which the file holds).
    fn column(&self, name: &str) -> std::result::Result<ColumnFooter, String> {
        let groups = self.metadata.row_groups();
        let unreadable = |e: parquet::errors::ParquetError| {
            format!("column {name}: unreadable footer statistics: {e}")
        };
        let converter = StatisticsConverter::try_new(
            name,
            &self.schema,
            self.metadata.file_metadata().schema_descr(),
        )
        .map_err(unreadable)?;
        let mins = converter
            .row_group_mins(groups.iter())
            .map_err(unreadable)?;
        let maxes = converter
            .row_group_maxes(groups.iter())
            .map_err(unreadable)?;
        let nulls = converter
            .row_group_null_counts(groups.iter())
            .map_err(unreadable)?;
        let mut folded = ColumnFooter {
            null_count: Some(0),
            bounds: None,
            has_values: false,
        };
        let mut bounds_known = true;
        for (i, group) in groups.iter().enumerate() {
            let rows = u64::try_from(group.num_rows()).unwrap_or(0);
            let group_nulls = (i < nulls.len() && nulls.is_valid(i)).then(|| nulls.value(i));
            folded.null_count = folded
                .null_count
                .zip(group_nulls)
                .map(|(a, b)| a.saturating_add(b));
            if rows == 0 || group_nulls == Some(rows) {
                continue;
            }
            folded.has_values = true;
            let bound = |array: &dyn Array| {
                (i < array.len())
                    .then(|| Value::from_array(array, i).ok())
                    .flatten()
                    .filter(|v| !v.is_null())
            };
            let (Some(lo), Some(hi)) = (bound(mins.as_ref()), bound(maxes.as_ref())) else {
                bounds_known = false;
                continue;
            };
            folded.bounds = match folded.bounds.take() {
                None => Some((lo, hi)),
                Some((low, high)) => match (lo.compare(&low), hi.compare(&high)) {
                    (Some(l), Some(h)) => Some((
                        if l == Ordering::Less { lo } else { low },
                        if h == Ordering::Greater { hi } else { high },
                    )),
                    _ => {
                        bounds_known = false;
                        None
                    }
                },
            };
        }
        if !bounds_known {
            folded.bounds = None;
        }
        Ok(folded)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Float64Array, Int64Array};
    use arrow::record_batch::RecordBatch;
    use parquet::arrow::ArrowWriter;
    use tabvault_storage::{ColumnDef, Distribution, KeyModel, PartitionScheme, TableProperties};

    use super::*;

    type R = std::result::Result<(), Box<dyn std::error::Error>>;

    /// `k BIGINT NOT NULL, f DOUBLE, n BIGINT` (n always NULL), duplicate key on `k`.
    fn schema() -> TableSchema {
        TableSchema {
            columns: vec![
                ColumnDef::new("k", ColumnType::BigInt).not_null(),
                ColumnDef::new("f", ColumnType::Double),
                ColumnDef::new("n", ColumnType::BigInt),
            ],
            key_model: KeyModel::Duplicate,
            key_columns: vec!["k".into()],
            partition_scheme: PartitionScheme::Unpartitioned,
            distribution: Distribution::Random { buckets: 1 },
            properties: TableProperties::default(),
        }
    }

    /// Writes rows k = 1..=4 in two row groups, and returns the entry storage would record.
    fn write(
        path: &Path,
        schema: &TableSchema,
    ) -> std::result::Result<RowsetEntry, Box<dyn std::error::Error>> {
        let properties = parquet::file::properties::WriterProperties::builder()
            .set_max_row_group_row_count(Some(2))
            .build();
        let mut writer =
            ArrowWriter::try_new(File::create(path)?, schema.arrow_schema(), Some(properties))?;
        let batch = RecordBatch::try_new(
            schema.arrow_schema(),
            vec![
                Arc::new(Int64Array::from(vec![3, 1, 4, 2])) as ArrayRef,
                Arc::new(Float64Array::from(vec![
                    Some(0.5),
                    None,
                    Some(f64::NAN),
                    Some(2.0),
                ])),
                Arc::new(Int64Array::from(vec![None::<i64>; 4])),
            ],
        )?;
        writer.write(&batch)?;
        writer.close()?;
        let stats = |name: &str, min: Option<i64>, max: Option<i64>, null_count| ColumnStats {
            name: name.into(),
            min: min.map(Value::Int),
            max: max.map(Value::Int),
            null_count,
        };
        Ok(RowsetEntry {
            kind: RowsetKind::Data,
            version: 2,
            size_bytes: 0,
            checksum: String::new(),
            rows: 4,
            columns: vec![
                stats("k", Some(1), Some(4), 0),
                stats("f", None, None, 1),
                stats("n", None, None, 4),
            ],
        })
    }

    fn check(
        path: &Path,
        schema: &TableSchema,
        rowset: &RowsetEntry,
    ) -> std::result::Result<(), String> {
        let used = RowsetUse {
            table: "t",
            partition: "t",
            rowset,
            schema,
        };
        check_rowset_file(path, "data/ab/x.parquet", &[used]).map_err(|e| e.to_string())
    }

    #[test]
    fn what_storage_records_passes_and_each_forgery_is_named() -> R {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("rowset.parquet");
        let schema = schema();
        let honest = write(&path, &schema)?;
        check(&path, &schema, &honest)?;

        let forged = |change: &dyn Fn(&mut RowsetEntry)| {
            let mut rowset = honest.clone();
            change(&mut rowset);
            check(&path, &schema, &rowset).expect_err("forgery refused")
        };
        let refused = forged(&|r| r.columns[1].max = Some(Value::Float(1.0)));
        assert!(refused.contains("floating-point column f"), "{refused}");
        let refused = forged(&|r| r.columns[2].min = Some(Value::Int(0)));
        assert!(refused.contains("holds no non-NULL value"), "{refused}");
        let refused = forged(&|r| r.columns[0].name = "x".into());
        assert!(
            refused.contains("column x, which the rowset does not hold"),
            "{refused}"
        );
        let refused = forged(&|r| r.columns[0].min = Some(Value::String("1".into())));
        assert!(
            refused.contains(r#"minimum String("1") is not at or below the file's minimum Int(1)"#),
            "{refused}"
        );
        let refused = forged(&|r| r.kind = RowsetKind::Delete);
        assert!(refused.contains("statistics for column f"), "{refused}");
        assert!(
            refused.starts_with("corrupted data/ab/x.parquet: "),
            "{refused}"
        );

        // A wider range hides nothing.
        let mut wider = honest.clone();
        wider.columns[0].min = Some(Value::Int(-10));
        wider.columns[0].max = None;
        check(&path, &schema, &wider)?;
        Ok(())
    }
}
