//! Every repository snapshot is also a set of Apache Iceberg v2 tables: metadata written next to
//! the snapshot lists its existing content-addressed Parquet files by absolute URI, so Spark,
//! Trino, StarRocks, DuckDB or pyiceberg read a table without a byte of data being copied.
//!
//! Per table, under `iceberg/<snapshot>/<timestamp>/<database>/<table>/metadata/` (the layout
//! of a Hadoop catalog whose warehouse is `iceberg/<snapshot>/<timestamp>`):
//!
//! ```text
//! v1.metadata.json                      table metadata: schema, partition spec, one snapshot
//! version-hint.text                     "1", what a Hadoop catalog reads first (written last)
//! snap-<snapshot id>-1-<uuid>.avro      manifest list (Avro, uncompressed)
//! <uuid>-m0.avro                        manifest listing every data file (Avro, uncompressed)
//! <uuid>-m1.avro                        PRIMARY KEY tables with superseded rows: the deletes
//! ../data/<blake3>-<size>.parquet       ... and their position delete files, content-addressed
//! ```
//!
//! The modules: [`types`] maps column types and builds the schema and name mapping, [`bounds`]
//! serialises single values (spec Appendix D), [`avro`] holds the manifest and manifest-list
//! schemas with the spec's field ids, [`metadata`] the `metadata.json` document, [`partition`]
//! chooses the partition spec and each partition's value, [`deletes`]
//! turns PRIMARY KEY merge-on-read into position deletes, and [`export`] plans every file of a
//! snapshot's tables (no I/O besides reading keys: BACKUP uploads what it returns).
//!
//! Columns: the schema gives the column at index `i` field id `i + 1`
//! ([`tabvault_storage::internal::field_id`]), and rowset files written since tabvault gave them field
//! ids carry the same id as each column's Parquet field id, so readers resolve them by id.
//! Files written before carry none and stay as they are (a snapshot may list both kinds): the
//! `schema.name-mapping.default` property maps those by column name. tabvault has no schema
//! evolution, so an id never changes.
//!
//! Partitioning: the spec is unpartitioned unless every partition of the snapshot maps exactly
//! onto one transform of the partition column ([`partition`]): a RANGE table on DATE (or
//! DATETIME with bounds at midnight) whose partitions are each exactly one calendar year, month or
//! day gets `year`, `month` or `day` (the coarsest that fits them all), a LIST table whose
//! partitions each hold one value gets `identity`. Each data file then carries its partition's
//! value, the manifest list summarises them, and a PRIMARY KEY table's position deletes are one
//! file per partition (readers match deletes to data files by partition); unpartitioned tables
//! keep one delete file.
//!
//! Limits: never a bucket transform (tabvault's bucket hash is not Iceberg's Murmur3); RANGE
//! partitions with an open bound (MINVALUE/MAXVALUE), other spans or mixed spans, RANGE on other
//! types, LIST partitions of several values and identity on FLOAT, DOUBLE, DECIMAL or LARGEINT
//! columns stay unpartitioned (readers still prune on per-file column bounds); a table naming one
//! data file twice is not exported (readers would count its rows once per entry, and position
//! deletes could not tell the copies apart).

mod avro;
mod avro_binary;
mod bounds;
mod deletes;
mod export;
mod metadata;
mod partition;
mod types;

pub(crate) use deletes::{read_local_keys, read_parquet_keys};
pub(crate) use export::{IcebergPlan, Run, plan_snapshot, split_export_files};
