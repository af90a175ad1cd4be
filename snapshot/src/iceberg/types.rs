//! Column types as Iceberg types, the table schema (field id `i + 1` for the column at index
//! `i`, [`tabvault_storage::internal::field_id`], the id rowset files carry as their Parquet field ids)
//! and the name mapping that lets readers find columns in Parquet files written before rowset
//! files carried field ids.
//!
//! How tabvault's Arrow types reach Parquet (arrow-rs' writer) and why each reads as its
//! Iceberg type without conversion:
//!
//! | SQL | Parquet physical (logical) | Iceberg |
//! |---|---|---|
//! | BOOLEAN | BOOLEAN | boolean |
//! | TINYINT / SMALLINT / INT | INT32 (INT(8/16/32)) | int |
//! | BIGINT | INT64 | long |
//! | LARGEINT | FIXED_LEN_BYTE_ARRAY(16) (DECIMAL(38, 0)) | decimal(38, 0) |
//! | FLOAT / DOUBLE | FLOAT / DOUBLE | float / double |
//! | DECIMAL(p, s) | INT32 p ≤ 9, INT64 p ≤ 18, else FIXED (DECIMAL(p, s)) | decimal(p, s) |
//! | CHAR / VARCHAR / STRING | BYTE_ARRAY (STRING) | string |
//! | DATE | INT32 (DATE) | date |
//! | DATETIME | INT64 (TIMESTAMP(MICROS, not adjusted to UTC)) | timestamp |
//!
//! Every tabvault type maps (the match is exhaustive, so a new type cannot be added without
//! deciding its mapping here).

use serde_json::{Value as Json, json};
use tabvault_storage::internal::field_id;
use tabvault_storage::{ColumnType, TableSchema};

/// The Iceberg primitive type of a column type, as `metadata.json` spells it.
pub(crate) fn iceberg_type(ty: &ColumnType) -> String {
    match ty {
        ColumnType::Boolean => "boolean".into(),
        ColumnType::TinyInt | ColumnType::SmallInt | ColumnType::Int => "int".into(),
        ColumnType::BigInt => "long".into(),
        ColumnType::LargeInt => "decimal(38, 0)".into(),
        ColumnType::Float => "float".into(),
        ColumnType::Double => "double".into(),
        ColumnType::Decimal { precision, scale } => format!("decimal({precision}, {scale})"),
        ColumnType::Char(_) | ColumnType::Varchar(_) | ColumnType::String => "string".into(),
        ColumnType::Date => "date".into(),
        ColumnType::DateTime => "timestamp".into(),
    }
}

/// The table schema as Iceberg JSON (schema id 0); NOT NULL columns are `required`.
pub(crate) fn schema_json(schema: &TableSchema) -> Json {
    let fields: Vec<Json> = schema
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            json!({
                "id": field_id(i),
                "name": c.name,
                "required": !c.nullable,
                "type": iceberg_type(&c.ty),
            })
        })
        .collect();
    json!({"type": "struct", "schema-id": 0, "fields": fields})
}

/// The `schema.name-mapping.default` table property: each field id with the column name the
/// Parquet files use. Rowset files written before tabvault gave them field ids carry no
/// `PARQUET:field_id`, and a backup may list such files next to new ones (a table is not
/// rewritten when tabvault is upgraded): readers map those by name, the others by id.
pub(crate) fn name_mapping(schema: &TableSchema) -> Json {
    Json::Array(
        schema
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| json!({"field-id": field_id(i), "names": [c.name]}))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tabvault_storage::{ColumnDef, Distribution, KeyModel, PartitionScheme, TableProperties};

    #[test]
    fn every_type_has_its_iceberg_name() {
        let cases = [
            (ColumnType::Boolean, "boolean"),
            (ColumnType::TinyInt, "int"),
            (ColumnType::SmallInt, "int"),
            (ColumnType::Int, "int"),
            (ColumnType::BigInt, "long"),
            (ColumnType::LargeInt, "decimal(38, 0)"),
            (ColumnType::Float, "float"),
            (ColumnType::Double, "double"),
            (
                ColumnType::Decimal {
                    precision: 12,
                    scale: 3,
                },
                "decimal(12, 3)",
            ),
            (ColumnType::Char(4), "string"),
            (ColumnType::Varchar(10), "string"),
            (ColumnType::String, "string"),
            (ColumnType::Date, "date"),
            (ColumnType::DateTime, "timestamp"),
        ];
        for (ty, name) in cases {
            assert_eq!(iceberg_type(&ty), name, "{ty}");
        }
    }

    #[test]
    fn schema_and_name_mapping_share_field_ids() {
        let schema = TableSchema {
            columns: vec![
                ColumnDef::new("k", ColumnType::BigInt).not_null(),
                ColumnDef::new("v", ColumnType::String),
            ],
            key_model: KeyModel::Duplicate,
            key_columns: vec!["k".into()],
            partition_scheme: PartitionScheme::Unpartitioned,
            distribution: Distribution::Random { buckets: 1 },
            properties: TableProperties::default(),
        };
        assert_eq!(
            schema_json(&schema)["fields"],
            json!([
                {"id": 1, "name": "k", "required": true, "type": "long"},
                {"id": 2, "name": "v", "required": false, "type": "string"},
            ])
        );
        assert_eq!(
            name_mapping(&schema),
            json!([{"field-id": 1, "names": ["k"]}, {"field-id": 2, "names": ["v"]}])
        );
    }
}
