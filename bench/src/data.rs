//! The data set: a TPC-H lineitem-like table (12 columns of mixed types), RANGE-partitioned by
//! `l_shipdate` per year 1992–1998, HASH(`l_orderkey`) into 4 buckets, the default codec (LZ4); and its seeded
//! generator.
//!
//! The size of a data set is its *Arrow in-memory size*: the sum over all columns of the bytes of
//! the Arrow buffers (values, offsets, validity) its rows occupy, as
//! `ArrayData::get_slice_memory_size` counts them. About 120 bytes per row.

use std::ops::RangeInclusive;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Date32Array, Decimal128Array, Float64Array, Int32Array, Int64Array, StringArray,
};
use arrow::buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use tabvault_storage::days_from_civil;
use tabvault_storage::{
    ColumnDef, ColumnType, Distribution, KeyModel, PartitionBound, PartitionDef, PartitionScheme,
    TableDef, TableProperties, TableSchema, Value,
};

use crate::Result;
use crate::rng::XorShift;

/// Database the harness creates.
pub const DB: &str = "bench";
/// The lineitem table.
pub const TABLE: &str = "lineitem";
/// First year of `l_shipdate` (one partition per year).
pub const FIRST_YEAR: i32 = 1992;
/// Last year of `l_shipdate`.
pub const LAST_YEAR: i32 = 1998;
/// HASH(`l_orderkey`) buckets per partition.
pub const BUCKETS: u32 = 4;
/// Rows per generated batch: also rows per `Engine::append` call when loading.
pub const BATCH_ROWS: usize = 1 << 20;

const WORDS: [&str; 24] = [
    "furiously",
    "carefully",
    "quickly",
    "blithely",
    "slyly",
    "regular",
    "express",
    "final",
    "pending",
    "ironic",
    "special",
    "bold",
    "deposits",
    "accounts",
    "packages",
    "requests",
    "theodolites",
    "foxes",
    "pinto",
    "beans",
    "instructions",
    "dependencies",
    "sleep",
    "haggle",
];

/// The lineitem table definition, range-partitioned per year, or unpartitioned with `buckets`
/// buckets when `partitioned` is false (the small-insert table).
pub fn table_def(name: &str, partitioned: bool, buckets: u32) -> TableDef {
    let decimal = ColumnType::Decimal {
        precision: 12,
        scale: 2,
    };
    let columns = vec![
        ColumnDef::new("l_orderkey", ColumnType::BigInt).not_null(),
        ColumnDef::new("l_partkey", ColumnType::Int).not_null(),
        ColumnDef::new("l_suppkey", ColumnType::Int).not_null(),
        ColumnDef::new("l_linenumber", ColumnType::Int).not_null(),
        ColumnDef::new("l_quantity", decimal.clone()).not_null(),
        ColumnDef::new("l_extendedprice", decimal).not_null(),
        ColumnDef::new("l_discount", ColumnType::Double).not_null(),
        ColumnDef::new("l_tax", ColumnType::Double).not_null(),
        ColumnDef::new("l_returnflag", ColumnType::Char(1)).not_null(),
        ColumnDef::new("l_linestatus", ColumnType::Char(1)).not_null(),
        ColumnDef::new("l_shipdate", ColumnType::Date).not_null(),
        ColumnDef::new("l_comment", ColumnType::Varchar(44)).not_null(),
    ];
    let (partition_scheme, partitions) = if partitioned {
        let parts = (FIRST_YEAR..=LAST_YEAR)
            .map(|year| PartitionDef {
                name: partition_name(year),
                bound: PartitionBound::Range {
                    lower: Some(Value::Date(year_start(year))),
                    upper: Some(Value::Date(year_start(year + 1))),
                },
            })
            .collect();
        (
            PartitionScheme::Range {
                column: "l_shipdate".into(),
            },
            parts,
        )
    } else {
        (PartitionScheme::Unpartitioned, vec![])
    };
    TableDef {
        name: name.into(),
        schema: TableSchema {
            columns,
            key_model: KeyModel::Duplicate,
            key_columns: vec!["l_orderkey".into()],
            partition_scheme,
            distribution: Distribution::Hash {
                columns: vec!["l_orderkey".into()],
                buckets,
            },
            properties: TableProperties::default(),
        },
        partitions,
    }
}

