//! The model workload shared by `model.rs` and `faults.rs`: operations over a DUPLICATE KEY table
//! `d` and a PRIMARY KEY table `p` (see `model.rs` for the schema), their proptest strategy, the
//! in-memory model that predicts their outcome, and the comparison of an engine with the model.

use std::collections::BTreeMap;

use proptest::prelude::*;
use tabvault_storage::*;

use crate::common::*;

/// The database every model table lives in.
pub const DB: &str = "db";
/// The two tables: `d` (DUPLICATE KEY) and `p` (PRIMARY KEY).
pub const TABLES: [&str; 2] = ["d", "p"];

/// One operation of a workload.
#[derive(Clone, Debug)]
pub enum Op {
    CreateTable {
        t: usize,
        parts: Vec<i64>,
    },
    DropTable {
        t: usize,
    },
    AddPartition {
        t: usize,
        lo: i64,
    },
    DropPartition {
        t: usize,
        lo: i64,
    },
    Append {
        t: usize,
        rows: Vec<(i64, Option<String>, Option<i32>)>,
    },
    Delete {
        t: usize,
        keys: Vec<i64>,
    },
    Truncate {
        t: usize,
        parts: Option<Vec<i64>>,
    },
    Compact {
        t: usize,
    },
    Checkpoint,
    Reopen,
}

/// A partition's lower bound: 0, 10, ..., 90.
pub fn lo_strategy() -> impl Strategy<Value = i64> {
    (0i64..10).prop_map(|i| i * 10)
}

/// One random operation, weighted towards appends.
pub fn op_strategy() -> impl Strategy<Value = Op> {
    let t = 0usize..2;
    let value = prop_oneof![
        3 => Just(None),
        6 => "[a-c]{0,3}".prop_map(Some),
        1 => Just(Some("long!".to_owned())),
    ];
    let row = (
        prop_oneof![9 => 0i64..100, 1 => 100i64..105],
        value,
        proptest::option::of(-5i32..5),
    );
    prop_oneof![
        2 => (t.clone(), proptest::collection::vec(lo_strategy(), 0..5))
            .prop_map(|(t, parts)| Op::CreateTable { t, parts }),
        1 => t.clone().prop_map(|t| Op::DropTable { t }),
        2 => (t.clone(), lo_strategy()).prop_map(|(t, lo)| Op::AddPartition { t, lo }),
        1 => (t.clone(), lo_strategy()).prop_map(|(t, lo)| Op::DropPartition { t, lo }),
        8 => (t.clone(), proptest::collection::vec(row, 1..6))
            .prop_map(|(t, rows)| Op::Append { t, rows }),
        2 => (t.clone(), proptest::collection::vec(0i64..105, 1..4))
            .prop_map(|(t, keys)| Op::Delete { t, keys }),
        1 => (t.clone(), proptest::option::of(proptest::collection::vec(lo_strategy(), 1..3)))
            .prop_map(|(t, parts)| Op::Truncate { t, parts }),
        1 => t.prop_map(|t| Op::Compact { t }),
        1 => Just(Op::Checkpoint),
        1 => Just(Op::Reopen),
    ]
}

/// A partition in the model: its visible version and rows.
#[derive(Clone, Debug, Default)]
pub struct PartModel {
    pub version: u64,
    pub rows: Vec<Row>,
}

/// A table in the model: partitions by lower bound.
#[derive(Clone, Debug, Default)]
pub struct TableModel {
    pub parts: BTreeMap<i64, PartModel>,
}

/// The model: each of the two tables, if it exists.
#[derive(Clone, Debug, Default)]
pub struct Model {
    pub tables: [Option<TableModel>; 2],
}

/// Whether table `t` is the PRIMARY KEY one.
pub fn is_pk(t: usize) -> bool {
    t == 1
}

/// The lower bound of the partition holding key `k`.
pub fn part_of(k: i64) -> i64 {
    k / 10 * 10
}

