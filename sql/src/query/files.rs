//! `FILES("path" = "...", "format" = "parquet" | "csv")`: a table function over server-side
//! files, for bulk loads (`INSERT INTO t SELECT * FROM FILES(...)`). `path` is a file or a
//! directory (every file in it with the format's extension, in name order); CSV files have a
//! header row and their column types are inferred from their first rows.
//!
//! `FILES()` reads with the server's own file access, so it is a privileged import path: it needs
//! the FILE privilege (or ADMIN), and reads only what the [`ImportPolicy`](super::ImportPolicy) lets
//! through. Planning
//! reads just the schemas (Parquet footers, the first CSV rows); rows stream from a DataFusion
//! `ListingTable` as the query runs.

use std::collections::BTreeMap;
use std::fs::File;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use datafusion::arrow::csv::reader::Format;
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::file_format::csv::CsvFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::error::Result as DfResult;
use datafusion::logical_expr::Expr;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::sql::parser::Statement as QueryStatement;
use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Expr as SqlExpr, FunctionArg, FunctionArgExpr, TableFactor, Value,
    ValueWithSpan, VisitMut, VisitorMut,
};

use super::QueryEnv;
use crate::auth::{Need, authorize};
use crate::error::{Result, SqlError};

/// CSV rows read to infer column types (DuckDB's default sample size).
const CSV_INFER_ROWS: usize = 20_480;

/// The `FILES` table function of one statement: it checks the statement's user and paths.
#[derive(Debug)]
pub struct FilesFunction {
    env: Arc<QueryEnv>,
}

impl FilesFunction {
    /// `FILES()` as the user and policy of `env` may use it.
    pub fn new(env: Arc<QueryEnv>) -> Self {
        Self { env }
    }
}

impl TableFunctionImpl for FilesFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> DfResult<Arc<dyn TableProvider>> {
        load(&self.env, args.exprs()).map_err(SqlError::into_datafusion)
    }
}

/// A file format FILES() reads: how to learn one file's schema, and DataFusion's reader.
struct FilesFormat {
    schema_of: fn(&Path) -> Result<SchemaRef>,
    format: Arc<dyn FileFormat>,
}

impl FilesFormat {
    fn named(name: &str) -> Result<Self> {
        match name {
            "parquet" => Ok(Self {
                schema_of: parquet_schema,
                format: Arc::new(ParquetFormat::default()),
            }),
            "csv" => Ok(Self {
                schema_of: csv_schema,
                format: Arc::new(CsvFormat::default().with_has_header(true)),
            }),
            other => Err(SqlError::Invalid(format!(
                "Unsupported FILES() format \"{other}\"; supported: parquet, csv"
            ))),
        }
    }
}

fn load(env: &QueryEnv, exprs: &[Expr]) -> Result<Arc<dyn TableProvider>> {
    authorize(&env.grants, &Need::File)?;
    let properties = properties(exprs)?;
    let path = properties
        .get("path")
        .ok_or_else(|| SqlError::Invalid("FILES() needs a \"path\" property".into()))?;
    let format_name = properties
        .get("format")
        .map(|f| f.to_ascii_lowercase())
        .ok_or_else(|| SqlError::Invalid("FILES() needs a \"format\" property".into()))?;
    if let Some(unknown) = properties.keys().find(|k| *k != "path" && *k != "format") {
        return Err(SqlError::Invalid(format!(
            "Unknown FILES() property \"{unknown}\"; supported: path, format"
        )));
    }
    let format = FilesFormat::named(&format_name)?;
    let files = env.import.get().resolve(path, &format_name)?;
    let mut schema: Option<SchemaRef> = None;
    let mut urls = Vec::with_capacity(files.len());
    for (file, _) in &files {
        let file_schema = (format.schema_of)(file).map_err(|e| shown_as(e, file, path))?;
        if schema
            .as_ref()
            .is_some_and(|s| s.fields() != file_schema.fields())
        {
            return Err(SqlError::Invalid(format!(
                "FILES(): {} has different columns than the files before it",
                typed_name(file, path)
            )));
        }
        schema.get_or_insert(file_schema);
        urls.push(file_url(file)?);
    }
    let schema = schema
        .ok_or_else(|| SqlError::Invalid(format!("FILES(): no {format_name} file in {path}")))?;
    let options = ListingOptions::new(format.format).with_file_extension("");
    let config = ListingTableConfig::new_with_multi_paths(urls)
        .with_listing_options(options)
        .with_schema(schema);
    Ok(Arc::new(ListingTable::try_new(config)?))
}

/// How a resolved file is named in errors: `path` as typed, plus the file's name when `path`
/// is a directory (the canonical path would show where the import roots really are).
fn typed_name(file: &Path, path: &str) -> String {
    if Path::new(path).is_dir() {
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        format!("{}/{name}", path.trim_end_matches('/'))
    } else {
        path.to_owned()
    }
}

/// An error about `file` restated with the name the user typed.
fn shown_as(error: SqlError, file: &Path, path: &str) -> SqlError {
    SqlError::Invalid(
        error
            .to_string()
            .replace(&file.display().to_string(), &typed_name(file, path)),
    )
}

fn file_url(file: &Path) -> Result<ListingTableUrl> {
    let url = url::Url::from_file_path(file).map_err(|()| {
        SqlError::Invalid(format!(
            "FILES(): {} is not an absolute path",
            file.display()
        ))
    })?;
    Ok(ListingTableUrl::try_new(url, None)?)
}