/// The partition holding `year`'s rows.
pub fn partition_name(year: i32) -> String {
    format!("p{year}")
}

/// Days since 1970-01-01 of January 1st of `year`.
pub fn year_start(year: i32) -> i32 {
    // 1992..=1999 are far inside i32 days.
    i32::try_from(days_from_civil(i64::from(year), 1, 1)).unwrap_or(i32::MAX)
}

/// Arrow in-memory size of a batch (see the module documentation).
pub fn arrow_bytes(batch: &RecordBatch) -> Result<u64> {
    let mut total = 0u64;
    for column in batch.columns() {
        total += column.to_data().get_slice_memory_size()? as u64;
    }
    Ok(total)
}

/// The generated rows, in batches of at most [`BATCH_ROWS`].
#[derive(Debug)]
pub struct Dataset {
    /// The batches, in generation order.
    pub batches: Vec<RecordBatch>,
    /// Total rows.
    pub rows: u64,
    /// Total Arrow in-memory size.
    pub arrow_bytes: u64,
    /// The seed it was generated from.
    pub seed: u64,
}

impl Dataset {
    /// Generates about `target_bytes` of Arrow data from `seed`: the row count is estimated from a
    /// pilot batch, so the size is within about 1% of the target ([`Dataset::arrow_bytes`] says
    /// exactly).
    pub fn generate(target_bytes: u64, seed: u64) -> Result<Self> {
        let pilot_rows = 4096;
        let pilot = Generator::new(seed ^ 0x5EED).batch(pilot_rows, FIRST_YEAR..=LAST_YEAR)?;
        let bytes_per_row = (arrow_bytes(&pilot)? as f64 / pilot_rows as f64).max(1.0);
        let wanted_rows = ((target_bytes as f64 / bytes_per_row).ceil() as u64).max(1);
        let mut generator = Generator::new(seed);
        let mut batches = Vec::new();
        let mut rows = 0u64;
        let mut bytes = 0u64;
        while rows < wanted_rows {
            let n = usize::try_from(wanted_rows - rows)
                .unwrap_or(BATCH_ROWS)
                .min(BATCH_ROWS);
            let batch = generator.batch(n, FIRST_YEAR..=LAST_YEAR)?;
            rows += batch.num_rows() as u64;
            bytes += arrow_bytes(&batch)?;
            batches.push(batch);
        }
        Ok(Self {
            batches,
            rows,
            arrow_bytes: bytes,
            seed,
        })
    }

    /// The Arrow schema of the batches.
    pub fn schema(&self) -> SchemaRef {
        table_def(TABLE, true, BUCKETS).schema.arrow_schema()
    }
}

/// Generates lineitem rows: about four lines per order, uniform ship dates, TPC-H-like value
/// ranges, comments of 10–44 characters made of TPC-H's words.
#[derive(Debug)]
pub struct Generator {
    rng: XorShift,
    next_row: u64,
    schema: SchemaRef,
}

