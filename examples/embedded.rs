//! Embedding tabvault without SQL, on the default data directory (`./tabvault-data`, or the first
//! argument): create a range-partitioned table, load generated rows in one commit per batch, scan
//! them back, prune by partition, compact, and print what happened with timings.

use std::sync::Arc;
use std::time::Instant;

use arrow::array::{Date32Array, Decimal128Array, Int64Array, StringArray};
use arrow::record_batch::RecordBatch;
use tabvault::storage::{days_from_civil, less_than_lower_bound};
use tabvault::{
    ColumnDef, ColumnType, CompareOp, Distribution, Engine, KeyModel, PartitionBound, PartitionDef,
    PartitionScheme, Predicate, ScanRequest, TableDef, TableProperties, TableSchema, Value,
};

const ROWS: usize = 1_000_000;
const BATCH_ROWS: usize = 100_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tabvault-data".into());
    let started = Instant::now();
    let engine = Engine::open(&dir)?;
    println!("opened engine at {dir} in {:?}", started.elapsed());

    engine.drop_database("quickstart", true)?;
    engine.create_database("quickstart", false)?;
    let months: Vec<PartitionDef> = (1..=12)
        .map(|m| PartitionDef {
            name: format!("p2024{m:02}"),
            bound: PartitionBound::Range {
                lower: Some(Value::Date(day(2024, m, 1))),
                upper: Some(Value::Date(if m == 12 {
                    day(2025, 1, 1)
                } else {
                    day(2024, m + 1, 1)
                })),
            },
        })
        .collect();
    let schema = TableSchema {
        columns: vec![
            ColumnDef::new("order_date", ColumnType::Date).not_null(),
            ColumnDef::new("order_id", ColumnType::BigInt).not_null(),
            ColumnDef::new("customer", ColumnType::Varchar(32)),
            ColumnDef::new(
                "amount",
                ColumnType::Decimal {
                    precision: 12,
                    scale: 2,
                },
            ),
        ],
        key_model: KeyModel::Duplicate,
        key_columns: vec!["order_date".into(), "order_id".into()],
        partition_scheme: PartitionScheme::Range {
            column: "order_date".into(),
        },
        distribution: Distribution::Hash {
            columns: vec!["order_id".into()],
            buckets: 4,
        },
        properties: TableProperties::default(),
    };
    engine.create_table(
        "quickstart",
        &TableDef {
            name: "orders".into(),
            schema,
            partitions: months,
        },
        false,
    )?;
    println!("created quickstart.orders: 12 monthly partitions x 4 buckets");

    let load = Instant::now();
    for start in (0..ROWS).step_by(BATCH_ROWS) {
        engine.append("quickstart", "orders", generate(start, BATCH_ROWS)?)?;
    }
    let secs = load.elapsed().as_secs_f64();
    println!(
        "loaded {ROWS} rows in {} commits in {secs:.2}s ({:.0} rows/s)",
        ROWS / BATCH_ROWS,
        ROWS as f64 / secs
    );

    let version = engine.pin_table("quickstart", "orders")?;
    let scan = Instant::now();
    let total = version.count(&ScanRequest::all())?;
    println!("full scan: {total} rows in {:?}", scan.elapsed());

    let march = ScanRequest::all()
        .columns(["order_id", "amount"])
        .filter(Predicate::new(
            "order_date",
            CompareOp::GtEq,
            Value::String("2024-03-01".into()),
        ))
        .filter(Predicate::new(
            "order_date",
            CompareOp::Lt,
            Value::String("2024-04-01".into()),
        ));
    let read = version.pruned_partitions(&march)?.len();
    let scan = Instant::now();
    let rows = version.count(&march)?;
    println!(
        "March only: {rows} rows from {read} of 12 partitions in {:?}",
        scan.elapsed()
    );

    for partition in version.table().partitions_in_order().iter().take(3) {
        println!(
            "  partition {}: version {}, {} rows, {} bytes",
            partition.name,
            partition.visible_version,
            partition.row_count(),
            partition.data_size_bytes()
        );
    }
    drop(version);
    let next_lower = less_than_lower_bound(engine.pin_table("quickstart", "orders")?.table(), None);
    println!(
        "a partition added with VALUES LESS THAN (MAXVALUE) would start at {}",
        next_lower.unwrap_or(Value::Null)
    );

    let compaction = engine.compact_table("quickstart", "orders")?;
    println!(
        "compaction merged {} rowsets in {} tablets into {} bytes",
        compaction.rowsets_merged, compaction.tablets_compacted, compaction.bytes_written
    );
    let after = engine
        .pin_table("quickstart", "orders")?
        .count(&ScanRequest::all())?;
    assert_eq!(after, total, "compaction must not change the rows");
    let report = engine.verify(true)?;
    println!(
        "verify: {} files, {} bytes hashed, {} problems",
        report.files_checked,
        report.bytes_hashed,
        report.problems.len()
    );
    println!("done in {:?}", started.elapsed());
    Ok(())
}

fn day(year: i64, month: u32, day: u32) -> i32 {
    i32::try_from(days_from_civil(year, month, day)).unwrap_or(0)
}

fn generate(start: usize, rows: usize) -> Result<RecordBatch, arrow::error::ArrowError> {
    let first = day(2024, 1, 1);
    let ids: Vec<i64> = (start..start + rows).map(|i| i as i64).collect();
    let dates: Vec<i32> = ids
        .iter()
        .map(|i| first + (i.wrapping_mul(7919) % 366) as i32)
        .collect();
    let customers: Vec<String> = ids
        .iter()
        .map(|i| format!("customer-{}", i % 5000))
        .collect();
    let amounts: Vec<i128> = ids
        .iter()
        .map(|i| i128::from(i.wrapping_mul(31) % 100_000))
        .collect();
    RecordBatch::try_from_iter(vec![
        ("order_date", Arc::new(Date32Array::from(dates)) as _),
        ("order_id", Arc::new(Int64Array::from(ids)) as _),
        ("customer", Arc::new(StringArray::from(customers)) as _),
        (
            "amount",
            Arc::new(Decimal128Array::from(amounts).with_precision_and_scale(12, 2)?) as _,
        ),
    ])
}