/// The arguments as `key, value` pairs of string literals (keys lower-cased); see
/// [`spread_files_arguments`] for how StarRocks' `"key" = "value"` form arrives in this shape.
fn properties(exprs: &[Expr]) -> Result<BTreeMap<String, String>> {
    let text = |e: &Expr| match e {
        Expr::Literal(v, _) => v.try_as_str().flatten().map(str::to_owned),
        _ => None,
    };
    if !exprs.len().is_multiple_of(2) {
        return Err(SqlError::Invalid(
            "FILES() arguments are \"key\" = \"value\" pairs".into(),
        ));
    }
    exprs
        .chunks(2)
        .map(|pair| match (text(&pair[0]), text(&pair[1])) {
            (Some(k), Some(v)) => Ok((k.to_ascii_lowercase(), v)),
            _ => Err(bad_argument(&pair[0])),
        })
        .collect()
}

/// Rewrites every `FILES("k" = "v", ...)` call of `query` to `FILES('k', 'v', ...)`. DataFusion
/// would evaluate `"k" = "v"` as a comparison (to `false`) before the table function saw it, so
/// StarRocks' form is turned into plain literal arguments first. Arguments of any other form are
/// left as they are (the function then reports what is wrong).
pub(crate) fn spread_files_arguments(query: &mut QueryStatement) {
    match query {
        QueryStatement::Statement(statement) => {
            let _ = statement.visit(&mut FilesCalls);
        }
        QueryStatement::Explain(explain) => spread_files_arguments(&mut explain.statement),
        _ => {}
    }
}

/// The visitor behind [`spread_files_arguments`].
struct FilesCalls;

impl VisitorMut for FilesCalls {
    type Break = ();

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        if let TableFactor::Table {
            name,
            args: Some(arguments),
            ..
        } = factor
            && name.0.len() == 1
            && name.0[0]
                .as_ident()
                .is_some_and(|i| i.value.eq_ignore_ascii_case("files"))
        {
            arguments.args = std::mem::take(&mut arguments.args)
                .into_iter()
                .flat_map(spread_pair)
                .collect();
        }
        ControlFlow::Continue(())
    }
}

/// `"k" = "v"` as the two arguments `'k'`, `'v'`; any other argument as it is.
fn spread_pair(argument: FunctionArg) -> Vec<FunctionArg> {
    let string = |e: &SqlExpr| match e {
        SqlExpr::Value(ValueWithSpan {
            value: Value::SingleQuotedString(s) | Value::DoubleQuotedString(s),
            ..
        }) => Some(s.clone()),
        _ => None,
    };
    if let FunctionArg::Unnamed(FunctionArgExpr::Expr(SqlExpr::BinaryOp {
        left,
        op: BinaryOperator::Eq,
        right,
    })) = &argument
        && let (Some(key), Some(value)) = (string(left), string(right))
    {
        return [key, value]
            .into_iter()
            .map(|s| {
                let literal = SqlExpr::Value(Value::SingleQuotedString(s).with_empty_span());
                FunctionArg::Unnamed(FunctionArgExpr::Expr(literal))
            })
            .collect();
    }
    vec![argument]
}

fn bad_argument(e: &Expr) -> SqlError {
    SqlError::Invalid(format!(
        "FILES() arguments are \"key\" = \"value\" pairs, got {e}"
    ))
}

fn open(path: &Path) -> Result<File> {
    File::open(path).map_err(|source| SqlError::Io {
        context: format!("opening {}", path.display()),
        source,
    })
}

fn unreadable(path: &Path, e: &dyn std::fmt::Display) -> SqlError {
    SqlError::Invalid(format!("FILES(): cannot read {}: {e}", path.display()))
}

/// The Arrow schema of a Parquet file, from its footer, without the Parquet field ids the
/// reader puts on the fields of files that have them (tabvault's rowset files do since they
/// carry Iceberg field ids, older ones do not): files that differ only in ids have the same
/// columns, and query results do not show the ids.
fn parquet_schema(path: &Path) -> Result<SchemaRef> {
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(open(path)?).map_err(|e| unreadable(path, &e))?;
    Ok(Arc::new(tabvault_storage::internal::without_field_ids(
        builder.schema(),
    )))
}

/// The schema of a CSV file with a header row, its types inferred from the first rows.
fn csv_schema(path: &Path) -> Result<SchemaRef> {
    let (schema, _) = Format::default()
        .with_header(true)
        .infer_schema(open(path)?, Some(CSV_INFER_ROWS))
        .map_err(|e| unreadable(path, &e))?;
    Ok(Arc::new(schema))
}

#[cfg(test)]
mod tests {
    use super::spread_files_arguments;
    use crate::parser::parse_query;

    #[test]
    fn starrocks_pairs_become_plain_arguments_in_queries_and_explain() -> crate::error::Result<()> {
        for (sql, prefix) in [
            (
                "SELECT * FROM FILES(\"path\" = \"/x\", 'format' = 'csv')",
                "",
            ),
            (
                "EXPLAIN SELECT * FROM files(\"path\" = \"/x\", 'format' = 'csv')",
                "EXPLAIN ",
            ),
        ] {
            let mut query = parse_query(sql)?;
            spread_files_arguments(&mut query);
            let printed = query.to_string();
            assert!(printed.starts_with(prefix), "{printed}");
            assert!(
                printed
                    .to_lowercase()
                    .contains("files('path', '/x', 'format', 'csv')"),
                "{printed}"
            );
        }
        Ok(())
    }
}