impl Generator {
    /// A generator whose rows depend only on `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            rng: XorShift::new(seed),
            next_row: 0,
            schema: table_def(TABLE, true, BUCKETS).schema.arrow_schema(),
        }
    }

    /// The next `rows` rows, with ship dates in `years`.
    pub fn batch(&mut self, rows: usize, years: RangeInclusive<i32>) -> Result<RecordBatch> {
        let first_day = year_start(*years.start());
        let days = u64::try_from(year_start(years.end() + 1) - first_day).unwrap_or(1);
        let mut orderkey = Vec::with_capacity(rows);
        let mut partkey = Vec::with_capacity(rows);
        let mut suppkey = Vec::with_capacity(rows);
        let mut linenumber = Vec::with_capacity(rows);
        let mut quantity = Vec::with_capacity(rows);
        let mut price = Vec::with_capacity(rows);
        let mut discount = Vec::with_capacity(rows);
        let mut tax = Vec::with_capacity(rows);
        let mut shipdate = Vec::with_capacity(rows);
        let mut flags = Text::with_capacity(rows, rows);
        let mut status = Text::with_capacity(rows, rows);
        let mut comment = Text::with_capacity(rows, rows * 28);
        for _ in 0..rows {
            let row = self.next_row;
            self.next_row += 1;
            let rng = &mut self.rng;
            orderkey.push((row / 4 + 1) as i64);
            linenumber.push((row % 4 + 1) as i32);
            partkey.push(rng.below(200_000) as i32 + 1);
            suppkey.push(rng.below(10_000) as i32 + 1);
            let q = rng.below(50) as i128 + 1;
            quantity.push(q * 100);
            price.push(q * (90_000 + rng.below(110_001) as i128));
            discount.push(rng.below(11) as f64 / 100.0);
            tax.push(rng.below(9) as f64 / 100.0);
            let day = first_day + rng.below(days) as i32;
            shipdate.push(day);
            flags.push(["R", "A", "N"][rng.below(3) as usize]);
            status.push(if rng.below(2) == 0 { "O" } else { "F" });
            let target = 10 + rng.below(35) as usize;
            comment.push_words(rng, target);
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(orderkey)),
            Arc::new(Int32Array::from(partkey)),
            Arc::new(Int32Array::from(suppkey)),
            Arc::new(Int32Array::from(linenumber)),
            Arc::new(Decimal128Array::from(quantity).with_precision_and_scale(12, 2)?),
            Arc::new(Decimal128Array::from(price).with_precision_and_scale(12, 2)?),
            Arc::new(Float64Array::from(discount)),
            Arc::new(Float64Array::from(tax)),
            Arc::new(flags.finish()),
            Arc::new(status.finish()),
            Arc::new(Date32Array::from(shipdate)),
            Arc::new(comment.finish()),
        ];
        Ok(RecordBatch::try_new(self.schema.clone(), columns)?)
    }
}

/// A string column built with exact-size buffers, so that the Arrow size is the data's size.
struct Text {
    offsets: Vec<i32>,
    values: Vec<u8>,
}

impl Text {
    fn with_capacity(rows: usize, bytes: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        Self {
            offsets,
            values: Vec::with_capacity(bytes),
        }
    }

    fn push(&mut self, s: &str) {
        self.values.extend_from_slice(s.as_bytes());
        self.offsets.push(self.values.len() as i32);
    }

    /// Appends words separated by spaces until about `target` bytes (at most 44).
    fn push_words(&mut self, rng: &mut XorShift, target: usize) {
        let start = self.values.len();
        while self.values.len() - start < target {
            if self.values.len() > start {
                self.values.push(b' ');
            }
            let word = WORDS[rng.below(WORDS.len() as u64) as usize];
            self.values.extend_from_slice(word.as_bytes());
        }
        self.values.truncate(start + target.min(44));
        self.offsets.push(self.values.len() as i32);
    }

    fn finish(mut self) -> StringArray {
        self.values.shrink_to_fit();
        let offsets = OffsetBuffer::new(ScalarBuffer::from(self.offsets));
        StringArray::new(offsets, Buffer::from_vec(self.values), None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_seeded_and_sized() {
        let a = Dataset::generate(1 << 20, 42).expect("generate");
        let b = Dataset::generate(1 << 20, 42).expect("generate");
        assert_eq!(a.batches, b.batches);
        let target = (1u64 << 20) as f64;
        assert!(
            (a.arrow_bytes as f64 - target).abs() < target * 0.02,
            "{}",
            a.arrow_bytes
        );
        assert_eq!(a.batches[0].num_columns(), 12);
    }

    #[test]
    fn ship_dates_stay_in_the_requested_years() {
        let batch = Generator::new(1)
            .batch(2000, 1995..=1995)
            .expect("generate");
        let dates = batch
            .column(10)
            .as_any()
            .downcast_ref::<Date32Array>()
            .expect("date column");
        assert!(
            dates
                .values()
                .iter()
                .all(|d| (year_start(1995)..year_start(1996)).contains(d))
        );
    }
}