/// Table `t`'s definition with partitions starting at `parts`.
pub fn def(t: usize, parts: &[i64]) -> TableDef {
    let mut columns = vec![
        col("k", ColumnType::BigInt).not_null(),
        col("v", ColumnType::Varchar(4)),
    ];
    if !is_pk(t) {
        columns.push(col("n", ColumnType::Int));
    }
    table_def(
        TABLES[t],
        columns,
        if is_pk(t) {
            KeyModel::Primary
        } else {
            KeyModel::Duplicate
        },
        &["k"],
        by_range("k"),
        hash(&["k"], 2),
        parts.iter().map(|lo| part_def(*lo)).collect(),
    )
}

/// The partition `p<lo>` = `[lo, lo+10)`.
pub fn part_def(lo: i64) -> PartitionDef {
    range(&format!("p{lo}"), Some(lo), Some(lo + 10))
}

/// A generated row as a row of table `t`.
pub fn row_of(t: usize, (k, v, n): &(i64, Option<String>, Option<i32>)) -> Row {
    let mut row = vec![int(*k), v.as_deref().map_or(Value::Null, s)];
    if !is_pk(t) {
        row.push(n.map_or(Value::Null, |n| int(n.into())));
    }
    row
}

/// Applies `op` to the model; `Err(())` when the engine must refuse it (the model is then unchanged).
pub fn apply_model(model: &mut Model, op: &Op) -> Result<(), ()> {
    let mut next = model.clone();
    match op {
        Op::CreateTable { t, parts } => {
            if next.tables[*t].is_some() {
                return Err(());
            }
            let mut table = TableModel::default();
            for lo in parts {
                if table
                    .parts
                    .insert(
                        *lo,
                        PartModel {
                            version: 1,
                            rows: vec![],
                        },
                    )
                    .is_some()
                {
                    return Err(());
                }
            }
            next.tables[*t] = Some(table);
        }
        Op::DropTable { t } => {
            next.tables[*t].take().ok_or(())?;
        }
        Op::AddPartition { t, lo } => {
            let table = next.tables[*t].as_mut().ok_or(())?;
            if table
                .parts
                .insert(
                    *lo,
                    PartModel {
                        version: 1,
                        rows: vec![],
                    },
                )
                .is_some()
            {
                return Err(());
            }
        }
        Op::DropPartition { t, lo } => {
            let table = next.tables[*t].as_mut().ok_or(())?;
            table.parts.remove(lo).ok_or(())?;
        }
        Op::Append { t, rows } => {
            let table = next.tables[*t].as_mut().ok_or(())?;
            let mut touched = std::collections::BTreeSet::new();
            for r in rows {
                if r.1.as_ref().is_some_and(|v| v.len() > 4) {
                    return Err(());
                }
                let part = table.parts.get_mut(&part_of(r.0)).ok_or(())?;
                touched.insert(part_of(r.0));
                let row = row_of(*t, r);
                if is_pk(*t) {
                    part.rows.retain(|x| x[0] != row[0]);
                }
                part.rows.push(row);
            }
            for lo in touched {
                if let Some(p) = table.parts.get_mut(&lo) {
                    p.version += 1;
                }
            }
        }
        Op::Delete { t, keys } => {
            if !is_pk(*t) {
                return Err(());
            }
            let table = next.tables[*t].as_mut().ok_or(())?;
            let mut touched = std::collections::BTreeSet::new();
            for k in keys {
                if let Some(part) = table.parts.get_mut(&part_of(*k)) {
                    part.rows.retain(|x| x[0] != int(*k));
                    touched.insert(part_of(*k));
                }
            }
            for lo in touched {
                if let Some(p) = table.parts.get_mut(&lo) {
                    p.version += 1;
                }
            }
        }
        Op::Truncate { t, parts } => {
            let table = next.tables[*t].as_mut().ok_or(())?;
            let chosen: Vec<i64> = match parts {
                None => table.parts.keys().copied().collect(),
                Some(los) => {
                    let mut los = los.clone();
                    los.sort_unstable();
                    los.dedup();
                    los
                }
            };
            for lo in chosen {
                let p = table.parts.get_mut(&lo).ok_or(())?;
                p.version += 1;
                p.rows.clear();
            }
        }
        Op::Compact { t } => {
            next.tables[*t].as_ref().ok_or(())?;
        }
        Op::Checkpoint | Op::Reopen => {}
    }
    *model = next;
    Ok(())
}

