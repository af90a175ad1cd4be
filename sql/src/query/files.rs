//! `FILES("path" = "...", "format" = "parquet" | "csv")`: a table function over local files, for
//! bulk loads (`INSERT INTO t SELECT * FROM FILES(...)`). `path` is a file or a directory (every
//! file in it with the format's extension, in name order); CSV files have a header row and their
//! column types are inferred. Files are read when the statement is planned.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::arrow::csv::ReaderBuilder;
use datafusion::arrow::csv::reader::Format;
use datafusion::catalog::{MemTable, TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::error::Result as DfResult;
use datafusion::logical_expr::{BinaryExpr, Expr, Operator};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::error::{Result, SqlError};

/// The schema and rows of one file.
type FileRows = (SchemaRef, Vec<RecordBatch>);

/// The `FILES` table function.
#[derive(Debug, Default)]
pub struct FilesFunction;

impl TableFunctionImpl for FilesFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> DfResult<Arc<dyn TableProvider>> {
        load(args.exprs()).map_err(SqlError::into_datafusion)
    }
}

fn load(exprs: &[Expr]) -> Result<Arc<dyn TableProvider>> {
    let properties = properties(exprs)?;
    let path = properties
        .get("path")
        .ok_or_else(|| SqlError::Invalid("FILES() needs a \"path\" property".into()))?;
    let format = properties
        .get("format")
        .map(|f| f.to_ascii_lowercase())
        .ok_or_else(|| SqlError::Invalid("FILES() needs a \"format\" property".into()))?;
    if let Some(unknown) = properties.keys().find(|k| *k != "path" && *k != "format") {
        return Err(SqlError::Invalid(format!(
            "Unknown FILES() property \"{unknown}\"; supported: path, format"
        )));
    }
    let read: fn(&Path) -> Result<FileRows> = match format.as_str() {
        "parquet" => read_parquet,
        "csv" => read_csv,
        other => {
            return Err(SqlError::Invalid(format!(
                "Unsupported FILES() format \"{other}\"; supported: parquet, csv"
            )));
        }
    };
    let files = list_files(Path::new(path), &format)?;
    let mut schema: Option<SchemaRef> = None;
    let mut batches = Vec::new();
    for file in &files {
        let (file_schema, file_batches) = read(file)?;
        if schema
            .as_ref()
            .is_some_and(|s| s.fields() != file_schema.fields())
        {
            return Err(SqlError::Invalid(format!(
                "FILES(): {} has different columns than the files before it",
                file.display()
            )));
        }
        schema.get_or_insert(file_schema);
        batches.extend(file_batches);
    }
    let schema =
        schema.ok_or_else(|| SqlError::Invalid(format!("FILES(): no {format} file in {path}")))?;
    Ok(Arc::new(MemTable::try_new(schema, vec![batches])?))
}

/// `"key" = "value"` arguments (keys lower-cased).
fn properties(exprs: &[Expr]) -> Result<BTreeMap<String, String>> {
    let text = |e: &Expr| match e {
        Expr::Literal(v, _) => v.try_as_str().flatten().map(str::to_owned),
        _ => None,
    };
    exprs
        .iter()
        .map(|e| match e {
            Expr::BinaryExpr(BinaryExpr {
                left,
                op: Operator::Eq,
                right,
            }) => match (text(left), text(right)) {
                (Some(k), Some(v)) => Ok((k.to_ascii_lowercase(), v)),
                _ => Err(bad_argument(e)),
            },
            _ => Err(bad_argument(e)),
        })
        .collect()
}

fn bad_argument(e: &Expr) -> SqlError {
    SqlError::Invalid(format!(
        "FILES() arguments are \"key\" = \"value\" pairs, got {e}"
    ))
}

fn list_files(path: &Path, extension: &str) -> Result<Vec<PathBuf>> {
    let io = |source| SqlError::Io {
        context: format!("reading {}", path.display()),
        source,
    };
    if !path.is_dir() {
        std::fs::metadata(path).map_err(io)?;
        return Ok(vec![path.to_owned()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case(extension))
        })
        .collect();
    files.sort();
    Ok(files)
}

fn open(path: &Path) -> Result<File> {
    File::open(path).map_err(|source| SqlError::Io {
        context: format!("opening {}", path.display()),
        source,
    })
}

fn read_parquet(path: &Path) -> Result<FileRows> {
    let invalid = |e: &dyn std::fmt::Display| {
        SqlError::Invalid(format!("FILES(): cannot read {}: {e}", path.display()))
    };
    let builder = ParquetRecordBatchReaderBuilder::try_new(open(path)?).map_err(|e| invalid(&e))?;
    let schema = builder.schema().clone();
    let reader = builder.build().map_err(|e| invalid(&e))?;
    let batches = reader
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| invalid(&e))?;
    Ok((schema, batches))
}

fn read_csv(path: &Path) -> Result<FileRows> {
    let invalid = |e: &dyn std::fmt::Display| {
        SqlError::Invalid(format!("FILES(): cannot read {}: {e}", path.display()))
    };
    let mut file = open(path)?;
    let (schema, _) = Format::default()
        .with_header(true)
        .infer_schema(&mut file, None)
        .map_err(|e| invalid(&e))?;
    file.seek(SeekFrom::Start(0)).map_err(|e| invalid(&e))?;
    let schema = Arc::new(schema);
    let reader = ReaderBuilder::new(schema.clone())
        .with_header(true)
        .build(file)
        .map_err(|e| invalid(&e))?;
    let batches = reader
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| invalid(&e))?;
    Ok((schema, batches))
}