/// Opens `builder`'s engine and makes sure the database exists.
pub fn open_with(builder: EngineBuilder) -> R<Engine> {
    let engine = builder.open()?;
    engine.create_database(DB, true)?;
    Ok(engine)
}

/// Applies `op` (not `Reopen`, which the caller does) to the engine.
pub fn apply_engine(engine: &Engine, op: &Op) -> R {
    match op {
        Op::CreateTable { t, parts } => {
            engine.create_table(DB, &def(*t, parts), false)?;
        }
        Op::DropTable { t } => {
            engine.drop_table(DB, TABLES[*t], false)?;
        }
        Op::AddPartition { t, lo } => engine.add_partition(DB, TABLES[*t], &part_def(*lo))?,
        Op::DropPartition { t, lo } => {
            engine.drop_partition(DB, TABLES[*t], &format!("p{lo}"), false)?;
        }
        Op::Append { t, rows } => {
            let rows: Vec<Row> = rows.iter().map(|r| row_of(*t, r)).collect();
            engine.append(DB, TABLES[*t], table_batch(&def(*t, &[]).schema, &rows)?)?;
        }
        Op::Delete { t, keys } => {
            let rows: Vec<Row> = keys.iter().map(|k| vec![int(*k)]).collect();
            let batch = batch_of(&[("k", ColumnType::BigInt)], &rows)?;
            engine.delete_keys(DB, TABLES[*t], batch)?;
        }
        Op::Truncate { t, parts } => {
            let names: Option<Vec<String>> = parts.as_ref().map(|los| {
                let mut los = los.clone();
                los.sort_unstable();
                los.dedup();
                los.iter().map(|lo| format!("p{lo}")).collect()
            });
            engine.truncate(DB, TABLES[*t], names.as_deref())?;
        }
        Op::Compact { t } => {
            engine.compact_table(DB, TABLES[*t])?;
        }
        Op::Checkpoint => engine.checkpoint()?,
        Op::Reopen => unreachable!("run() reopens"),
    }
    Ok(())
}

/// Fails unless the engine's tables, rows and partition versions are the model's.
pub fn compare(engine: &Engine, model: &Model) -> R {
    let expect_names: Vec<String> = TABLES
        .iter()
        .zip(&model.tables)
        .filter(|(_, m)| m.is_some())
        .map(|(n, _)| (*n).to_owned())
        .collect();
    let names = engine.table_names(DB)?;
    if names != expect_names {
        return Err(format!("tables {names:?}, model {expect_names:?}").into());
    }
    for (t, table) in model.tables.iter().enumerate() {
        let Some(table) = table else { continue };
        let got_rows = all_rows(engine, DB, TABLES[t])?;
        let want_rows = sorted(table.parts.values().flat_map(|p| p.rows.clone()).collect());
        if got_rows != want_rows {
            return Err(format!("{}: rows {got_rows:?}\nmodel {want_rows:?}", TABLES[t]).into());
        }
        let got_versions = versions(engine, DB, TABLES[t])?;
        let mut want_versions: Vec<(String, u64)> = table
            .parts
            .iter()
            .map(|(lo, p)| (format!("p{lo}"), p.version))
            .collect();
        want_versions.sort();
        if got_versions != want_versions {
            return Err(format!(
                "{}: versions {got_versions:?}, model {want_versions:?}",
                TABLES[t]
            )
            .into());
        }
    }
    Ok(())
}
